#include "actions/command_runner.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>

#include "util/duration.hpp"

extern char** environ;

namespace tasksrun {
namespace {

constexpr std::size_t kMaxLineBytes = 16 * 1024;

std::string signal_name(int signal) {
    const char* abbrev = sigabbrev_np(signal);
    return abbrev != nullptr ? std::string("SIG") + abbrev : "signal " + std::to_string(signal);
}

// The daemon's environment without its secrets, then the action's `env`, then the TASKSRUN_*
// values.
std::vector<std::string> build_environment(const CommandLaunch& launch) {
    std::map<std::string, std::string> merged;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const std::size_t equals = text.find('=');
        if (equals == std::string_view::npos) continue;
        merged[std::string(text.substr(0, equals))] = std::string(text.substr(equals + 1));
    }
    if (launch.hidden_variables != nullptr) {
        for (const std::string& name : *launch.hidden_variables) merged.erase(name);
    }
    for (const auto& [key, value] : launch.action->env) merged[key] = value;
    for (const auto& [key, value] : launch.environment) merged[key] = value;
    std::vector<std::string> list;
    list.reserve(merged.size());
    for (const auto& [key, value] : merged) list.push_back(key + "=" + value);
    return list;
}

}  // namespace

CommandRun::CommandRun(EventLoop& events, Logger& logger, CommandLaunch launch, Done done)
    : events_(events),
      logger_(logger),
      launch_(std::move(launch)),
      done_(std::move(done)),
      output_(launch_.output_limit) {
    spawn();
}

CommandRun::~CommandRun() {
    if (pid_ > 0 && !exited_) {
        ::kill(-pid_, SIGKILL);
        child_.reset();  // the loop's own watch takes over, so the process does not linger
        events_.reap(pid_);
    }
    close_stream(out_);
    close_stream(err_);
}

void CommandRun::spawn() {
    const CommandAction& action = *launch_.action;
    std::vector<std::string> argv =
        action.shell ? std::vector<std::string>{"/bin/sh", "-c", *action.shell} : action.argv;
    std::vector<char*> argv_ptrs;
    for (std::string& arg : argv) argv_ptrs.push_back(arg.data());
    argv_ptrs.push_back(nullptr);
    std::vector<std::string> env = build_environment(launch_);
    std::vector<char*> env_ptrs;
    for (std::string& entry : env) env_ptrs.push_back(entry.data());
    env_ptrs.push_back(nullptr);

    int out_pipe[2] = {-1, -1};
    int err_pipe[2] = {-1, -1};
    int error = 0;
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) error = errno;

    posix_spawn_file_actions_t files;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&files);
    posix_spawnattr_init(&attributes);
    if (error == 0) {
        posix_spawn_file_actions_addopen(&files, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&files, out_pipe[1], STDOUT_FILENO);
        posix_spawn_file_actions_adddup2(&files, err_pipe[1], STDERR_FILENO);
        if (action.cwd) posix_spawn_file_actions_addchdir_np(&files, action.cwd->c_str());
        // Its own process group, so that a timeout or cancel reaches everything it started; and
        // the signal mask and dispositions a fresh process would have, not the daemon's.
        sigset_t empty;
        sigset_t defaults;
        sigemptyset(&empty);
        sigfillset(&defaults);
        sigdelset(&defaults, SIGKILL);
        sigdelset(&defaults, SIGSTOP);
        posix_spawnattr_setsigmask(&attributes, &empty);
        posix_spawnattr_setsigdefault(&attributes, &defaults);
        posix_spawnattr_setpgroup(&attributes, 0);
        posix_spawnattr_setflags(
            &attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        error = action.shell ? posix_spawn(&pid_, "/bin/sh", &files, &attributes, argv_ptrs.data(),
                                           env_ptrs.data())
                             : posix_spawnp(&pid_, argv_ptrs[0], &files, &attributes,
                                            argv_ptrs.data(), env_ptrs.data());
    }
    posix_spawn_file_actions_destroy(&files);
    posix_spawnattr_destroy(&attributes);
    for (int fd : {out_pipe[1], err_pipe[1]}) {
        if (fd >= 0) ::close(fd);
    }
    if (error != 0) {
        for (int fd : {out_pipe[0], err_pipe[0]}) {
            if (fd >= 0) ::close(fd);
        }
        pid_ = -1;
        std::string what = "cannot run " + argv[0];
        if (action.cwd && error == ENOENT) what += " (or enter " + *action.cwd + ")";
        Outcome outcome{.failure = FailureClass{FailureKind::spawn},
                        .error = what + ": " + std::strerror(error)};
        deferred_ = events_.defer([this, outcome] { finish(outcome); });
        return;
    }
    out_.fd = out_pipe[0];
    err_.fd = err_pipe[0];
    for (Stream* stream : {&out_, &err_}) {
        fcntl(stream->fd, F_SETFL, fcntl(stream->fd, F_GETFL) | O_NONBLOCK);
        // Reading may close the stream and so free this lambda: nothing may follow the call.
        stream->source =
            events_.io(stream->fd, EPOLLIN, [this, stream](std::uint32_t) { on_output(*stream); });
    }
    child_ = events_.child(pid_, [this](const siginfo_t& info) { on_exit(info); });
    if (launch_.timeout) {
        timeout_timer_ = events_.elapsed_timer(*launch_.timeout, [this] {
            timed_out_ = true;
            send_kill(launch_.action->kill_signal);
        });
    }
}

