#pragma once
// For tests of the HTTP listener: a blocking HTTP/1.1 client over a real socket, run on a thread
// of its own while the test's event loop serves.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "event/event_loop.hpp"

namespace tasksrun::test {

// "127.0.0.1:PORT" or a Unix socket path, as HttpServer::where() gives it.
inline int connect_to(const std::string& where) {
    if (where.starts_with("/")) {
        const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strncpy(address.sun_path, where.c_str(), sizeof address.sun_path - 1);
        if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            ::close(fd);
            return -1;
        }
        return fd;
    }
    const auto colon = where.rfind(':');
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(std::stoi(where.substr(colon + 1))));
    inet_pton(AF_INET, where.substr(0, colon).c_str(), &address.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Sends `request` as it is and returns everything the server sent until it closed.
inline std::string round_trip(const std::string& where, const std::string& request) {
    const int fd = connect_to(where);
    if (fd < 0) return "connect failed";
    std::size_t sent = 0;
    while (sent < request.size()) {
        const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<std::size_t>(n);
    }
    std::string response;
    char buffer[65536];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;)
        response.append(buffer, static_cast<std::size_t>(n));
    ::close(fd);
    return response;
}

// GETs each path in turn on one kept-alive connection (each request sent once the previous
// answer has arrived whole) and returns the answers; empty strings once the server hangs up.
inline std::vector<std::string> get_kept_alive(const std::string& where,
                                               const std::vector<std::string>& paths) {
    std::vector<std::string> answers;
    const int fd = connect_to(where);
    std::string pending;
    for (const std::string& path : paths) {
        const std::string request = "GET " + path + " HTTP/1.1\r\nHost: test\r\n\r\n";
        if (fd < 0 || ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) {
            answers.emplace_back();
            continue;
        }
        char buffer[65536];
        for (;;) {
            const auto head_end = pending.find("\r\n\r\n");
            if (head_end != std::string::npos) {
                const auto length_at = pending.find("Content-Length: ");
                const std::size_t length = std::stoul(pending.substr(length_at + 16));
                if (pending.size() >= head_end + 4 + length) {
                    answers.push_back(pending.substr(0, head_end + 4 + length));
                    pending.erase(0, head_end + 4 + length);
                    break;
                }
            }
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n <= 0) {
                answers.emplace_back();
                break;
            }
            pending.append(buffer, static_cast<std::size_t>(n));
        }
    }
    if (fd >= 0) ::close(fd);
    return answers;
}

inline std::string get(const std::string& where, const std::string& path,
                       const std::string& method = "GET") {
    return round_trip(where,
                      method + " " + path + " HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");
}

// Runs `client` on a thread while `events` runs here; returns once the client is done.
inline void serve_while(EventLoop& events, const std::function<void()>& client) {
    std::atomic<bool> done{false};
    std::thread thread([&] {
        client();
        done = true;
    });
    std::function<void()> poll;
    EventSource timer;
    poll = [&] {
        if (done) {
            events.exit(0);
            return;
        }
        timer = events.elapsed_timer(std::chrono::milliseconds{5}, poll);
    };
    poll();
    events.run();
    thread.join();
}

}  // namespace tasksrun::test
