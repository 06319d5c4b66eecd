#pragma once
// One connection to PostgreSQL, driven by the daemon's event loop through libpq's asynchronous
// API: connecting (PQconnectStartParams / PQconnectPoll, host names looked up beforehand without
// blocking), queries (PQsendQueryParams, PQconsumeInput / PQisBusy / PQgetResult on PQsocket),
// and LISTEN notifications (PQnotifies). No threads, and nothing here ever waits: every answer
// comes back through a callback from the loop.
//
// Queries run one at a time, in the order they were given. A query waits while a connection
// attempt is in progress, and fails as a value (PgError::connection) when the connection is
// down, when the attempt it waited for fails, or when the connection is lost before its answer
// (then it may or may not have been committed). After a failure the connection is attempted
// again with a capped exponential backoff; LISTEN channels are listened to again after every
// reconnection (notifications sent meanwhile are lost: re-read what they announce).
//
// The connection string may hold a password: it is never shown. `target()` and every error
// message are safe for logs.
//
// Single-threaded: the event loop's thread. Callbacks must not destroy the connection (use
// EventLoop::destroy_later); they may start queries.
#include <libpq-fe.h>

#include <cstdint>
#include <deque>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cluster/host_resolver.hpp"
#include "cluster/pg_conninfo.hpp"
#include "cluster/pg_result.hpp"
#include "event/event_loop.hpp"
#include "log/redact.hpp"

namespace tasksrun {

class PgConnection {
  public:
    enum class State { connecting, connected, down };

    struct Status {
        State state = State::down;
        Instant since{};  // wall clock: when `state` began
        // From the first failure until the next successful connection, through every retry:
        // what "the database is unreachable since ..." reports.
        std::optional<Instant> down_since{};
        std::string last_error{};           // the latest connection failure; empty before any
        std::uint32_t failed_attempts = 0;  // connection attempts failed in a row
    };

    struct Options {
        // libpq ignores connect_timeout in asynchronous mode: this bounds one attempt (lookup,
        // TCP, TLS, authentication).
        Duration connect_timeout = std::chrono::seconds{10};
        // A query without an answer for this long resets the connection (a server gone silent
        // without closing the socket).
        Duration query_timeout = std::chrono::seconds{30};
        Duration reconnect_min = std::chrono::milliseconds{250};
        Duration reconnect_max = std::chrono::seconds{5};
    };

    struct Handlers {
        std::function<void(const Status&)> state_changed{};
        std::function<void(const std::string& channel, const std::string& payload)> notified{};
    };

    using Params = std::vector<std::optional<std::string>>;  // text; nullopt is SQL NULL
    using QueryDone = std::function<void(std::expected<PgResult, PgError>)>;
    using ScriptDone = std::function<void(std::expected<std::vector<PgResult>, PgError>)>;

    // Fails when libpq cannot parse `conninfo` (the message never repeats its values). Nothing
    // is attempted until start().
    static std::expected<std::unique_ptr<PgConnection>, std::string> create(EventLoop& events,
                                                                            std::string conninfo,
                                                                            Options options,
                                                                            Handlers handlers);
    // Closes the connection; callbacks of queries not yet answered are not called.
    ~PgConnection();
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    // Begins the first connection attempt (state: connecting).
    void start();

    // One SQL statement with $1..$n parameters. `done` is called exactly once, from the loop
    // (never from inside this call), with the statement's result or the error.
    void query(std::string sql, Params params, QueryDone done);
    // Like query(), as a statement prepared under `name`: parsed once per session (the first
    // use costs one more round trip), then executed by name, so that PostgreSQL can keep its
    // plan. One name must always stand for the same SQL.
    void query_prepared(std::string name, std::string sql, Params params, QueryDone done);
    // Several statements without parameters in one round trip (the simple query protocol):
    // unless the text says otherwise, one implicit transaction. `done` gets every statement's
    // result in order, or the first error (then nothing was committed).
    void script(std::string sql, ScriptDone done);
    // LISTENs to `channel` now (when connected) and after every reconnection.
    void listen(std::string channel);

    const Status& status() const { return status_; }
    // Where it connects, without secrets: "host=/run/pg port=5432 dbname=tasks user=tasksrun".
    const std::string& target() const { return target_; }
    // Statements answered (round trips completed), for benchmarks and status.
    std::uint64_t answered() const { return answered_; }

  private:
    struct Pending {
        std::string statement{};  // a prepared statement's name; empty for unnamed
        std::string sql{};
        Params params{};
        QueryDone query_done{};    // set for query()
        ScriptDone script_done{};  // set for script()
        std::vector<PgResult> results{};
        std::optional<PgError> error{};
        bool preparing = false;  // the statement's PREPARE is what is in flight
    };

    PgConnection(EventLoop& events, std::string conninfo, Options options, Handlers handlers);

    void connect();
    void start_libpq(const PgConnInfo& info);
    void watch_connect(std::uint32_t events);
    void advance_connect();
    void connected();
    void go_down(const std::string& message, bool attempt_failed);
    void fail_waiting(const PgError& error);
    void set_state(State state);
    void retire_io();

    void schedule_pump();
    void pump();
    void send_in_flight();
    void flush_output();
    void on_ready(std::uint32_t revents);
    void deliver_notifications();
    void collect_results();
    void keep_result(PGresult* result);
    void complete();
    PgError error_of(const PGresult* result) const;
    std::string connection_error() const;

    EventLoop& events_;
    const std::string conninfo_;
    const PgConnInfo info_;
    const std::string target_;
    const Options options_;
    const Handlers handlers_;
    Redactor redactor_;

    PGconn* conn_ = nullptr;
    HostResolver resolver_;
    EventSource io_;
    EventSource connect_timer_;
    EventSource reconnect_timer_;
    EventSource query_timer_;
    EventSource pump_;
    Status status_;
    std::vector<std::string> channels_;
    std::set<std::string> prepared_;  // in the current session
    std::deque<Pending> waiting_;
    std::optional<Pending> in_flight_;
    std::uint64_t answered_ = 0;
};

const char* to_string(PgConnection::State state);

}  // namespace tasksrun
