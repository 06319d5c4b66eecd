#pragma once
// HTTP for the whole process: one libcurl multi handle driven by the event loop through curl's
// socket API, so connections are reused across tasks and no thread waits on the network.
// TLS is always verified, redirects are not followed, response bodies are capped, and proxies
// come from the environment as curl reads them (https_proxy, no_proxy, ...).
#include <curl/curl.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "event/event_loop.hpp"

namespace tasksrun {

// A file sent as one part of a multipart/form-data body.
struct HttpFilePart {
    std::string field;     // "files[0]"
    std::string filename;  // "output.txt"
    std::string content_type;
    std::string data;
};

using HttpHeaders = std::map<std::string, std::string>;  // names in lower case

struct HttpRequest {
    std::string method = "POST";
    std::string url;
    std::vector<std::string> headers;  // "Name: value"
    std::optional<std::string> body;
    // With files, the request is multipart/form-data: `body` goes as the part "payload_json"
    // (Discord's form), then each file.
    std::vector<HttpFilePart> files;
    Duration timeout = std::chrono::seconds{30};
    Duration connect_timeout = std::chrono::seconds{10};
};

struct HttpResponse {
    long status = 0;  // 0 when no HTTP answer arrived
    HttpHeaders headers;
    std::string body;  // at most kMaxBodyBytes
    CURLcode error = CURLE_OK;
    std::string error_message;  // curl's, when error != CURLE_OK
};

class HttpClient {
  public:
    using Done = std::function<void(HttpResponse)>;
    using RequestId = std::uint64_t;
    static constexpr std::size_t kMaxBodyBytes = 64 * 1024;
    static constexpr long kMaxIdleConnections = 1024;
    static constexpr long kMaxHostConnections = 32;

    // Throws std::runtime_error if libcurl cannot be set up.
    explicit HttpClient(EventLoop& events);
    ~HttpClient();
    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    // Starts a request. `done` is called exactly once, later, from the event loop, unless the
    // request is cancelled first.
    RequestId send(HttpRequest request, Done done);
    // Drops a transfer in progress; its `done` is not called.
    void cancel(RequestId id);

    std::uint64_t requests_completed() const { return requests_completed_; }
    std::uint64_t connections_opened() const { return connections_opened_; }

  private:
    struct Transfer;

    static int on_socket(CURL* easy, curl_socket_t fd, int what, void* client, void* socket_data);
    static int on_timer(CURLM* multi, long timeout_ms, void* client);
    void act(curl_socket_t fd, int events);
    void collect_finished();
    void recycle(CURL* easy);

    EventLoop& events_;
    CURLM* multi_;
    std::map<curl_socket_t, EventSource> sockets_;
    EventSource timer_;
    std::map<RequestId, std::unique_ptr<Transfer>> transfers_;
    static constexpr std::size_t kMaxIdleHandles = 64;
    std::vector<CURL*> idle_handles_;
    RequestId next_id_ = 1;
    std::uint64_t requests_completed_ = 0;
    std::uint64_t connections_opened_ = 0;
};

}  // namespace tasksrun
