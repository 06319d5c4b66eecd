// The asynchronous PostgreSQL connection against a real server: queries and errors as values,
// order, scripts, LISTEN/NOTIFY, a server that crashes and comes back, attempts that get no
// answer, and secrets.
#include "cluster/pg_connection.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "support/pg_server.hpp"
#include "support/pg_wait.hpp"

namespace tasksrun {
namespace {

using namespace std::chrono_literals;
using test::await;
using test::connect_to;
using test::PgServer;
using test::run_until;

using QueryAnswer = std::expected<PgResult, PgError>;

QueryAnswer ask(EventLoop& loop, PgConnection& connection, std::string sql,
                PgConnection::Params params = {}) {
    return await<QueryAnswer>(
        loop, [&](auto done) { connection.query(std::move(sql), std::move(params), done); });
}

// Brings the shared server back however a test that stopped it ends.
struct RestartServerAtEnd {
    ~RestartServerAtEnd() {
        if (!PgServer::shared().running()) PgServer::shared().start();
    }
};

TEST_CASE("pg: a query with parameters answers rows; NULL stays NULL", "[cluster][pg]") {
    EventLoop loop;
    auto connection = connect_to(loop, PgServer::shared().create_database());
    const auto answer = ask(loop, *connection, "SELECT $1::bigint + 1, $2::text, 'x' || $3",
                            {"41", std::nullopt, "y"});
    REQUIRE(answer.has_value());
    REQUIRE(answer->rows() == 1);
    CHECK(answer->int64(0, 0) == 42);
    CHECK(answer->is_null(0, 1));
    CHECK(answer->text(0, 2) == "xy");
    CHECK(connection->answered() == 1);
}

TEST_CASE("pg: a failing statement is an error value with its SQLSTATE; the connection stays",
          "[cluster][pg]") {
    EventLoop loop;
    auto connection = connect_to(loop, PgServer::shared().create_database());
    const auto failed = ask(loop, *connection, "SELECT * FROM no_such_table");
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().sqlstate == "42P01");
    CHECK_FALSE(failed.error().connection);
    CHECK(failed.error().message == "relation \"no_such_table\" does not exist");
    CHECK(connection->status().state == PgConnection::State::connected);
    CHECK(ask(loop, *connection, "SELECT 1").has_value());
}

TEST_CASE("pg: queries run in the order given; answers never come from inside query()",
          "[cluster][pg]") {
    EventLoop loop;
    auto connection = connect_to(loop, PgServer::shared().create_database());
    std::vector<int> order;
    for (int i = 0; i < 5; ++i) {
        // Later queries are quicker: only a queue keeps them in order.
        connection->query("SELECT pg_sleep($1::float8 / 100), " + std::to_string(i),
                          {std::to_string(5 - i)}, [&order, i](QueryAnswer answer) {
                              REQUIRE(answer.has_value());
                              CHECK(answer->int64(0, 1) == i);
                              order.push_back(i);
                          });
    }
    CHECK(order.empty());
    REQUIRE(run_until(loop, [&] { return order.size() == 5; }));
    CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
}

TEST_CASE("pg: a script answers every statement; an error rolls all of it back", "[cluster][pg]") {
    EventLoop loop;
    auto connection = connect_to(loop, PgServer::shared().create_database());
    using ScriptAnswer = std::expected<std::vector<PgResult>, PgError>;
    const auto ok = await<ScriptAnswer>(loop, [&](auto done) {
        connection->script(
            "CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2); SELECT "
            "count(*) FROM t;",
            done);
    });
    REQUIRE(ok.has_value());
    REQUIRE(ok->size() == 3);
    CHECK((*ok)[2].int64(0, 0) == 2);

    const auto failed = await<ScriptAnswer>(loop, [&](auto done) {
        connection->script("INSERT INTO t VALUES (3); CREATE TABLE u (y int); SELECT 1/0;", done);
    });
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().sqlstate == "22012");
    const auto after = ask(loop, *connection, "SELECT count(*), to_regclass('u') FROM t");
    REQUIRE(after.has_value());
    CHECK(after->int64(0, 0) == 2);
    CHECK(after->is_null(0, 1));
}

TEST_CASE("pg: notifications on a listened channel reach the handler", "[cluster][pg]") {
    EventLoop loop;
    const std::string database = PgServer::shared().create_database();
    std::vector<std::pair<std::string, std::string>> received;
    auto listener =
        connect_to(loop, database, {},
                   {.notified = [&](const std::string& channel, const std::string& payload) {
                       received.emplace_back(channel, payload);
                   }});
    listener->listen("tasksrun_test");
    CHECK(ask(loop, *listener, "SELECT 1").has_value());  // the LISTEN went first

    auto sender = connect_to(loop, database);
    CHECK(ask(loop, *sender,
              "SELECT pg_notify('tasksrun_test', 'hello'), "
              "pg_notify('other_channel', 'not for us')")
              .has_value());
    REQUIRE(run_until(loop, [&] { return !received.empty(); }));
    CHECK(received == std::vector<std::pair<std::string, std::string>>{{"tasksrun_test", "hello"}});
}

