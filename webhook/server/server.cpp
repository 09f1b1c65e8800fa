// The HTTPS admission server. HTTP only: routing, limits, content type, a catch-all for errors;
// decisions come from Engine. One TLS port serves everything (see README "Webhook server").
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/policy.hpp"
#include "connection_table.hpp"
#include "decision_log.hpp"
#include "event_loop.hpp"
#include "http_framing.hpp"
#include "log_sink.hpp"
#include "tls_internal.hpp"

namespace gopreflight::webhook::server {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

/// Each worker thread keeps the buffer of the last request body it read (up to 64 KiB) for its
/// next request: no malloc of a multi-KiB block per review. For glibc that also means no
/// malloc_consolidate of the fastbins the engine's small frees fill, which a large malloc
/// triggers (5-7% of the server's CPU in the benchmark's profile). Measured: +4-9% reviews/s in
/// three paired runs (README "Webhook server", Benchmark).
thread_local std::string spare_body;
constexpr std::size_t kSpareBodyMax = 64 * 1024;

/// Called once the response is written: the body's buffer becomes the thread's spare.
void recycle_body(std::string& body) {
  if (body.capacity() > kSpareBodyMax || body.capacity() <= spare_body.capacity()) return;
  body.clear();
  spare_body.swap(body);
}

/// SSLServer with access to the listening socket (to raise httplib's listen backlog of 5) whose
/// accepted sockets go to the event loops (event_loop.hpp) instead of a thread each. httplib
/// parses, routes and answers, from the loop's buffer, every request the direct path
/// (direct_review) does not take.
class TlsServer final : public httplib::SSLServer {
 public:
  explicit TlsServer(const std::function<bool(SSL_CTX&)>& setup) : httplib::SSLServer(setup) {}
  int listening_fd() const { return svr_sock_; }

  /// Starts the loops; call before listen_after_bind.
  /// `direct` may answer a request itself (true) before httplib is asked.
  void start_loops(const LoopOptions& opts, ConnectionTable& conns, LoopGauges gauges,
                   std::function<bool(BufferStream&, bool&)> direct) {
    loops_ = std::make_unique<EventLoops>(
        opts, ssl_context(), conns,
        [this, direct = std::move(direct)](BufferStream& strm, SSL* ssl, bool& close) {
          if (direct && direct(strm, close)) return true;
          bool closed = false;
          const auto setup = [ssl, this](httplib::Request& req) {
            req.ssl = ssl;
            reserve_body(req);
          };
          const bool ok = process_request(strm, close, closed, setup);
          close = close || closed;
          return ok;
        },
        gauges);
    new_task_queue = [this] { return new LoopQueue(*loops_); };
  }

 private:
  /// httplib's accept loop hands each socket to enqueue(), which runs the job (adopt) at once;
  /// shutdown() returns when the loops have ended every connection.
  class LoopQueue final : public httplib::TaskQueue {
   public:
    explicit LoopQueue(EventLoops& loops) : loops_(loops) {}
    void enqueue(std::function<void()> fn) override { fn(); }
    void shutdown() override { loops_.stop_and_wait(); }

   private:
    EventLoops& loops_;
  };

  bool process_and_close_socket(int sock) override {
    loops_->adopt(sock);
    return true;
  }

  /// The thread's spare buffer, or one allocation of the announced size, instead of a string
  /// doubling its way up. Capped: a client announcing 3 MiB and sending nothing must not make
  /// us hold 3 MiB.
  void reserve_body(httplib::Request& req) const {
    if (req.body.empty()) req.body.swap(spare_body);
    const auto it = req.headers.find("Content-Length");
    if (it == req.headers.end()) return;
    std::size_t n = 0;
    const auto& v = it->second;
    const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || n > payload_max_length_) return;
    req.body.reserve(std::min<std::size_t>(n, 256 * 1024));
  }

  std::unique_ptr<EventLoops> loops_;
};

struct State {
  ServeOptions opts;
  std::atomic<std::shared_ptr<const Engine>> engine;
  CertStore certs;
  Metrics metrics;
  std::atomic<bool> draining{false};
  std::shared_ptr<spdlog::logger> log;
  /// Open connections, idle or inside a request: shutdown closes only the idle ones.
  ConnectionTable conns;
};

