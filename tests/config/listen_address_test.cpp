// [tasksrun] http: the forms of a listen address, and the loader's errors and warning for it.
#include "config/listen_address.hpp"

#include <catch2/catch.hpp>

#include "config/loader.hpp"

namespace tasksrun {
namespace {

ListenAddress parsed(std::string_view text) {
    auto address = parse_listen_address(text);
    INFO(text);
    REQUIRE(address.has_value());
    return *address;
}

std::string refused(std::string_view text) {
    auto address = parse_listen_address(text);
    INFO(text);
    REQUIRE_FALSE(address.has_value());
    return address.error();
}

TEST_CASE("listen address: IPv4, IPv6 in brackets, localhost and Unix sockets", "[config][http]") {
    CHECK(parsed("127.0.0.1:9464") ==
          ListenAddress{ListenAddress::Family::ipv4, "127.0.0.1", 9464});
    CHECK(parsed("[::1]:9464") == ListenAddress{ListenAddress::Family::ipv6, "::1", 9464});
    CHECK(parsed("localhost:80") == ListenAddress{ListenAddress::Family::ipv4, "127.0.0.1", 80});
    CHECK(parsed("0.0.0.0:0") == ListenAddress{ListenAddress::Family::ipv4, "0.0.0.0", 0});
    CHECK(parsed("/run/tasksrun/http.sock") ==
          ListenAddress{ListenAddress::Family::unix_socket, "/run/tasksrun/http.sock", 0});
}

TEST_CASE("listen address: loopback and how it is shown", "[config][http]") {
    CHECK(parsed("127.0.0.1:9464").loopback());
    CHECK(parsed("127.8.9.10:9464").loopback());
    CHECK(parsed("[::1]:1").loopback());
    CHECK(parsed("[0:0:0:0:0:0:0:1]:1").loopback());
    CHECK(parsed("/tmp/x.sock").loopback());
    CHECK_FALSE(parsed("0.0.0.0:9464").loopback());
    CHECK_FALSE(parsed("192.168.1.2:9464").loopback());
    CHECK_FALSE(parsed("[::]:9464").loopback());
    CHECK(parsed("[::1]:9464").describe() == "[::1]:9464");
    CHECK(parsed("localhost:9464").describe() == "127.0.0.1:9464");
    CHECK(parsed("/tmp/x.sock").describe() == "/tmp/x.sock");
}

TEST_CASE("listen address: what is refused, and why", "[config][http]") {
    CHECK(refused("").find("empty") != std::string::npos);
    CHECK(refused("127.0.0.1").find("has no port") != std::string::npos);
    CHECK(refused("127.0.0.1:65536").find("from 0 to 65535") != std::string::npos);
    CHECK(refused("127.0.0.1:http").find("from 0 to 65535") != std::string::npos);
    CHECK(refused("127.0.0.1:").find("from 0 to 65535") != std::string::npos);
    CHECK(refused("::1:9464").find("brackets") != std::string::npos);
    CHECK(refused("[::g]:9464").find("not an IPv6 address") != std::string::npos);
    CHECK(refused("example.com:9464").find("never a name to resolve") != std::string::npos);
    CHECK(refused("300.1.1.1:9464").find("not an IPv4 address") != std::string::npos);
    CHECK(refused("run/http.sock").find("must be absolute") != std::string::npos);
    CHECK(refused("/" + std::string(120, 'x')).find("longer than 107 bytes") != std::string::npos);
}

constexpr std::string_view kTask = "[[task]]\nname = \"t\"\nseconds = 1\nrun = \"x\"\n";

TEST_CASE("config: [tasksrun] http is off by default and parsed when set", "[config][http]") {
    const LoadResult off = parse_config(std::string(kTask), "t.toml");
    REQUIRE(off.config.has_value());
    CHECK_FALSE(off.config->settings.http.has_value());
    const LoadResult on =
        parse_config("[tasksrun]\nhttp = \"127.0.0.1:9464\"\n" + std::string(kTask), "t.toml");
    REQUIRE(on.config.has_value());
    CHECK(on.config->settings.http == parse_listen_address("127.0.0.1:9464").value());
    CHECK(on.diagnostics.formatted().empty());
}

TEST_CASE("config: a bad http address is an error at its value's position", "[config][http]") {
    const LoadResult result =
        parse_config("[tasksrun]\nhttp = \"127.0.0.1\"\n" + std::string(kTask), "t.toml");
    CHECK_FALSE(result.config.has_value());
    CHECK(result.diagnostics.formatted() ==
          std::vector<std::string>{
              "t.toml:2:8: \"http\": \"127.0.0.1\" has no port; expected \"127.0.0.1:9464\", "
              "\"[::1]:9464\", \"localhost:9464\" or an absolute Unix socket path"});
    const LoadResult wrong_type =
        parse_config("[tasksrun]\nhttp = 9464\n" + std::string(kTask), "t.toml");
    CHECK_FALSE(wrong_type.config.has_value());
    CHECK(wrong_type.diagnostics.formatted() ==
          std::vector<std::string>{"t.toml:2:8: \"http\" must be a string, not an integer"});
}

TEST_CASE("config: an http address beyond loopback is allowed with a warning", "[config][http]") {
    const LoadResult result =
        parse_config("[tasksrun]\nhttp = \"0.0.0.0:9464\"\n" + std::string(kTask), "t.toml");
    REQUIRE(result.config.has_value());
    CHECK(result.diagnostics.error_count() == 0);
    CHECK(result.diagnostics.formatted() ==
          std::vector<std::string>{
              "t.toml:2:8: warning: \"http\" listens beyond this machine (0.0.0.0:9464): whoever "
              "reaches it reads task names, schedules and outcomes; 127.0.0.1 or a Unix socket "
              "behind a proxy keeps it local"});
}

}  // namespace
}  // namespace tasksrun
