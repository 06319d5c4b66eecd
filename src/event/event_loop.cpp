#include "event/event_loop.hpp"

#include <time.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace tasksrun {

// A source uses exactly one of these; a variant keeps each source (thousands of idle timers)
// at the size of one std::function.
struct EventLoop::Callbacks {
    std::variant<std::function<void()>, std::function<void(std::uint32_t)>,
                 std::function<void(const siginfo_t&)>,
                 std::function<void(const signalfd_siginfo&)>>
        callback;

    template <typename Function>
    Function& get() {
        return std::get<Function>(callback);
    }
};

namespace {

using Callbacks = EventLoop::Callbacks;

// The loop whose run() is on the stack: sd-event calls back only from there. Kept here rather
// than in every source, of which there are thousands.
thread_local EventLoop* running_loop = nullptr;

void check(int r, const char* what) {
    if (r < 0) throw std::runtime_error(std::string(what) + ": " + std::strerror(-r));
}

std::uint64_t usec_now(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000U +
           static_cast<std::uint64_t>(ts.tv_nsec) / 1000U;
}

template <typename Function>
Callbacks* callbacks_for(Function function) {
    auto* callbacks = new Callbacks;
    callbacks->callback = std::move(function);
    return callbacks;
}

void free_callbacks(void* userdata) noexcept {
    delete static_cast<Callbacks*>(userdata);
}

// Every call from sd-event into C++ goes through here: an exception must not unwind through
// sd-event's C frames, so it ends the loop with its message instead (EventLoop::run reports it).
// The callback may drop its own source: sd-event frees a dispatching source (and, through the
// destroy callback, its Callbacks) only once the dispatch has returned.
template <typename Body>
int guarded(void* userdata, Body&& body) noexcept {
    try {
        body(*static_cast<Callbacks*>(userdata));
    } catch (const std::exception& error) {
        running_loop->fail(std::string("an event handler failed: ") + error.what());
    } catch (...) {
        running_loop->fail("an event handler failed with an unknown exception");
    }
    return 0;
}

int on_time(sd_event_source*, std::uint64_t, void* userdata) noexcept {
    return guarded(userdata,
                   [](Callbacks& callbacks) { callbacks.get<std::function<void()>>()(); });
}

int on_io(sd_event_source*, int, std::uint32_t revents, void* userdata) noexcept {
    return guarded(userdata, [revents](Callbacks& callbacks) {
        callbacks.get<std::function<void(std::uint32_t)>>()(revents);
    });
}

int on_child(sd_event_source*, const siginfo_t* info, void* userdata) noexcept {
    return guarded(userdata, [info](Callbacks& callbacks) {
        callbacks.get<std::function<void(const siginfo_t&)>>()(*info);
    });
}

int on_signal(sd_event_source*, const signalfd_siginfo* info, void* userdata) noexcept {
    return guarded(userdata, [info](Callbacks& callbacks) {
        callbacks.get<std::function<void(const signalfd_siginfo&)>>()(*info);
    });
}

int on_defer(sd_event_source* source, void* userdata) noexcept {
    sd_event_source_set_enabled(source, SD_EVENT_OFF);
    return guarded(userdata,
                   [](Callbacks& callbacks) { callbacks.get<std::function<void()>>()(); });
}

}  // namespace

void block_child_signals() {
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, nullptr);
}

EventSource EventLoop::adopt(int r, sd_event_source* source, Callbacks* callbacks,
                             const char* what) {
    if (r < 0) {
        delete callbacks;
        check(r, what);
    }
    sd_event_source_set_destroy_callback(source, free_callbacks);
    return EventSource(*this, reinterpret_cast<std::uintptr_t>(source));
}

void EventLoop::release(std::uintptr_t token) noexcept {
    sd_event_source_disable_unref(reinterpret_cast<sd_event_source*>(token));
}

void EventLoop::set_io_events(std::uintptr_t token, std::uint32_t events) {
    sd_event_source_set_io_events(reinterpret_cast<sd_event_source*>(token), events);
}

void EventLoop::disable(std::uintptr_t token) {
    sd_event_source_set_enabled(reinterpret_cast<sd_event_source*>(token), SD_EVENT_OFF);
}

EventLoop::EventLoop() {
    check(sd_event_new(&event_), "sd_event_new");
}

EventLoop::~EventLoop() {
    doomed_sweep_.reset();  // a source must go before the sd_event it belongs to
    doomed_.clear();
    reaping_.clear();
    sd_event_unref(event_);
}

void EventLoop::sweep_doomed_later() {
    doomed_sweep_ = defer([this] {
        // Destroying one may doom another; those wait for the next sweep.
        std::vector<std::shared_ptr<void>> sweep = std::move(doomed_);
        doomed_.clear();
        doomed_sweep_.reset();
        sweep.clear();
    });
}

