#include "runtime/task_set.hpp"

#include <algorithm>
#include <random>

#include "state/state_store.hpp"
#include "util/rfc3339.hpp"

namespace tasksrun {
namespace {

std::uint64_t random_seed() {
    static std::random_device seeds;
    return (std::uint64_t{seeds()} << 32) | seeds();
}

// A reload keeps a task whose table is the same and whose endpoints resolve to the same URLs.
bool unchanged(const TaskRunner& runner, const TaskConfig& task, const Generation& next) {
    if (runner.task().fingerprint != task.fingerprint) return false;
    const ResolvedEndpoints& before = runner.generation().endpoints;
    bool same = true;
    for_each_webhook_action(task, [&](const WebhookAction& action) {
        const ResolvedWebhook& old_url = before.webhooks.at(action.webhook);
        const ResolvedWebhook& new_url = next.endpoints.webhooks.at(action.webhook);
        same = same && old_url.url == new_url.url && old_url.kind == new_url.kind;
    });
    if (task.ping) {
        same = same && before.pings.at(*task.ping).url == next.endpoints.pings.at(*task.ping).url;
    }
    return same;
}

// Where a task's schedule resumes: after the last slot the state database recorded for it.
std::optional<Instant> resume_point(const std::string& task,
                                    const std::map<std::string, Instant>& stored) {
    const auto it = stored.find(task);
    return it == stored.end() ? std::nullopt : std::optional(it->second);
}

}  // namespace

std::vector<const TaskConfig*> enabled_tasks(const Config& config) {
    std::vector<const TaskConfig*> tasks;
    for (const TaskConfig& task : config.tasks) {
        if (task.enabled) tasks.push_back(&task);
    }
    return tasks;
}

TaskSet::TaskSet(const TaskServices& services, std::shared_ptr<const Generation> generation,
                 std::function<void()> settled_changed)
    : services_(services),
      generation_(std::move(generation)),
      settled_changed_(std::move(settled_changed)) {
    for (const TaskConfig* task : enabled_tasks(generation_->config))
        tasks_.push_back(Slot{make_runner(*task)});
    rebuild_index();
}

std::unique_ptr<TaskRunner> TaskSet::make_runner(const TaskConfig& task) {
    SettleListener* listener = this;
    return std::make_unique<TaskRunner>(services_, generation_, task,
                                        loop_settings(task, services_.replication), random_seed(),
                                        listener);
}

std::map<std::string, Instant> TaskSet::stored_slots() const {
    if (services_.store == nullptr) return {};
    auto slots = services_.store->last_fired_slots();
    if (slots) return std::move(*slots);
    // Starting afresh beats not starting: the schedule simply does not resume.
    services_.logger.message(LogLevel::error,
                             slots.error() + "; tasks start without their last slots");
    return {};
}

void TaskSet::start_all() {
    const auto stored = stored_slots();
    const Batch batch(*this);
    for (Slot& slot : tasks_) slot.runner->start(resume_point(slot.runner->task().name, stored));
}

void TaskSet::stop_all() {
    const Batch batch(*this);
    for (Slot& slot : tasks_) {
        slot.successor = nullptr;  // nothing new starts while stopping
        slot.runner->stop();
    }
}

void TaskSet::cancel_all() {
    const Batch batch(*this);
    for (Slot& slot : tasks_) slot.runner->cancel();
    for (auto& runner : removed_) runner->cancel();
}

TaskSet::Applied TaskSet::apply(std::shared_ptr<const Generation> next) {
    const Batch batch(*this);  // tasks_ is rebuilt below: no settle checks until it is whole
    std::map<std::string_view, Slot*> before;
    for (Slot& slot : tasks_) before.emplace(slot.runner->task().name, &slot);
    generation_ = std::move(next);

    Applied applied;
    std::vector<Slot> after;
    std::vector<TaskRunner*> added;
    for (const TaskConfig* task : enabled_tasks(generation_->config)) {
        const auto found = before.find(task->name);
        if (found == before.end()) {
            after.push_back(Slot{make_runner(*task)});
            added.push_back(after.back().runner.get());
            services_.logger.lifecycle(task->name,
                                       {.event = LifecycleEvent::reload, .message = "added"});
            continue;
        }
        Slot slot = std::move(*found->second);
        before.erase(found);
        if (slot.successor == nullptr && unchanged(*slot.runner, *task, *generation_)) {
            slot.runner->rebind(generation_, *task);
            ++applied.unchanged;
        } else {
            ++applied.changed;
            slot.successor = task;
            services_.logger.lifecycle(task->name,
                                       {.event = LifecycleEvent::reload,
                                        .loop = slot.runner->loop().current_loop(),
                                        .message = "changed: restarts with the new config once "
                                                   "its running iteration has ended"});
            slot.runner->stop();
        }
        after.push_back(std::move(slot));
    }
    for (auto& [name, slot] : before) {
        services_.logger.lifecycle(
            name, {.event = LifecycleEvent::reload,
                   .loop = slot->runner->loop().current_loop(),
                   .message = "removed: stops once its running iteration has ended"});
        slot->runner->stop();
        removed_.push_back(std::move(slot->runner));
    }
    applied.removed = before.size();
    applied.added = added.size();
    tasks_ = std::move(after);
    rebuild_index();
    if (added.empty()) return applied;
    const auto stored = stored_slots();  // an added task may have run under an earlier config
    for (TaskRunner* runner : added) runner->start(resume_point(runner->task().name, stored));
    return applied;
}

TaskSet::Batch::~Batch() {
    set_.in_batch_ = false;
    // Whatever settled meanwhile (a changed task that had already ended, say) is handled now.
    set_.on_runner_settled();
}

void TaskSet::on_runner_settled() {
    if (in_batch_) return;
    const bool handover_due = !removed_.empty() || std::ranges::any_of(tasks_, [](const Slot& s) {
        return s.successor != nullptr;
    });
    // Runners are replaced from a fresh turn of the loop, never inside their own callbacks.
    if (handover_due && !handover_) {
        handover_ = services_.env.defer([this] {
            handover_.reset();
            hand_over();
        });
    }
    settled_changed_();
}

void TaskSet::hand_over() {
    std::erase_if(removed_, [](const auto& runner) { return runner->settled(); });
    bool replaced = false;
    std::optional<std::map<std::string, Instant>> stored;  // read once, if a task needs it
    for (Slot& slot : tasks_) {
        if (slot.successor == nullptr || !slot.runner->settled()) continue;
        // The new config resumes the schedule after the last slot the old one fired.
        std::optional<Instant> last = slot.runner->loop().last_scheduled();
        if (!last) {
            if (!stored) stored = stored_slots();
            last = resume_point(slot.runner->task().name, *stored);
        }
        slot.runner = make_runner(*slot.successor);
        slot.successor = nullptr;
        slot.runner->start(last);
        replaced = true;
    }
    if (replaced) rebuild_index();
    settled_changed_();
}

void TaskSet::rebuild_index() {
    std::vector<TaskRunner*> runners;
    runners.reserve(tasks_.size());
    for (Slot& slot : tasks_) runners.push_back(slot.runner.get());
    index_.assign(std::move(runners));
}

bool TaskSet::all_settled() const {
    if (!removed_.empty()) return false;
    return std::ranges::all_of(tasks_, [](const Slot& slot) {
        return slot.successor == nullptr && slot.runner->settled();
    });
}

bool TaskSet::any_failed() const {
    return std::ranges::any_of(tasks_,
                               [](const Slot& slot) { return slot.runner->loop().failed(); });
}

std::string TaskSet::status_line() const {
    const TaskRunner* soonest = nullptr;
    std::optional<Instant> soonest_at;
    std::size_t running = 0;
    for (const Slot& slot : tasks_) {
        if (slot.runner->loop().is_running()) ++running;
        const auto next = slot.runner->next_iteration();
        if (next && (!soonest_at || *next < *soonest_at)) {
            soonest = slot.runner.get();
            soonest_at = next;
        }
    }
    std::string line =
        std::to_string(running) + " of " + std::to_string(tasks_.size()) + " tasks running";
    if (soonest != nullptr) {
        line += "; next: " + soonest->task().name + " at " +
                format_utc(std::chrono::floor<std::chrono::seconds>(*soonest_at));
    }
    return line;
}

}  // namespace tasksrun
