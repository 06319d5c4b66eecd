#include "runtime/daemon.hpp"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <random>

#include "config/loader.hpp"
#include "runtime/clock.hpp"
#include "runtime/service_manager.hpp"
#include "util/duration.hpp"
#include "util/rfc3339.hpp"

namespace tasksrun {
namespace {

// How often the one-line status systemd shows is brought up to date.
constexpr auto kStatusInterval = std::chrono::seconds{10};

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
    if (task.ping)
        same = same && before.pings.at(*task.ping).url == next.endpoints.pings.at(*task.ping).url;
    return same;
}

// Where a task's schedule resumes: after the last slot the state database recorded for it.
std::optional<Instant> resume_point(const std::string& task,
                                    const std::map<std::string, Instant>& stored) {
    const auto it = stored.find(task);
    return it == stored.end() ? std::nullopt : std::optional(it->second);
}

std::string milliseconds_text(Duration duration) {
    return std::to_string(duration.count() / 1000) + "." +
           std::to_string(duration.count() % 1000 / 100) + " ms";
}

}  // namespace

std::vector<const TaskConfig*> enabled_tasks(const Config& config) {
    std::vector<const TaskConfig*> tasks;
    for (const TaskConfig& task : config.tasks) {
        if (task.enabled) tasks.push_back(&task);
    }
    return tasks;
}

std::string host_name() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0) return "localhost";
    return name;
}

Daemon::Daemon(Config config, Logger& logger, ResolvedEndpoints endpoints, DaemonOptions options)
    : logger_(logger),
      webhooks_(events_, logger),
      pinger_(events_, logger),
      store_(std::move(options.store)),
      redactor_(std::move(options.redactor)),
      metrics_(config.settings.http ? std::make_unique<MetricsRegistry>() : nullptr),
      shared_{events_, logger, webhooks_, pinger_, host_name(), store_.get(), metrics_.get()},
      generation_(
          std::make_shared<const Generation>(std::move(config), std::move(endpoints), shared_)) {
    // Children are reaped through sd-event, which needs SIGCHLD blocked before any is started;
    // a command whose reader went away gets EPIPE, not a dead daemon.
    if (options.control_socket) {
        auto server = ControlServer::listen(
            events_, *options.control_socket,
            [this](const nlohmann::json& request) { return control_reply(request, index_); });
        if (!server) throw std::runtime_error(server.error());
        control_ = std::move(*server);
    }
    if (metrics_) start_observing();
    block_child_signals();
    std::signal(SIGPIPE, SIG_IGN);
    for (const int signal : {SIGTERM, SIGINT}) {
        signals_.push_back(events_.signal(
            signal, [this, signal](const signalfd_siginfo&) { on_stop_signal(signal); }));
    }
    signals_.push_back(events_.signal(SIGHUP, [this](const signalfd_siginfo&) { reload(); }));
    if (getpid() == 1) reaper_.emplace(events_);
    // systemd's WatchdogSec: sd-event pings it from the loop itself, so a stuck loop is noticed.
    sd_event_set_watchdog(events_.raw(), 1);
    // At hundreds of lines a second, a write per line costs more than the work it reports:
    // lines are written in batches, at most 20 ms late.
    logger_.batch([this] {
        log_flush_ =
            events_.elapsed_timer(std::chrono::milliseconds{20}, [this] { logger_.flush(); });
    });
    for (const TaskConfig* task : enabled_tasks(generation_->config))
        tasks_.push_back(Slot{make_runner(*task)});
    rebuild_index();
}

Daemon::~Daemon() {
    logger_.end_batch();  // the logger outlives the event loop that flushes its batches
}

std::unique_ptr<TaskRunner> Daemon::make_runner(const TaskConfig& task) {
    SettleListener* listener = this;
    return std::make_unique<TaskRunner>(generation_, task, random_seed(), listener);
}

