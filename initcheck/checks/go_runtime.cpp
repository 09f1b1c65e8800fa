// go.gomemlimit, go.gomaxprocs: recommended Go runtime settings for the app container.
//
// The app container's limits arrive by downward API env, set by the webhook's injector:
//   GOPREFLIGHT_APP_CONTAINER               app container name (for messages)
//   GOPREFLIGHT_APP_MEMORY_LIMIT            bytes (resourceFieldRef limits.memory, divisor 1) | "unlimited"
//   GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES    millicores (resourceFieldRef limits.cpu, divisor 1m) | "unlimited"
//   GOPREFLIGHT_APP_GOMEMLIMIT              the app's own GOMEMLIMIT, copied literally (absent: unset)
//   GOPREFLIGHT_APP_GOMAXPROCS              the app's own GOMAXPROCS, copied literally (absent: unset)
// Without the limit variables the check's own cgroup is used (bare host: ExecStartPre= in the
// service's own cgroup), and `observed` says so.
//
// Policy: GOMEMLIMIT recommended = ratio (0.9, as automemlimit) x limit, rounded as the common
// library rounds it for the webhook too (nearest MiB from 16 MiB, else KiB; below the limit).
// fail: configured GOMEMLIMIT above the limit (the GC would never act before the OOM kill) or
// malformed (the runtime aborts at start). warn: above max_ratio x limit (too little headroom for
// stacks and off-heap memory), unset or "off". GOMAXPROCS recommended = max(1, ceil(quota/period));
// warn when the configured value exceeds it (CFS throttling) or, with a CPU limit, when unset.
#include <cmath>
#include <cstdio>

#include "checks/cgroup_parse.hpp"
#include "checks/common.hpp"
#include "checks/go_parse.hpp"
#include "checks/groups.hpp"
#include "gopreflight/common/app_env.hpp"
#include "gopreflight/common/go_units.hpp"

