#include "runtime/daemon.hpp"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>

#include "config/loader.hpp"
#include "event/clock.hpp"
#include "runtime/service_manager.hpp"
#include "util/duration.hpp"
#include "util/host_name.hpp"
#include "util/rfc3339.hpp"

namespace tasksrun {
namespace {

// How often the one-line status systemd shows is brought up to date.
constexpr auto kStatusInterval = std::chrono::seconds{10};

}  // namespace

Daemon::Daemon(Config config, Logger& logger, ResolvedEndpoints endpoints, DaemonOptions options)
    : logger_(logger),
      env_(events_, logger, host_name()),
      store_(std::move(options.store)),
      redactor_(std::move(options.redactor)),
      metrics_(config.settings.http ? std::make_unique<MetricsRegistry>() : nullptr),
      services_{.env = env_,
                .logger = logger,
                .store = store_.get(),
                .observer = metrics_.get(),
                .replication = replication_of(config)},
      tasks_(services_, std::make_shared<const Generation>(std::move(config), std::move(endpoints)),
             [this] { check_settled(); }) {
    if (const auto& cluster = tasks_.generation().config.settings.cluster) start_cluster(*cluster);
    if (options.control_socket) {
        auto server = ControlServer::listen(
            events_, *options.control_socket,
            [this](const nlohmann::json& request) { return control(request); });
        if (!server) throw std::runtime_error(server.error());
        control_ = std::move(*server);
    }
    if (metrics_) start_observing();
    // Children are reaped through sd-event, which needs SIGCHLD blocked before any is started;
    // a command whose reader went away gets EPIPE, not a dead daemon.
    block_child_signals();
    std::signal(SIGPIPE, SIG_IGN);
    for (const int signal : {SIGTERM, SIGINT}) {
        signals_.push_back(events_.signal(
            signal, [this, signal](const signalfd_siginfo&) { on_stop_signal(signal); }));
    }
    signals_.push_back(events_.signal(SIGHUP, [this](const signalfd_siginfo&) { reload(true); }));
    if (getpid() == 1) reaper_.emplace(events_);
    // systemd's WatchdogSec: sd-event pings it from the loop itself, so a stuck loop is noticed.
    sd_event_set_watchdog(events_.raw(), 1);
    // At hundreds of lines a second, a write per line costs more than the work it reports:
    // lines are written in batches, at most 20 ms late.
    logger_.batch([this] {
        log_flush_ =
            events_.elapsed_timer(std::chrono::milliseconds{20}, [this] { logger_.flush(); });
    });
}

Daemon::~Daemon() {
    logger_.end_batch();  // the logger outlives the event loop that flushes its batches
}

int Daemon::run() {
    const Config& config = tasks_.generation().config;
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
    tasks_.start_all();
    // Parsing the config left free memory behind that malloc would otherwise keep.
    malloc_trim(0);
    service_manager::ready(tasks_.status_line());
    refresh_status();
    const auto code = events_.run();
    log_flush_.reset();
    logger_.end_batch();  // the event loop that flushed the batches has stopped
    if (!code) logger_.message(LogLevel::error, "tasksrun must stop: " + code.error());
    logger_.message(LogLevel::info,
                    "tasksrun stopped; webhooks: " +
                        std::to_string(env_.webhooks().requests_completed()) + " requests over " +
                        std::to_string(env_.webhooks().connections_opened()) + " connections");
    return code ? *code : 1;
}

void Daemon::on_stop_signal(int signal) {
    ++stop_signals_;
    if (stop_signals_ > 1) {
        cancel_all(signal == SIGINT ? "second SIGINT" : "second SIGTERM");
        return;
    }
    service_manager::stopping();
    const Duration timeout = tasks_.generation().config.settings.shutdown_timeout;
    logger_.message(LogLevel::info,
                    std::string(signal == SIGINT ? "SIGINT" : "SIGTERM") +
                        ": stopping every loop; running iterations may take up to " +
                        format_duration(timeout) + " (send it again to cancel them now)");
    shutdown_timer_ =
        events_.elapsed_timer(timeout, [this] { cancel_all("shutdown_timeout reached"); });
    tasks_.stop_all();
}

void Daemon::cancel_all(const char* why) {
    logger_.message(LogLevel::warn, std::string(why) + ": cancelling running actions");
    tasks_.cancel_all();
}

void Daemon::start_cluster(const ClusterSettings& settings) {
    auto redactor = std::make_shared<Redactor>(*redactor_);
    Cluster::Hooks hooks{
        .control_changed = [this](const TaskControl& change) { apply_cluster_control(change); },
        .reload_requested =
            [this] {
                logger_.message(LogLevel::info, "cluster: another replica reloaded its config");
                reload(false);
            },
        .rerun =
            [this](const std::string& task, const SlotClaim& claim) {
                TaskRunner* runner = tasks_.index().find(task);
                const auto refused = runner != nullptr
                                         ? runner->run_taken_over(claim)
                                         : std::optional<std::string>("no such task here");
                if (!refused) return;
                logger_.message(
                    LogLevel::warn,
                    "cluster: a slot taken over to run again cannot run here: " + *refused, task);
                cluster_->release(task, claim);
            },
        .reconnected =
            [this] {
                for (TaskRunner* runner : tasks_.index().in_order) runner->retry_late();
            }};
    auto started = Cluster::start(events_, logger_, settings, *redactor, std::move(hooks));
    if (!started) throw std::runtime_error(started.error());
    redactor_ = redactor;
    logger_.set_redactor(std::move(redactor));
    cluster_ = std::move(*started);
    cluster_->use_config(tasks_.generation().config);
    env_.use_slot_claims(cluster_.get());
}

void Daemon::apply_cluster_control(const TaskControl& change) {
    TaskRunner* runner = tasks_.index().find(change.task);
    if (runner == nullptr || stop_signals_ > 0) return;
    if (change.stopped) {
        if (runner->loop().is_running()) runner->stop();
        return;
    }
    if (!runner->loop().is_running()) runner->start();
    if (change.schedule) {
        const auto keys = nlohmann::json::parse(*change.schedule, nullptr, false);
        const nlohmann::json applied = change_interval(*runner, keys);
        if (!applied.value("ok", false)) {
            logger_.message(LogLevel::error,
                            "cluster: a change-interval from replica \"" + change.changed_by +
                                "\" does not apply here: " + applied.value("error", ""),
                            change.task);
        }
    }
}

nlohmann::json Daemon::control(const nlohmann::json& request) {
    nlohmann::json reply = control_reply(request, tasks_.index());
    if (!cluster_ || !reply.value("ok", false)) return reply;
    const std::string command = request.value("command", "");
    if (command == "status") {
        reply["cluster"] = cluster_->status();
        return reply;
    }
    const std::string task = request.value("task", "");
    if (command == "stop") {
        cluster_->set_stopped(task, true);
    } else if (command == "start" || command == "restart") {
        cluster_->set_stopped(task, false);
    } else if (command == "change-interval") {
        nlohmann::json keys = request;
        keys.erase("command");
        keys.erase("task");
        cluster_->set_schedule(task, keys);
    }
    return reply;
}

void Daemon::reload(bool from_a_person) {
    if (stop_signals_ > 0) {
        logger_.message(LogLevel::warn, "SIGHUP while stopping: not reloading");
        return;
    }
    const MonoInstant began = boot_clock_now();
    service_manager::reloading();
    const std::string& path = tasks_.generation().config.path;
    logger_.message(LogLevel::info, (from_a_person ? "SIGHUP: reloading " : "reloading ") + path);
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
        if (metrics_) metrics_->config_reloaded(false);
        service_manager::ready(tasks_.status_line());
        return;
    }
    if (loaded.config->settings.state_dir != tasks_.generation().config.settings.state_dir) {
        logger_.message(LogLevel::warn,
                        "reload: state_dir changes take effect when tasksrun restarts");
    }
    if (loaded.config->settings.http != tasks_.generation().config.settings.http)
        logger_.message(LogLevel::warn, "reload: http changes take effect when tasksrun restarts");
    redactor_ = redactor;
    logger_.set_redactor(std::move(redactor));
    const TaskSet::Applied applied = tasks_.apply(
        std::make_shared<const Generation>(std::move(*loaded.config), std::move(*resolved)));
    logger_.message(LogLevel::info, "reload: " + std::to_string(applied.unchanged) +
                                        " unchanged, " + std::to_string(applied.changed) +
                                        " changed, " + std::to_string(applied.added) + " added, " +
                                        std::to_string(applied.removed) + " removed");
    if (metrics_) metrics_->config_reloaded(true);
    if (cluster_) {
        cluster_->use_config(tasks_.generation().config);
        if (from_a_person) cluster_->request_reload();
    }
    logger_.message(LogLevel::info,
                    "reload applied in " + format_milliseconds(boot_clock_now() - began));
    // The replaced config's memory is free now, but malloc would keep it from the system.
    malloc_trim(0);
    service_manager::ready(tasks_.status_line());
}

