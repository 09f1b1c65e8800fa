// Dependency probes: "name[@timeout]=url" parsing, one bounded attempt per scheme, and the
// retry-until-deadline loop an init container uses to wait for its dependencies.
#include "gopreflight/initcheck/probe.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <exception>
#include <thread>

#include "gopreflight/common/duration.hpp"
#include "probes/net.hpp"
#include "probes/wire_text.hpp"

namespace gopreflight::initcheck {

using probe_detail::Conn;
using probe_detail::FailKind;
using probe_detail::ProbeUrl;
using probe_detail::Scheme;

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kMaxTimeout{10 * 60 * 1000};
constexpr std::chrono::milliseconds kMinAttempt{50};  ///< shortest retry worth making before the deadline
constexpr std::size_t kMaxReply = 1u << 20;  ///< bytes a probe reads at most (HTTP chunk overhead included)

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 63) return false;
  for (char c : n) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return false;
  }
  return true;
}

std::string ms_text(double ms) {
  char buf[32];
  if (ms < 10) {
    std::snprintf(buf, sizeof buf, "%.1f ms", ms);
  } else if (ms < 10000) {
    std::snprintf(buf, sizeof buf, "%.0f ms", ms);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f s", ms / 1000);
  }
  return buf;
}

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

std::string_view scheme_label(Scheme s) {
  switch (s) {
    case Scheme::tcp: return "TCP";
    case Scheme::redis:
    case Scheme::rediss: return "Redis";
    case Scheme::postgres: return "PostgreSQL";
    case Scheme::etcd:
    case Scheme::etcd_https: return "etcd";
    case Scheme::http:
    case Scheme::https: return "HTTP";
  }
  return "?";
}

/// What one attempt found: on success `answer` ("+PONG"), on failure `kind` and `error`.
struct Outcome {
  FailKind kind = FailKind::none;
  std::string answer;
  std::string error;
  std::string note;  ///< extra detail for the message (e.g. Redis requires AUTH)
  std::string peer;
  std::string tls;
};

Outcome from_conn(const Conn& c) {
  Outcome o;
  o.kind = c.fail_kind() == FailKind::none ? FailKind::network : c.fail_kind();
  o.error = c.error();
  o.peer = c.peer();
  return o;
}

Outcome protocol_error(const Conn& c, FailKind kind, std::string error) {
  Outcome o;
  o.kind = kind;
  o.error = std::move(error);
  o.peer = c.peer();
  o.tls = c.tls_summary();
  return o;
}

/// Reads until `parse(bytes, eof)` returns a value (Result<optional<T>>) or fails.
template <class T, class Parse>
std::optional<T> read_reply(Conn& c, Parse parse, Outcome& out, std::string_view what) {
  std::string buf;
  bool eof = false;
  for (;;) {
    auto parsed = parse(std::string_view(buf), eof);
    if (!parsed) {
      out = protocol_error(c, FailKind::protocol, parsed.error() + " (from " + c.peer() + ")");
      return std::nullopt;
    }
    if (parsed->has_value()) return std::move(**parsed);
    if (eof) {
      out = protocol_error(c, FailKind::protocol,
                           buf.empty() ? "connection to " + c.peer() + " closed without " + std::string(what)
                                       : "connection to " + c.peer() + " closed after " +
                                             std::to_string(buf.size()) + " bytes, before a complete " +
                                             std::string(what) + ": '" +
                                             probe_detail::printable(buf, 40) + "'");
      return std::nullopt;
    }
    if (!c.read_some(buf, kMaxReply - buf.size(), eof)) {
      out = from_conn(c);
      if (out.kind == FailKind::timeout && buf.empty()) {
        out.error = "no reply from " + c.peer() + " within the timeout: the port accepts connections but " +
                    "nothing answered";
      }
      return std::nullopt;
    }
  }
}