TEST_CASE(
    "pg: when the server crashes, queries fail as values, the state says down, and the "
    "connection comes back with its LISTEN",
    "[cluster][pg]") {
    RestartServerAtEnd restart;
    EventLoop loop;
    const std::string database = PgServer::shared().create_database();
    std::vector<PgConnection::State> states;
    std::vector<std::string> received;
    auto connection = connect_to(
        loop, database, {.reconnect_min = 50ms, .reconnect_max = 200ms},
        {.state_changed = [&](const PgConnection::Status& s) { states.push_back(s.state); },
         .notified = [&](const std::string&,
                         const std::string& payload) { received.push_back(payload); }});
    connection->listen("tasksrun_test");
    const auto prepared = [&] {
        return await<QueryAnswer>(loop, [&](auto done) {
            connection->query_prepared("double_it", "SELECT $1::int * 2", {"21"}, done);
        });
    };
    REQUIRE(ask(loop, *connection, "SELECT 1").has_value());  // the LISTEN went before it
    const std::uint64_t before = connection->answered();
    REQUIRE(prepared().has_value());
    CHECK(connection->answered() == before + 2);  // prepared, then executed
    REQUIRE(prepared()->int64(0, 0) == 42);
    CHECK(connection->answered() == before + 3);  // executed by name

    std::vector<QueryAnswer> answers;
    connection->query("SELECT pg_sleep(30)", {},
                      [&](QueryAnswer a) { answers.push_back(std::move(a)); });
    connection->query("SELECT 2", {}, [&](QueryAnswer a) { answers.push_back(std::move(a)); });
    run_until(
        loop, [] { return false; }, 200ms);  // both are sent and wait on the sleep
    CHECK(answers.empty());
    PgServer::shared().stop_immediately();

    REQUIRE(run_until(loop, [&] { return answers.size() == 2; }));
    for (const QueryAnswer& answer : answers) {
        REQUIRE_FALSE(answer.has_value());
        CHECK(answer.error().connection);
    }
    CHECK(answers[0].error().message.starts_with("connection to the cluster database lost: "));
    REQUIRE(
        run_until(loop, [&] { return connection->status().state == PgConnection::State::down; }));
    const PgConnection::Status down = connection->status();
    REQUIRE(down.down_since.has_value());
    CHECK_FALSE(down.last_error.empty());

    // While the server is away, every attempt fails and a query fails at once (as a value).
    REQUIRE(run_until(loop, [&] { return connection->status().failed_attempts >= 2; }));
    CHECK(connection->status().down_since == down.down_since);
    const auto refused = ask(loop, *connection, "SELECT 3");
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.error().connection);
    CHECK(refused.error().message.starts_with("cluster database unavailable: "));

    PgServer::shared().start();
    REQUIRE(run_until(
        loop, [&] { return connection->status().state == PgConnection::State::connected; }));
    CHECK_FALSE(connection->status().down_since.has_value());
    CHECK(connection->status().failed_attempts == 0);
    const auto back = ask(loop, *connection, "SELECT 4");
    REQUIRE(back.has_value());
    CHECK(back->int64(0, 0) == 4);
    // The new session prepares its statements again.
    const auto again = prepared();
    REQUIRE(again.has_value());
    CHECK(again->int64(0, 0) == 42);

    // LISTEN was issued again on the new session.
    auto sender = connect_to(loop, database);
    REQUIRE(ask(loop, *sender, "SELECT pg_notify('tasksrun_test', 'after')").has_value());
    REQUIRE(run_until(loop, [&] { return !received.empty(); }));
    CHECK(received == std::vector<std::string>{"after"});

    // connected -> down -> (connecting -> down)* -> connecting -> connected
    REQUIRE(states.size() >= 4);
    CHECK(states.front() == PgConnection::State::connecting);
    CHECK(states[1] == PgConnection::State::connected);
    CHECK(states[2] == PgConnection::State::down);
    CHECK(states.back() == PgConnection::State::connected);
}

// A unix socket that accepts connections into its backlog and never answers: a server that
// hangs during the handshake.
struct SilentServer {
    std::filesystem::path directory;
    int fd = -1;
    SilentServer() {
        char name[] = "/tmp/tasksrun-silent-XXXXXX";
        directory = mkdtemp(name);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        const std::string path = (directory / ".s.PGSQL.5432").string();
        std::copy(path.begin(), path.end(), address.sun_path);
        REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        REQUIRE(::listen(fd, 8) == 0);
    }
    ~SilentServer() {
        close(fd);
        std::filesystem::remove_all(directory);
    }
};

