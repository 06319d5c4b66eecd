#include "actions/http_client.hpp"

#include <sys/epoll.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <stdexcept>

namespace tasksrun {

struct HttpClient::Transfer {
    HttpClient* owner = nullptr;
    RequestId id = 0;
    CURL* easy = nullptr;  // not in the multi handle any more when the transfer goes
    curl_slist* headers = nullptr;
    curl_mime* form = nullptr;
    HttpRequest request;
    HttpResponse response;
    Done done;

    ~Transfer() {
        if (easy != nullptr) owner->recycle(easy);
        curl_mime_free(form);  // after the handle that used it is reset
        curl_slist_free_all(headers);
    }
};

namespace {

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
    auto* response = static_cast<HttpResponse*>(user);
    const std::size_t bytes = size * count;
    // Keep reading what exceeds the cap, without storing it, so the connection stays reusable.
    const std::size_t room =
        HttpClient::kMaxBodyBytes - std::min(HttpClient::kMaxBodyBytes, response->body.size());
    response->body.append(data, std::min(bytes, room));
    return bytes;
}

// The headers of the final response (after any 100 Continue or redirect), names in lower case,
// as libcurl itself parsed them; at most kMaxHeaders of them.
HttpHeaders response_headers(CURL* easy) {
    constexpr std::size_t kMaxHeaders = 100;
    HttpHeaders headers;
    curl_header* header = nullptr;
    while ((header = curl_easy_nextheader(easy, CURLH_HEADER, -1, header)) != nullptr &&
           headers.size() < kMaxHeaders) {
        std::string name(header->name);
        std::ranges::transform(name, name.begin(), [](unsigned char c) { return std::tolower(c); });
        headers[name] = header->value;
    }
    return headers;
}

// libcurl's MIME API encodes the form; the data is copied into it, so `request` may go.
curl_mime* multipart_form(CURL* easy, const HttpRequest& request) {
    curl_mime* form = curl_mime_init(easy);
    const auto add = [&](const std::string& name, const std::string& data, const char* type,
                         const char* filename) {
        curl_mimepart* part = curl_mime_addpart(form);
        curl_mime_name(part, name.c_str());
        curl_mime_data(part, data.data(), data.size());
        curl_mime_type(part, type);
        if (filename != nullptr) curl_mime_filename(part, filename);
    };
    if (request.body) add("payload_json", *request.body, "application/json", nullptr);
    for (const HttpFilePart& file : request.files)
        add(file.field, file.data, file.content_type.c_str(), file.filename.c_str());
    return form;
}

void check(CURLMcode code, const char* what) {
    if (code != CURLM_OK)
        throw std::runtime_error(std::string(what) + ": " + curl_multi_strerror(code));
}

}  // namespace

HttpClient::HttpClient(EventLoop& events) : events_(events) {
    static std::once_flag global_init;
    std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    multi_ = curl_multi_init();
    if (multi_ == nullptr) throw std::runtime_error("curl_multi_init failed");
    check(curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &HttpClient::on_socket),
          "CURLMOPT_SOCKETFUNCTION");
    check(curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this), "CURLMOPT_SOCKETDATA");
    check(curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &HttpClient::on_timer),
          "CURLMOPT_TIMERFUNCTION");
    check(curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this), "CURLMOPT_TIMERDATA");
    // Keep idle connections for reuse even when few transfers are in progress: curl's default
    // cache shrinks with the number of transfers, and tasks that fire together every minute
    // would open their connections again each time.
    check(curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, kMaxIdleConnections),
          "CURLMOPT_MAXCONNECTS");
    // A thousand tasks due at once must not open a thousand connections to discord.com (and
    // its edge's patience): beyond this many, requests to a host wait for a free connection.
    check(curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS, kMaxHostConnections),
          "CURLMOPT_MAX_HOST_CONNECTIONS");
}

HttpClient::~HttpClient() {
    for (auto& [id, transfer] : transfers_) curl_multi_remove_handle(multi_, transfer->easy);
    transfers_.clear();
    for (CURL* easy : idle_handles_) curl_easy_cleanup(easy);
    sockets_.clear();
    curl_multi_cleanup(multi_);
}

void HttpClient::recycle(CURL* easy) {
    // An easy handle costs a few KiB of zeroed memory to create; a reset one is as good as new.
    if (idle_handles_.size() >= kMaxIdleHandles) {
        curl_easy_cleanup(easy);
        return;
    }
    curl_easy_reset(easy);
    idle_handles_.push_back(easy);
}