Outcome probe_redis(Conn& c) {
  if (!c.write_all("*1\r\n$4\r\nPING\r\n")) return from_conn(c);
  Outcome o;
  auto reply = read_reply<probe_detail::RespReply>(
      c, [](std::string_view b, bool) { return probe_detail::parse_resp_reply(b); }, o, "a RESP reply");
  if (!reply) return o;
  std::string line = std::string(1, reply->kind) + probe_detail::printable(reply->text, 120);
  if (reply->kind == '+' && reply->text == "PONG") {
    o.answer = line;
  } else if (reply->kind == '-' && reply->text.rfind("NOAUTH", 0) == 0) {
    // Redis is up and requires a password; the probe does not log in (credentials stay out of probes).
    o.answer = line;
    o.note = "Redis is up and requires AUTH (the probe does not log in)";
  } else {
    o = protocol_error(c, reply->kind == '-' ? FailKind::unhealthy : FailKind::protocol,
                       "PING answered with '" + line + "' from " + c.peer() + ", not +PONG");
  }
  o.peer = c.peer();
  o.tls = c.tls_summary();
  return o;
}

Outcome probe_postgres(Conn& c) {
  // SSLRequest: Int32 length 8, Int32 code 80877103 (0x04D2162F).
  static constexpr char kSslRequest[8] = {0, 0, 0, 8, 0x04, static_cast<char>(0xd2), 0x16, 0x2f};
  if (!c.write_all(std::string_view(kSslRequest, sizeof kSslRequest))) return from_conn(c);
  Outcome o;
  auto reply = read_reply<char>(
      c, [](std::string_view b, bool) { return probe_detail::parse_pg_ssl_reply(b); }, o,
      "an answer to the SSLRequest");
  if (!reply) return o;
  o.answer = *reply == 'S' ? "'S' (TLS offered) to SSLRequest" : "'N' (TLS not offered) to SSLRequest";
  o.peer = c.peer();
  return o;
}

Outcome probe_http(Conn& c, const ProbeUrl& u) {
  if (!c.write_all(probe_detail::http_request(u))) return from_conn(c);
  Outcome o;
  auto resp = read_reply<probe_detail::HttpResponse>(
      c, [](std::string_view b, bool eof) { return probe_detail::parse_http_response(b, eof); }, o,
      "an HTTP response");
  if (!resp) return o;
  o.peer = c.peer();
  o.tls = c.tls_summary();
  std::string status = "HTTP " + std::to_string(resp->status) +
                       (resp->reason.empty() ? "" : " " + probe_detail::printable(resp->reason, 60));
  const bool etcd = u.scheme == Scheme::etcd || u.scheme == Scheme::etcd_https;
  if (!etcd) {
    if (resp->status >= 200 && resp->status < 300) {
      o.answer = status;
      return o;
    }
    std::string extra;
    if (resp->status >= 300 && resp->status < 400) {
      for (const auto& [k, v] : resp->headers) {
        if (k == "location") extra = " (redirect to " + probe_detail::printable(v, 120) + "; probes do not follow redirects)";
      }
    }
    return protocol_error(c, FailKind::unhealthy, "GET " + u.path + " answered " + status + extra + ", expected 2xx");
  }
  auto health = probe_detail::parse_etcd_health(resp->body);
  if (resp->truncated) health = fail("etcd /health body larger than 64 KiB");
  if (!health) {
    return protocol_error(c, resp->status == 200 ? FailKind::protocol : FailKind::unhealthy,
                          status + ": " + health.error());
  }
  if (resp->status == 200 && health->healthy) {
    o.answer = status + " {\"health\":\"true\"}";
    return o;
  }
  return protocol_error(c, FailKind::unhealthy,
                        "etcd reports " + status + ", health " + (health->healthy ? "true" : "false") +
                            (health->reason.empty() ? "" : ", reason '" + probe_detail::printable(health->reason, 200) + "'"));
}

std::string expected_text(const ProbeUrl& u, std::chrono::milliseconds timeout) {
  const std::string within = " within " + std::to_string(timeout.count()) + " ms";
  switch (u.scheme) {
    case Scheme::tcp: return "TCP connect to " + host_port(u) + " succeeds" + within;
    case Scheme::redis:
    case Scheme::rediss: return "+PONG (or -NOAUTH) answering PING" + within;
    case Scheme::postgres: return "'S' or 'N' answering a PostgreSQL SSLRequest" + within;
    case Scheme::etcd:
    case Scheme::etcd_https: return "HTTP 200 {\"health\":\"true\"} from GET " + u.path + within;
    case Scheme::http:
    case Scheme::https: return "HTTP 2xx from GET " + u.path + within;
  }
  return {};
}