void Daemon::check_settled() {
    if (exiting_) return;
    // With nothing to run, wait for a signal; with a control socket, ended loops may be started
    // again by `ctl start`, so only a signal ends the daemon.
    if ((tasks_.size() == 0 || control_) && stop_signals_ == 0) return;
    if (!tasks_.all_settled()) return;
    // Ending by itself with a failed loop is a runtime failure; a requested stop is clean.
    const int code = stop_signals_ == 0 && tasks_.any_failed() ? 1 : 0;
    // Exit from a fresh turn of the loop, not from inside the callback that settled the last task.
    exiting_ = true;
    const auto exit = [this, code] { exit_ = events_.defer([this, code] { events_.exit(code); }); };
    // In cluster mode, not before the database has the ends of the runs that ended here.
    if (cluster_) {
        cluster_->when_recorded(exit);
    } else {
        exit();
    }
}

// --- Observability: /metrics, /healthz and the status page (src/observe, src/http) ---

void Daemon::start_observing() {
    env_.webhooks().set_observer(metrics_.get());
    if (store_) {
        auto successes = store_->last_successes();
        if (successes) {
            metrics_->seed_last_successes(*successes);
        } else {
            logger_.message(LogLevel::error,
                            successes.error() + "; /metrics starts without the last successes");
        }
    }
    auto server = StatusServer::listen(events_, logger_, *tasks_.generation().config.settings.http,
                                       *metrics_, *this);
    if (!server) throw std::runtime_error(server.error());
    status_server_ = std::move(*server);
}

DaemonSnapshot Daemon::snapshot(bool for_people) const {
    DaemonSnapshot snapshot{
        .now = env_.now().wall, .host = env_.hostname(), .stopping = stopping()};
    snapshot.tasks.reserve(tasks_.size());
    for (const TaskRunner* runner : tasks_.index().in_order)
        snapshot.tasks.push_back(runner->snapshot(for_people));
    for (const auto& [name, webhook] : tasks_.generation().config.webhooks)
        snapshot.webhooks.push_back(name);
    if (cluster_)
        snapshot.cluster = DaemonSnapshot::Cluster{cluster_->replica(), cluster_->connected()};
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
    service_manager::status(tasks_.status_line());
    status_timer_ = events_.elapsed_timer(kStatusInterval, [this] { refresh_status(); });
}

}  // namespace tasksrun
