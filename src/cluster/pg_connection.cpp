#include "cluster/pg_connection.hpp"

#include <fmt/format.h>
#include <sys/epoll.h>

#include <algorithm>

#include "event/clock.hpp"

namespace tasksrun {

namespace {

// libpq's messages end with a newline and may span lines ("...failed: ...\n\tIs the server
// running...?"): one line for a log.
std::string one_line(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '\n' || c == '\t' || c == '\r') {
            if (!out.empty() && out.back() != ' ') out += ' ';
        } else {
            out += c;
        }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

std::string seconds_text(Duration duration) {
    return fmt::format("{:g} s", std::chrono::duration<double>(duration).count());
}

std::string quote_identifier(std::string_view name) {
    std::string out = "\"";
    for (const char c : name) {
        out += c;
        if (c == '"') out += '"';
    }
    return out + "\"";
}

// Server errors that mean the session is gone (class 08: connection exception; 57P01-03: the
// server shuts down or restarts).
bool ends_session(std::string_view sqlstate) {
    return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
           sqlstate == "57P03";
}

}  // namespace

const char* to_string(PgConnection::State state) {
    switch (state) {
        case PgConnection::State::connecting:
            return "connecting";
        case PgConnection::State::connected:
            return "connected";
        case PgConnection::State::down:
            return "down";
    }
    return "down";
}

std::expected<std::unique_ptr<PgConnection>, std::string> PgConnection::create(EventLoop& events,
                                                                               std::string conninfo,
                                                                               Options options,
                                                                               Handlers handlers) {
    if (auto info = PgConnInfo::parse(conninfo); !info) return std::unexpected(info.error());
    return std::unique_ptr<PgConnection>(
        new PgConnection(events, std::move(conninfo), options, std::move(handlers)));
}

PgConnection::PgConnection(EventLoop& events, std::string conninfo, Options options,
                           Handlers handlers)
    : events_(events),
      conninfo_(std::move(conninfo)),
      info_(*PgConnInfo::parse(conninfo_)),
      target_(info_.describe()),
      options_(options),
      handlers_(std::move(handlers)),
      resolver_(events) {
    for (std::string& secret : conninfo_secrets(conninfo_)) redactor_.add_secret(std::move(secret));
}

PgConnection::~PgConnection() {
    resolver_.cancel();
    io_.reset();  // before the socket closes
    if (conn_ != nullptr) PQfinish(conn_);
}

void PgConnection::start() {
    if (status_.state == State::down && !reconnect_timer_) connect();
}

void PgConnection::connect() {
    reconnect_timer_.reset();
    set_state(State::connecting);
    connect_timer_ = events_.elapsed_timer(options_.connect_timeout, [this] {
        go_down("no connection within " + seconds_text(options_.connect_timeout), true);
    });
    PgConnInfo info = info_;
    std::vector<std::string> names = info.names_to_resolve();
    if (names.empty()) {
        start_libpq(info);
        return;
    }
    resolver_.resolve(std::move(names), [this, info](HostResolver::Answers answers) mutable {
        std::map<std::string, std::vector<std::string>> addresses;
        std::string failures;
        for (auto& [name, answer] : answers) {
            if (answer) {
                addresses[name] = std::move(*answer);
            } else {
                failures += (failures.empty() ? "" : "; ") + answer.error();
            }
        }
        for (const auto& [name, answer] : answers) {
            if (!answer) addresses[name] = {};  // no address: the host is left out
        }
        if (auto used = info.use_addresses(addresses); !used) {
            go_down(failures.empty() ? used.error() : failures, true);
            return;
        }
        start_libpq(info);
    });
}

void PgConnection::start_libpq(const PgConnInfo& info) {
    std::vector<const char*> keywords;
    std::vector<const char*> values;
    for (const auto& [keyword, value] : info.options()) {
        keywords.push_back(keyword.c_str());
        values.push_back(value.c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectStartParams(keywords.data(), values.data(), 0);
    if (conn_ == nullptr) {
        go_down("out of memory", true);
        return;
    }
    if (PQstatus(conn_) == CONNECTION_BAD) {
        go_down(connection_error(), true);
        return;
    }
    // libpq prints the server's notices (NOTICE, WARNING) on stderr by default; none of ours
    // needs reading, and stderr is the daemon's log.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
    // libpq's protocol: after PQconnectStart, wait as if PQconnectPoll had asked to write.
    watch_connect(EPOLLOUT);
}

void PgConnection::watch_connect(std::uint32_t events) {
    // libpq may close the socket and open another (the next host or address, a retry without
    // TLS) inside PQconnectPoll, possibly under the same number: a fresh source each step.
    retire_io();
    const int fd = PQsocket(conn_);
    if (fd < 0) {
        go_down(connection_error(), true);
        return;
    }
    io_ = events_.io(fd, events, [this](std::uint32_t) { advance_connect(); });
}

void PgConnection::advance_connect() {
    switch (PQconnectPoll(conn_)) {
        case PGRES_POLLING_READING:
            watch_connect(EPOLLIN);
            return;
        case PGRES_POLLING_WRITING:
            watch_connect(EPOLLOUT);
            return;
        case PGRES_POLLING_OK:
            connected();
            return;
        default:
            go_down(connection_error(), true);
            return;
    }
}

void PgConnection::connected() {
    connect_timer_.reset();
    PQsetnonblocking(conn_, 1);
    retire_io();
    io_ =
        events_.io(PQsocket(conn_), EPOLLIN, [this](std::uint32_t revents) { on_ready(revents); });
    // Listening comes before anything that waited for the connection.
    for (auto channel = channels_.rbegin(); channel != channels_.rend(); ++channel) {
        waiting_.push_front(
            Pending{.sql = "LISTEN " + quote_identifier(*channel), .query_done = [](auto) {}});
    }
    status_.failed_attempts = 0;
    status_.down_since.reset();
    set_state(State::connected);
    pump();
}

void PgConnection::go_down(const std::string& message, bool attempt_failed) {
    connect_timer_.reset();
    query_timer_.reset();
    resolver_.cancel();
    retire_io();
    if (conn_ != nullptr) {
        PQfinish(conn_);
        conn_ = nullptr;
    }
    prepared_.clear();  // they lived in the session that ended
    const std::string reason = redactor_.scrub(one_line(message));
    const bool was_connected = status_.state == State::connected;
    status_.last_error = reason;
    if (attempt_failed) ++status_.failed_attempts;
    const Instant now = wall_clock_now();
    if (!status_.down_since) status_.down_since = now;

    // Reconnect after a lost connection at once (well, after the shortest delay), and back
    // off while attempts keep failing.
    Duration delay = options_.reconnect_min;
    for (std::uint32_t i = 1; i < status_.failed_attempts && delay < options_.reconnect_max; ++i)
        delay *= 2;
    delay = std::min(delay, options_.reconnect_max);
    reconnect_timer_ = events_.elapsed_timer(delay, [this] { connect(); });

    set_state(State::down);
    const std::string what = was_connected ? "connection to the cluster database lost: "
                                           : "cluster database unavailable: ";
    fail_waiting(PgError{.message = what + reason, .sqlstate = "", .connection = true});
}

void PgConnection::fail_waiting(const PgError& error) {
    // Callbacks may queue more queries; those fail on the next turn if still down.
    std::deque<Pending> failed = std::move(waiting_);
    waiting_.clear();
    if (in_flight_) {
        failed.push_front(std::move(*in_flight_));
        in_flight_.reset();
    }
    for (Pending& pending : failed) {
        if (pending.query_done) {
            pending.query_done(std::unexpected(error));
        } else {
            pending.script_done(std::unexpected(error));
        }
    }
}

void PgConnection::set_state(State state) {
    if (state == status_.state) return;
    status_.state = state;
    status_.since = wall_clock_now();
    if (handlers_.state_changed) handlers_.state_changed(status_);
}

void PgConnection::retire_io() {
    if (!io_) return;
    // Possibly inside this source's own callback: stop it now, free it on the next turn.
    io_.disable();
    events_.destroy_later(std::make_unique<EventSource>(std::move(io_)));
}

void PgConnection::query(std::string sql, Params params, QueryDone done) {
    waiting_.push_back(
        Pending{.sql = std::move(sql), .params = std::move(params), .query_done = std::move(done)});
    schedule_pump();
}

void PgConnection::query_prepared(std::string name, std::string sql, Params params,
                                  QueryDone done) {
    waiting_.push_back(Pending{.statement = std::move(name),
                               .sql = std::move(sql),
                               .params = std::move(params),
                               .query_done = std::move(done)});
    schedule_pump();
}

void PgConnection::script(std::string sql, ScriptDone done) {
    waiting_.push_back(Pending{.sql = std::move(sql), .script_done = std::move(done)});
    schedule_pump();
}

void PgConnection::listen(std::string channel) {
    if (std::ranges::find(channels_, channel) != channels_.end()) return;
    channels_.push_back(channel);
    if (status_.state == State::connected) {
        waiting_.push_back(
            Pending{.sql = "LISTEN " + quote_identifier(channel), .query_done = [](auto) {}});
        schedule_pump();
    }
}

void PgConnection::schedule_pump() {
    if (pump_) return;
    pump_ = events_.defer([this] {
        pump_.reset();
        if (status_.state == State::down) {
            fail_waiting(PgError{.message = "cluster database unavailable: " + status_.last_error,
                                 .sqlstate = "",
                                 .connection = true});
        } else {
            pump();
        }
    });
}

void PgConnection::pump() {
    if (status_.state != State::connected || in_flight_ || waiting_.empty()) return;
    in_flight_ = std::move(waiting_.front());
    waiting_.pop_front();
    send_in_flight();
}

void PgConnection::send_in_flight() {
    Pending& pending = *in_flight_;
    std::vector<const char*> values;
    values.reserve(pending.params.size());
    for (const auto& param : pending.params) values.push_back(param ? param->c_str() : nullptr);
    const int count = static_cast<int>(values.size());
    const char* name = pending.statement.c_str();
    int sent = 0;
    if (pending.script_done) {
        sent = PQsendQuery(conn_, pending.sql.c_str());
    } else if (pending.statement.empty()) {
        sent = PQsendQueryParams(conn_, pending.sql.c_str(), count, nullptr, values.data(), nullptr,
                                 nullptr, 0);
    } else if (!prepared_.contains(pending.statement)) {
        // Once per session: the round trip that parses it; the execution follows its answer.
        pending.preparing = true;
        sent = PQsendPrepare(conn_, name, pending.sql.c_str(), count, nullptr);
    } else {
        sent = PQsendQueryPrepared(conn_, name, count, values.data(), nullptr, nullptr, 0);
    }
    if (sent == 0) {
        go_down(connection_error(), false);
        return;
    }
    query_timer_ = events_.elapsed_timer(options_.query_timeout, [this] {
        go_down("no answer within " + seconds_text(options_.query_timeout) +
                    "; the connection is reset",
                false);
    });
    flush_output();
}

void PgConnection::flush_output() {
    const int flushed = PQflush(conn_);
    if (flushed < 0) {
        go_down(connection_error(), false);
        return;
    }
    io_.set_io_events(flushed == 1 ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

void PgConnection::on_ready(std::uint32_t revents) {
    if ((revents & EPOLLOUT) != 0) {
        flush_output();
        if (status_.state != State::connected) return;
    }
    if ((revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) == 0) return;
    if (PQconsumeInput(conn_) == 0) {
        go_down(connection_error(), false);
        return;
    }
    deliver_notifications();
    collect_results();
}

void PgConnection::deliver_notifications() {
    while (PGnotify* notification = PQnotifies(conn_)) {
        const std::string channel = notification->relname;
        const std::string payload = notification->extra;
        PQfreemem(notification);
        if (handlers_.notified) handlers_.notified(channel, payload);
    }
}

void PgConnection::collect_results() {
    while (in_flight_ && PQisBusy(conn_) == 0) {
        PGresult* result = PQgetResult(conn_);
        if (result == nullptr) {
            complete();
            break;
        }
        keep_result(result);
        if (status_.state != State::connected) return;
    }
    if (status_.state == State::connected && PQstatus(conn_) == CONNECTION_BAD)
        go_down(connection_error(), false);
}

void PgConnection::keep_result(PGresult* result) {
    switch (PQresultStatus(result)) {
        case PGRES_TUPLES_OK:
        case PGRES_COMMAND_OK:
        case PGRES_EMPTY_QUERY:
            in_flight_->results.emplace_back(result);
            return;
        case PGRES_COPY_IN:
        case PGRES_COPY_OUT:
        case PGRES_COPY_BOTH:
            PQclear(result);
            go_down("the server started a COPY, which this client never asks for", false);
            return;
        default:
            if (!in_flight_->error) in_flight_->error = error_of(result);
            PQclear(result);
            return;
    }
}

void PgConnection::complete() {
    query_timer_.reset();
    ++answered_;
    if (in_flight_->error && in_flight_->error->connection) {
        // The answer was the server ending the session: the connection goes down with it,
        // and this query fails as one that lost its connection.
        go_down(in_flight_->error->message, false);
        return;
    }
    if (in_flight_->preparing && !in_flight_->error) {
        prepared_.insert(in_flight_->statement);
        in_flight_->preparing = false;
        in_flight_->results.clear();
        send_in_flight();
        return;
    }
    Pending done = std::move(*in_flight_);
    in_flight_.reset();
    if (done.script_done) {
        if (done.error) {
            done.script_done(std::unexpected(std::move(*done.error)));
        } else {
            done.script_done(std::move(done.results));
        }
    } else if (done.error) {
        done.query_done(std::unexpected(std::move(*done.error)));
    } else if (done.results.empty()) {
        done.query_done(std::unexpected(PgError{.message = "the statement returned no result"}));
    } else {
        done.query_done(std::move(done.results.back()));
    }
    pump();
}

PgError PgConnection::error_of(const PGresult* result) const {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    // The server's primary message ("relation \"x\" does not exist"); libpq's own errors (a
    // lost connection) have only the full text.
    const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
    PgError error{.message = redactor_.scrub(
                      one_line(primary != nullptr ? primary : PQresultErrorMessage(result))),
                  .sqlstate = state != nullptr ? state : "",
                  .connection = false};
    error.connection = ends_session(error.sqlstate) || PQstatus(conn_) == CONNECTION_BAD;
    return error;
}

std::string PgConnection::connection_error() const {
    if (conn_ == nullptr) return "no connection";
    const std::string message = one_line(PQerrorMessage(conn_));
    return message.empty() ? "the connection failed" : message;
}

}  // namespace tasksrun