void CommandRun::on_output(Stream& stream) {
    read_available(stream);
    if (exited_) continue_draining();
}

void CommandRun::read_available(Stream& stream) {
    char buffer[16384];
    // A writer faster than the log must not keep the loop here: the rest waits for the next wake.
    for (std::size_t taken = 0; taken < kReadPerWake;) {
        const ssize_t n = ::read(stream.fd, buffer, sizeof buffer);
        if (n > 0) {
            taken += static_cast<std::size_t>(n);
            if (exited_) drained_ += static_cast<std::size_t>(n);
            const std::string_view chunk(buffer, static_cast<std::size_t>(n));
            output_.append(chunk);
            stream.partial.append(chunk);
            std::size_t newline;
            while ((newline = stream.partial.find('\n')) != std::string::npos) {
                emit_line(stream, std::string_view(stream.partial).substr(0, newline));
                stream.partial.erase(0, newline + 1);
            }
            if (stream.partial.size() > kMaxLineBytes) {
                emit_line(stream, stream.partial);
                stream.partial.clear();
            }
            continue;
        }
        if (n == 0) {  // end of file: the command and everything it started closed this pipe
            if (!stream.partial.empty()) emit_line(stream, stream.partial);
            stream.partial.clear();
            close_stream(stream);
        }
        return;  // EAGAIN or an error: wait for the next event
    }
}

void CommandRun::emit_line(Stream& stream, std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    logger_.output(launch_.task, stream.name, line, launch_.hook);
}

void CommandRun::close_stream(Stream& stream) {
    stream.source.reset();
    if (stream.fd >= 0) ::close(stream.fd);
    stream.fd = -1;
}

void CommandRun::send_kill(int signal) {
    if (pid_ <= 0 || exited_) return;
    ::kill(-pid_, signal);
    if (signal != SIGKILL && !kill_timer_) {
        kill_timer_ =
            events_.elapsed_timer(launch_.action->kill_timeout, [this] { send_kill(SIGKILL); });
    }
}

void CommandRun::abort() {
    if (exited_ || aborted_) return;
    aborted_ = true;
    if (pid_ > 0) send_kill(launch_.action->kill_signal);
}

void CommandRun::on_exit(const siginfo_t& info) {
    exited_ = true;
    exit_info_ = info;
    timeout_timer_.reset();
    kill_timer_.reset();
    // Whatever the command wrote before exiting is in the pipes. A process it left running in the
    // background may hold them open and keep writing: that is read for a bounded time only.
    for (Stream* stream : {&out_, &err_}) {
        if (stream->fd >= 0) read_available(*stream);
    }
    if (out_.fd >= 0 || err_.fd >= 0)
        drain_timer_ = events_.elapsed_timer(kDrainTime, [this] { stop_draining(); });
    continue_draining();
}

void CommandRun::continue_draining() {
    if (out_.fd < 0 && err_.fd < 0) {
        complete();
    } else if (drained_ >= kDrainBytes) {
        stop_draining();
    }
}

void CommandRun::stop_draining() {
    logger_.message(LogLevel::warn,
                    "the command has exited but a background process it started still holds its "
                    "output open; stopped reading it after " +
                        std::to_string(drained_) + " bytes since the exit",
                    launch_.task);
    for (Stream* stream : {&out_, &err_}) {
        if (!stream->partial.empty()) emit_line(*stream, stream->partial);
        stream->partial.clear();
        close_stream(*stream);
    }
    complete();
}

void CommandRun::complete() {
    drain_timer_.reset();
    const siginfo_t& info = exit_info_;
    Outcome outcome;
    outcome.output_tail = output_.tail();
    outcome.output = std::make_shared<const std::string>(output_.text());
    if (aborted_) {
        outcome.cancelled = true;
        outcome.error = "cancelled";
    } else if (timed_out_) {
        outcome.failure = FailureClass{FailureKind::timeout};
        outcome.error = "timed out after " + format_duration(*launch_.timeout);
    } else if (info.si_code == CLD_EXITED) {
        outcome.exit_code = info.si_status;
        const auto& codes = launch_.action->success_codes;
        if (std::find(codes.begin(), codes.end(), info.si_status) == codes.end()) {
            outcome.failure = FailureClass{FailureKind::exit_code, info.si_status};
            outcome.error = "exit status " + std::to_string(info.si_status);
        }
    } else {
        outcome.failure = FailureClass{FailureKind::signal};
        outcome.error = "killed by " + signal_name(info.si_status);
    }
    finish(std::move(outcome));
}

void CommandRun::finish(Outcome outcome) {
    Done done = std::move(done_);
    done(std::move(outcome));  // may destroy *this: nothing after this line touches a member
}

}  // namespace tasksrun