std::string remediation_text(FailKind kind, const ProbeUrl& u, const ProbeSpec& spec) {
  const std::string hp = host_port(u);
  const std::string port = std::to_string(u.port);
  switch (kind) {
    case FailKind::none: return {};
    case FailKind::config: return "Fix the probe settings for '" + spec.name + "' (see the message) and run again.";
    case FailKind::resolve:
      return "The name '" + u.host + "' does not resolve here: check that the Service exists in the right namespace " +
             "(`kubectl get svc " + u.host + "`), use its full name (<service>.<namespace>.svc.cluster.local) from " +
             "another namespace, and check cluster DNS (`kubectl -n kube-system get pods -l k8s-app=kube-dns`); " +
             "test with `getent hosts " + u.host + "`.";
    case FailKind::refused:
      return "Nothing listens on " + hp + ": check that the server is running and ready, that the Service's " +
             "port/targetPort match it and that it has endpoints (" +
             (u.host_is_ip ? "`kubectl get endpoints -A | grep " + u.host + "`"
                           : "`kubectl get endpoints " + u.host.substr(0, u.host.find('.')) + "`") +
             "); test with `nc -vz " + u.host + " " + port + "`.";
    case FailKind::timeout:
      return "No answer from " + hp + " in time: packets are dropped or the server is stuck. Check " +
             "NetworkPolicies (egress from this Pod, ingress to the server: `kubectl get networkpolicy -A`), " +
             "firewalls/security groups, the port, and the server's load; if it is only slow, raise this " +
             "probe's timeout (`--probe " + spec.name + "@5s=" + spec.url + "`).";
    case FailKind::network:
      return "The connection to " + hp + " failed: check the network path (routes, NetworkPolicies, " +
             "service mesh sidecars) and the server's logs.";
    case FailKind::tls:
      return "TLS with " + hp + " failed: trust the issuing CA (`ca_file:` for this probe in the config, or " +
             "SSL_CERT_FILE), make sure the certificate's subjectAltName includes '" + u.host +
             "' (`openssl s_client -connect " + hp + " -servername " + u.host +
             "`), and that the port speaks TLS; `tls_insecure: true` skips verification (testing only).";
    case FailKind::protocol:
      return "Something other than a " + std::string(scheme_label(u.scheme)) + " server answers on " + hp +
             ": check the port number and the URL scheme (tcp://, redis://, postgres://, etcd://, http(s)://).";
    case FailKind::unhealthy:
      switch (u.scheme) {
        case Scheme::redis:
        case Scheme::rediss:
          return "Redis answered but is not serving: wait for LOADING to finish, check replication for " +
                 std::string("MASTERDOWN, and protected-mode/ACL settings for DENIED; `redis-cli -h ") + u.host +
                 " -p " + port + " ping`.";
        case Scheme::etcd:
        case Scheme::etcd_https:
          return "etcd is up but unhealthy: check quorum with `etcdctl --endpoints=" + hp +
                 " endpoint health --cluster` and alarms with `etcdctl alarm list` (NOSPACE: compact and " +
                 "defragment).";
        default:
          return "The server answered with an error: check its logs and readiness (`curl -v " + spec.url +
                 "`) and that the probe's path is the health endpoint.";
      }
  }
  return {};
}

}  // namespace

Result<std::chrono::milliseconds> parse_probe_timeout(std::string_view text) {
  const std::string quoted = "'" + std::string(text.substr(0, 40)) + "'";
  auto d = common::parse_duration(text, kMaxTimeout);
  if (!d) return fail("probe timeout " + quoted + ": " + d.error() + " (e.g. 500ms, 2s, 1m; between 1ms and 10m)");
  if (d->count() < 1) return fail("probe timeout " + quoted + ": must be between 1ms and 10m");
  return *d;
}

Result<ProbeSpec> validate_probe(ProbeSpec spec) {
  if (!valid_name(spec.name)) {
    return fail("probe name '" + probe_detail::printable(spec.name, 80) +
                "': must be 1..63 characters of a-z, 0-9, '_' and '-' (the result id is probe.<name>)");
  }
  auto url = probe_detail::parse_probe_url(spec.url);
  if (!url) return fail("probe " + spec.name + ": " + url.error());
  if (spec.timeout.count() < 1 || spec.timeout > kMaxTimeout) {
    return fail("probe " + spec.name + ": timeout " + std::to_string(spec.timeout.count()) +
                " ms must be between 1 ms and 10 min");
  }
  if ((spec.tls_insecure || !spec.ca_file.empty()) && !url->tls) {
    return fail("probe " + spec.name + ": tls_insecure/ca_file only apply to https://, etcd+https:// and rediss://");
  }
  return spec;
}

