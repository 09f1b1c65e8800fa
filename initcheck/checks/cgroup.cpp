// cgroup.version, cgroup.memory, cgroup.cpu, cgroup.pids: the process's own cgroup, found from
// <procfs>/self/mountinfo + <procfs>/self/cgroup and read under <sysfs>/fs/cgroup.
//
// Policy (documented in README "gopreflight-check"):
// - cgroup.version: v2 passes; v1 or hybrid warns (fails with require_v2: true). Go reads its
//   limits (GOMAXPROCS in Go 1.25+, automemlimit-style GOMEMLIMIT) from cgroup files, and v2 is
//   what current kernels, runtimes and Kubernetes (MemoryQoS, swap) are built for.
// - cgroup.memory: no memory limit warns (warn_if_unlimited): no GOMEMLIMIT can be derived and
//   the heap grows until the node's OOM killer acts. Swap allowed for the cgroup while swap is
//   active on the node warns (warn_if_swap): a swapped Go heap makes every GC cycle page in.
// - cgroup.cpu: no quota passes (GOMAXPROCS = node CPUs); a quota below min_cpus (default 1)
//   warns: the GC's background workers alone use 25% of GOMAXPROCS and CFS throttles the rest.
// - cgroup.pids: pids.max below min (default 1024) warns: Go needs an OS thread per blocking
//   syscall/cgo call and fails with "pthread_create failed: Resource temporarily unavailable".
// Injected as an init container (webhook/mutate), the check runs in its OWN small cgroup (the
// init container's 100m / 32Mi), not the app's. The injector passes the app container's limits by
// downward API (GOPREFLIGHT_APP_MEMORY_LIMIT, GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES; the list of
// these variables is in go_runtime.cpp): when set, cgroup.memory and cgroup.cpu judge the app's
// limits, and only without them the own cgroup (bare host, ExecStartPre= in the service's cgroup).
#include "gopreflight/common/app_env.hpp"
#include <cstdio>

#include "checks/cgroup_parse.hpp"
#include "checks/common.hpp"
#include "checks/go_parse.hpp"
#include "checks/groups.hpp"

