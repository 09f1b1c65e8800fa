// node-report's loop (see reporter.hpp).
#include "nodereport/reporter.hpp"

#include <cstdio>
#include <ctime>

#include "gopreflight/initcheck/report.hpp"

namespace gopreflight::initcheck::nodereport {

namespace {
constexpr const char* kStrategicMerge = "application/strategic-merge-patch+json";
constexpr const char* kMergePatch = "application/merge-patch+json";
constexpr const char* kJson = "application/json";

double process_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}
}  // namespace

Reporter::Reporter(ReporterOptions opts, ApiClient& api, const ClockSource& clock, Sleep sleep, Now now)
    : opts_(std::move(opts)), api_(api), clock_(clock), sleep_(std::move(sleep)), now_(std::move(now)) {}

Result<bool> Reporter::load_config() {
  if (opts_.config_file.empty()) return true;
  auto c = initcheck::load_config(opts_.config_file, builtin_checks());
  if (!c) return fail(c.error());
  cfg_ = std::move(*c);
  return true;
}

Result<ApiResponse> Reporter::with_retries(const std::string& what,
                                           const std::function<Result<ApiResponse>()>& send,
                                           CycleOutcome& out,
                                           const std::function<bool(const ApiResponse&)>& accept) {
  std::string last;
  for (int attempt = 0; attempt < opts_.max_attempts; ++attempt) {
    if (attempt > 0 && !sleep_(opts_.backoff.delay(attempt - 1))) {
      out.stopped = true;
      return fail(what + ": stopped while waiting to retry (" + last + ")");
    }
    const int before = api_.requests();
    auto r = send();
    out.requests += api_.requests() - before;
    if (!r) {
      last = r.error();
      continue;  // transport errors are worth another try
    }
    if (accept(*r)) return r;
    last = describe_failure(what, *r);
    if (!retryable(r->status)) return fail(last);
  }
  return fail(last + " (gave up after " + std::to_string(opts_.max_attempts) + " attempts)");
}

bool Reporter::read_node(CycleOutcome& out) {
  const std::string path = "/api/v1/nodes/" + opts_.node_name;
  auto r = with_retries("GET " + path, [&] { return api_.request("GET", path); }, out,
                        [](const ApiResponse& a) { return a.status == 200; });
  if (!r) {
    std::string e = r.error();
    if (e.find("HTTP 404") != std::string::npos) {
      e += " (no Node named \"" + opts_.node_name + "\": --node-name / NODE_NAME must be the Pod's spec.nodeName)";
    }
    out.errors.push_back(e);
    return false;
  }
  if (r->truncated) {
    // Too big to read whole: report without the previous condition (lastTransitionTime = now)
    // and without taint management rather than not at all.
    out.errors.push_back("GET " + path + ": the Node object is larger than 64 KiB, the reader's cap; "
                         "lastTransitionTime starts now and the taint cannot be managed");
    node_ = NodeView{};
    node_.name = opts_.node_name;
    have_node_ = true;
    taints_known_ = false;
    return true;
  }
  auto v = parse_node(r->body);
  if (!v) {
    out.errors.push_back("GET " + path + ": " + v.error());
    return false;
  }
  node_ = std::move(*v);
  have_node_ = true;
  taints_known_ = true;
  return true;
}

void Reporter::manage_taint(const NodeCondition& cond, CycleOutcome& out) {
  if (cond.status == "Unknown") return;  // could not tell: leave the taint as it is
  const bool want = cond.status == "False";
  const std::string path = "/api/v1/nodes/" + opts_.node_name;
  std::string last;
  for (int attempt = 0; attempt < opts_.max_attempts; ++attempt) {
    if (!taints_known_ && !read_node(out)) return;
    if (!taints_known_) {
      out.errors.push_back("taint: the Node's taints are unknown (see above); not changed");
      return;
    }
    auto body = taint_patch_body(node_, want);
    if (!body) return;  // already as wanted
    if (attempt > 0 && !sleep_(opts_.backoff.delay(attempt - 1))) {
      out.stopped = true;
      return;
    }
    const int before = api_.requests();
    auto r = api_.request("PATCH", path, kMergePatch, *body);
    out.requests += api_.requests() - before;
    if (r && r->status == 200) {
      out.taint = want ? "added" : "removed";
      if (auto v = r->truncated ? Result<NodeView>(fail("truncated")) : parse_node(r->body)) {
        node_ = std::move(*v);
      } else {
        taints_known_ = false;
      }
      return;
    }
    last = r ? describe_failure("PATCH " + path + " (taint)", *r) : r.error();
    if (r && r->status == 409) {  // the Node changed since it was read: read it again
      taints_known_ = false;
      continue;
    }
    if (r && !retryable(r->status)) {
      out.errors.push_back(last);
      return;
    }
  }
  // Every attempt failed (a 409 each time included: the Node kept changing between read and write).
  out.errors.push_back(last + " (gave up after " + std::to_string(opts_.max_attempts) +
                       " attempts; the taint is left as it is until the next cycle)");
}

