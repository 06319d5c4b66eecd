#pragma once
// A libpq connection string (key=value words or a postgresql:// URI) taken apart with libpq's
// own parser, so that it can be shown without its password and connected to without libpq
// resolving host names itself (its resolver blocks; see host_resolver.hpp).
#include <expected>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tasksrun {

class PgConnInfo {
  public:
    // Fails with a message that never repeats a value from the string (it may be a password).
    static std::expected<PgConnInfo, std::string> parse(std::string_view conninfo);

    // The options given explicitly, as libpq names them ("host", "dbname", ...).
    const std::vector<std::pair<std::string, std::string>>& options() const { return options_; }
    std::optional<std::string> get(std::string_view keyword) const;
    void set(const std::string& keyword, std::string value);

    // Where it connects, fit for logs: "host=/run/pg port=5432 dbname=tasks user=tasksrun".
    // Only host, hostaddr, port, dbname and user are shown; never the password or other options.
    std::string describe() const;

    // The host names libpq would resolve with a blocking getaddrinfo: none when `hostaddr` is
    // given (in the string or $PGHOSTADDR) or every host is a socket directory or a numeric
    // address. `PGHOST` applies when the string names no host, as libpq does.
    std::vector<std::string> names_to_resolve() const;

    // Points every named host at the addresses found for it (`hostaddr`, one entry per
    // address, up to four per name, so libpq still tries them in turn); a name with no address
    // is dropped. Fails when no host is left.
    std::expected<void, std::string> use_addresses(
        const std::map<std::string, std::vector<std::string>>& addresses);

  private:
    std::vector<std::pair<std::string, std::string>> options_;
};

// `describe()` of the string, or a fixed text when it cannot be parsed: never the password.
std::string redact_conninfo(std::string_view conninfo);

// What must never reach a log: the string itself and its password, for the logger's Redactor.
std::vector<std::string> conninfo_secrets(std::string_view conninfo);

}  // namespace tasksrun