TEST_CASE("pg: a connection attempt without an answer times out and never blocks the loop",
          "[cluster][pg]") {
    SilentServer silent;
    EventLoop loop;
    auto connection =
        PgConnection::create(loop, "host=" + silent.directory.string() + " user=postgres dbname=x",
                             {.connect_timeout = 300ms, .reconnect_min = 10s}, {});
    REQUIRE(connection.has_value());
    (*connection)->start();
    CHECK((*connection)->status().state == PgConnection::State::connecting);

    int ticks = 0;
    EventSource ticker;
    std::function<void()> tick = [&] {
        ++ticks;
        ticker = loop.elapsed_timer(20ms, tick);
    };
    ticker = loop.elapsed_timer(20ms, tick);

    std::optional<QueryAnswer> answer;
    (*connection)->query("SELECT 1", {}, [&](QueryAnswer a) { answer = std::move(a); });
    REQUIRE(run_until(
        loop, [&] { return answer.has_value(); }, 5s));
    REQUIRE_FALSE(answer->has_value());
    CHECK(answer->error().connection);
    CHECK(answer->error().message == "cluster database unavailable: no connection within 0.3 s");
    CHECK((*connection)->status().state == PgConnection::State::down);
    CHECK(ticks >= 8);  // the loop kept turning while the attempt waited
}

TEST_CASE("pg: a server that is not there: down with libpq's reason, retried with backoff",
          "[cluster][pg]") {
    EventLoop loop;
    auto connection =
        PgConnection::create(loop, "host=/nonexistent-tasksrun-dir user=postgres dbname=x",
                             {.reconnect_min = 10ms, .reconnect_max = 40ms}, {});
    REQUIRE(connection.has_value());
    (*connection)->start();
    REQUIRE(run_until(loop, [&] { return (*connection)->status().failed_attempts >= 4; }));
    const auto& status = (*connection)->status();
    CHECK(status.last_error.find("/nonexistent-tasksrun-dir/.s.PGSQL.5432") != std::string::npos);
    CHECK(status.last_error.find('\n') == std::string::npos);
}

TEST_CASE("pg: a host name is looked up before libpq connects", "[cluster][pg]") {
    // Nothing listens on port 1: the point is the address libpq tried, which it names.
    EventLoop loop;
    auto connection = PgConnection::create(loop, "host=localhost port=1 user=x dbname=x",
                                           {.reconnect_min = 10s}, {});
    REQUIRE(connection.has_value());
    (*connection)->start();
    REQUIRE(run_until(loop, [&] { return (*connection)->status().failed_attempts >= 1; }));
    // libpq names the host as given when it resolved it itself ("localhost" (127.0.0.1)), and
    // only the address when it was handed one.
    const std::string& error = (*connection)->status().last_error;
    INFO(error);
    const bool numeric = error.starts_with("connection to server at \"127.0.0.1\", port 1") ||
                         error.starts_with("connection to server at \"::1\", port 1");
    CHECK(numeric);
    CHECK(error.find("localhost") == std::string::npos);
}

TEST_CASE("pg: the password shows neither in the target nor in errors", "[cluster][pg]") {
    EventLoop loop;
    for (const std::string conninfo :
         {"host=/nonexistent-tasksrun-dir user=postgres password=supersecretpw dbname=x",
          "postgresql://postgres:supersecretpw@/x?host=/nonexistent-tasksrun-dir"}) {
        auto connection = PgConnection::create(loop, conninfo, {.reconnect_min = 10s}, {});
        REQUIRE(connection.has_value());
        CHECK((*connection)->target() == "host=/nonexistent-tasksrun-dir dbname=x user=postgres");
        (*connection)->start();
        REQUIRE(run_until(loop, [&] { return (*connection)->status().failed_attempts >= 1; }));
        CHECK((*connection)->status().last_error.find("supersecretpw") == std::string::npos);
    }
    const auto invalid = PgConnection::create(loop, "password=supersecretpw oops", {}, {});
    REQUIRE_FALSE(invalid.has_value());
    CHECK(invalid.error().find("supersecretpw") == std::string::npos);
}

TEST_CASE("pg: a query without an answer resets the connection, which comes back",
          "[cluster][pg]") {
    EventLoop loop;
    auto connection = connect_to(loop, PgServer::shared().create_database(),
                                 {.query_timeout = 300ms, .reconnect_min = 10ms});
    const auto slow = ask(loop, *connection, "SELECT pg_sleep(5)");
    REQUIRE_FALSE(slow.has_value());
    CHECK(slow.error().connection);
    CHECK(slow.error().message ==
          "connection to the cluster database lost: no answer within 0.3 s; the connection is "
          "reset");
    REQUIRE(run_until(
        loop, [&] { return connection->status().state == PgConnection::State::connected; }));
    CHECK(ask(loop, *connection, "SELECT 1").has_value());
}

}  // namespace
}  // namespace tasksrun