/// One JSON line: {"ts":..,"level":..,"msg":..,<fields>}; ts and level come from the pattern.
void log_event(spdlog::logger& log, spdlog::level::level_enum lvl, std::string_view msg,
               const json& fields = json::object()) {
  if (!log.should_log(lvl)) return;
  std::string line = "\"msg\":" + json(msg).dump();
  if (fields.is_object() && !fields.empty()) {
    const std::string f = fields.dump(-1, ' ', false, json::error_handler_t::replace);
    line += ",";
    line.append(f, 1, f.size() - 2);
  }
  log.log(lvl, spdlog::string_view_t(line.data(), line.size()));
}

std::shared_ptr<spdlog::logger> make_logger(const std::string& level, std::string& error) {
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") {
    error = "--log-level " + level + ": expected trace, debug, info, warn, error, critical or off";
    return nullptr;
  }
  auto logger = std::make_shared<spdlog::logger>("gopreflight-webhook", std::make_shared<BatchedStdoutSink>());
  logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})", spdlog::pattern_time_type::utc);
  logger->set_level(lvl);
  // Decisions are written at least every second, in batches (see log_sink.hpp); warnings and
  // errors at once.
  logger->flush_on(spdlog::level::warn);
  spdlog::drop(logger->name());
  spdlog::register_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
  return logger;
}

