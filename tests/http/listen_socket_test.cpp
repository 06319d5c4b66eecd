// The listener's socket, on real sockets: TCP with a port the kernel picks, a port in use, and
// Unix sockets (a stale one replaced, a live one or another file refused).
#include "http/listen_socket.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "support/temp_dir.hpp"

namespace tasksrun {
namespace {

using test::TempDir;

ListenAddress address(std::string_view text) {
    return parse_listen_address(text).value();
}

TEST_CASE("listen socket: port 0 gets a free port, and says which", "[http]") {
    auto socket = open_listen_socket(address("127.0.0.1:0"));
    REQUIRE(socket.has_value());
    CHECK(socket->where.starts_with("127.0.0.1:"));
    CHECK(socket->where != "127.0.0.1:0");
    ::close(socket->fd);
}

TEST_CASE("listen socket: a port in use is an error that says so", "[http]") {
    auto first = open_listen_socket(address("127.0.0.1:0"));
    REQUIRE(first.has_value());
    auto second = open_listen_socket(address(first->where));
    REQUIRE_FALSE(second.has_value());
    CHECK(second.error() == "http: cannot bind " + first->where + ": Address already in use");
    ::close(first->fd);
}

TEST_CASE("listen socket: IPv6 loopback", "[http]") {
    auto socket = open_listen_socket(address("[::1]:0"));
    REQUIRE(socket.has_value());
    CHECK(socket->where.starts_with("[::1]:"));
    ::close(socket->fd);
}

TEST_CASE("listen socket: a Unix socket is created for local users", "[http]") {
    TempDir temp;
    const std::string path = (temp.path / "http.sock").string();
    auto socket = open_listen_socket(address(path));
    REQUIRE(socket.has_value());
    CHECK(socket->where == path);
    struct stat info {};
    REQUIRE(lstat(path.c_str(), &info) == 0);
    CHECK(S_ISSOCK(info.st_mode));
    CHECK((info.st_mode & 0777) == 0666);
    SECTION("a second listener while it is live is refused") {
        auto second = open_listen_socket(address(path));
        REQUIRE_FALSE(second.has_value());
        CHECK(second.error() == "http: another process is listening on " + path);
    }
    SECTION("once its listener is gone, the stale socket is replaced") {
        ::close(socket->fd);
        socket->fd = -1;
        auto again = open_listen_socket(address(path));
        REQUIRE(again.has_value());
        ::close(again->fd);
    }
    if (socket->fd >= 0) ::close(socket->fd);
}

TEST_CASE("listen socket: a path that is not a socket is left alone", "[http]") {
    TempDir temp;
    const std::string path = (temp.path / "notes.txt").string();
    std::ofstream(path) << "keep me";
    auto socket = open_listen_socket(address(path));
    REQUIRE_FALSE(socket.has_value());
    CHECK(socket.error() == "http: " + path + " exists and is not a socket");
    CHECK(std::filesystem::file_size(path) == 7);
}

}  // namespace
}  // namespace tasksrun