HttpClient::RequestId HttpClient::send(HttpRequest request, Done done) {
    auto transfer = std::make_unique<Transfer>();
    transfer->owner = this;
    transfer->id = next_id_++;
    transfer->request = std::move(request);
    transfer->done = std::move(done);
    CURL* easy = nullptr;
    if (idle_handles_.empty()) {
        easy = curl_easy_init();
        if (easy == nullptr) throw std::runtime_error("curl_easy_init failed");
    } else {
        easy = idle_handles_.back();
        idle_handles_.pop_back();
    }
    transfer->easy = easy;
    const HttpRequest& r = transfer->request;
    for (const std::string& header : r.headers)
        transfer->headers = curl_slist_append(transfer->headers, header.c_str());
    // No "Expect: 100-continue" round trip before small bodies.
    transfer->headers = curl_slist_append(transfer->headers, "Expect:");

    curl_easy_setopt(easy, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(easy, CURLOPT_USERAGENT, "tasksrun/" TASKSRUN_VERSION);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer->headers);
    curl_easy_setopt(
        easy, CURLOPT_TIMEOUT_MS,
        static_cast<long>(std::chrono::ceil<std::chrono::milliseconds>(r.timeout).count()));
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(std::chrono::ceil<std::chrono::milliseconds>(
                                           std::min(r.connect_timeout, r.timeout))
                                           .count()));
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &transfer->response);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer.get());
    if (!r.files.empty()) {
        transfer->form = multipart_form(easy, r);
        curl_easy_setopt(easy, CURLOPT_MIMEPOST, transfer->form);
    } else if (r.method == "GET") {
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    } else {
        if (r.method != "POST") curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, r.method.c_str());
        const std::string& body = r.body ? *r.body : std::string();
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r.body ? r.body->c_str() : "");
    }
    const RequestId id = transfer->id;
    transfers_.emplace(id, std::move(transfer));
    check(curl_multi_add_handle(multi_, easy), "curl_multi_add_handle");
    return id;
}

void HttpClient::cancel(RequestId id) {
    const auto it = transfers_.find(id);
    if (it == transfers_.end()) return;
    curl_multi_remove_handle(multi_, it->second->easy);
    transfers_.erase(it);
}

int HttpClient::on_socket(CURL*, curl_socket_t fd, int what, void* client, void*) {
    auto* self = static_cast<HttpClient*>(client);
    if (what == CURL_POLL_REMOVE) {
        // Released at once, also from inside its own callback: sd-event frees a source only
        // after its dispatch has returned.
        self->sockets_.erase(fd);
        return 0;
    }
    std::uint32_t events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= EPOLLIN;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= EPOLLOUT;
    const auto it = self->sockets_.find(fd);
    if (it != self->sockets_.end()) {
        it->second.set_io_events(events);
    } else {
        self->sockets_.emplace(fd, self->events_.io(fd, events, [self, fd](std::uint32_t revents) {
            int action = 0;
            if (revents & EPOLLIN) action |= CURL_CSELECT_IN;
            if (revents & EPOLLOUT) action |= CURL_CSELECT_OUT;
            if (revents & (EPOLLERR | EPOLLHUP)) action |= CURL_CSELECT_ERR;
            self->act(fd, action);
        }));
    }
    return 0;
}

int HttpClient::on_timer(CURLM*, long timeout_ms, void* client) {
    auto* self = static_cast<HttpClient*>(client);
    self->timer_.reset();
    if (timeout_ms < 0) return 0;
    auto expire = [self] { self->act(CURL_SOCKET_TIMEOUT, 0); };
    // curl asks for "now" with every new transfer: a deferred call does that without a timer,
    // whose deadline would become the loop's earliest and cost a timerfd_settime to arm and
    // another to move back.
    self->timer_ = timeout_ms == 0 ? self->events_.defer(std::move(expire))
                                   : self->events_.elapsed_timer(
                                         std::chrono::milliseconds{timeout_ms}, std::move(expire));
    return 0;
}

void HttpClient::act(curl_socket_t fd, int events) {
    int running = 0;
    curl_multi_socket_action(multi_, fd, events, &running);
    collect_finished();
}

void HttpClient::collect_finished() {
    // Gather first, call back after: a callback may start or cancel other transfers.
    std::vector<std::unique_ptr<Transfer>> finished;
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &queued)) {
        if (message->msg != CURLMSG_DONE) continue;
        Transfer* transfer = nullptr;
        curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &transfer);
        transfer->response.error = message->data.result;
        if (message->data.result != CURLE_OK) {
            transfer->response.error_message = curl_easy_strerror(message->data.result);
        }
        curl_easy_getinfo(message->easy_handle, CURLINFO_RESPONSE_CODE, &transfer->response.status);
        transfer->response.headers = response_headers(message->easy_handle);
        long connects = 0;
        curl_easy_getinfo(message->easy_handle, CURLINFO_NUM_CONNECTS, &connects);
        connections_opened_ += static_cast<std::uint64_t>(connects);
        ++requests_completed_;
        curl_multi_remove_handle(multi_, message->easy_handle);
        const auto it = transfers_.find(transfer->id);
        finished.push_back(std::move(it->second));
        transfers_.erase(it);
    }
    for (auto& transfer : finished) {
        Done done = std::move(transfer->done);
        done(std::move(transfer->response));
    }
}

}  // namespace tasksrun