/// "application/json" with optional parameters (charset), case-insensitive.
bool is_json_content_type(const std::string& ct) {
  std::string media = ct.substr(0, ct.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.pop_back();
  std::size_t b = media.find_first_not_of(" \t");
  if (b == std::string::npos) return false;
  media = media.substr(b);
  for (auto& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return media == "application/json";
}

bool has_body(const httplib::Request& req) {
  return req.get_header_value("Transfer-Encoding") != "" ||
         (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0");
}

std::string error_body(const std::string& message) { return json{{"error", message}}.dump() + "\n"; }

void set_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(error_body(message), "application/json");
}

bool ready_now(const State& st, std::string& why) {
  if (st.draining.load()) {
    why = "shutting down";
    return false;
  }
  if (!st.engine.load()) {
    why = "no policy loaded";
    return false;
  }
  auto cert = st.certs.current();
  const std::time_t now = std::time(nullptr);
  if (!cert) {
    why = "no certificate loaded";
    return false;
  }
  if (cert->info().not_after <= now || cert->info().not_before > now) {
    why = "certificate " + cert->info().subject + " is outside its validity period";
    return false;
  }
  return true;
}

/// What a review endpoint answers, whether httplib or the direct path (below) carries it.
struct ReviewReply {
  int status = 200;
  std::string body;    ///< JSON
  bool close = false;  ///< shutting down: Connection: close
};

ReviewReply run_review(State& st, bool mutate, std::string_view body, const std::string& remote) {
  const auto t0 = Clock::now();
  ++st.metrics.in_flight();
  struct Done {
    std::atomic<long long>& n;
    ~Done() { --n; }
  } done{st.metrics.in_flight()};
  ReviewReply reply;
  reply.close = st.draining.load();
  const auto engine = st.engine.load();
  if (!engine) {
    reply.status = 503;
    reply.body = error_body("no policy loaded");
    return reply;
  }
  ReviewOutcome out = mutate ? engine->mutate(body) : engine->validate(body);
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  reply.status = out.http_status;
  reply.body = out.http_status == 200 ? std::move(out.body) : error_body(out.error.empty() ? out.body : out.error);
  std::string_view decision;
  if (out.http_status != 200) decision = "error";
  else if (mutate) decision = out.rules_hit.empty() ? "unchanged" : "patched";
  else decision = out.allowed ? "allowed" : "denied";
  const std::string_view endpoint = mutate ? "mutate" : "validate";
  st.metrics.observe_review(endpoint, out.operation, out.kind, decision, out.rules_hit, secs);
  const auto lvl = out.http_status == 200 ? spdlog::level::info : spdlog::level::warn;
  if (st.log->should_log(lvl)) {
    DecisionFields f;
    f.endpoint = endpoint;
    f.uid = out.uid;
    f.kind = out.kind;
    f.ns = out.ns;
    f.name = out.name;
    f.user = out.user;
    f.operation = out.operation;
    f.decision = decision;
    f.remote = remote;
    f.error = out.error;
    f.rules = &out.rules_hit;
    f.latency_ms = secs * 1000.0;
    const std::string line =
        decision_line(out.http_status == 200 ? "admission review" : "admission review rejected", f);
    st.log->log(lvl, spdlog::string_view_t(line.data(), line.size()));
  }
  return reply;
}

void handle_review(State& st, bool mutate, const httplib::Request& req, httplib::Response& res) {
  ReviewReply r = run_review(st, mutate, req.body, req.remote_addr);
  res.status = r.status;
  res.set_content(std::move(r.body), "application/json");
  if (r.close) res.set_header("Connection", "close");
}

const char* status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

/// The direct path for reviews: a request plain enough (parse_simple_post) for POST /validate or
/// /mutate with a JSON content type is answered here, without httplib's header map, route
/// regexes and response builder (13% of the server's CPU per review in the benchmark's
/// profile). The answer has the same status line, headers and body httplib would write; every
/// other request (other paths and methods, 415s, chunked bodies, Expect, HTTP/1.0, odd header
/// syntax) goes to httplib. False: not handled here.
bool direct_review(State& st, BufferStream& strm, bool& close) {
  const auto req = parse_simple_post(strm.request());
  if (!req) return false;
  const bool mutate = req->path == "/mutate";
  if ((!mutate && req->path != "/validate") || !is_json_content_type(std::string(req->content_type))) return false;
  ReviewReply r;
  try {
    r = run_review(st, mutate, req->body, strm.peer().remote_ip);
  } catch (const std::exception& e) {
    r.status = 500;
    r.body = error_body("internal error while serving " + std::string(req->path));
    log_event(*st.log, spdlog::level::err, "internal error", {{"path", req->path}, {"error", e.what()}});
  }
  close = close || req->close || r.close;
  std::string head;
  head.reserve(160);
  head.append("HTTP/1.1 ").append(std::to_string(r.status)).append(" ").append(status_text(r.status)).append("\r\n");
  if (close) head.append("Connection: close\r\n");
  head.append("Content-Length: ").append(std::to_string(r.body.size())).append("\r\n");
  head.append("Content-Type: application/json\r\n");
  if (!close) {
    head.append("Keep-Alive: timeout=").append(std::to_string(st.opts.keep_alive_timeout_s)).append(", max=1000000\r\n");
  }
  head.append("\r\n");
  strm.write(head.data(), head.size());
  strm.write(r.body.data(), r.body.size());
  strm.consume_all();
  st.metrics.observe_http(r.status);
  return true;
}

/// Method, path and content type are checked before httplib reads the body.
httplib::Server::HandlerResponse pre_route(State& st, const httplib::Request& req, httplib::Response& res) {
  struct Route {
    const char* path;
    const char* method;
  };
  static constexpr Route routes[] = {{"/validate", "POST"}, {"/mutate", "POST"}, {"/healthz", "GET"},
                                     {"/readyz", "GET"},    {"/metrics", "GET"}};
  const Route* route = nullptr;
  for (const auto& r : routes) {
    if (req.path == r.path) route = &r;
  }
  auto reject = [&](int status, const std::string& msg) {
    set_error(res, status, msg);
    if (has_body(req) || st.draining.load()) res.set_header("Connection", "close");
    return httplib::Server::HandlerResponse::Handled;
  };
  if (!route) return reject(404, "no such path: " + req.path + " (POST /validate, POST /mutate, GET /healthz, /readyz, /metrics)");
  const std::string want = route->method;
  const bool ok_method = req.method == want || (want == "GET" && req.method == "HEAD");
  if (!ok_method) {
    res.set_header("Allow", want == "GET" ? "GET, HEAD" : want);
    return reject(405, "method " + req.method + " not allowed on " + req.path + ": use " + want);
  }
  if (want == "POST" && !is_json_content_type(req.get_header_value("Content-Type"))) {
    return reject(415, "Content-Type \"" + req.get_header_value("Content-Type") +
                           "\" not supported on " + req.path + ": send application/json");
  }
  return httplib::Server::HandlerResponse::Unhandled;
}

void install_routes(TlsServer& svr, State& st) {
  svr.set_pre_routing_handler([&st](const httplib::Request& req, httplib::Response& res) {
    return pre_route(st, req, res);
  });
  svr.Post("/validate", [&st](const httplib::Request& req, httplib::Response& res) {
    handle_review(st, false, req, res);
  });
  svr.Post("/mutate", [&st](const httplib::Request& req, httplib::Response& res) {
    handle_review(st, true, req, res);
  });
  svr.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  svr.Get("/readyz", [&st](const httplib::Request&, httplib::Response& res) {
    std::string why;
    if (ready_now(st, why)) {
      res.set_content("ok\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content("not ready: " + why + "\n", "text/plain");
    }
  });
  svr.Get("/metrics", [&st](const httplib::Request&, httplib::Response& res) {
    std::string why;
    st.metrics.set_ready(ready_now(st, why));
    res.set_content(st.metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  svr.set_error_handler(httplib::Server::HandlerWithResponse([&st](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    if (res.status == 413) {
      set_error(res, 413, "request body larger than " + std::to_string(st.opts.max_body_bytes) + " bytes");
    } else {
      set_error(res, res.status, "request rejected (" + std::to_string(res.status) + ") on " + req.path);
    }
    res.set_header("Connection", "close");
    return httplib::Server::HandlerResponse::Handled;
  }));
  svr.set_exception_handler([&st](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    set_error(res, 500, "internal error while serving " + req.path);
    log_event(*st.log, spdlog::level::err, "internal error", {{"path", req.path}, {"error", what}});
  });
  svr.set_logger([&st](const httplib::Request& req, const httplib::Response& res) {
    st.metrics.observe_http(res.status);
    // The logger runs after the response is written and the body is not read again; the
    // Request object itself is not const (httplib passes its own local by const reference).
    recycle_body(const_cast<httplib::Request&>(req).body);
  });
}

/// Re-reads certificates and policy when their files change; a broken new version is logged,
/// counted and ignored, keeping the last good one.
class Reloader {
 public:
  explicit Reloader(State& st) : st_(st) {
    cert_seen_ = {fingerprint(st.opts.cert_file), fingerprint(st.opts.key_file)};
    if (st.opts.policy_file) policy_seen_ = fingerprint(*st.opts.policy_file);
    if (st.opts.client_ca_file) ca_seen_ = fingerprint(*st.opts.client_ca_file);
  }
  void check() {
    const std::pair<FileFingerprint, FileFingerprint> now = {fingerprint(st_.opts.cert_file),
                                                             fingerprint(st_.opts.key_file)};
    if (now != cert_seen_) {
      cert_seen_ = now;
      std::string err;
      auto pair = load_cert_pair(st_.opts.cert_file, st_.opts.key_file, std::time(nullptr), err);
      if (pair) {
        st_.certs.set(pair);
        st_.metrics.certificate_reload(true);
        st_.metrics.set_certificate(pair->info());
        log_event(*st_.log, spdlog::level::info, "certificate reloaded",
                  {{"subject", pair->info().subject}, {"not_after", pair->info().not_after}});
      } else {
        st_.metrics.certificate_reload(false);
        log_event(*st_.log, spdlog::level::err, "certificate reload failed; keeping the previous one",
                  {{"error", err}});
      }
    }
    if (st_.opts.client_ca_file) {
      const FileFingerprint c = fingerprint(*st_.opts.client_ca_file);
      if (c != ca_seen_) {
        ca_seen_ = c;
        std::string err;
        if (auto ca = load_client_ca(*st_.opts.client_ca_file, err)) {
          st_.certs.set_client_ca(std::move(ca));
          st_.metrics.certificate_reload(true);
          log_event(*st_.log, spdlog::level::info, "client CA reloaded", {{"client_ca", *st_.opts.client_ca_file}});
        } else {
          st_.metrics.certificate_reload(false);
          log_event(*st_.log, spdlog::level::err, "client CA reload failed; keeping the previous one",
                    {{"error", err}});
        }
      }
    }
    if (st_.opts.policy_file) {
      const FileFingerprint p = fingerprint(*st_.opts.policy_file);
      if (p != policy_seen_) {
        policy_seen_ = p;
        std::string err;
        auto engine = Engine::load(st_.opts.policy_file, err);
        if (engine) {
          st_.engine.store(engine);
          st_.metrics.policy_reload(true);
          log_event(*st_.log, spdlog::level::info, "policy reloaded", {{"policy", *st_.opts.policy_file}});
        } else {
          st_.metrics.policy_reload(false);
          log_event(*st_.log, spdlog::level::err, "policy reload failed; keeping the previous policy",
                    {{"policy", *st_.opts.policy_file}, {"error", err}});
        }
      }
    }
    std::string why;
    st_.metrics.set_ready(ready_now(st_, why));
  }

 private:
  State& st_;
  std::pair<FileFingerprint, FileFingerprint> cert_seen_;
  FileFingerprint policy_seen_;
  FileFingerprint ca_seen_;
};

int bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t sl = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &sl) != 0) return -1;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return -1;
}

}  // namespace

int run_serve(const ServeOptions& in) {
  State st;
  st.opts = in;
  std::string err;
  st.log = make_logger(in.log_level, err);
  if (!st.log) {
    std::cerr << "gopreflight-webhook serve: " << err << "\n";
    return 2;
  }
  auto& log = *st.log;
  auto listen = parse_listen(in.listen, err);
  if (!listen) {
    log_event(log, spdlog::level::err, "bad flags", {{"error", err}});
    return 2;
  }
  if (in.dev_self_signed) {
    if (!in.cert_file.empty() || !in.key_file.empty()) {
      log_event(log, spdlog::level::err, "bad flags",
                {{"error", "--dev-self-signed makes its own certificate: drop --tls-cert-file/--tls-private-key-file"}});
      return 2;
    }
    char tmpl[] = "/tmp/gopreflight-dev-XXXXXX";
    const char* dir = ::mkdtemp(tmpl);
    auto dev = dir ? make_dev_certificates(dir, {"localhost", "gopreflight-webhook.gopreflight.svc"},
                                           {"127.0.0.1"}, err)
                   : std::nullopt;
    if (!dev) {
      log_event(log, spdlog::level::err, "dev certificates failed", {{"error", dir ? err : "mkdtemp failed"}});
      return 2;
    }
    st.opts.cert_file = dev->cert_file;
    st.opts.key_file = dev->key_file;
    std::cout << "gopreflight-webhook: --dev-self-signed: throwaway CA and serving certificate (7 days)\n"
              << "  for DNS:localhost, DNS:gopreflight-webhook.gopreflight.svc, IP:127.0.0.1\n"
              << "  CA:          " << dev->ca_file << "\n"
              << "  certificate: " << dev->cert_file << "\n"
              << "  key:         " << dev->key_file << "\n"
              << "  caBundle:    " << dev->ca_bundle_base64 << "\n"
              << "  try: curl --cacert " << dev->ca_file << " https://127.0.0.1:" << listen->port << "/readyz\n"
              << std::flush;
  } else if (st.opts.cert_file.empty() || st.opts.key_file.empty()) {
    log_event(log, spdlog::level::err, "bad flags",
              {{"error", "--tls-cert-file and --tls-private-key-file are required (or --dev-self-signed)"}});
    return 2;
  }
  if (in.max_connections < 1 || in.worker_threads < 0 || in.worker_threads > 1024 || in.keep_alive_timeout_s < 1 ||
      in.read_timeout_s < 1 || in.write_timeout_s < 1 || in.keep_alive_timeout_s > 86400 ||
      in.read_timeout_s > 86400 || in.write_timeout_s > 86400 || in.reload_interval_ms < 10 ||
      in.shutdown_grace_s < 1 || in.shutdown_delay_s < 0) {
    log_event(log, spdlog::level::err, "bad flags",
              {{"error", "numeric flags must be positive (timeouts at most 86400 s, --worker-threads 0..1024 "
                         "with 0 = 8 per CPU, --reload-interval-ms >= 10)"}});
    return 2;
  }

  auto engine = Engine::load(in.policy_file, err);
  if (!engine) {
    log_event(log, spdlog::level::err, "cannot load policy", {{"error", err}});
    return 2;
  }
  st.engine.store(engine);
  auto pair = load_cert_pair(st.opts.cert_file, st.opts.key_file, std::time(nullptr), err);
  if (!pair) {
    log_event(log, spdlog::level::err, "cannot load certificate", {{"error", err}});
    return 2;
  }
  st.certs.set(pair);
  st.metrics.set_certificate(pair->info());

  // Signals are taken synchronously by the main thread; every thread started below inherits the mask.
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  std::string tls_error;
  TlsServer svr([&](SSL_CTX& ctx) { return configure_ssl_ctx(ctx, st.certs, in.client_ca_file, tls_error); });
  if (!svr.is_valid()) {
    log_event(log, spdlog::level::err, "cannot set up TLS", {{"error", tls_error}});
    return 2;
  }
  LoopOptions lo;
  lo.threads = in.worker_threads > 0 ? in.worker_threads : default_loop_threads();
  lo.max_connections = static_cast<std::size_t>(in.max_connections);
  lo.read_timeout_ms = in.read_timeout_s * 1000;
  lo.write_timeout_ms = in.write_timeout_s * 1000;
  lo.idle_timeout_ms = in.keep_alive_timeout_s * 1000;
  lo.max_body_bytes = in.max_body_bytes;
  try {
    svr.start_loops(lo, st.conns, {st.metrics.connections_active(), st.metrics.connections_queued()},
                    [&st](BufferStream& strm, bool& close) { return direct_review(st, strm, close); });
  } catch (const std::exception& e) {
    log_event(log, spdlog::level::err, "cannot start", {{"error", e.what()}});
    return 2;
  }
  svr.set_tcp_nodelay(true);  // accepted sockets inherit it from the listening socket on Linux
  svr.set_keep_alive_max_count(1000000);  // only the Keep-Alive header's max: the loops set no limit
  svr.set_keep_alive_timeout(in.keep_alive_timeout_s);
  svr.set_read_timeout(in.read_timeout_s, 0);
  svr.set_write_timeout(in.write_timeout_s, 0);
  svr.set_payload_max_length(in.max_body_bytes);
  install_routes(svr, st);

  if (!svr.bind_to_port(listen->host, listen->port)) {
    log_event(log, spdlog::level::err, "cannot listen", {{"listen", in.listen}, {"error", std::strerror(errno)}});
    return 2;
  }
  const int lfd = svr.listening_fd();
  ::listen(lfd, SOMAXCONN);  // httplib listens with a backlog of 5; a second listen() raises it
  const int port = bound_port(lfd);
  log_event(log, spdlog::level::info, "serving",
            {{"listen", listen->host + ":" + std::to_string(port)},
             {"policy", in.policy_file.value_or("built-in")},
             {"certificate", pair->info().subject},
             {"not_after", pair->info().not_after},
             {"client_ca", in.client_ca_file.value_or("")},
             {"max_connections", in.max_connections},
             {"worker_threads", lo.threads}});
  log.flush();  // scripts and people wait for this line

  std::atomic<bool> server_done{false};
  std::thread server_thread([&] {
    svr.listen_after_bind();
    server_done = true;
  });

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;
  std::thread reload_thread([&] {
    Reloader reloader(st);
    std::unique_lock lock(stop_mu);
    while (!stopping) {
      stop_cv.wait_for(lock, std::chrono::milliseconds(in.reload_interval_ms));
      if (stopping) break;
      lock.unlock();
      try {
        reloader.check();
      } catch (const std::exception& e) {
        log_event(*st.log, spdlog::level::err, "reload check failed", {{"error", e.what()}});
      }
      lock.lock();
    }
  });

  int sig = 0;
  while (sig == 0) {
    timespec ts{1, 0};
    const int r = sigtimedwait(&sigs, nullptr, &ts);
    if (r > 0) sig = r;
    if (server_done) break;
  }
  const bool unexpected = sig == 0;
  log_event(log, unexpected ? spdlog::level::err : spdlog::level::info,
            unexpected ? "listener stopped unexpectedly" : "shutting down",
            {{"signal", unexpected ? "none" : strsignal(sig)},
                                                         {"in_flight", st.metrics.in_flight().load()},
                                                         {"grace_period_s", in.shutdown_grace_s}});
  st.draining.store(true);
  if (in.shutdown_delay_s > 0) std::this_thread::sleep_for(std::chrono::seconds(in.shutdown_delay_s));
  const auto deadline = Clock::now() + std::chrono::seconds(in.shutdown_grace_s);
  svr.stop();

  while (!server_done && Clock::now() < deadline) {
    // Idle keep-alive connections are half-closed so their workers return; connections inside
    // a request (its body may still be arriving) finish it first, with Connection: close.
    st.conns.close_idle();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  {
    std::lock_guard lock(stop_mu);
    stopping = true;
  }
  stop_cv.notify_all();
  reload_thread.join();
  if (!server_done) {
    log_event(log, spdlog::level::err, "grace period exceeded; exiting with requests still open",
              {{"in_flight", st.metrics.in_flight().load()}});
    log.flush();
    std::_Exit(1);
  }
  server_thread.join();
  log_event(log, spdlog::level::info, "stopped", {{"reviews_in_flight", st.metrics.in_flight().load()}});
  log.flush();
  spdlog::shutdown();  // stops the periodic flusher
  return unexpected ? 1 : 0;
}

}  // namespace gopreflight::webhook::server