int Daemon::run() {
    const Config& config = generation_->config;
    const std::size_t disabled = config.tasks.size() - tasks_.size();
    logger_.message(LogLevel::info,
                    "tasksrun " TASKSRUN_VERSION " starting with " + std::to_string(tasks_.size()) +
                        " tasks (" + std::to_string(disabled) + " disabled) from " + config.path);
    if (store_) {
        logger_.message(LogLevel::info, "state: " + store_->path());
    } else {
        logger_.message(LogLevel::warn,
                        "no state_dir and no $STATE_DIRECTORY: nothing persists, so slots missed "
                        "while tasksrun is down go unnoticed and `tasksrun history` is empty");
    }
    if (control_) logger_.message(LogLevel::info, "control socket: " + control_->path());
    if (status_server_) {
        logger_.message(LogLevel::info,
                        "http: /metrics, /healthz and / on " + status_server_->where());
    }
    const auto stored = stored_slots();
    {
        const Batch batch(*this);
        for (Slot& slot : tasks_)
            slot.runner->start(resume_point(slot.runner->task().name, stored));
    }
    // Parsing the config left free memory behind that malloc would otherwise keep.
    malloc_trim(0);
    service_manager::ready(status_line());
    refresh_status();
    const int code = events_.run();
    log_flush_.reset();
    logger_.end_batch();  // the event loop that flushed the batches has stopped
    logger_.message(
        LogLevel::info,
        "tasksrun stopped; webhooks: " + std::to_string(webhooks_.requests_completed()) +
            " requests over " + std::to_string(webhooks_.connections_opened()) + " connections");
    return code < 0 ? 1 : code;
}

std::map<std::string, Instant> Daemon::stored_slots() const {
    if (!store_) return {};
    auto slots = store_->last_fired_slots();
    if (slots) return std::move(*slots);
    // Starting afresh beats not starting: the schedule simply does not resume.
    logger_.message(LogLevel::error, slots.error() + "; tasks start without their last slots");
    return {};
}

void Daemon::on_stop_signal(int signal) {
    ++stop_signals_;
    if (stop_signals_ > 1) {
        cancel_all(signal == SIGINT ? "second SIGINT" : "second SIGTERM");
        return;
    }
    service_manager::stopping();
    const Duration timeout = generation_->config.settings.shutdown_timeout;
    logger_.message(LogLevel::info,
                    std::string(signal == SIGINT ? "SIGINT" : "SIGTERM") +
                        ": stopping every loop; running iterations may take up to " +
                        format_duration(timeout) + " (send it again to cancel them now)");
    shutdown_timer_ =
        events_.elapsed_timer(timeout, [this] { cancel_all("shutdown_timeout reached"); });
    const Batch batch(*this);
    for (Slot& slot : tasks_) {
        slot.successor = nullptr;  // nothing new starts while stopping
        slot.runner->stop();
    }
}

void Daemon::cancel_all(const char* why) {
    logger_.message(LogLevel::warn, std::string(why) + ": cancelling running actions");
    const Batch batch(*this);
    for (Slot& slot : tasks_) slot.runner->cancel();
    for (auto& runner : removed_) runner->cancel();
}

