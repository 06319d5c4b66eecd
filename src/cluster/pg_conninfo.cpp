#include "cluster/pg_conninfo.hpp"

#include <arpa/inet.h>
#include <libpq-fe.h>

#include <algorithm>
#include <cstdlib>
#include <memory>

namespace tasksrun {

namespace {

constexpr std::size_t kAddressesPerName = 4;

// libpq quotes pieces of the string in its parse errors ("missing \"=\" after \"...\""), and a
// piece may be a password: only an unknown keyword's name is kept.
std::string safe_parse_error(std::string_view message) {
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
        message.remove_suffix(1);
    if (message.starts_with("invalid connection option")) return std::string(message);
    std::string out;
    bool quoted = false;
    for (const char c : message) {
        if (c == '"') {
            out += quoted ? "\"" : "\"…";
            quoted = !quoted;
        } else if (!quoted) {
            out += c;
        }
    }
    return out;
}

std::vector<std::string> split_list(std::string_view list) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        const std::size_t comma = list.find(',', start);
        out.emplace_back(list.substr(start, comma - start));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return out;
}

std::string join_list(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& item : items) {
        if (!out.empty()) out += ',';
        out += item;
    }
    return out;
}

bool is_socket_directory(std::string_view host) {
    return host.empty() || host.front() == '/' || host.front() == '@';
}

bool is_numeric_address(const std::string& host) {
    unsigned char buffer[sizeof(in6_addr)];
    return inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
           inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

std::optional<std::string> environment(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
}

}  // namespace

std::expected<PgConnInfo, std::string> PgConnInfo::parse(std::string_view conninfo) {
    char* error = nullptr;
    const std::string text(conninfo);
    std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> parsed(
        PQconninfoParse(text.c_str(), &error), &PQconninfoFree);
    if (!parsed) {
        std::string message = error != nullptr ? safe_parse_error(error) : "out of memory";
        PQfreemem(error);
        return std::unexpected("invalid connection string: " + message);
    }
    PgConnInfo info;
    for (const PQconninfoOption* option = parsed.get(); option->keyword != nullptr; ++option) {
        if (option->val != nullptr) info.options_.emplace_back(option->keyword, option->val);
    }
    return info;
}

std::optional<std::string> PgConnInfo::get(std::string_view keyword) const {
    const auto it =
        std::ranges::find(options_, keyword, &std::pair<std::string, std::string>::first);
    if (it == options_.end()) return std::nullopt;
    return it->second;
}

void PgConnInfo::set(const std::string& keyword, std::string value) {
    const auto it =
        std::ranges::find(options_, keyword, &std::pair<std::string, std::string>::first);
    if (it == options_.end()) {
        options_.emplace_back(keyword, std::move(value));
    } else {
        it->second = std::move(value);
    }
}

std::string PgConnInfo::describe() const {
    std::string out;
    for (const char* keyword : {"host", "hostaddr", "port", "dbname", "user"}) {
        const auto value = get(keyword);
        if (!value) continue;
        if (!out.empty()) out += ' ';
        out += std::string(keyword) + "=" + *value;
    }
    return out.empty() ? "(libpq defaults)" : out;
}

std::vector<std::string> PgConnInfo::names_to_resolve() const {
    if (!get("hostaddr").value_or("").empty() || environment("PGHOSTADDR")) return {};
    const auto hosts = get("host").or_else([] { return environment("PGHOST"); });
    if (!hosts) return {};
    std::vector<std::string> names;
    for (const std::string& host : split_list(*hosts)) {
        if (is_socket_directory(host) || is_numeric_address(host)) continue;
        if (std::ranges::find(names, host) == names.end()) names.push_back(host);
    }
    return names;
}

std::expected<void, std::string> PgConnInfo::use_addresses(
    const std::map<std::string, std::vector<std::string>>& addresses) {
    const auto hosts_text = get("host").or_else([] { return environment("PGHOST"); });
    if (!hosts_text) return {};
    const std::vector<std::string> hosts = split_list(*hosts_text);
    const auto ports_text = get("port").or_else([] { return environment("PGPORT"); });
    std::vector<std::string> ports =
        ports_text ? split_list(*ports_text) : std::vector<std::string>{};
    const bool port_per_host = ports.size() > 1 && ports.size() == hosts.size();

    std::vector<std::string> new_hosts;
    std::vector<std::string> new_addresses;
    std::vector<std::string> new_ports;
    for (std::size_t i = 0; i < hosts.size(); ++i) {
        const auto add = [&](const std::string& address) {
            new_hosts.push_back(hosts[i]);
            new_addresses.push_back(address);
            if (port_per_host) new_ports.push_back(ports[i]);
        };
        const auto found = addresses.find(hosts[i]);
        if (found == addresses.end()) {
            add("");  // a socket directory or a numeric address: libpq needs no lookup
            continue;
        }
        const std::size_t count = std::min(found->second.size(), kAddressesPerName);
        for (std::size_t k = 0; k < count; ++k) add(found->second[k]);
    }
    if (new_hosts.empty()) return std::unexpected("no address found for " + join_list(hosts));
    set("host", join_list(new_hosts));
    set("hostaddr", join_list(new_addresses));
    if (port_per_host) set("port", join_list(new_ports));
    return {};
}

std::string redact_conninfo(std::string_view conninfo) {
    const auto info = PgConnInfo::parse(conninfo);
    return info ? info->describe() : "(a connection string libpq cannot parse)";
}

std::vector<std::string> conninfo_secrets(std::string_view conninfo) {
    std::vector<std::string> secrets{std::string(conninfo)};
    if (const auto info = PgConnInfo::parse(conninfo)) {
        if (auto password = info->get("password")) secrets.push_back(std::move(*password));
    }
    return secrets;
}

}  // namespace tasksrun
