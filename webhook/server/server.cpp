// The HTTPS admission server. HTTP only: routing, limits, content type, a catch-all for errors;
// decisions come from Engine. One TLS port serves everything (see README "Webhook server").
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <httplib.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <iostream>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/policy.hpp"
#include "tls_internal.hpp"

namespace gopreflight::webhook::server {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

/// SSLServer with access to the listening socket, to raise httplib's listen backlog of 5.
class TlsServer final : public httplib::SSLServer {
 public:
  explicit TlsServer(const std::function<bool(SSL_CTX&)>& setup) : httplib::SSLServer(setup) {}
  int listening_fd() const { return svr_sock_; }
};

/// Fixed pool of worker threads; httplib gives each accepted connection to one worker for its
/// whole keep-alive life, so the size bounds concurrent connections. Counts feed /metrics.
class Pool final : public httplib::TaskQueue {
 public:
  Pool(std::size_t n, std::atomic<long long>& active, std::atomic<long long>& queued)
      : active_(active), queued_(queued) {
    for (std::size_t i = 0; i < n; ++i) threads_.emplace_back([this] { work(); });
  }
  ~Pool() override = default;
  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back(std::move(fn));
      ++queued_;
    }
    cv_.notify_one();
  }
  void shutdown() override {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        fn = std::move(jobs_.front());
        jobs_.pop_front();
        --queued_;
      }
      ++active_;
      fn();
      --active_;
    }
  }
  std::atomic<long long>& active_;
  std::atomic<long long>& queued_;
  std::vector<std::thread> threads_;
  std::deque<std::function<void()>> jobs_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

struct State {
  ServeOptions opts;
  std::atomic<std::shared_ptr<const Engine>> engine;
  CertStore certs;
  Metrics metrics;
  std::atomic<bool> draining{false};
  std::shared_ptr<spdlog::logger> log;
  /// Connections (peer address, port) between a request's headers and its response: the
  /// shutdown path must not close them while their body is still arriving.
  std::mutex busy_mu;
  std::multiset<std::pair<std::string, int>> busy;
};

void mark_busy(State& st, const httplib::Request& req) {
  std::lock_guard lock(st.busy_mu);
  st.busy.emplace(req.remote_addr, req.remote_port);
}

void mark_done(State& st, const httplib::Request& req) {
  std::lock_guard lock(st.busy_mu);
  auto it = st.busy.find({req.remote_addr, req.remote_port});
  if (it != st.busy.end()) st.busy.erase(it);
}

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
  auto logger = std::make_shared<spdlog::logger>("gopreflight-webhook",
                                                 std::make_shared<spdlog::sinks::stdout_sink_mt>());
  logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})", spdlog::pattern_time_type::utc);
  logger->set_level(lvl);
  // Decisions are flushed at least every second (one write per line would cost more than TLS);
  // warnings and errors at once.
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

void set_error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(json{{"error", message}}.dump() + "\n", "application/json");
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

void handle_review(State& st, bool mutate, const httplib::Request& req, httplib::Response& res) {
  const auto t0 = Clock::now();
  ++st.metrics.in_flight();
  struct Done {
    std::atomic<long long>& n;
    ~Done() { --n; }
  } done{st.metrics.in_flight()};
  const auto engine = st.engine.load();
  if (!engine) {
    set_error(res, 503, "no policy loaded");
    return;
  }
  ReviewOutcome out = mutate ? engine->mutate(req.body) : engine->validate(req.body);
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  res.status = out.http_status;
  if (out.http_status == 200) {
    res.set_content(std::move(out.body), "application/json");
  } else {
    set_error(res, out.http_status, out.error.empty() ? out.body : out.error);
  }
  if (st.draining.load()) res.set_header("Connection", "close");
  std::string decision;
  if (out.http_status != 200) decision = "error";
  else if (mutate) decision = out.rules_hit.empty() ? "unchanged" : "patched";
  else decision = out.allowed ? "allowed" : "denied";
  const std::string_view endpoint = mutate ? "mutate" : "validate";
  st.metrics.observe_review(endpoint, out.operation, out.kind, decision, out.rules_hit, secs);
  json fields = {{"endpoint", endpoint}, {"uid", out.uid},     {"kind", out.kind},
                 {"namespace", out.ns},  {"name", out.name},   {"user", out.user},
                 {"operation", out.operation}, {"decision", decision}, {"rules", out.rules_hit},
                 {"latency_ms", secs * 1000.0}, {"remote", req.remote_addr}};
  if (!out.error.empty()) fields["error"] = out.error;
  log_event(*st.log, out.http_status == 200 ? spdlog::level::info : spdlog::level::warn,
            out.http_status == 200 ? "admission review" : "admission review rejected", fields);
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
  if (want == "POST") mark_busy(st, req);  // until the logger sees the response written
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
    if (req.method == "POST") mark_done(st, req);
    st.metrics.observe_http(res.status);
  });
}

/// Re-reads certificates and policy when their files change; a broken new version is logged,
/// counted and ignored, keeping the last good one.
class Reloader {
 public:
  explicit Reloader(State& st) : st_(st) {
    cert_seen_ = {fingerprint(st.opts.cert_file), fingerprint(st.opts.key_file)};
    if (st.opts.policy_file) policy_seen_ = fingerprint(*st.opts.policy_file);
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
};

/// After stop(): close accepted connections that sit idle in keep-alive (no request between
/// headers and response, nothing unread in the kernel), so the worker pool can drain. Half-closing the read side lets a
/// response still being written finish.
int close_idle_connections(int port, State& st) {
  int closed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (...) {
      continue;
    }
    int type = 0, listening = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) continue;
    len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening) continue;
    sockaddr_storage ss{};
    socklen_t sl = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &sl) != 0) continue;
    int local_port = -1;
    if (ss.ss_family == AF_INET) local_port = ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    else if (ss.ss_family == AF_INET6) local_port = ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
    if (local_port != port) continue;
    int pending = 0;
    if (ioctl(fd, FIONREAD, &pending) != 0 || pending != 0) continue;
    sockaddr_storage peer{};
    socklen_t pl = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &pl) != 0) continue;
    char host[INET6_ADDRSTRLEN] = {};
    int peer_port = -1;
    if (peer.ss_family == AF_INET) {
      auto* in4 = reinterpret_cast<sockaddr_in*>(&peer);
      inet_ntop(AF_INET, &in4->sin_addr, host, sizeof host);
      peer_port = ntohs(in4->sin_port);
    } else {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&peer);
      inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
      peer_port = ntohs(in6->sin6_port);
    }
    {
      std::lock_guard lock(st.busy_mu);
      if (st.busy.count({host, peer_port}) != 0) continue;
    }
    if (::shutdown(fd, SHUT_RD) == 0) ++closed;
  }
  return closed;
}

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
  if (in.threads < 1 || in.keep_alive_timeout_s < 1 || in.read_timeout_s < 1 || in.write_timeout_s < 1 ||
      in.reload_interval_ms < 10 || in.shutdown_grace_s < 1 || in.shutdown_delay_s < 0) {
    log_event(log, spdlog::level::err, "bad flags", {{"error", "numeric flags must be positive (reload interval >= 10 ms)"}});
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
  const auto threads = static_cast<std::size_t>(in.threads);
  svr.new_task_queue = [&st, threads] {
    return new Pool(threads, st.metrics.connections_active(), st.metrics.connections_queued());
  };
  svr.set_tcp_nodelay(true);  // accepted sockets inherit it from the listening socket on Linux
  svr.set_keep_alive_max_count(1000000);
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
             {"max_connections", in.threads}});
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
    close_idle_connections(port, st);
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
