"""A loopback HTTP server that answers like Discord's webhook API, for end-to-end tests.

The first path segment after /webhooks/ chooses the behaviour (the rest is the token):
  ok            204 (200 + JSON with ?wait=true), with rate-limit headers: 5 per 2 s window per
                webhook, the window opening with its first request and resetting whole, as Discord's
  enforce       like ok, but a request over the limit gets 429 with a float retry_after
  limited-once  the first request gets 429 {"retry_after": 1.5}; then like ok
  global-once   the first request gets a global 429; then like ok
  html-429      429 with an HTML page and Retry-After: 1, as an edge ban would
  flaky         the first two requests get 502 and 503; then like ok
  gone          404 {"message": "Unknown Webhook", "code": 10015}
  slow          answers after 3 s
  huge          200 with a 5 MB chunked body
  down-long     503 with Retry-After: 600, always
  retry-now     500 with Retry-After: 0, always
Any other path (a health ping's, say) is answered 200 "OK" and recorded.
Every request is recorded: method, path, query, headers, body and arrival time.
"""
import email.parser
import email.policy
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

WINDOW_SECONDS = 2.0
LIMIT = 5


class Recorded:
    def __init__(self, method, path, query, headers, raw):
        self.method, self.path, self.query, self.headers, self.raw = method, path, query, headers, raw
        self.body = raw.decode("utf-8", "replace")
        self.time = time.monotonic()

    def json(self):
        """The JSON body: the request's own, or the payload_json part of a multipart one."""
        if self.headers.get("Content-Type", "").startswith("multipart/form-data"):
            return json.loads(self.parts()["payload_json"][1])
        return json.loads(self.body)

    def parts(self):
        """A multipart/form-data body as {name: (filename, bytes)}, parsed by the email package."""
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + self.raw)
        return {part.get_param("name", header="content-disposition"):
                (part.get_filename(), part.get_payload(decode=True)) for part in message.iter_parts()}


class WebhookServer:
    def __init__(self):
        self.requests = []
        self.status_sent = []
        self.lock = threading.Lock()
        self.windows = {}  # webhook id -> (window start, requests in it)
        self.counts = {}   # webhook id -> requests seen
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                server.handle(self)

            do_GET = do_PUT = do_PATCH = do_DELETE = do_POST

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                # A client that hangs up mid-answer (a cancelled or timed-out transfer) is
                # expected here; anything else is reported as usual.
                if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                    super().handle_error(request, client_address)

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def discord_url(self, behaviour, token="T0k3n-" + "s3cr3t" * 6):
        return f"{self.base}/api/webhooks/{behaviour}/{token}"

    def received(self):
        with self.lock:
            return list(self.requests)

    def statuses(self):
        with self.lock:
            return list(self.status_sent)

    # --- behaviour -----------------------------------------------------------------------------

    def rate_limit_headers(self, webhook, now):
        """Discord's buckets: a fixed window that opens with its first request and resets whole."""
        start, count = self.windows.get(webhook, (now, 0))
        if now - start >= WINDOW_SECONDS:
            start, count = now, 0
        self.windows[webhook] = (start, count)
        return {"X-RateLimit-Limit": str(LIMIT), "X-RateLimit-Remaining": str(max(0, LIMIT - count)),
                "X-RateLimit-Reset-After": f"{WINDOW_SECONDS - (now - start):.3f}",
                "X-RateLimit-Bucket": f"bucket-{webhook}"}

    def take(self, webhook, now):
        start, count = self.windows[webhook]
        self.windows[webhook] = (start, count + 1)

    def handle(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        url = urlsplit(handler.path)
        parts = url.path.split("/")
        webhook = parts[parts.index("webhooks") + 1] if "webhooks" in parts else url.path
        with self.lock:
            recorded = Recorded(handler.command, url.path, url.query, dict(handler.headers), raw)
            self.requests.append(recorded)
            self.counts[webhook] = self.counts.get(webhook, 0) + 1
            count = self.counts[webhook]
        behaviour = webhook
        if behaviour == "slow":
            time.sleep(3)
        if behaviour == "gone":
            return self.reply(handler, 404, {"message": "Unknown Webhook", "code": 10015})
        if behaviour == "flaky" and count <= 2:
            return self.reply(handler, 502 if count == 1 else 503, {"message": "upstream trouble"})
        if behaviour == "html-429":
            return self.reply(handler, 429, "<html><body>Access denied</body></html>",
                              {"Retry-After": "1", "Content-Type": "text/html"})
        if behaviour == "limited-once" and count == 1:
            return self.reply(handler, 429, {"message": "You are being rate limited.", "retry_after": 1.5,
                                             "global": False}, {"Retry-After": "2"})
        if behaviour == "global-once" and count == 1:
            return self.reply(handler, 429, {"message": "You are being rate limited.", "retry_after": 0.75,
                                             "global": True}, {"X-RateLimit-Global": "true"})
        if behaviour == "down-long":
            return self.reply(handler, 503, {"message": "maintenance"}, {"Retry-After": "600"})
        if behaviour == "retry-now":
            return self.reply(handler, 500, {"message": "try again"}, {"Retry-After": "0"})
        if "webhooks" not in parts:
            return self.reply(handler, 200, "OK", {"Content-Type": "text/plain"})
        if behaviour == "huge":
            return self.reply_chunked(handler, 200, b"x" * (5 * 1024 * 1024))
        with self.lock:
            now = time.monotonic()
            headers = self.rate_limit_headers(webhook, now)
            if behaviour == "enforce" and headers["X-RateLimit-Remaining"] == "0":
                retry_after = float(headers["X-RateLimit-Reset-After"])
                status = 429
            else:
                self.take(webhook, now)
                headers = self.rate_limit_headers(webhook, now)
                status = 200 if "wait=true" in url.query else 204
        if status == 429:
            return self.reply(handler, 429, {"message": "You are being rate limited.", "retry_after": retry_after,
                                             "global": False}, headers)
        if status == 200:
            return self.reply(handler, 200, {"id": "1", "content": recorded.json().get("content")}, headers)
        return self.reply(handler, 204, None, headers)

    def reply(self, handler, status, payload, headers=None):
        with self.lock:
            self.status_sent.append(status)
        data = b"" if payload is None else (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        handler.send_response(status)
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        if payload is not None and not (headers and "Content-Type" in headers):
            handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def reply_chunked(self, handler, status, data):
        with self.lock:
            self.status_sent.append(status)
        handler.send_response(status)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        for start in range(0, len(data), 65536):
            chunk = data[start:start + 65536]
            handler.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        handler.wfile.write(b"0\r\n\r\n")
