// Parameters as PostgreSQL reads them: array literals and instants, checked by the real server.
#include "cluster/pg_params.hpp"

#include <catch2/catch.hpp>

#include "support/pg_server.hpp"
#include "support/pg_wait.hpp"
#include "support/time.hpp"

namespace tasksrun {
namespace {

using test::await;
using QueryAnswer = std::expected<PgResult, PgError>;

struct Server {
    EventLoop loop;
    std::unique_ptr<PgConnection> connection =
        test::connect_to(loop, test::PgServer::shared().create_database());

    PgResult ask(const std::string& sql, PgConnection::Params params) {
        auto answer = await<QueryAnswer>(
            loop, [&](auto done) { connection->query(sql, std::move(params), done); });
        REQUIRE(answer.has_value());
        return std::move(*answer);
    }
};

TEST_CASE("params: a text array keeps every element as written", "[cluster][params]") {
    Server server;
    const std::vector<std::string> items{
        "plain", "", "NULL", "a,b", "quote \" here", "back\\slash", "{braces}", " spaced ", "ünï"};
    const PgResult rows =
        server.ask("SELECT x FROM unnest($1::text[]) WITH ORDINALITY AS u(x, n) ORDER BY n",
                   {text_array(items)});
    REQUIRE(rows.rows() == static_cast<int>(items.size()));
    for (int i = 0; i < rows.rows(); ++i) {
        CHECK_FALSE(rows.is_null(i, 0));
        CHECK(rows.text(i, 0) == items[static_cast<std::size_t>(i)]);
    }
    CHECK(server.ask("SELECT cardinality($1::text[])", {text_array({})}).int64(0, 0) == 0);
}

TEST_CASE("params: integer and boolean arrays", "[cluster][params]") {
    Server server;
    const std::vector<std::int64_t> numbers{0, -1, 9007199254740993, INT64_MIN};
    const PgResult sums =
        server.ask("SELECT sum(x::numeric)::text, count(*) FROM unnest($1::bigint[]) x",
                   {int64_array(numbers)});
    CHECK(sums.text(0, 0) == "-9214364837600034816");
    CHECK(sums.int64(0, 1) == 4);
    const PgResult flags =
        server.ask("SELECT array_to_string($1::boolean[], ',')", {bool_array({true, false, true})});
    CHECK(flags.text(0, 0) == "t,f,t");
}

TEST_CASE("params: instants go through timestamptz to the microsecond", "[cluster][params]") {
    Server server;
    for (const Instant instant :
         {test::at("2025-03-09T07:30:00.123456Z"), test::at("1969-12-31T23:59:59.999999Z"),
          test::at("2100-01-01T00:00:00Z")}) {
        const PgResult row =
            server.ask("SELECT " + sql_micros(sql_instant("$1::bigint")), {micros_text(instant)});
        CHECK(row.int64(0, 0) == instant.time_since_epoch().count());
    }
    const PgResult known = server.ask("SELECT to_char(" + sql_instant("$1::bigint") +
                                          " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')",
                                      {micros_text(test::at("2025-03-09T07:30:00.123456Z"))});
    CHECK(known.text(0, 0) == "2025-03-09T07:30:00.123456");
}

}  // namespace
}  // namespace tasksrun