namespace gopreflight::initcheck::checks {

namespace {

using Run = CheckResult (*)(const CheckDef&, const Context&, const nlohmann::json&);

CheckDef define(std::string id, std::string title, std::string explain, std::string scope,
                Severity sev, nlohmann::json defaults, Run run) {
  return define_check(std::move(id), std::move(title), std::move(explain), std::move(scope), sev,
                      std::move(defaults), run);
}

std::string mounts_where(const Context& ctx) {
  return ctx.host.proc_path("self/mountinfo").string() + ", " + ctx.host.proc_path("self/cgroup").string();
}

CheckResult root_skip(CheckResult r, std::string_view controller, std::string_view where) {
  r.status = Status::skip;
  r.observed = observed_at("root " + std::string(controller) + " cgroup, no limit files", where);
  r.message = "The process is in the root " + std::string(controller) +
              " cgroup (bare host or host cgroup namespace): the kernel keeps no limit files there, so "
              "there is no container limit to judge.";
  return r;
}

constexpr const char* kEnvContainer = common::app_env::kContainer;
constexpr const char* kEnvMemory = common::app_env::kMemoryLimit;
constexpr const char* kEnvCpu = common::app_env::kCpuLimitMillicores;

/// The app container's limit given by the injector (downward API), if any.
struct AppLimit {
  std::optional<std::int64_t> value;  ///< nullopt: the app container has no limit
  std::string observed;               ///< "GOPREFLIGHT_APP_...=VALUE (container NAME)"
  std::string container;
};

/// nullopt when `name` is not in the environment (not injected); an error when it is malformed.
std::optional<Result<AppLimit>> app_limit(const Context& ctx, const char* name) {
  auto it = ctx.env.find(name);
  if (it == ctx.env.end()) return std::nullopt;
  auto c = ctx.env.find(kEnvContainer);
  const std::string container = c != ctx.env.end() && !c->second.empty() ? c->second : std::string("app");
  auto p = parse_downward_limit(it->second);
  if (!p) return Result<AppLimit>(fail(std::string(name) + ": " + p.error()));
  if (*p && **p <= 0) return Result<AppLimit>(fail(std::string(name) + "=" + it->second + ": a limit of 0 is not a limit"));
  return Result<AppLimit>(AppLimit{*p, std::string(name) + "=" + it->second + " (container " + container + ")", container});
}

CheckResult run_version(const CheckDef& def, const Context& ctx, const nlohmann::json& s) {
  auto r = make_result(def, s);
  const bool require_v2 = s.value("require_v2", false);
  r.expected = require_v2 ? "v2 (required)" : "v2 (v1/hybrid warns)";
  const auto where = ctx.host.proc_path("self/mountinfo").string();
  auto text = ctx.host.proc("self/mountinfo");
  if (!text) {
    r.observed = "unreadable (" + where + ")";
    return read_error(r, text.error());
  }
  auto mounts = parse_mountinfo(*text);
  if (!mounts) {
    r.observed = "unparsable (" + where + ")";
    return read_error(r, where + ": " + mounts.error());
  }
  auto layout = detect_cgroup_layout(*mounts);
  if (!layout) {
    r.observed = "no cgroup mount (" + where + ")";
    return read_error(r, where + ": " + layout.error());
  }
  std::string detail;
  if (layout->mode == CgroupMode::v2) detail = "cgroup2 at /sys/fs/cgroup";
  else if (layout->mode == CgroupMode::hybrid) detail = "v1 controllers + cgroup2 at /sys/fs/cgroup/unified";
  else detail = "v1 controllers at /sys/fs/cgroup/*";
  r.observed = observed_at(std::string(to_string(layout->mode)) + ": " + detail, where);
  if (layout->mode == CgroupMode::v2) {
    r.status = Status::pass;
    r.message = "The unified cgroup v2 hierarchy is mounted (node-wide setting).";
    return r;
  }
  r.status = require_v2 ? Status::fail : Status::warn;
  r.message = "The node (node-wide boot setting) runs cgroup " + std::string(to_string(layout->mode)) +
              ": Go 1.25+ derives GOMAXPROCS from the cgroup CPU limit and memory-limit tooling reads "
              "memory.max; Kubernetes features (MemoryQoS, swap control, PSI) need v2; v1 is in maintenance "
              "mode since Kubernetes 1.31 and deprecated in systemd 256.";
  r.remediation =
      "Boot the node with cgroup v2: add systemd.unified_cgroup_hierarchy=1 to GRUB_CMDLINE_LINUX in "
      "/etc/default/grub, then `update-grub && reboot` (kubelet: cgroupDriver: systemd in the "
      "KubeletConfiguration); check with `stat -fc %T /sys/fs/cgroup` (expect cgroup2fs).";
  return r;
}

CheckResult run_memory(const CheckDef& def, const Context& ctx, const nlohmann::json& s) {
  auto r = make_result(def, s);
  const bool warn_unlimited = s.value("warn_if_unlimited", true);
  const bool warn_swap = s.value("warn_if_swap", true);
  r.expected = std::string(warn_unlimited ? "a memory limit" : "any memory limit") +
               (warn_swap ? "; no swap while node swap is on" : "");
  if (auto app = app_limit(ctx, kEnvMemory)) {
    if (!*app) {
      r.observed = "unparsable (" + std::string(kEnvMemory) + ")";
      return read_error(r, app->error());
    }
    const auto& a = **app;
    r.observed = a.observed;
    if (!a.value && warn_unlimited) {
      r.status = Status::warn;
      r.message = "The app container " + a.container +
                  " has no memory limit: no GOMEMLIMIT can be derived and the Go heap can grow until the "
                  "node's OOM killer picks a victim.";
      r.remediation = "Set the app container's limit in the Pod spec: containers[name=" + a.container +
                      "].resources: `{limits: {memory: \"512Mi\"}}`.";
    } else {
      r.status = Status::pass;
      r.message = a.value ? "The app container " + a.container + " has a memory limit of " + human_bytes(*a.value) + "."
                          : "The app container " + a.container + " has no memory limit (allowed by warn_if_unlimited: false).";
    }
    return r;
  }
  auto cg = read_own_cgroup(ctx.host);
  if (!cg) {
    r.observed = "unreadable (" + mounts_where(ctx) + ")";
    return read_error(r, cg.error());
  }
  auto m = read_memory(ctx.host, *cg);
  if (!m) {
    r.observed = "unreadable (" + mounts_where(ctx) + ")";
    return read_error(r, m.error());
  }
  if (m->root) return root_skip(r, "memory", m->where);
  const auto& mem = *m->value;
  r.observed = observed_at(mem.raw, mem.dir);

  // Whether swap is active on the node decides if a swap allowance matters.
  std::optional<bool> node_swap;
  if (auto sw = ctx.host.proc("swaps")) {
    int lines = 0;
    for (char c : *sw) lines += c == '\n';
    const bool trailing = !sw->empty() && sw->back() != '\n';
    node_swap = (lines + (trailing ? 1 : 0)) > 1;  // first line is the header
  }
  const bool swap_allowed = mem.swap_file_present && (!mem.swap_max || *mem.swap_max > 0);
  const bool swap_counts = swap_allowed && (node_swap.value_or(mem.swap_max.has_value()));

  std::string note;
  if (mem.high && (!mem.max || *mem.high < *mem.max)) {
    note = " memory.high " + human_bytes(*mem.high) +
           " throttles (reclaims) before the hard limit: derive GOMEMLIMIT from it.";
  }
  if (!mem.max && warn_unlimited) {
    r.status = Status::warn;
    r.message = "The container has no memory limit: no GOMEMLIMIT can be derived and the Go heap can grow "
                "until the node's OOM killer picks a victim." + note;
    r.remediation =
        "Set the app container's limit in the Pod spec: `resources: {limits: {memory: \"512Mi\"}}`; "
        "on a bare host `systemctl set-property app.service MemoryMax=512M` (persistent: "
        "MemoryMax=512M under [Service]).";
  } else if (swap_counts && warn_swap) {
    r.status = Status::warn;
    r.message = "The cgroup may swap (" +
                std::string(mem.swap_max ? human_bytes(*mem.swap_max) : std::string("unlimited")) +
                ") and swap is active on the node: a swapped-out Go heap makes every GC mark phase "
                "page it back in, turning GC pauses into disk latency." + note;
    r.remediation =
        "Forbid swap for the container: KubeletConfiguration `memorySwap: {swapBehavior: NoSwap}`; "
        "systemd `MemorySwapMax=0` under [Service]; podman/docker `--memory-swap` equal to `--memory`; "
        "or node-wide `swapoff -a` and remove the swap line from /etc/fstab.";
  } else {
    r.status = Status::pass;
    r.message = mem.max ? "Memory limit " + human_bytes(*mem.max) + " is set" +
                              (swap_allowed ? "" : " and swap is off") + "." + note
                        : "No memory limit (allowed by warn_if_unlimited: false)." + note;
  }
  return r;
}

CheckResult run_cpu(const CheckDef& def, const Context& ctx, const nlohmann::json& s) {
  auto r = make_result(def, s);
  const double min_cpus = s.value("min_cpus", 1.0);
  r.expected = "no quota, or a quota >= " + std::to_string(min_cpus).substr(0, 4) + " CPU";
  if (auto app = app_limit(ctx, kEnvCpu)) {
    if (!*app) {
      r.observed = "unparsable (" + std::string(kEnvCpu) + ")";
      return read_error(r, app->error());
    }
    const auto& a = **app;
    r.observed = a.observed;
    if (!a.value) {
      r.status = Status::pass;
      r.message = "The app container " + a.container + " has no CPU limit: the Go runtime sizes GOMAXPROCS to the node's CPUs.";
      return r;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(*a.value) / 1000.0);
    if (static_cast<double>(*a.value) < min_cpus * 1000.0) {
      r.status = Status::warn;
      r.message = "The app container " + a.container + "'s CPU limit is " + buf +
                  " CPU: below one CPU the Go GC's background workers (25% of GOMAXPROCS) and the application "
                  "share a quota CFS throttles every period.";
      r.remediation = "Give the app container at least one CPU: Pod spec containers[name=" + a.container +
                      "].resources: `{limits: {cpu: \"1\"}}` (or drop the CPU limit and keep requests).";
    } else {
      r.status = Status::pass;
      r.message = "The app container " + a.container + "'s CPU limit is " + buf + " CPU.";
    }
    return r;
  }
  auto cg = read_own_cgroup(ctx.host);
  if (!cg) {
    r.observed = "unreadable (" + mounts_where(ctx) + ")";
    return read_error(r, cg.error());
  }
  auto c = read_cpu(ctx.host, *cg);
  if (!c) {
    r.observed = "unreadable (" + mounts_where(ctx) + ")";
    return read_error(r, c.error());
  }
  if (c->root) return root_skip(r, "cpu", c->where);
  const auto& cpu = *c->value;
  r.observed = observed_at(cpu.raw, cpu.dir);
  if (!cpu.quota_us) {
    r.status = Status::pass;
    r.message = "No CPU quota: the Go runtime sizes GOMAXPROCS to the node's CPUs.";
    return r;
  }
  const double cpus = static_cast<double>(*cpu.quota_us) / static_cast<double>(cpu.period_us);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", cpus);
  if (cpus < min_cpus) {
    r.status = Status::warn;
    r.message = std::string("CPU quota is ") + buf +
                " CPU: below one CPU the Go GC's background workers (25% of GOMAXPROCS) and the "
                "application share a quota CFS throttles every period, adding up to " +
                std::to_string((cpu.period_us - *cpu.quota_us) / 1000) + " ms stalls per period.";
    r.remediation =
        "Give the app container at least one CPU: Pod spec `resources: {limits: {cpu: \"1\"}}` (or drop "
        "the CPU limit and keep requests); systemd `CPUQuota=100%` under [Service].";
  } else {
    r.status = Status::pass;
    r.message = std::string("CPU quota is ") + buf + " CPU.";
  }
  return r;
}

CheckResult run_pids(const CheckDef& def, const Context& ctx, const nlohmann::json& s) {
  auto r = make_result(def, s);
  const auto min = s.value("min", std::int64_t{1024});
  r.expected = "pids.max >= " + std::to_string(min) + " (or max)";
  auto cg = read_own_cgroup(ctx.host);
  if (!cg) {
    r.observed = "unreadable (" + mounts_where(ctx) + ")";
    return read_error(r, cg.error());
  }
  auto dir = controller_dir(*cg, "pids");
  if (!dir) {
    r.observed = "unreadable (" + mounts_where(ctx) + ")";
    return read_error(r, dir.error());
  }
  const auto rel = dir->sys_rel + "/pids.max";
  const auto where = ctx.host.sys_path(rel).string();
  if (!ctx.host.sys_exists(rel)) {
    if (dir->is_root) return root_skip(r, "pids", ctx.host.sys_path(dir->sys_rel).string());
    r.observed = "missing (" + where + ")";
    return read_error(r, "reading " + where + ": no such file (pids controller not enabled for this cgroup?)");
  }
  auto text = ctx.host.sys(rel);
  if (!text) {
    r.observed = "unreadable (" + where + ")";
    return read_error(r, text.error());
  }
  auto v = parse_cgroup_limit(*text);
  r.observed = observed_at(std::string(trim(*text).substr(0, 64)), where);
  if (!v) return read_error(r, where + ": " + v.error());
  if (*v && **v < min) {
    r.status = Status::warn;
    r.message = "pids.max is " + std::to_string(**v) + " (below " + std::to_string(min) +
                "): every goroutine blocked in a syscall or cgo call holds an OS thread, and at the limit "
                "the runtime dies with \"pthread_create failed: Resource temporarily unavailable\".";
    r.remediation = "Raise the limit: KubeletConfiguration `podPidsLimit: 4096`; podman/docker "
                    "`--pids-limit 4096`; systemd `TasksMax=4096` under [Service].";
  } else {
    r.status = Status::pass;
    r.message = *v ? "pids.max " + std::to_string(**v) + " leaves room for Go's threads." : "No pids limit.";
  }
  return r;
}

}  // namespace

std::vector<CheckDef> cgroup_checks() {
  std::vector<CheckDef> out;
  out.push_back(define(
      "cgroup.version", "The node runs the unified cgroup v2 hierarchy", 
      "Reads <procfs>/self/mountinfo: cgroup2 mounted at /sys/fs/cgroup is v2; v1 controllers under\n"
      "/sys/fs/cgroup/<name> are v1, plus cgroup2 at /sys/fs/cgroup/unified is hybrid.\n"
      "v1/hybrid warns (fails with require_v2: true): Go 1.25+ sizes GOMAXPROCS from the cgroup CPU\n"
      "limit, GOMEMLIMIT tooling reads memory.max, and Kubernetes MemoryQoS/swap control need v2.\n"
      "The pre-launch checklist expects `stat -fc %T /sys/fs/cgroup` to print cgroup2fs.\n"
      "Node-wide boot setting: systemd.unified_cgroup_hierarchy=1 on the kernel command line.",
      "node", Severity::critical, {{"require_v2", false}}, run_version));
  out.push_back(define(
      "cgroup.memory", "The container has a memory limit and does not swap",
      "Reads memory.max, memory.high, memory.swap.max of the own cgroup (v1: memory.limit_in_bytes,\n"
      "memory.soft_limit_in_bytes, memory.memsw.limit_in_bytes), located through <procfs>/self/cgroup\n"
      "and the cgroup mount in <procfs>/self/mountinfo, under <sysfs>/fs/cgroup.\n"
      "warn when there is no limit (warn_if_unlimited): GOMEMLIMIT cannot be derived and the heap grows\n"
      "until the OOM killer acts; warn when the cgroup may swap while <procfs>/swaps lists an active\n"
      "swap device (warn_if_swap): GC marking pages a swapped heap back in. memory.high below memory.max\n"
      "is reported: the kernel throttles there, so GOMEMLIMIT should be derived from it.\n"
      "skip in the root cgroup (no limit files exist there).\n"
      "Injected (GOPREFLIGHT_APP_MEMORY_LIMIT set by the webhook, downward API): judges the app\n"
      "container's limit instead of the init container's own cgroup.",
      "container", Severity::critical, {{"warn_if_unlimited", true}, {"warn_if_swap", true}}, run_memory));
  out.push_back(define(
      "cgroup.cpu", "The container's CPU quota is at least one CPU",
      "Reads cpu.max (\"max 100000\" or \"QUOTA PERIOD\") of the own cgroup (v1: cpu.cfs_quota_us and\n"
      "cpu.cfs_period_us). No quota passes; a quota below min_cpus (default 1.0) warns: the Go GC's\n"
      "background workers take 25% of GOMAXPROCS and CFS throttling stalls the whole process until\n"
      "the next period. go.gomaxprocs derives the recommended GOMAXPROCS from the same reading.\n"
      "Injected (GOPREFLIGHT_APP_CPU_LIMIT_MILLICORES set by the webhook, downward API): judges the\n"
      "app container's limit instead of the init container's own cgroup.",
      "container", Severity::critical, {{"min_cpus", 1.0}}, run_cpu));
  out.push_back(define(
      "cgroup.pids", "The container's pids limit leaves room for Go's OS threads",
      "Reads pids.max of the own cgroup (same file on v1 and v2). \"max\" passes; a limit below min\n"
      "(default 1024) warns: each goroutine blocked in a syscall or cgo call holds an OS thread, and\n"
      "at the limit the Go runtime aborts with \"pthread_create failed\".",
      "container", Severity::critical, {{"min", 1024}}, run_pids));
  return out;
}

}  // namespace gopreflight::initcheck::checks