Result<ProbeSpec> parse_probe_arg(std::string_view arg) {
  auto eq = arg.find('=');
  if (eq == std::string_view::npos) {
    return fail("probe '" + probe_detail::printable(arg, 80) +
                "': expected name=url or name@timeout=url, e.g. redis=redis://redis:6379");
  }
  ProbeSpec s;
  std::string_view head = arg.substr(0, eq);
  if (auto at = head.find('@'); at != std::string_view::npos) {
    auto t = parse_probe_timeout(head.substr(at + 1));
    if (!t) return fail("probe '" + probe_detail::printable(arg, 80) + "': " + t.error());
    s.timeout = *t;
    head = head.substr(0, at);
  }
  s.name = std::string(head);
  s.url = std::string(arg.substr(eq + 1));
  return validate_probe(std::move(s));
}

namespace {

/// One attempt; `error` receives the bare reason on fail/error (for progress lines and retries).
CheckResult attempt(const ProbeSpec& spec, std::string& error) {
  CheckResult r;
  r.id = "probe." + spec.name;
  r.severity = Severity::critical;
  const auto start = Clock::now();
  auto checked = validate_probe(spec);
  if (!checked) {
    r.status = Status::error;
    r.observed = "probe not run";
    r.message = checked.error();
    r.remediation = "Fix the probe definition (flag --probe, GOPREFLIGHT_PROBES or `probes:` in the config).";
    error = checked.error();
    return r;
  }
  ProbeUrl u = *probe_detail::parse_probe_url(spec.url);
  r.expected = expected_text(u, spec.timeout);

  Outcome o;
  try {
    Conn c(start + spec.timeout);
    if (!c.connect(u.host, u.port)) {
      o = from_conn(c);
    } else if (u.tls && !c.start_tls(u.host, {spec.tls_insecure, spec.ca_file, u.host_is_ip})) {
      o = from_conn(c);
    } else {
      switch (u.scheme) {
        case Scheme::tcp:
          o.answer = "connected";
          o.peer = c.peer();
          break;
        case Scheme::redis:
        case Scheme::rediss: o = probe_redis(c); break;
        case Scheme::postgres: o = probe_postgres(c); break;
        case Scheme::etcd:
        case Scheme::etcd_https:
        case Scheme::http:
        case Scheme::https: o = probe_http(c, u); break;
      }
    }
  } catch (const std::exception& e) {  // allocation failure and the like: report, never throw
    o.kind = FailKind::network;
    o.error = std::string("internal error: ") + e.what();
  }
  const double ms = elapsed_ms(start);
  r.duration_ms = ms;
  const std::string label(scheme_label(u.scheme));
  if (o.kind == FailKind::none) {
    r.status = Status::pass;
    r.observed = (u.scheme == Scheme::tcp ? o.answer + " to " : o.answer + " from ") + o.peer + " in " + ms_text(ms) +
                 (o.tls.empty() ? "" : " (" + o.tls + ")");
    r.message = label + " dependency '" + spec.name + "' at " + host_port(u) + " answered" +
                (o.note.empty() ? "." : "; " + o.note + ".");
    return r;
  }
  error = o.error;
  r.status = o.kind == FailKind::config ? Status::error : Status::fail;
  r.observed = o.error + " (after " + ms_text(ms) + ")";
  r.message = label + " dependency '" + spec.name + "' (" + spec.url + ") is not ready: " + o.error + ".";
  r.remediation = remediation_text(o.kind, u, spec);
  return r;
}

}  // namespace

CheckResult run_probe_once(const ProbeSpec& spec) {
  std::string error;
  return attempt(spec, error);
}

