// The HTTPS admission server: start-up (after check_serve_options), routing of the requests the
// framing accepted (content type, 404/405/415, a catch-all that turns an exception into a 500),
// certificate and policy reload, and the drain on SIGTERM. Decisions come from Engine; requests
// are framed by http_framing.hpp and connections served by event_loop.hpp; httplib only accepts
// sockets and holds the SSL_CTX. One TLS port serves everything (docs/operations.md).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
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
#include <fstream>
#include <iterator>
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

/// httplib's SSLServer for its listening socket, accept loop and SSL_CTX only: each accepted
/// socket goes to the event loops (event_loop.hpp), where http_framing.hpp frames every request
/// and route() below answers it. httplib never reads a byte of a request.
class TlsServer final : public httplib::SSLServer {
 public:
  explicit TlsServer(const std::function<bool(SSL_CTX&)>& setup) : httplib::SSLServer(setup) {}
  int listening_fd() const { return svr_sock_; }

  /// Starts the loops; call before listen_after_bind.
  void start_loops(const LoopOptions& opts, ConnectionTable& conns, LoopGauges gauges, HttpHandlers handlers) {
    loops_ = std::make_unique<EventLoops>(opts, ssl_context(), conns, std::move(handlers), gauges);
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

/// The JSON-lines logger on stdout (check_serve_options has checked the level's name).
std::shared_ptr<spdlog::logger> make_logger(spdlog::level::level_enum lvl) {
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
bool is_json_content_type(std::string_view ct) {
  std::string media(ct.substr(0, ct.find(';')));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.pop_back();
  std::size_t b = media.find_first_not_of(" \t");
  if (b == std::string::npos) return false;
  media = media.substr(b);
  for (auto& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return media == "application/json";
}

std::string error_body(const std::string& message) { return json{{"error", message}}.dump() + "\n"; }

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

/// What a review endpoint answers.
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

/// Appends one whole response. `close`: Connection: close (else the Keep-Alive header).
void write_response(const State& st, std::string& out, int status, std::string_view content_type,
                    std::string_view body, bool close, bool head_only = false,
                    std::string_view extra_header = {}) {
  out.reserve(out.size() + 200 + body.size());
  out.append("HTTP/1.1 ").append(std::to_string(status)).append(" ").append(status_text(status)).append("\r\n");
  if (!extra_header.empty()) out.append(extra_header).append("\r\n");
  if (close) out.append("Connection: close\r\n");
  out.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  out.append("Content-Type: ").append(content_type).append("\r\n");
  if (!close) {
    out.append("Keep-Alive: timeout=").append(std::to_string(st.opts.keep_alive_timeout_s)).append(", max=1000000\r\n");
  }
  out.append("\r\n");
  if (!head_only) out.append(body);
}

/// Every request the framing accepted (http_framing.hpp) is answered here: POST /validate and
/// /mutate with a JSON body, GET (or HEAD) /healthz, /readyz, /metrics; 404, 405, 415 otherwise.
/// The query string is ignored (the apiserver adds `?timeout=10s`).
void route(State& st, const HttpRequest& req, const Peer& peer, std::string& out, bool& close) {
  struct Route {
    std::string_view path, method;
  };
  static constexpr Route routes[] = {{"/validate", "POST"}, {"/mutate", "POST"}, {"/healthz", "GET"},
                                     {"/readyz", "GET"},    {"/metrics", "GET"}};
  if (st.draining.load()) close = true;
  const Route* r = nullptr;
  for (const auto& x : routes) {
    if (req.path == x.path) r = &x;
  }
  const bool head = req.method == "HEAD";
  int status = 200;
  auto error = [&](int code, const std::string& msg, std::string_view extra = {}) {
    status = code;
    write_response(st, out, code, "application/json", error_body(msg), close, head, extra);
  };
  if (!r) {
    error(404, "no such path: " + std::string(req.path) + " (POST /validate, POST /mutate, GET /healthz, /readyz, /metrics)");
  } else if (req.method != r->method && !(r->method == "GET" && head)) {
    error(405, "method " + std::string(req.method) + " not allowed on " + std::string(req.path) + ": use " + std::string(r->method),
          r->method == "GET" ? "Allow: GET, HEAD" : "Allow: POST");
  } else if (r->method == "POST" && !is_json_content_type(req.content_type)) {
    error(415, "Content-Type \"" + std::string(req.content_type) + "\" not supported on " + std::string(req.path) +
                   ": send application/json");
  } else if (r->method == "POST") {
    const bool mutate = req.path == "/mutate";
    ReviewReply rep;
    try {
      rep = run_review(st, mutate, req.body, peer.remote_ip);
    } catch (const std::exception& e) {
      rep.status = 500;
      rep.body = error_body("internal error while serving " + std::string(req.path));
      log_event(*st.log, spdlog::level::err, "internal error", {{"path", req.path}, {"error", e.what()}});
    }
    close = close || rep.close;
    status = rep.status;
    write_response(st, out, rep.status, "application/json", rep.body, close);
  } else if (req.path == "/healthz") {
    write_response(st, out, 200, "text/plain", "ok\n", close, head);
  } else if (req.path == "/readyz") {
    std::string why;
    if (ready_now(st, why)) {
      write_response(st, out, 200, "text/plain", "ok\n", close, head);
    } else {
      status = 503;
      write_response(st, out, 503, "text/plain", "not ready: " + why + "\n", close, head);
    }
  } else {
    std::string why;
    st.metrics.set_ready(ready_now(st, why));
    write_response(st, out, 200, "text/plain; version=0.0.4; charset=utf-8", st.metrics.render(), close, head);
  }
  st.metrics.observe_http(status);
}

/// A request the framing refused: its status and what was wrong, then the connection closes.
void refuse(State& st, int status, std::string_view reason, std::string& out) {
  std::string msg(reason);
  if (status == 413) msg += " (" + std::to_string(st.opts.max_body_bytes) + " bytes, --max-body-bytes)";
  write_response(st, out, status, "application/json", error_body(msg), true);
  st.metrics.observe_http(status);
  log_event(*st.log, spdlog::level::debug, "request refused", {{"status", status}, {"reason", msg}});
}

/// The rules `before` has on that `after` turns off or weakens (a section gone, podSecurity at a
/// lower level, a rule from enforce to warn/audit, a required sysctl dropped): a reload that
/// does this is logged as a warning.
std::vector<std::string> rules_turned_off(const Policy& before, const Policy& after) {
  std::vector<std::string> off;
  const auto weaker = [](Mode a, Mode b) { return a == Mode::enforce && b != Mode::enforce; };
  const auto section = [&](const char* name, const auto& a, const auto& b) {
    if (a && !b) off.push_back(std::string(name) + " (section removed)");
    else if (a && b && weaker(a->mode, b->mode)) off.push_back(std::string(name) + " (mode no longer enforce)");
  };
  section("podSecurity", before.pod_security, after.pod_security);
  if (before.pod_security && after.pod_security &&
      static_cast<int>(after.pod_security->level) < static_cast<int>(before.pod_security->level)) {
    off.push_back("podSecurity (lower level)");
  }
  section("securityContext", before.security_context, after.security_context);
  section("goRuntime", before.go_runtime, after.go_runtime);
  section("initCheck", before.init_check, after.init_check);
  for (const auto& s : before.required_sysctls) {
    bool kept = false;
    for (const auto& t : after.required_sysctls) kept = kept || t.name == s.name;
    if (!kept) off.push_back("requiredSysctls " + s.name + " (removed)");
  }
  return off;
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
      if (p != policy_seen_ && settled(*st_.opts.policy_file, p)) {
        policy_seen_ = p;
        std::string err;
        auto engine = Engine::load(st_.opts.policy_file, err);
        if (engine && fingerprint(*st_.opts.policy_file) != p) {
          policy_seen_ = {};  // changed again while it was read: the next check takes the final version
        } else if (engine) {
          const auto before = st_.engine.load();
          st_.engine.store(engine);
          st_.metrics.policy_reload(true);
          log_event(*st_.log, spdlog::level::info, "policy reloaded", {{"policy", *st_.opts.policy_file}});
          const auto off = before ? rules_turned_off(before->policy(), engine->policy()) : std::vector<std::string>{};
          if (!off.empty()) {
            log_event(*st_.log, spdlog::level::warn, "policy reload turned rules off or weakened them",
                      {{"policy", *st_.opts.policy_file}, {"rules", off}});
          }
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
  /// A changed file is read only once it has stopped changing: its bytes and fingerprint are
  /// the same across two reads kSettleMs apart. A file caught in the middle of a write waits
  /// for the next check (issue 10: a half-written policy once turned rules off).
  static bool settled(const std::string& path, const FileFingerprint& fp) {
    constexpr int kSettleMs = 50;
    const auto read_all = [&path](std::string& out) {
      std::ifstream f(path, std::ios::binary);
      if (!f) return false;
      out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
      return !f.bad();
    };
    std::string first, second;
    if (!read_all(first)) return true;  // unreadable: let the load report it
    std::this_thread::sleep_for(std::chrono::milliseconds(kSettleMs));
    if (!read_all(second)) return true;
    return first == second && fingerprint(path) == fp;
  }

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

/// Raises the soft open-files limit to the hard one (a container's soft limit is often 1024, a
/// few hundred slow clients); returns the soft limit now in force.
long long raise_fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rlimit want = rl;
    want.rlim_cur = rl.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &want) == 0) rl = want;
  }
  return rl.rlim_cur == RLIM_INFINITY ? (1LL << 20) : static_cast<long long>(rl.rlim_cur);
}

/// --dev-self-signed: a throwaway CA and serving certificate, their paths into st.opts, and
/// what a person needs to use them printed. False (logged) when they cannot be made.
bool use_dev_certificates(State& st, int port) {
  std::string err;
  char tmpl[] = "/tmp/gopreflight-dev-XXXXXX";
  const char* dir = ::mkdtemp(tmpl);
  auto dev = dir ? make_dev_certificates(dir, {"localhost", "gopreflight-webhook.gopreflight.svc"}, {"127.0.0.1"}, err)
                 : std::nullopt;
  if (!dev) {
    log_event(*st.log, spdlog::level::err, "dev certificates failed", {{"error", dir ? err : "mkdtemp failed"}});
    return false;
  }
  st.opts.cert_file = dev->cert_file;
  st.opts.key_file = dev->key_file;
  std::cout << "gopreflight-webhook: --dev-self-signed: throwaway CA and serving certificate (7 days)\n"
            << "  for DNS:localhost, DNS:gopreflight-webhook.gopreflight.svc, IP:127.0.0.1\n"
            << "  CA:          " << dev->ca_file << "\n"
            << "  certificate: " << dev->cert_file << "\n"
            << "  key:         " << dev->key_file << "\n"
            << "  caBundle:    " << dev->ca_bundle_base64 << "\n"
            << "  try: curl --cacert " << dev->ca_file << " https://127.0.0.1:" << port << "/readyz\n"
            << std::flush;
  return true;
}

/// The event loops' settings from the flags. Each connection, served or queued, is a
/// descriptor: --max-connections is lowered (with a warning) to keep both within `fd_limit`.
LoopOptions loop_options(const ServeOptions& in, long long fd_limit, spdlog::logger& log) {
  LoopOptions lo;
  lo.threads = in.worker_threads > 0 ? in.worker_threads : default_loop_threads();
  lo.max_connections = static_cast<std::size_t>(in.max_connections);
  lo.max_queued = lo.max_connections;
  const std::size_t fds = static_cast<std::size_t>(fd_limit);
  if (2 * lo.max_connections + 64 > fds) {
    const std::size_t fit = fds > 128 ? (fds - 64) / 2 : 32;
    log_event(log, spdlog::level::warn, "--max-connections lowered to fit the open-files limit",
              {{"max_connections", in.max_connections}, {"open_files_limit", fd_limit}, {"now", fit}});
    lo.max_connections = lo.max_queued = fit;
  }
  lo.handshake_timeout_ms = in.handshake_timeout_s * 1000;
  lo.read_timeout_ms = in.read_timeout_s * 1000;
  lo.write_timeout_ms = in.write_timeout_s * 1000;
  lo.idle_timeout_ms = in.keep_alive_timeout_s * 1000;
  lo.max_body_bytes = in.max_body_bytes;
  return lo;
}

/// Serves until SIGTERM/SIGINT (blocked in `sigs` by the caller, so every thread inherits the
/// mask) or until the listener ends by itself, then drains: unready for --shutdown-delay, the
/// listener closed, idle connections closed, requests in flight given --shutdown-grace-period.
/// Returns the exit code; exits the process (1) when the grace period runs out.
int serve_until_signal(State& st, TlsServer& svr, const sigset_t& sigs) {
  const ServeOptions& in = st.opts;
  auto& log = *st.log;
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
        log_event(log, spdlog::level::err, "reload check failed", {{"error", e.what()}});
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
    // Idle keep-alive connections are half-closed, so their loops read end-of-stream and close
    // them; connections inside a request (its body may still be arriving) finish it first,
    // with Connection: close.
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

/// Start-up after the flags passed check_serve_options: certificates, policy, TLS, the loops
/// and the listening socket (each failure logged, exit 2); then serve_until_signal.
int start_and_serve(const ServeOptions& in, const ListenAddress& listen) {
  const long long fd_limit = raise_fd_limit();  // before State: ConnectionTable sizes itself from it
  State st;
  st.opts = in;
  st.log = make_logger(spdlog::level::from_str(in.log_level));
  auto& log = *st.log;
  if (in.dev_self_signed && !use_dev_certificates(st, listen.port)) return 2;

  std::string err;
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
  const LoopOptions lo = loop_options(in, fd_limit, log);
  try {
    HttpHandlers handlers;
    handlers.serve = [&st](const HttpRequest& req, const Peer& peer, std::string& out, bool& close) {
      route(st, req, peer, out, close);
    };
    handlers.refuse = [&st](int status, std::string_view reason, std::string& out) { refuse(st, status, reason, out); };
    svr.start_loops(lo, st.conns,
                    {st.metrics.connections_active(), st.metrics.connections_queued(), st.metrics.connections_closed()},
                    std::move(handlers));
  } catch (const std::exception& e) {
    log_event(log, spdlog::level::err, "cannot start", {{"error", e.what()}});
    return 2;
  }
  svr.set_tcp_nodelay(true);  // accepted sockets inherit it from the listening socket on Linux

  if (!svr.bind_to_port(listen.host, listen.port)) {
    log_event(log, spdlog::level::err, "cannot listen", {{"listen", in.listen}, {"error", std::strerror(errno)}});
    return 2;
  }
  const int lfd = svr.listening_fd();
  ::listen(lfd, SOMAXCONN);  // httplib listens with a backlog of 5; a second listen() raises it
  log_event(log, spdlog::level::info, "serving",
            {{"listen", listen.host + ":" + std::to_string(bound_port(lfd))},
             {"policy", in.policy_file.value_or("built-in")},
             {"certificate", pair->info().subject},
             {"not_after", pair->info().not_after},
             {"client_ca", in.client_ca_file.value_or("")},
             {"max_connections", lo.max_connections},
             {"open_files_limit", fd_limit},
             {"worker_threads", lo.threads}});
  log.flush();  // scripts and people wait for this line
  return serve_until_signal(st, svr, sigs);
}

}  // namespace

int run_serve(const ServeOptions& in) {
  const auto listen = check_serve_options(in);
  if (!listen) {
    // Written whatever --log-level says (it may be the bad flag, or off).
    log_event(*make_logger(spdlog::level::err), spdlog::level::err, "bad flags", {{"error", listen.error()}});
    spdlog::shutdown();
    return 2;
  }
  return start_and_serve(in, *listen);
}

}  // namespace gopreflight::webhook::server