EventSource EventLoop::wall_clock_timer(Instant at, std::function<void()> callback,
                                        Duration accuracy) {
    return timer(at, std::move(callback), accuracy);
}

EventSource EventLoop::elapsed_timer(Duration delay, std::function<void()> callback,
                                     Duration accuracy) {
    const auto now = static_cast<Duration::rep>(usec_now(CLOCK_BOOTTIME));
    return timer(MonoInstant{Duration{now + std::max<Duration::rep>(0, delay.count())}},
                 std::move(callback), accuracy);
}

EventSource EventLoop::timer(TimerDeadline at, std::function<void()> callback, Duration accuracy) {
    const bool wall = std::holds_alternative<Instant>(at);
    const Duration since_epoch = wall ? std::get<Instant>(at).time_since_epoch()
                                      : std::get<MonoInstant>(at).time_since_epoch();
    const auto usec = static_cast<std::uint64_t>(std::max<Duration::rep>(0, since_epoch.count()));
    Callbacks* callbacks = callbacks_for(std::move(callback));
    sd_event_source* source = nullptr;
    const int r =
        sd_event_add_time(event_, &source, wall ? CLOCK_REALTIME : CLOCK_BOOTTIME, usec,
                          static_cast<std::uint64_t>(accuracy.count()), on_time, callbacks);
    return adopt(r, source, callbacks, "sd_event_add_time");
}

EventSource EventLoop::io(int fd, std::uint32_t events,
                          std::function<void(std::uint32_t)> callback) {
    Callbacks* callbacks = callbacks_for(std::move(callback));
    sd_event_source* source = nullptr;
    const int r = sd_event_add_io(event_, &source, fd, events, on_io, callbacks);
    return adopt(r, source, callbacks, "sd_event_add_io");
}

EventSource EventLoop::child(pid_t pid, std::function<void(const siginfo_t&)> callback) {
    children_.insert(pid);
    Callbacks* callbacks = callbacks_for(std::function<void(const siginfo_t&)>(
        [this, pid, callback = std::move(callback)](const siginfo_t& info) {
            children_.erase(pid);
            callback(info);
        }));
    sd_event_source* source = nullptr;
    const int r = sd_event_add_child(event_, &source, pid, WEXITED, on_child, callbacks);
    return adopt(r, source, callbacks, "sd_event_add_child");
}

EventSource EventLoop::signal(int signal, std::function<void(const signalfd_siginfo&)> callback) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, signal);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    Callbacks* callbacks = callbacks_for(std::move(callback));
    sd_event_source* source = nullptr;
    const int r = sd_event_add_signal(event_, &source, signal, on_signal, callbacks);
    return adopt(r, source, callbacks, "sd_event_add_signal");
}

EventSource EventLoop::defer(std::function<void()> callback) {
    Callbacks* callbacks = callbacks_for(std::move(callback));
    sd_event_source* source = nullptr;
    const int r = sd_event_add_defer(event_, &source, on_defer, callbacks);
    return adopt(r, source, callbacks, "sd_event_add_defer");
}

std::expected<int, std::string> EventLoop::run() {
    EventLoop* const outer = std::exchange(running_loop, this);
    const int code = sd_event_loop(event_);
    running_loop = outer;
    if (failure_) return std::unexpected(*failure_);
    if (code < 0)
        return std::unexpected(std::string("the event loop failed: ") + std::strerror(-code));
    return code;
}

std::expected<void, std::string> EventLoop::dispatch_ready() {
    EventLoop* const outer = std::exchange(running_loop, this);
    int code = 0;
    // Each sd_event_run dispatches one source; a bounded number keeps this from spinning on a
    // source that is always ready.
    for (int turns = 0; turns < 64 && !failure_; ++turns) {
        code = sd_event_run(event_, 0);
        if (code <= 0) break;
    }
    running_loop = outer;
    if (failure_) return std::unexpected(*failure_);
    if (code < 0)
        return std::unexpected(std::string("the event loop failed: ") + std::strerror(-code));
    return {};
}

void EventLoop::fail(std::string cause) {
    if (!failure_) failure_ = std::move(cause);
    sd_event_exit(event_, 1);
}

void EventLoop::reap(pid_t pid) {
    // sd-event takes one child source per process: whoever watched it must have let go.
    auto source = std::make_unique<EventSource>(child(pid, [this, pid](const siginfo_t&) {
        // Inside this source's own callback: freed on the next turn.
        if (auto node = reaping_.extract(pid)) destroy_later(std::move(node.mapped()));
    }));
    reaping_.insert_or_assign(pid, std::move(source));
}

void EventLoop::exit(int code) {
    sd_event_exit(event_, code);
}

}  // namespace tasksrun