void Daemon::reload() {
    if (stop_signals_ > 0) {
        logger_.message(LogLevel::warn, "SIGHUP while stopping: not reloading");
        return;
    }
    const Instant began = wall_clock_now();
    service_manager::reloading();
    const std::string& path = generation_->config.path;
    logger_.message(LogLevel::info, "SIGHUP: reloading " + path);
    LoadResult loaded = load_config_file(path);
    for (const std::string& line : loaded.diagnostics.formatted()) {
        const bool warning = line.find(": warning: ") != std::string::npos;
        logger_.message(warning ? LogLevel::warn : LogLevel::error, "reload: " + line);
    }
    std::optional<ResolvedEndpoints> resolved;
    auto redactor = std::make_shared<Redactor>(*redactor_);
    if (loaded.config) {
        auto endpoints = resolve_endpoints(*loaded.config, enabled_tasks(*loaded.config), redactor);
        if (endpoints) {
            resolved = std::move(*endpoints);
        } else {
            for (const std::string& problem : endpoints.error().formatted())
                logger_.message(LogLevel::error, "reload: " + problem);
        }
    }
    if (!resolved) {
        logger_.message(LogLevel::error,
                        "reload refused: the new config is not valid; the running one stays");
        if (shared_.observer != nullptr) shared_.observer->config_reloaded(false);
        service_manager::ready(status_line());
        return;
    }
    if (loaded.config->settings.state_dir != generation_->config.settings.state_dir) {
        logger_.message(LogLevel::warn,
                        "reload: state_dir changes take effect when tasksrun restarts");
    }
    if (loaded.config->settings.http != generation_->config.settings.http)
        logger_.message(LogLevel::warn, "reload: http changes take effect when tasksrun restarts");
    redactor_ = redactor;
    logger_.set_redactor(std::move(redactor));
    apply(std::make_shared<const Generation>(std::move(*loaded.config), std::move(*resolved),
                                             shared_));
    if (shared_.observer != nullptr) shared_.observer->config_reloaded(true);
    logger_.message(LogLevel::info,
                    "reload applied in " + milliseconds_text(wall_clock_now() - began));
    // The replaced config's memory is free now, but malloc would keep it from the system.
    malloc_trim(0);
    service_manager::ready(status_line());
}

void Daemon::apply(std::shared_ptr<const Generation> next) {
    const Batch batch(*this);  // tasks_ is rebuilt below: no settle checks until it is whole
    std::map<std::string_view, Slot*> before;
    for (Slot& slot : tasks_) before.emplace(slot.runner->task().name, &slot);
    generation_ = std::move(next);

    std::vector<Slot> after;
    std::vector<TaskRunner*> added;
    std::size_t kept = 0;
    std::size_t changed = 0;
    for (const TaskConfig* task : enabled_tasks(generation_->config)) {
        const auto found = before.find(task->name);
        if (found == before.end()) {
            after.push_back(Slot{make_runner(*task)});
            added.push_back(after.back().runner.get());
            logger_.lifecycle(task->name, {.event = LifecycleEvent::reload, .message = "added"});
            continue;
        }
        Slot slot = std::move(*found->second);
        before.erase(found);
        if (slot.successor == nullptr && unchanged(*slot.runner, *task, *generation_)) {
            slot.runner->rebind(generation_, *task);
            ++kept;
        } else {
            ++changed;
            slot.successor = task;
            logger_.lifecycle(task->name,
                              {.event = LifecycleEvent::reload,
                               .loop = slot.runner->loop().current_loop(),
                               .message = "changed: restarts with the new config once its "
                                          "running iteration has ended"});
            slot.runner->stop();
        }
        after.push_back(std::move(slot));
    }
    for (auto& [name, slot] : before) {
        logger_.lifecycle(name, {.event = LifecycleEvent::reload,
                                 .loop = slot->runner->loop().current_loop(),
                                 .message = "removed: stops once its running iteration has ended"});
        slot->runner->stop();
        removed_.push_back(std::move(slot->runner));
    }
    const std::size_t removed = before.size();
    tasks_ = std::move(after);
    rebuild_index();
    logger_.message(LogLevel::info, "reload: " + std::to_string(kept) + " unchanged, " +
                                        std::to_string(changed) + " changed, " +
                                        std::to_string(added.size()) + " added, " +
                                        std::to_string(removed) + " removed");
    if (added.empty()) return;
    const auto stored = stored_slots();  // an added task may have run under an earlier config
    for (TaskRunner* runner : added) runner->start(resume_point(runner->task().name, stored));
}

Daemon::Batch::~Batch() {
    daemon_.in_batch_ = false;
    // Whatever settled meanwhile (a changed task that had already ended, say) is handled now.
    daemon_.on_runner_settled();
}

void Daemon::on_runner_settled() {
    if (in_batch_) return;
    const bool handover_due = !removed_.empty() || std::ranges::any_of(tasks_, [](const Slot& s) {
        return s.successor != nullptr;
    });
    // Runners are replaced from a fresh turn of the loop, never inside their own callbacks.
    if (handover_due && !sweep_) {
        sweep_ = events_.defer([this] {
            sweep_.reset();
            sweep();
        });
    }
    check_settled();
}

