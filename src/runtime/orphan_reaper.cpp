#include "runtime/orphan_reaper.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace tasksrun {

OrphanReaper::OrphanReaper(EventLoop& events) : events_(events) {
    sigchld_ = events_.signal(SIGCHLD, [this](const signalfd_siginfo&) { reap(); });
}

void OrphanReaper::reap() {
    // One SIGCHLD may stand for several exits, so every child is looked at. The daemon is
    // single-threaded: its children are all listed under its one thread.
    const std::string list = "/proc/self/task/" + std::to_string(getpid()) + "/children";
    std::ifstream children(list);
    for (pid_t pid = 0; children >> pid;) {
        if (!events_.watches_child(pid)) waitpid(pid, nullptr, WNOHANG);
    }
}

}  // namespace tasksrun