std::vector<CheckResult> run_probes(const std::vector<ProbeSpec>& specs, std::chrono::milliseconds deadline,
                                    std::chrono::milliseconds interval,
                                    const std::function<void(const std::string&)>& progress) {
  const auto start = Clock::now();
  const auto end = start + (deadline.count() > 0 ? deadline : std::chrono::milliseconds(0));
  if (interval.count() < 10) interval = std::chrono::milliseconds(10);
  std::vector<CheckResult> results(specs.size());
  std::vector<int> attempts(specs.size(), 0);
  std::vector<std::string> last_error(specs.size());
  std::vector<bool> done(specs.size(), false);  // passed, or cannot pass (bad definition)
  auto emit = [&](const std::string& line) {
    if (!progress) return;
    try {
      progress(line);
    } catch (...) {  // a failing progress sink must not stop the probes
    }
  };
  if (specs.empty()) return results;

  for (int round = 1;; ++round) {
    const auto round_start = Clock::now();
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - round_start);
    // Every round after the first fits its attempts into what is left of the deadline.
    std::vector<ProbeSpec> pending_specs;
    std::vector<std::size_t> pending;
    for (std::size_t i = 0; i < specs.size(); ++i) {
      if (done[i]) continue;
      ProbeSpec s = specs[i];
      if (round > 1 && left < s.timeout) s.timeout = std::max(left, kMinAttempt);
      pending.push_back(i);
      pending_specs.push_back(std::move(s));
    }
    std::vector<CheckResult> got(pending.size());
    std::vector<std::string> errors(pending.size());
    std::vector<std::thread> threads;
    for (std::size_t k = 0; k < pending.size(); ++k) {
      try {
        threads.emplace_back([&got, &errors, &pending_specs, k] { got[k] = attempt(pending_specs[k], errors[k]); });
      } catch (const std::exception&) {
        got[k] = attempt(pending_specs[k], errors[k]);  // no thread available: run this one inline
      }
    }
    for (auto& t : threads) t.join();
    for (std::size_t k = 0; k < pending.size(); ++k) {
      const std::size_t i = pending[k];
      ++attempts[i];
      results[i] = std::move(got[k]);
      last_error[i] = std::move(errors[k]);
      if (results[i].status == Status::pass || results[i].status == Status::error) done[i] = true;
    }

    std::size_t ready = 0;
    std::string waiting;
    for (std::size_t i = 0; i < specs.size(); ++i) {
      if (results[i].status == Status::pass) {
        ++ready;
      } else {
        waiting += (waiting.empty() ? "" : ", ") + specs[i].name + " (" + last_error[i] + ")";
      }
    }
    const auto now = Clock::now();
    const double total_ms = std::chrono::duration<double, std::milli>(now - start).count();
    const bool all_done = std::all_of(done.begin(), done.end(), [](bool d) { return d; });
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(end - now);
    const bool out_of_time = remaining < kMinAttempt;
    const std::string counts = std::to_string(ready) + "/" + std::to_string(specs.size()) + " ready";
    if (ready == specs.size()) {
      emit("probes: " + counts + " after " + std::to_string(round) + (round == 1 ? " round" : " rounds") +
           " in " + ms_text(total_ms));
    } else if (all_done || out_of_time) {
      emit("probes: " + counts + "; giving up after " + std::to_string(round) +
           (round == 1 ? " round" : " rounds") + " in " + ms_text(total_ms) + "; not ready: " + waiting);
    } else {
      char left_text[32];
      std::snprintf(left_text, sizeof left_text, "%.1fs left", static_cast<double>(remaining.count()) / 1000.0);
      emit("probes: " + counts + "; waiting for " + waiting + "; " + left_text);
    }
    if (all_done || out_of_time) {
      for (std::size_t i = 0; i < specs.size(); ++i) {
        CheckResult& r = results[i];
        r.duration_ms = total_ms;
        auto u = probe_detail::parse_probe_url(specs[i].url);
        if (!u) continue;  // status error: the definition's own message stands
        r.expected = expected_text(*u, specs[i].timeout);  // the last round may have run with less
        if (r.status == Status::pass && attempts[i] > 1) {
          r.message += " Ready after " + std::to_string(attempts[i]) + " attempts.";
        } else if (r.status == Status::fail) {
          r.message = std::string(scheme_label(u->scheme)) + " dependency '" + specs[i].name + "' (" +
                      specs[i].url + ") is not ready after " + std::to_string(attempts[i]) +
                      (attempts[i] == 1 ? " attempt" : " attempts") + " in " + ms_text(total_ms) + " (deadline " +
                      ms_text(static_cast<double>(deadline.count())) + "); last error: " + last_error[i] + ".";
        }
      }
      return results;
    }
    // Leave at least kMinAttempt for the next round; a 1 ms attempt would only report a timeout.
    std::this_thread::sleep_for(std::min(interval, remaining - kMinAttempt));
  }
}

}  // namespace gopreflight::initcheck
