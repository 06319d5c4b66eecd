#pragma once
// One run of a command action: posix_spawn into its own process group, stdout and stderr logged
// line by line, the last few KiB kept for {{output_tail}}, a timeout that kills the whole group,
// and the exit status mapped to a failure class (SPEC 4.4).
// Output never holds up the event loop (SPEC 11): at most kReadPerWake bytes are read from a
// pipe per wake, and once the command's process has exited its pipes are drained for at most
// kDrainTime or kDrainBytes (a process it left in the background may keep them open and keep
// writing), then closed with a warning.
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "actions/action_run.hpp"
#include "actions/output_capture.hpp"
#include "config/config.hpp"
#include "event/event_loop.hpp"
#include "log/logger.hpp"
#include "loop/events.hpp"

namespace tasksrun {

struct CommandLaunch {
    const CommandAction* action;
    std::vector<std::pair<std::string, std::string>> environment;  // added to the daemon's own
    // Variables of the daemon's own environment the command must not see (webhook URLs).
    const std::vector<std::string>* hidden_variables = nullptr;
    std::optional<Duration> timeout;
    std::string task;                             // the name output lines are logged under
    std::optional<HookKind> hook = std::nullopt;  // set for a hook: its lines say which
    std::size_t output_limit = kDefaultOutputLimit;
};

class CommandRun final : public ActionRun {
  public:
    using Done = std::function<void(Outcome)>;
    static constexpr std::size_t kReadPerWake = 64 * 1024;
    static constexpr std::size_t kDrainBytes = 1024 * 1024;
    static constexpr Duration kDrainTime = std::chrono::seconds{1};

    // Starts the command. `done` is called exactly once, later, from the event loop: never from
    // inside this constructor, even when the command cannot be spawned (class "spawn"). The
    // outcome's duration is left for the caller to fill in. Precondition: SIGCHLD is blocked.
    CommandRun(EventLoop& events, Logger& logger, CommandLaunch launch, Done done);
    // Kills a still-running process group with SIGKILL; the event loop still reaps the process.
    ~CommandRun() override;
    CommandRun(const CommandRun&) = delete;
    CommandRun& operator=(const CommandRun&) = delete;

    // Cancel: kill_signal to the group now, SIGKILL after kill_timeout. Reports cancelled.
    void abort() override;
    pid_t pid() const { return pid_; }

  private:
    struct Stream {
        std::string name;
        int fd = -1;
        std::string partial = {};
        EventSource source = {};
    };

    void spawn();
    void on_output(Stream& stream);
    void read_available(Stream& stream);
    void emit_line(Stream& stream, std::string_view line);
    void close_stream(Stream& stream);
    void on_exit(const siginfo_t& info);
    void continue_draining();
    void stop_draining();
    void complete();
    void send_kill(int signal);
    void finish(Outcome outcome);

    EventLoop& events_;
    Logger& logger_;
    const CommandLaunch launch_;
    Done done_;
    pid_t pid_ = -1;
    bool exited_ = false;
    siginfo_t exit_info_{};    // when exited_
    std::size_t drained_ = 0;  // bytes read since the process exited
    bool timed_out_ = false;
    bool aborted_ = false;
    Stream out_{"stdout"};
    Stream err_{"stderr"};
    OutputCapture output_;
    EventSource child_;
    EventSource timeout_timer_;
    EventSource kill_timer_;
    EventSource drain_timer_;
    EventSource deferred_;
};

}  // namespace tasksrun
