#include "cluster/host_resolver.hpp"

#include <arpa/inet.h>
#include <netdb.h>

#include <algorithm>
#include <cstring>

namespace tasksrun {

using namespace std::chrono_literals;

struct HostResolver::Lookup {
    std::vector<std::string> names;  // never resized once requests point into it
    addrinfo hints{};
    std::vector<gaicb> requests;
    std::vector<gaicb*> list;

    explicit Lookup(std::vector<std::string> wanted) : names(std::move(wanted)) {
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        requests.resize(names.size());
        for (std::size_t i = 0; i < names.size(); ++i) {
            requests[i] = gaicb{};
            requests[i].ar_name = names[i].c_str();
            requests[i].ar_request = &hints;
            list.push_back(&requests[i]);
        }
    }
    Lookup(const Lookup&) = delete;
    Lookup& operator=(const Lookup&) = delete;

    ~Lookup() {
        for (gaicb& request : requests) {
            if (request.ar_result != nullptr) freeaddrinfo(request.ar_result);
        }
    }

    bool finished() {
        return std::ranges::none_of(requests,
                                    [](gaicb& r) { return gai_error(&r) == EAI_INPROGRESS; });
    }
};

namespace {

// Lookups abandoned while glibc still works on them: their memory must live until it is done.
// Swept whenever a resolver polls or starts; only ever touched from the event loop's thread.
// Never destroyed, not even at exit, when glibc's threads may still write into them.
std::vector<std::unique_ptr<HostResolver::Lookup>>& abandoned_lookups() {
    static auto* lookups = new std::vector<std::unique_ptr<HostResolver::Lookup>>;
    return *lookups;
}

void sweep_abandoned() {
    std::erase_if(abandoned_lookups(), [](const auto& lookup) { return lookup->finished(); });
}

void abandon(std::unique_ptr<HostResolver::Lookup> lookup) {
    for (gaicb& request : lookup->requests) gai_cancel(&request);
    if (!lookup->finished()) abandoned_lookups().push_back(std::move(lookup));
}

std::string numeric_address(const addrinfo& entry) {
    char text[INET6_ADDRSTRLEN] = {};
    if (entry.ai_family == AF_INET) {
        const auto* address = reinterpret_cast<const sockaddr_in*>(entry.ai_addr);
        inet_ntop(AF_INET, &address->sin_addr, text, sizeof text);
    } else if (entry.ai_family == AF_INET6) {
        const auto* address = reinterpret_cast<const sockaddr_in6*>(entry.ai_addr);
        inet_ntop(AF_INET6, &address->sin6_addr, text, sizeof text);
    }
    return text;
}

std::expected<std::vector<std::string>, std::string> answer_of(gaicb& request) {
    const int error = gai_error(&request);
    if (error != 0) {
        return std::unexpected(std::string("could not resolve \"") + request.ar_name +
                               "\": " + gai_strerror(error));
    }
    std::vector<std::string> addresses;
    for (const addrinfo* entry = request.ar_result; entry != nullptr; entry = entry->ai_next) {
        std::string address = numeric_address(*entry);
        if (!address.empty() && std::ranges::find(addresses, address) == addresses.end())
            addresses.push_back(std::move(address));
    }
    if (addresses.empty())
        return std::unexpected(std::string("no address for \"") + request.ar_name + "\"");
    return addresses;
}

}  // namespace

HostResolver::HostResolver(EventLoop& events) : events_(events) {}

HostResolver::~HostResolver() {
    cancel();
}

void HostResolver::cancel() {
    timer_.reset();
    done_ = nullptr;
    if (lookup_) abandon(std::move(lookup_));
}

void HostResolver::resolve(std::vector<std::string> names, Done done) {
    cancel();
    sweep_abandoned();
    lookup_ = std::make_unique<Lookup>(std::move(names));
    done_ = std::move(done);
    const int started = getaddrinfo_a(GAI_NOWAIT, lookup_->list.data(),
                                      static_cast<int>(lookup_->list.size()), nullptr);
    if (started != 0) {
        // Nothing was queued (EAI_AGAIN, EAI_MEMORY): every name fails with that reason.
        Answers answers;
        for (const std::string& name : lookup_->names)
            answers[name] =
                std::unexpected("could not resolve \"" + name + "\": " + gai_strerror(started));
        lookup_.reset();
        timer_ = events_.defer([this, answers = std::move(answers)]() mutable {
            timer_.reset();
            Done finished = std::move(done_);
            finished(std::move(answers));
        });
        return;
    }
    // Most lookups end within milliseconds (/etc/hosts, a cache): look early, then less often.
    poll_interval_ = 1ms;
    timer_ = events_.elapsed_timer(poll_interval_, [this] { poll(); });
}

void HostResolver::poll() {
    sweep_abandoned();
    if (!lookup_->finished()) {
        poll_interval_ = std::min<Duration>(poll_interval_ * 2, 50ms);
        timer_ = events_.elapsed_timer(poll_interval_, [this] { poll(); });
        return;
    }
    Answers answers;
    for (gaicb& request : lookup_->requests) answers[request.ar_name] = answer_of(request);
    lookup_.reset();
    timer_.reset();
    Done finished = std::move(done_);
    finished(std::move(answers));
}

}  // namespace tasksrun
