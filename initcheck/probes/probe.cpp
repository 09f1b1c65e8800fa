// Dependency probes: argument parsing, one attempt, and the retry loop (first step: tcp).
#include "gopreflight/initcheck/probe.hpp"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace gopreflight::initcheck {

namespace {

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 63) return false;
  for (char c : n) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

/// Connects to host:port within `timeout`; returns an empty string on success, the reason otherwise.
std::string tcp_connect(const std::string& host, const std::string& port, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return "resolve " + host + ": " + gai_strerror(rc);
  }
  std::string err = "no address for " + host;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) { err = std::string("socket: ") + std::strerror(errno); continue; }
    int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, static_cast<int>(timeout.count()));
      if (rc == 0) { err = "connect " + host + ":" + port + ": timed out"; close(fd); continue; }
      int so = 0;
      socklen_t len = sizeof so;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &len);
      if (so != 0) { err = "connect " + host + ":" + port + ": " + std::strerror(so); close(fd); continue; }
      rc = 0;
    }
    close(fd);
    if (rc == 0) { freeaddrinfo(res); return {}; }
    err = "connect " + host + ":" + port + ": " + std::strerror(errno);
  }
  freeaddrinfo(res);
  return err;
}

}  // namespace

Result<ProbeSpec> parse_probe_arg(std::string_view arg) {
  auto eq = arg.find('=');
  if (eq == std::string_view::npos) return fail("probe '" + std::string(arg) + "': expected name=url");
  ProbeSpec s;
  s.name = std::string(arg.substr(0, eq));
  s.url = std::string(arg.substr(eq + 1));
  if (!valid_name(s.name)) return fail("probe name '" + s.name + "': must match [a-z0-9_-]+");
  if (s.url.rfind("tcp://", 0) != 0) return fail("probe " + s.name + ": unsupported url '" + s.url + "'");
  return s;
}

CheckResult run_probe_once(const ProbeSpec& spec) {
  CheckResult r;
  r.id = "probe." + spec.name;
  r.expected = "connection to " + spec.url;
  std::string rest = spec.url.substr(spec.url.find("://") + 3);
  auto colon = rest.rfind(':');
  std::string err = colon == std::string::npos ? "missing port"
                                               : tcp_connect(rest.substr(0, colon), rest.substr(colon + 1), spec.timeout);
  r.status = err.empty() ? Status::pass : Status::fail;
  r.observed = err.empty() ? "connected" : err;
  r.message = err.empty() ? "dependency reachable" : "dependency not reachable: " + err;
  return r;
}

std::vector<CheckResult> run_probes(const std::vector<ProbeSpec>& specs, std::chrono::milliseconds deadline,
                                    std::chrono::milliseconds interval,
                                    const std::function<void(const std::string&)>& progress) {
  auto end = std::chrono::steady_clock::now() + deadline;
  std::vector<CheckResult> out(specs.size());
  for (;;) {
    std::size_t ok = 0;
    for (std::size_t i = 0; i < specs.size(); ++i) {
      if (out[i].status != Status::pass) out[i] = run_probe_once(specs[i]);
      if (out[i].status == Status::pass) ++ok;
    }
    if (progress) progress("probes: " + std::to_string(ok) + "/" + std::to_string(specs.size()) + " ready");
    if (ok == specs.size() || std::chrono::steady_clock::now() + interval >= end) break;
    std::this_thread::sleep_for(interval);
  }
  return out;
}

}  // namespace gopreflight::initcheck
