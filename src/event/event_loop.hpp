#pragma once
// A small RAII layer over sd-event: a source is released (disabled and unreferenced) when its
// handle goes away, and its callback is freed with it by sd-event itself (a destroy callback),
// after its own dispatch if it is dispatching: a callback may drop its own handle.
// Single-threaded: everything runs on the thread that calls run().
#include <sys/signalfd.h>
#include <systemd/sd-event.h>

#include <csignal>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "util/instant.hpp"

namespace tasksrun {

// A handle to one event source: an sd-event source, or a test's fake timer. Empty when
// default-constructed or moved from. 16 bytes: thousands of idle tasks hold one each.
class EventSource {
  public:
    // What a handle refers into: the event loop, or a fake environment in tests.
    class Owner {
      public:
        virtual void release(std::uintptr_t token) noexcept = 0;
        virtual void set_io_events(std::uintptr_t token, std::uint32_t events) = 0;
        virtual void disable(std::uintptr_t token) = 0;

      protected:
        ~Owner() = default;
    };

    EventSource() = default;
    EventSource(Owner& owner, std::uintptr_t token) : owner_(&owner), token_(token) {}
    EventSource(EventSource&& other) noexcept
        : owner_(std::exchange(other.owner_, nullptr)), token_(other.token_) {}
    EventSource& operator=(EventSource&& other) noexcept {
        if (this != &other) {
            reset();
            owner_ = std::exchange(other.owner_, nullptr);
            token_ = other.token_;
        }
        return *this;
    }
    EventSource(const EventSource&) = delete;
    EventSource& operator=(const EventSource&) = delete;
    ~EventSource() { reset(); }

    explicit operator bool() const { return owner_ != nullptr; }
    void reset() {
        if (owner_ != nullptr) std::exchange(owner_, nullptr)->release(token_);
    }
    // An I/O source: the events it waits for from now on.
    void set_io_events(std::uint32_t events) {
        if (owner_ != nullptr) owner_->set_io_events(token_, events);
    }
    // Stops it from firing while keeping it (and its callback) alive.
    void disable() {
        if (owner_ != nullptr) owner_->disable(token_);
    }

  private:
    Owner* owner_ = nullptr;
    std::uintptr_t token_ = 0;
};

// Blocks SIGCHLD for the process, as EventLoop::child needs before any child is started.
void block_child_signals();

class EventLoop final : public EventSource::Owner {
  public:
    // Throws std::runtime_error if sd-event cannot be set up.
    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    sd_event* raw() const { return event_; }

    // One-shot timers with 1 µs accuracy (no coalescing). A wall-clock timer is due at an instant
    // of CLOCK_REALTIME, so it follows clock steps (wall-clock slots); an elapsed-time timer is a
    // delay on CLOCK_BOOTTIME, which never steps but keeps counting through suspend, so that an
    // interval of an hour is an hour of real time on a laptop too.
    // `accuracy` lets sd-event wake up to that much later, to serve several timers with one wake.
    EventSource wall_clock_timer(Instant at, std::function<void()> callback,
                                 Duration accuracy = Duration{1});
    EventSource elapsed_timer(Duration delay, std::function<void()> callback,
                              Duration accuracy = Duration{1});
    // A one-shot timer due at an absolute instant of its own clock: CLOCK_REALTIME for an
    // Instant, CLOCK_BOOTTIME for a MonoInstant.
    EventSource timer(TimerDeadline at, std::function<void()> callback,
                      Duration accuracy = Duration{1});
    EventSource io(int fd, std::uint32_t events,
                   std::function<void(std::uint32_t revents)> callback);
    // Precondition: SIGCHLD is blocked. The child is reaped once the callback returns.
    EventSource child(pid_t pid, std::function<void(const siginfo_t&)> callback);
    // Whether a child source waits for `pid` (and so will reap it).
    bool watches_child(pid_t pid) const { return children_.contains(pid); }
    // Blocks `signal` for the process and delivers it here.
    EventSource signal(int signal, std::function<void(const signalfd_siginfo&)> callback);
    // Runs `callback` on the next loop iteration, outside the current call stack.
    EventSource defer(std::function<void()> callback);
    // Destroys `object` on the next loop iteration: for an object whose own callback is running
    // now. One list for the whole loop, so that owners need not carry one each.
    template <typename T>
    void destroy_later(std::unique_ptr<T> object) {
        // shared_ptr<void> remembers how to destroy a T.
        doomed_.push_back(std::shared_ptr<void>(std::move(object)));
        if (!doomed_sweep_) sweep_doomed_later();
    }

    // Runs until exit(code) and returns that code; or, when sd-event fails or an event handler
    // throws, stops and returns the cause (the handler's exception is caught at the C boundary:
    // every trampoline is noexcept).
    std::expected<int, std::string> run();
    void exit(int code);
    // For code that turns the loop itself (a fuzzer): dispatches what is ready now, without
    // waiting, then returns; the cause when sd-event fails or a handler throws.
    std::expected<void, std::string> dispatch_ready();
    // Ends run() with `cause` as its error (the first cause, if several).
    void fail(std::string cause);

    // Reaps `pid` when it exits, for a child whose owner went away first (so no zombie is left).
    // Precondition: no child source watches `pid` any more.
    void reap(pid_t pid);

    // EventSource::Owner; a token is an sd_event_source*.
    void release(std::uintptr_t token) noexcept override;
    void set_io_events(std::uintptr_t token, std::uint32_t events) override;
    void disable(std::uintptr_t token) override;

    struct Callbacks;  // defined in the .cpp; public so that the C callbacks there can name it

  private:
    void sweep_doomed_later();
    // A handle for a source just added with `callbacks` as its userdata, which sd-event frees
    // with the source from now on. Throws (freeing them) if adding it failed (`r` < 0).
    EventSource adopt(int r, sd_event_source* source, Callbacks* callbacks, const char* what);

    sd_event* event_ = nullptr;
    std::unordered_set<pid_t> children_;
    std::vector<std::shared_ptr<void>> doomed_;
    EventSource doomed_sweep_;
    std::unordered_map<pid_t, std::unique_ptr<EventSource>> reaping_;
    std::optional<std::string> failure_;
};

}  // namespace tasksrun
