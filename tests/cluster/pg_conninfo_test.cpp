// Connection strings: taken apart by libpq's parser, shown without secrets, and rewritten so
// that libpq never resolves a host name itself.
#include "cluster/pg_conninfo.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>

namespace tasksrun {
namespace {

PgConnInfo parsed(const std::string& text) {
    auto info = PgConnInfo::parse(text);
    REQUIRE(info.has_value());
    return *info;
}

// libpq falls back to these when the string names no host; the tests must not see the
// caller's.
struct NoPgEnvironment {
    NoPgEnvironment() {
        for (const char* name : {"PGHOST", "PGHOSTADDR", "PGPORT"}) unsetenv(name);
    }
};

TEST_CASE("conninfo: key=value strings and URIs are described without their password",
          "[cluster][conninfo]") {
    CHECK(parsed("host=db.example port=5433 dbname=tasks user=tasksrun password=hunter2secret")
              .describe() == "host=db.example port=5433 dbname=tasks user=tasksrun");
    CHECK(redact_conninfo(
              "postgresql://tasksrun:hunter2secret@db.example:5433/tasks?sslmode=require") ==
          "host=db.example port=5433 dbname=tasks user=tasksrun");
    CHECK(redact_conninfo("") == "(libpq defaults)");
}

TEST_CASE("conninfo: a parse error never repeats a piece of the string", "[cluster][conninfo]") {
    const auto broken = PgConnInfo::parse("host=db password=hunter2 secret-rest");
    REQUIRE_FALSE(broken.has_value());
    CHECK(broken.error().find("secret-rest") == std::string::npos);
    CHECK(broken.error().find("hunter2") == std::string::npos);
    CHECK(redact_conninfo("host=db password=hunter2 secret-rest").find("hunter2") ==
          std::string::npos);
    // An unknown keyword is named: it is the useful part of the message, and no secret.
    const auto unknown = PgConnInfo::parse("hots=db");
    REQUIRE_FALSE(unknown.has_value());
    CHECK(unknown.error().find("\"hots\"") != std::string::npos);
}

TEST_CASE("conninfo: the secrets are the whole string and the password", "[cluster][conninfo]") {
    const std::string text = "host=db user=u password=correcthorse";
    const auto secrets = conninfo_secrets(text);
    CHECK(secrets == std::vector<std::string>{text, "correcthorse"});
    // A URI's password is percent-decoded by libpq: both spellings are secrets.
    const auto uri = conninfo_secrets("postgresql://u:correct%20horse@db/x");
    CHECK(uri.size() == 2);
    CHECK(uri[1] == "correct horse");
}

TEST_CASE("conninfo: only host names need a lookup", "[cluster][conninfo]") {
    NoPgEnvironment clean;
    CHECK(parsed("host=/run/postgresql").names_to_resolve().empty());
    CHECK(parsed("host=@abstract").names_to_resolve().empty());
    CHECK(parsed("host=127.0.0.1,::1").names_to_resolve().empty());
    CHECK(parsed("dbname=x").names_to_resolve().empty());
    CHECK(parsed("host=db1,/tmp,db2,db1").names_to_resolve() ==
          std::vector<std::string>{"db1", "db2"});
    // hostaddr given: libpq connects to it and uses the name only to verify TLS.
    CHECK(parsed("host=db1 hostaddr=10.0.0.1").names_to_resolve().empty());
}

TEST_CASE("conninfo: PGHOST applies when the string names no host", "[cluster][conninfo]") {
    NoPgEnvironment clean;
    setenv("PGHOST", "envhost", 1);
    CHECK(parsed("dbname=x").names_to_resolve() == std::vector<std::string>{"envhost"});
    setenv("PGHOSTADDR", "10.1.1.1", 1);
    CHECK(parsed("dbname=x").names_to_resolve().empty());
    unsetenv("PGHOST");
    unsetenv("PGHOSTADDR");
}

TEST_CASE("conninfo: resolved names become hostaddr entries, one per address",
          "[cluster][conninfo]") {
    NoPgEnvironment clean;
    PgConnInfo info = parsed("host=db1,/tmp,db2 port=5432,5433,5434 dbname=x");
    REQUIRE(info.use_addresses({{"db1", {"10.0.0.1", "10.0.0.2"}}, {"db2", {"fd00::2"}}}));
    CHECK(info.get("host") == "db1,db1,/tmp,db2");
    CHECK(info.get("hostaddr") == "10.0.0.1,10.0.0.2,,fd00::2");
    CHECK(info.get("port") == "5432,5432,5433,5434");
    CHECK(info.get("dbname") == "x");
}

TEST_CASE("conninfo: a name without an address is left out; none left is an error",
          "[cluster][conninfo]") {
    NoPgEnvironment clean;
    PgConnInfo some = parsed("host=db1,db2 port=5432");
    REQUIRE(some.use_addresses({{"db1", {}}, {"db2", {"10.0.0.2"}}}));
    CHECK(some.get("host") == "db2");
    CHECK(some.get("hostaddr") == "10.0.0.2");
    CHECK(some.get("port") == "5432");

    PgConnInfo none = parsed("host=db1");
    const auto failed = none.use_addresses({{"db1", {}}});
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error() == "no address found for db1");
}

}  // namespace
}  // namespace tasksrun