CycleOutcome Reporter::cycle() {
  CycleOutcome out;
  if (!opts_.config_file.empty()) {
    if (auto ok = load_config(); !ok) out.errors.push_back(ok.error() + " (keeping the last good config)");
  }

  // The node-wide checks, with the config's thresholds and skip list.
  const auto& catalog = builtin_checks();
  Selection sel;
  sel.only = node_wide_ids(catalog);
  sel.skip = cfg_.skip;
  const HostReader host(opts_.paths);
  const EnvMap env;
  const Context ctx{host, clock_, env};
  const auto t0 = std::chrono::steady_clock::now();
  const auto results = run_catalog(catalog, ctx, sel, cfg_.checks);
  out.check_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();

  if (!have_node_ && !read_node(out)) return out;  // without the Node, lastTransitionTime is unknown
  const std::optional<NodeCondition> prev = last_written_ ? last_written_ : node_.condition;
  const auto now = now_();
  NodeCondition cond = build_condition(results, cfg_.strict.value_or(false), prev, now);
  out.condition = cond;
  out.previous_status = prev ? prev->status : "";
  out.transition = !prev || prev->status != cond.status;

  const bool heartbeat_due = now - last_patch_ >= opts_.interval - opts_.interval / 20;
  if (!last_written_ || differs(*last_written_, cond) || heartbeat_due) {
    const std::string path = "/api/v1/nodes/" + opts_.node_name + "/status";
    const std::string body = status_patch_body(cond);
    auto r = with_retries("PATCH " + path, [&] { return api_.request("PATCH", path, kStrategicMerge, body); },
                          out, [](const ApiResponse& a) { return a.status == 200; });
    if (!r) {
      if (r.error().find(": HTTP 404:") != std::string::npos) {
        // The Node is gone (deleted, perhaps re-registered): read it afresh next cycle, with
        // whatever condition the new object has.
        have_node_ = false;
        last_written_.reset();
      }
      out.errors.push_back(r.error());
      return out;  // the next cycle tries again (last_written_ unchanged)
    }
    out.patched = true;
    last_written_ = cond;
    last_patch_ = now;
    if (!r->truncated) {
      if (auto v = parse_node(r->body)) {
        node_ = std::move(*v);
        taints_known_ = true;
      }
    }
  }

  if (out.transition && out.patched) {
    const std::string path = "/api/v1/namespaces/" + opts_.event_namespace + "/events";
    const std::string body = event_body(node_, cond, out.previous_status, now);
    auto r = with_retries("POST " + path, [&] { return api_.request("POST", path, kJson, body); }, out,
                          [](const ApiResponse& a) { return a.status == 201 || a.status == 409; });
    if (r) out.event = true;
    else out.errors.push_back(r.error() + " (the condition itself was written)");
  }

  if (opts_.manage_taint && !out.stopped) manage_taint(cond, out);
  return out;
}

std::string describe(const CycleOutcome& o, const std::string& node) {
  std::string s = "node " + node + ": ";
  if (!o.condition) return s + "condition not written (" + std::to_string(o.errors.size()) + " error(s))";
  s += std::string(kConditionType) + "=" + o.condition->status + " (" + o.condition->reason + ")";
  if (!o.patched) s += " not written";
  else if (o.transition) s += " written, transition from " + (o.previous_status.empty() ? "none" : o.previous_status);
  else s += " heartbeat";
  if (o.event) s += "; event posted";
  if (!o.taint.empty()) s += "; taint " + o.taint;
  char figures[96];
  std::snprintf(figures, sizeof figures, "; %d request(s); checks %.2f ms; cpu %.2f ms", o.requests, o.check_ms,
                o.cpu_ms);
  s += figures;
  if (o.condition->status != "True") s += "; " + o.condition->message;
  return s;
}

int run_loop(Reporter& reporter, const Reporter::Sleep& sleep, bool once,
             const std::function<void(const std::string&)>& log) {
  const auto& node = reporter.options().node_name;
  for (;;) {
    CycleOutcome o;
    const double cpu0 = process_cpu_ms();
    try {
      o = reporter.cycle();
    } catch (const std::exception& e) {  // never let one cycle end the loop
      o.errors.push_back(std::string("internal error in the report cycle: ") + e.what());
    }
    o.cpu_ms = process_cpu_ms() - cpu0;
    log(describe(o, node));
    for (const auto& e : o.errors) log("node " + node + ": error: " + e);
    if (once) return o.ok() && o.patched ? 0 : 1;
    if (o.stopped || !sleep(reporter.options().interval)) {
      log("node " + node + ": stopping; the condition is left as it is");
      return 0;
    }
  }
}

}  // namespace gopreflight::initcheck::nodereport