namespace gopreflight::initcheck::checks {

namespace {

constexpr const char* kEnvContainer = common::app_env::kContainer;
constexpr const char* kEnvMemory = common::app_env::kMemoryLimit;
constexpr const char* kEnvCpu = common::app_env::kCpuLimitMillicores;
constexpr const char* kEnvGomemlimit = common::app_env::kGomemlimit;
constexpr const char* kEnvGomaxprocs = common::app_env::kGomaxprocs;

using Run = CheckResult (*)(const CheckDef&, const Context&, const nlohmann::json&);

CheckDef define(std::string id, std::string title, std::string explain, nlohmann::json defaults, Run run) {
  return define_check(std::move(id), std::move(title), std::move(explain), "pod", Severity::critical,
                      std::move(defaults), run);
}

const std::string* env_get(const Context& ctx, const char* name) {
  auto it = ctx.env.find(name);
  return it == ctx.env.end() ? nullptr : &it->second;
}

std::string app_name(const Context& ctx) {
  const auto* n = env_get(ctx, kEnvContainer);
  return n && !n->empty() ? *n : std::string("app");
}

/// A limit and where it came from; `value` nullopt = no limit.
struct Limit {
  std::optional<std::int64_t> value;
  std::string source;
};

Result<Limit> memory_limit(const Context& ctx) {
  if (const auto* v = env_get(ctx, kEnvMemory)) {
    auto p = parse_downward_limit(*v);
    if (!p) return fail(std::string(kEnvMemory) + ": " + p.error());
    if (*p && **p <= 0) return fail(std::string(kEnvMemory) + ": a memory limit of 0 bytes is not a limit");
    return Limit{*p, std::string(kEnvMemory) + "=" + *v + ", container " + app_name(ctx)};
  }
  auto cg = read_own_cgroup(ctx.host);
  if (!cg) return fail(std::string(kEnvMemory) + " not set and own cgroup unreadable: " + cg.error());
  auto m = read_memory(ctx.host, *cg);
  if (!m) return fail(std::string(kEnvMemory) + " not set and own cgroup unreadable: " + m.error());
  const std::string note = " (" + std::string(kEnvMemory) + " not set: own cgroup)";
  if (m->root) return Limit{std::nullopt, "root cgroup " + m->where + note};
  auto lim = m->value->max;
  if (m->value->high && (!lim || *m->value->high < *lim)) lim = m->value->high;
  return Limit{lim, m->value->raw + " in " + m->value->dir + note};
}

Result<Limit> cpu_limit_millicores(const Context& ctx) {
  if (const auto* v = env_get(ctx, kEnvCpu)) {
    auto p = parse_downward_limit(*v);
    if (!p) return fail(std::string(kEnvCpu) + ": " + p.error());
    if (*p && **p <= 0) return fail(std::string(kEnvCpu) + ": a CPU limit of 0 millicores is not a limit");
    return Limit{*p, std::string(kEnvCpu) + "=" + *v + ", container " + app_name(ctx)};
  }
  auto cg = read_own_cgroup(ctx.host);
  if (!cg) return fail(std::string(kEnvCpu) + " not set and own cgroup unreadable: " + cg.error());
  auto c = read_cpu(ctx.host, *cg);
  if (!c) return fail(std::string(kEnvCpu) + " not set and own cgroup unreadable: " + c.error());
  const std::string note = " (" + std::string(kEnvCpu) + " not set: own cgroup)";
  if (c->root) return Limit{std::nullopt, "root cgroup " + c->where + note};
  std::optional<std::int64_t> mc;
  if (c->value->quota_us) {
    // millicores rounded up, so ceil(mc/1000) == ceil(quota/period).
    mc = (*c->value->quota_us * 1000 + c->value->period_us - 1) / c->value->period_us;
  }
  return Limit{mc, c->value->raw + " in " + c->value->dir + note};
}

std::string env_fix(const Context& ctx, const std::string& name, const std::string& value) {
  return "Set it on the app container: Pod spec containers[name=" + app_name(ctx) + "].env: `- {name: " + name +
         ", value: \"" + value + "\"}`; systemd: `Environment=" + name + "=" + value +
         "` under [Service]; shell: `export " + name + "=" + value + "`.";
}

CheckResult run_gomemlimit(const CheckDef& def, const Context& ctx, const nlohmann::json& s) {
  auto r = make_result(def, s);
  const double ratio = s.value("ratio", 0.9);
  const double max_ratio = s.value("max_ratio", 0.95);
  const bool warn_unset = s.value("warn_if_unset", true);
  if (!(ratio > 0 && ratio <= 1) || !(max_ratio >= ratio && max_ratio <= 1)) {
    return read_error(r, "bad settings: need 0 < ratio <= max_ratio <= 1");
  }
  auto lim = memory_limit(ctx);
  if (!lim) {
    r.observed = "unreadable";
    return read_error(r, lim.error());
  }
  const auto* conf_text = env_get(ctx, kEnvGomemlimit);
  const std::string conf_show = conf_text ? "GOMEMLIMIT=" + *conf_text : "GOMEMLIMIT unset";
  r.observed = (lim->value ? "limit " + std::to_string(*lim->value) + " bytes" : std::string("no memory limit")) +
               ", " + conf_show + " (" + lim->source + (conf_text ? std::string(", ") + kEnvGomemlimit : "") + ")";
  std::string rec;
  if (lim->value) {
    rec = common::recommend_gomemlimit(*lim->value, ratio);
    char buf[160];
    std::snprintf(buf, sizeof buf, "GOMEMLIMIT <= limit (%s); recommended %s (%.2f x limit, rounded)",
                  human_bytes(*lim->value).c_str(), rec.c_str(), ratio);
    r.expected = buf;
  } else {
    r.expected = "a memory limit, then GOMEMLIMIT = " + std::to_string(ratio).substr(0, 4) + " x limit";
  }

  std::optional<std::optional<std::int64_t>> conf;  // outer: set?; inner nullopt: "off"
  if (conf_text) {
    auto p = common::parse_gomemlimit(*conf_text);
    if (!p) {
      r.status = Status::fail;
      r.message = "GOMEMLIMIT " + p.error() + ": the Go runtime aborts at start-up with \"malformed GOMEMLIMIT\".";
      r.remediation = env_fix(ctx, "GOMEMLIMIT", lim->value ? rec : "512MiB");
      return r;
    }
    conf = p->off ? std::optional<std::int64_t>{} : std::optional<std::int64_t>{p->bytes};
  }

  if (!lim->value) {
    if (conf && *conf) {
      r.status = Status::pass;
      r.message = "GOMEMLIMIT " + human_bytes(**conf) + " bounds the heap; the app container has no memory limit to compare with.";
    } else if (warn_unset) {
      r.status = Status::warn;
      r.message = "Container " + app_name(ctx) + " has no memory limit and GOMEMLIMIT is " +
                  (conf ? "off" : "unset") + ": nothing bounds the Go heap before the node's OOM killer.";
      r.remediation = "Set `resources: {limits: {memory: \"1Gi\"}}` on container " + app_name(ctx) +
                      ", then GOMEMLIMIT to 90% of it: env `- {name: GOMEMLIMIT, value: \"922MiB\"}` "
                      "(systemd: MemoryMax=1G and Environment=GOMEMLIMIT=922MiB).";
    } else {
      r.status = Status::pass;
      r.message = "No memory limit and no GOMEMLIMIT (allowed by warn_if_unset: false).";
    }
    return r;
  }
  const auto limit = *lim->value;
  if (conf && *conf && **conf > limit) {
    r.status = Status::fail;
    r.message = "GOMEMLIMIT " + human_bytes(**conf) + " exceeds the memory limit " + human_bytes(limit) +
                " of container " + app_name(ctx) + ": the GC only works hard near GOMEMLIMIT, so the kernel OOM-kills "
                "the process first.";
    r.remediation = env_fix(ctx, "GOMEMLIMIT", rec);
  } else if (conf && *conf && static_cast<double>(**conf) > max_ratio * static_cast<double>(limit)) {
    r.status = Status::warn;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f%%", max_ratio * 100);
    r.message = "GOMEMLIMIT " + human_bytes(**conf) + " is above " + buf + " of the limit " + human_bytes(limit) +
                ": too little headroom for goroutine stacks, cgo and off-heap memory, which GOMEMLIMIT also counts "
                "only partly.";
    r.remediation = env_fix(ctx, "GOMEMLIMIT", rec);
  } else if (conf && *conf) {
    r.status = Status::pass;
    r.message = "GOMEMLIMIT " + human_bytes(**conf) + " is within the limit " + human_bytes(limit) + ".";
  } else if (warn_unset) {
    r.status = Status::warn;
    r.message = std::string("GOMEMLIMIT is ") + (conf ? "off" : "unset") + " for container " + app_name(ctx) +
                " with a " + human_bytes(limit) + " limit: the GC paces on GOGC alone and a heap spike is "
                "OOM-killed instead of collected. Set GOMEMLIMIT=" + rec + ".";
    r.remediation = env_fix(ctx, "GOMEMLIMIT", rec);
  } else {
    r.status = Status::pass;
    r.message = "GOMEMLIMIT unset (allowed by warn_if_unset: false); recommended " + rec + ".";
  }
  return r;
}

CheckResult run_gomaxprocs(const CheckDef& def, const Context& ctx, const nlohmann::json& s) {
  auto r = make_result(def, s);
  const bool warn_unset = s.value("warn_if_unset", true);
  auto lim = cpu_limit_millicores(ctx);
  if (!lim) {
    r.observed = "unreadable";
    return read_error(r, lim.error());
  }
  const auto* conf_text = env_get(ctx, kEnvGomaxprocs);
  r.observed = (lim->value ? "cpu limit " + std::to_string(*lim->value) + "m" : std::string("no cpu limit")) + ", " +
               (conf_text ? "GOMAXPROCS=" + *conf_text : std::string("GOMAXPROCS unset")) + " (" + lim->source +
               (conf_text ? std::string(", ") + kEnvGomaxprocs : "") + ")";
  const auto rec = lim->value ? common::recommend_gomaxprocs(*lim->value) : 0;
  r.expected = lim->value ? "GOMAXPROCS <= " + std::to_string(rec) + " (max(1, ceil(cpu limit)))"
                          : std::string("any (no CPU limit)");
  std::optional<std::int64_t> conf;
  if (conf_text) {
    auto p = common::parse_gomaxprocs(*conf_text);
    if (!p) {
      r.status = Status::warn;
      r.message = "GOMAXPROCS " + p.error() + " (the Go runtime ignores it), so the default applies.";
      r.remediation = env_fix(ctx, "GOMAXPROCS", lim->value ? std::to_string(rec) : "<number of CPUs>");
      return r;
    }
    conf = *p;
  }
  if (!lim->value) {
    r.status = Status::pass;
    r.message = conf ? "GOMAXPROCS " + std::to_string(*conf) + "; container " + app_name(ctx) + " has no CPU limit."
                     : "No CPU limit: the Go runtime uses the CPUs in its affinity mask.";
    return r;
  }
  const std::string go125 =
      "Go 1.25+ (go.mod `go 1.25` or later) derives the default itself: min(CPUs, max(2, ceil(limit))); older "
      "Go uses every CPU of the node and gets CFS-throttled.";
  if (conf && *conf > rec) {
    r.status = Status::warn;
    r.message = "GOMAXPROCS " + std::to_string(*conf) + " exceeds the CPU limit of container " + app_name(ctx) + " (" +
                std::to_string(*lim->value) + "m, so at most " + std::to_string(rec) +
                "): more running threads than the quota allows means CFS throttling and latency spikes.";
    r.remediation = env_fix(ctx, "GOMAXPROCS", std::to_string(rec));
  } else if (conf) {
    r.status = Status::pass;
    r.message = "GOMAXPROCS " + std::to_string(*conf) + " fits the CPU limit " + std::to_string(*lim->value) + "m.";
  } else if (warn_unset) {
    r.status = Status::warn;
    r.message = "GOMAXPROCS is unset for container " + app_name(ctx) + " with a " + std::to_string(*lim->value) +
                "m CPU limit. " + go125 + " Set GOMAXPROCS=" + std::to_string(rec) + " to be independent of the Go version.";
    r.remediation = env_fix(ctx, "GOMAXPROCS", std::to_string(rec));
  } else {
    r.status = Status::pass;
    r.message = "GOMAXPROCS unset (allowed by warn_if_unset: false). " + go125;
  }
  return r;
}

}  // namespace

std::vector<CheckDef> go_checks() {
  std::vector<CheckDef> out;
  out.push_back(define(
      "go.gomemlimit", "The app's GOMEMLIMIT is set and below its memory limit",
      "The app container's memory limit comes from GOPREFLIGHT_APP_MEMORY_LIMIT (downward API\n"
      "resourceFieldRef limits.memory, divisor 1, or \"unlimited\"), else from the own cgroup\n"
      "(memory.max, or memory.high when lower); its GOMEMLIMIT from GOPREFLIGHT_APP_GOMEMLIMIT.\n"
      "Recommended GOMEMLIMIT = ratio (default 0.9, as automemlimit) x limit, rounded to the nearest\n"
      "MiB and printed in Go syntax (\"922MiB\" for 1GiB). fail: GOMEMLIMIT above the limit, or malformed\n"
      "(the runtime aborts). warn: above max_ratio (0.95) x limit, \"off\", or unset (warn_if_unset).",
      {{"ratio", 0.9}, {"max_ratio", 0.95}, {"warn_if_unset", true}}, run_gomemlimit));
  out.push_back(define(
      "go.gomaxprocs", "The app's GOMAXPROCS fits its CPU limit",
      "The app container's CPU limit comes from GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES (downward API\n"
      "resourceFieldRef limits.cpu, divisor 1m, or \"unlimited\"), else from the own cgroup (cpu.max or\n"
      "cpu.cfs_quota_us/cpu.cfs_period_us); its GOMAXPROCS from GOPREFLIGHT_APP_GOMAXPROCS.\n"
      "Recommended GOMAXPROCS = max(1, ceil(quota/period)). warn when the configured value exceeds it\n"
      "(CFS throttling) or is not a positive integer (ignored by the runtime), and when it is unset\n"
      "under a CPU limit (warn_if_unset): Go 1.25+ (go.mod language version 1.25 or later) sets the\n"
      "default from the cgroup limit itself as min(CPUs, max(2, ceil(limit))), but Go 1.24 and older\n"
      "use every CPU of the node.",
      {{"warn_if_unset", true}}, run_gomaxprocs));
  return out;
}

}  // namespace gopreflight::initcheck::checks