void Daemon::sweep() {
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
    check_settled();
}

void Daemon::rebuild_index() {
    std::vector<TaskRunner*> runners;
    runners.reserve(tasks_.size());
    for (Slot& slot : tasks_) runners.push_back(slot.runner.get());
    index_.assign(std::move(runners));
}

void Daemon::check_settled() {
    if (exiting_) return;
    // With nothing to run, wait for a signal; with a control socket, ended loops may be started
    // again by `ctl start`, so only a signal ends the daemon.
    if ((tasks_.empty() || control_) && stop_signals_ == 0) return;
    if (!removed_.empty()) return;
    for (const Slot& slot : tasks_) {
        if (slot.successor != nullptr || !slot.runner->settled()) return;
    }
    // Ending by itself with a failed loop is a runtime failure; a requested stop is clean.
    const bool any_failed =
        std::ranges::any_of(tasks_, [](const Slot& slot) { return slot.runner->loop().failed(); });
    const int code = stop_signals_ == 0 && any_failed ? 1 : 0;
    // Exit from a fresh turn of the loop, not from inside the callback that settled the last task.
    exiting_ = true;
    settle_check_ = events_.defer([this, code] { events_.exit(code); });
}

std::string Daemon::status_line() const {
    const TaskRunner* soonest = nullptr;
    std::size_t running = 0;
    for (const Slot& slot : tasks_) {
        const Loop& loop = slot.runner->loop();
        if (loop.is_running()) ++running;
        const auto next = loop.next_iteration();
        if (next && (soonest == nullptr || *next < *soonest->loop().next_iteration()))
            soonest = slot.runner.get();
    }
    std::string line =
        std::to_string(running) + " of " + std::to_string(tasks_.size()) + " tasks running";
    if (soonest != nullptr) {
        line +=
            "; next: " + soonest->task().name + " at " +
            format_utc(std::chrono::floor<std::chrono::seconds>(*soonest->loop().next_iteration()));
    }
    return line;
}

// --- Observability: /metrics, /healthz and the status page (src/observe, src/http) ---

void Daemon::start_observing() {
    webhooks_.set_observer(metrics_.get());
    if (store_) {
        auto successes = store_->last_successes();
        if (successes) {
            metrics_->seed_last_successes(*successes);
        } else {
            logger_.message(LogLevel::error, successes.error() + "; /metrics starts without the "
                                                                 "last successes it remembers");
        }
    }
    auto server = StatusServer::listen(events_, logger_, *generation_->config.settings.http,
                                       *metrics_, *this);
    if (!server) throw std::runtime_error(server.error());
    status_server_ = std::move(*server);
}

DaemonSnapshot Daemon::snapshot(bool for_people) const {
    DaemonSnapshot snapshot{.now = wall_clock_now(), .host = shared_.hostname, .stopping = stopping()};
    snapshot.tasks.reserve(tasks_.size());
    for (const Slot& slot : tasks_) snapshot.tasks.push_back(slot.runner->snapshot(for_people));
    for (const auto& [name, webhook] : generation_->config.webhooks)
        snapshot.webhooks.push_back(name);
    return snapshot;
}

PageHistory Daemon::recent_runs(Instant now) const {
    if (!store_) {
        return {.unavailable = "no state_dir and no $STATE_DIRECTORY, so runs are not recorded"};
    }
    TimelineCollector timelines(now);
    auto read = store_->runs_since(timelines.since(), timelines);
    if (!read) {
        logger_.message(LogLevel::error, "status page: " + read.error());
        return {.unavailable = "the state database could not be read (the log says why)"};
    }
    return {.tasks = timelines.finish()};
}

void Daemon::refresh_status() {
    if (!service_manager::present()) return;
    service_manager::status(status_line());
    status_timer_ = events_.elapsed_timer(kStatusInterval, [this] { refresh_status(); });
}

}  // namespace tasksrun
