#pragma once
// Host name lookups that never block the event loop. libpq resolves host names with a blocking
// getaddrinfo inside PQconnectPoll; the cluster connection looks them up here first and hands
// libpq numeric addresses. glibc's getaddrinfo_a runs the lookups on its own helper threads;
// this class only polls for their completion on a short timer, so no code of ours runs on
// another thread and no signal is involved. Single-threaded: the event loop's thread.
#include <expected>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "event/event_loop.hpp"

namespace tasksrun {

class HostResolver {
  public:
    // Per name: its addresses as numeric text, in getaddrinfo's order without repeats, or why
    // it has none.
    using Answers = std::map<std::string, std::expected<std::vector<std::string>, std::string>>;
    using Done = std::function<void(Answers)>;

    explicit HostResolver(EventLoop& events);
    // Abandons a lookup in progress; its callback is not called.
    ~HostResolver();
    HostResolver(const HostResolver&) = delete;
    HostResolver& operator=(const HostResolver&) = delete;

    // Looks up every name. `done` is called once, later, from the event loop, unless the lookup
    // is cancelled or replaced first: one lookup at a time, a new one abandons the previous.
    void resolve(std::vector<std::string> names, Done done);
    void cancel();
    bool busy() const { return lookup_ != nullptr; }

    struct Lookup;  // defined in the .cpp

  private:
    void poll();

    EventLoop& events_;
    std::unique_ptr<Lookup> lookup_;
    Done done_;
    EventSource timer_;
    Duration poll_interval_{0};
};

}  // namespace tasksrun
