// swap, sysctl.<name> and conntrack.usage: kernel tunables read from <procfs>/sys and
// <procfs>/swaps. vm/fs are node-wide; net.* reflect the Pod's network namespace.
#include "checks/sysctl.hpp"

#include <algorithm>
#include <cstdio>

#include "checks/common.hpp"
#include "checks/groups.hpp"

namespace gopreflight::initcheck::checks {

Result<std::vector<SwapEntry>> parse_swaps(std::string_view text) {
  std::vector<SwapEntry> out;
  bool header = false;
  std::size_t pos = 0;
  std::size_t lineno = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    auto line = trim(text.substr(pos, nl - pos));
    pos = nl + 1;
    ++lineno;
    if (line.empty()) continue;
    const auto where = "line " + std::to_string(lineno);
    auto toks = split_ws(line);
    if (!header) {
      if (toks.size() < 4 || toks[0] != "Filename" || toks[1] != "Type") {
        return fail(where + ": expected the header \"Filename Type Size Used Priority\"");
      }
      header = true;
      continue;
    }
    // The filename may contain spaces (the kernel escapes them as \040), so read from the end.
    if (toks.size() < 5) return fail(where + ": expected \"Filename Type Size Used Priority\"");
    const auto n = toks.size();
    auto size = parse_int(toks[n - 3]);
    auto used = parse_int(toks[n - 2]);
    auto prio = parse_int(toks[n - 1]);
    if (!size || !used || !prio || *size < 0 || *used < 0) {
      return fail(where + ": size, used and priority must be integers");
    }
    SwapEntry e;
    e.filename = std::string(toks[0]);
    for (std::size_t k = 1; k + 4 < n; ++k) e.filename += " " + std::string(toks[k]);
    e.type = std::string(toks[n - 4]);
    e.size_kib = *size;
    e.used_kib = *used;
    out.push_back(std::move(e));
  }
  if (!header) return fail("swaps file is empty (no header line)");
  return out;
}

Result<PortRange> parse_port_range(std::string_view text) {
  auto toks = split_ws(text);
  if (toks.size() != 2) return fail("expected two ports \"LOW HIGH\", got " + std::to_string(toks.size()) + " fields");
  auto lo = parse_int(toks[0]);
  auto hi = parse_int(toks[1]);
  if (!lo || !hi) return fail("ports must be integers");
  if (*lo < 1 || *hi > 65535 || *lo > *hi) return fail("ports must satisfy 1 <= LOW <= HIGH <= 65535");
  return PortRange{*lo, *hi};
}

std::string sysctl_rel_path(std::string_view name) {
  std::string out = "sys/";
  for (char c : name) out += (c == '.') ? '/' : c;
  return out;
}

namespace {
std::string i2s(std::int64_t v) { return std::to_string(v); }
std::string ints(const nlohmann::json& list) {
  std::string out;
  if (!list.is_array()) return out;
  for (const auto& e : list) {
    if (!e.is_number_integer()) continue;
    out += (out.empty() ? "" : ", ") + i2s(e.get<std::int64_t>());
  }
  return out;
}
}  // namespace

SysctlVerdict judge_sysctl(const SysctlSpec& spec, std::string_view raw, const nlohmann::json& s) {
  SysctlVerdict v;
  const auto text = trim(raw);
  if (spec.rule == SysctlRule::range_width) {
    const auto min_width = s.value("min_width", std::int64_t{64512});
    const auto rec = s.value("recommended", std::string("1024 65535"));
    v.expected = "range width >= " + i2s(min_width) + " ports (e.g. \"" + rec + "\")";
    v.fix_value = rec;
    auto pr = parse_port_range(text);
    if (!pr) {
      v.detail = pr.error();
      return v;
    }
    v.status = pr->width() >= min_width ? Status::pass : Status::fail;
    v.detail = i2s(pr->width()) + " ports (" + i2s(pr->low) + "-" + i2s(pr->high) + ")";
    return v;
  }
  auto n = parse_int(text);
  switch (spec.rule) {
    case SysctlRule::min: {
      const auto min = s.value("min", std::int64_t{0});
      v.expected = ">= " + i2s(min);
      v.fix_value = i2s(min);
      if (!n) break;
      v.status = *n >= min ? Status::pass : Status::fail;
      v.detail = i2s(*n) + (*n >= min ? " >= " : " < ") + i2s(min);
      return v;
    }
    case SysctlRule::max: {
      const auto max = s.value("max", std::int64_t{0});
      v.expected = "<= " + i2s(max);
      v.fix_value = i2s(max);
      if (!n) break;
      v.status = *n <= max ? Status::pass : Status::fail;
      v.detail = i2s(*n) + (*n <= max ? " <= " : " > ") + i2s(max);
      return v;
    }
    case SysctlRule::one_of: {
      const auto allowed = s.value("allowed", nlohmann::json::array());
      v.expected = "one of: " + ints(allowed);
      v.fix_value = spec.value_for.empty() && !allowed.empty() && allowed[0].is_number_integer()
                        ? i2s(allowed[0].get<std::int64_t>())
                        : spec.value_for;
      if (!n) break;
      const bool ok = std::any_of(allowed.begin(), allowed.end(), [&](const nlohmann::json& e) {
        return e.is_number_integer() && e.get<std::int64_t>() == *n;
      });
      v.status = ok ? Status::pass : Status::fail;
      v.detail = i2s(*n) + (ok ? " is allowed" : " is not in {" + ints(allowed) + "}");
      return v;
    }
    case SysctlRule::range_width: break;
  }
  v.status = Status::error;
  v.detail = text.empty() ? "the value is empty" : "\"" + std::string(text.substr(0, 32)) + "\" is not an integer";
  return v;
}

const std::vector<SysctlSpec>& sysctl_specs() {
  using R = SysctlRule;
  using S = SysctlScope;
  static const std::vector<SysctlSpec> specs = {
      {"vm.max_map_count", R::min, S::node,
       "each Go heap arena, goroutine stack span and mmap-ed file is a memory mapping; at the "
       "limit mmap fails with ENOMEM and the Go runtime aborts with \"out of memory\" while RAM is "
       "free (large heaps, mmap-based stores such as bbolt/badger)", ""},
      {"vm.swappiness", R::max, S::node,
       "a high value lets the kernel swap out Go heap pages; the GC then touches them while "
       "marking and every GC cycle stalls on disk reads (the source article: 1-10)", ""},
      {"vm.overcommit_memory", R::one_of, S::node,
       "mode 2 (strict accounting) charges every writable mapping against CommitLimit, so Go heap "
       "growth and new goroutine stacks get ENOMEM long before RAM is used up and the runtime "
       "aborts with \"fatal error: out of memory\" (Go cannot recover from a failed allocation); "
       "0 (heuristic, the default) or 1 let the cgroup limit and GOMEMLIMIT govern memory", "0"},
      {"fs.file-max", R::min, S::node,
       "the node-wide ceiling of open files; when reached every process, the Go service "
       "included, gets ENFILE on accept/dial/open", ""},
      {"fs.nr_open", R::min, S::node,
       "the ceiling for any process's RLIMIT_NOFILE: LimitNOFILE=1048576 (see rlimit.nofile) "
       "cannot be set above it", ""},
      {"fs.inotify.max_user_watches", R::min, S::node,
       "config hot-reload with fsnotify needs one watch per file or directory, shared by all "
       "processes of the user ID on the node; at the limit NewWatcher/Add fail with ENOSPC", ""},
      {"fs.inotify.max_user_instances", R::min, S::node,
       "every fsnotify.NewWatcher is an inotify instance, shared by all processes of the user ID "
       "on the node (kubelet, runtimes and sidecars too); the default 128 runs out and Go watchers "
       "fail with EMFILE \"too many open files\"", ""},
      {"net.core.somaxconn", R::min, S::netns_unsafe,
       "Go's net.Listen uses this value as the listen backlog, so it caps the accept queue; "
       "connection bursts beyond it are dropped and clients retry after 1 s (the source "
       "article: 65535)", ""},
      {"net.ipv4.tcp_tw_reuse", R::one_of, S::netns_unsafe,
       "1 lets outgoing connections reuse TIME_WAIT ports (with TCP timestamps); 2, the default "
       "of recent kernels, does it for loopback only, so a Go client opening many short "
       "connections to other Pods exhausts local ports (\"cannot assign requested address\")",
       "1"},
      {"net.ipv4.tcp_fin_timeout", R::max, S::netns_safe,
       "orphaned connections stay in FIN_WAIT_2 this many seconds, holding ports and memory "
       "after a Go client closes them (the source article: 30)", ""},
      {"net.ipv4.ip_local_port_range", R::range_width, S::netns_safe,
       "the ephemeral ports every outgoing Go connection needs; a narrow range limits "
       "concurrent connections to one destination (the source article: \"1024 65535\")", ""},
      {"net.netfilter.nf_conntrack_max", R::min, S::netns_node_owned,
       "when the connection-tracking table is full the kernel drops new packets (\"nf_conntrack: "
       "table full, dropping packet\") and Go's long-lived connections get reset", ""},
      {"net.netfilter.nf_conntrack_tcp_timeout_established", R::max, S::netns_node_owned,
       "idle established entries live this long (kernel default 5 days, kube-proxy 1 day), "
       "filling the table; Go keep-alive connections idle minutes, not days (the source "
       "article: 1800)", ""},
  };
  return specs;
}

namespace {

bool is_netfilter(std::string_view name) { return name.substr(0, 14) == "net.netfilter."; }

std::string scope_phrase(SysctlScope scope) {
  switch (scope) {
    case SysctlScope::node: return "node-wide";
    case SysctlScope::netns_safe:
    case SysctlScope::netns_unsafe: return "reflects the Pod's network namespace";
    case SysctlScope::netns_node_owned:
      return "reflects the Pod's network namespace; the node's own value is what matters for "
             "Service traffic";
  }
  return "node-wide";
}

std::string quoted(const std::string& v) {
  return v.find(' ') == std::string::npos ? v : "\"" + v + "\"";
}

std::string remediation(const SysctlSpec& spec, const std::string& value) {
  const auto& n = spec.name;
  const std::string host = "`sysctl -w " + n + "=" + quoted(value) +
                           "`; persistent: /etc/sysctl.d/99-go-prod.conf: `" + n + " = " + value +
                           "` (then `sysctl --system`)";
  const std::string pod_field = "spec.securityContext.sysctls: [{name: " + n + ", value: \"" + value + "\"}]";
  switch (spec.scope) {
    case SysctlScope::node:
      return "Node tuning: " + host +
             ". On Kubernetes set it on the node (node pool OS config or a privileged tuning "
             "DaemonSet); a Pod cannot change it.";
    case SysctlScope::netns_safe:
      return "Pod (a safe sysctl, allowed by default): " + pod_field + ". Bare host: " + host + ".";
    case SysctlScope::netns_unsafe:
      return "Unsafe sysctl: allow it on the kubelet with `--allowed-unsafe-sysctls=" + n +
             "` (KubeletConfiguration allowedUnsafeSysctls: [\"" + n + "\"]), then set Pod " +
             pod_field + ". Bare host: " + host + ".";
    case SysctlScope::netns_node_owned: {
      const bool max = n == "net.netfilter.nf_conntrack_max";
      return "Node tuning: " + host + ". On Kubernetes kube-proxy sets this at start and overrides "
             "sysctl.d: set KubeProxyConfiguration " +
             (max ? std::string("conntrack.maxPerCore (--conntrack-max-per-core; kube-proxy sets "
                                "nf_conntrack_max = maxPerCore x CPUs, at least conntrack.min)")
                  : std::string("conntrack.tcpEstablishedTimeout: 30m0s "
                                "(--conntrack-tcp-timeout-established)")) +
             ".";
    }
  }
  return host;
}

/// Error when the procfs root itself is missing (a wrong --path.procfs must never read as skip).
std::optional<std::string> procfs_missing(const Context& ctx) {
  if (ctx.host.proc_exists("sys")) return std::nullopt;
  return "procfs root " + ctx.host.proc_path("sys").string() + " does not exist (is --path.procfs right?)";
}

CheckResult run_sysctl(const CheckDef& def, const SysctlSpec& spec, const Context& ctx,
                       const nlohmann::json& s) {
  auto r = make_result(def, s);
  const auto rel = sysctl_rel_path(spec.name);
  const auto path = ctx.host.proc_path(rel).string();
  const auto scope = scope_phrase(spec.scope);
  r.expected = judge_sysctl(spec, "", s).expected;
  if (!ctx.host.proc_exists(rel)) {
    r.observed = "absent (" + path + ")";
    if (auto why = procfs_missing(ctx)) return read_error(r, *why);
    r.status = Status::skip;
    r.message = is_netfilter(spec.name)
                    ? "Not applicable: nf_conntrack module not loaded (" + path +
                          " does not exist), so there is no connection tracking here."
                    : "Not applicable: the kernel does not expose " + path +
                          " (not built in or too old).";
    return r;
  }
  auto text = ctx.host.proc(rel);
  if (!text) {
    r.observed = "unreadable (" + path + ")";
    return read_error(r, text.error());
  }
  auto raw = std::string(trim(*text).substr(0, 64));
  for (auto& c : raw) if (c == '\t') c = ' ';
  r.observed = observed_at(raw.empty() ? "\"\"" : raw, path);
  auto v = judge_sysctl(spec, *text, s);
  r.expected = v.expected;
  if (v.status == Status::error) {
    return read_error(r, "cannot parse " + path + " (" + spec.name + "): " + v.detail);
  }
  r.status = v.status;
  if (v.status == Status::pass) {
    r.message = spec.name + " is " + raw + " (" + scope + "): " + v.detail + ".";
    return r;
  }
  r.message = spec.name + " is " + raw + " (" + scope + "), expected " + v.expected + ": " + spec.why + ".";
  r.remediation = remediation(spec, v.fix_value);
  return finish(r);
}

CheckResult run_swap(const CheckDef& def, const Context& ctx, const nlohmann::json& s) {
  auto r = make_result(def, s);
  r.expected = "no active swap";
  const auto path = ctx.host.proc_path("swaps").string();
  if (!ctx.host.proc_exists("swaps")) {
    r.observed = "absent (" + path + ")";
    if (auto why = procfs_missing(ctx)) return read_error(r, *why);
    r.status = Status::skip;
    r.message = "Not applicable: " + path + " does not exist (kernel built without swap support).";
    return r;
  }
  auto text = ctx.host.proc("swaps");
  if (!text) {
    r.observed = "unreadable (" + path + ")";
    return read_error(r, text.error());
  }
  auto swaps = parse_swaps(*text);
  if (!swaps) {
    r.observed = "unparsable (" + path + ")";
    return read_error(r, "cannot parse " + path + ": " + swaps.error());
  }
  if (swaps->empty()) {
    r.status = Status::pass;
    r.observed = observed_at("no swap areas", path);
    r.message = "No swap is active (node-wide): Go heap pages stay in RAM.";
    return r;
  }
  std::string list;
  std::int64_t total = 0;
  for (const auto& e : *swaps) {
    list += (list.empty() ? "" : ", ") + e.filename + " " + e.type + " " + std::to_string(e.size_kib) +
            " KiB (" + std::to_string(e.used_kib) + " KiB used)";
    total += e.size_kib;
  }
  r.observed = observed_at(list, path);
  r.status = Status::fail;
  r.message = "Swap is active (node-wide, " + std::to_string(total) + " KiB in " +
              std::to_string(swaps->size()) +
              " area(s)): the Go GC scans the whole live heap each cycle, so swapped-out heap "
              "pages turn every mark phase into disk reads and latency spikes; with kubelet's "
              "NodeSwap feature (swapBehavior LimitedSwap) Burstable Pods may be swapped.";
  r.remediation =
      "On the node: `swapoff -a`; persistent: comment out the swap lines in /etc/fstab (and "
      "`systemctl mask swap.target` / disable zram swap); on Kubernetes keep kubelet "
      "KubeletConfiguration memorySwap.swapBehavior: NoSwap (failSwapOn: true).";
  return finish(r);
}

CheckResult run_conntrack(const CheckDef& def, const Context& ctx, const nlohmann::json& s) {
  auto r = make_result(def, s);
  const auto warn = s.value("warn_percent", 80.0);
  const auto fail_at = s.value("fail_percent", 95.0);
  char exp[96];
  std::snprintf(exp, sizeof exp, "count/max < %.0f%% (warn from %.0f%%, fail from %.0f%%)", warn, warn, fail_at);
  r.expected = exp;
  constexpr std::string_view kCount = "sys/net/netfilter/nf_conntrack_count";
  constexpr std::string_view kMax = "sys/net/netfilter/nf_conntrack_max";
  const auto cpath = ctx.host.proc_path(kCount).string();
  const auto mpath = ctx.host.proc_path(kMax).string();
  if (!ctx.host.proc_exists(kCount) || !ctx.host.proc_exists(kMax)) {
    r.observed = "absent (" + cpath + ")";
    if (auto why = procfs_missing(ctx)) return read_error(r, *why);
    r.status = Status::skip;
    r.message = "Not applicable: nf_conntrack module not loaded (" + cpath +
                " does not exist), so there is no connection-tracking table to fill.";
    return r;
  }
  auto ct = ctx.host.proc(kCount);
  auto mx = ctx.host.proc(kMax);
  if (!ct || !mx) {
    r.observed = "unreadable (" + (ct ? mpath : cpath) + ")";
    return read_error(r, ct ? mx.error() : ct.error());
  }
  auto count = parse_int(*ct);
  auto max = parse_int(*mx);
  r.observed = std::string(trim(*ct).substr(0, 32)) + " (" + cpath + ") / " +
               std::string(trim(*mx).substr(0, 32)) + " (" + mpath + ")";
  if (!count || !max || *count < 0 || *max < 0) {
    return read_error(r, "cannot parse " + (count ? mpath : cpath) + ": expected a non-negative integer");
  }
  if (*max == 0) return read_error(r, mpath + " is 0: cannot compute the table's usage");
  const double pct = 100.0 * static_cast<double>(*count) / static_cast<double>(*max);
  char p[32];
  std::snprintf(p, sizeof p, "%.1f%%", pct);
  const std::string head = "Connection-tracking table is " + std::string(p) + " full (" +
                           std::to_string(*count) + " of " + std::to_string(*max) +
                           "; reflects the Pod's network namespace)";
  if (pct < warn) {
    r.status = Status::pass;
    r.message = head + ".";
    return r;
  }
  r.status = pct >= fail_at ? Status::fail : Status::warn;
  r.message = head + ": when it fills the kernel drops new packets (\"nf_conntrack: table full, "
                     "dropping packet\") and Go connections time out or get reset.";
  r.remediation =
      "Raise the table on the node: `sysctl -w net.netfilter.nf_conntrack_max=1048576`; "
      "persistent: /etc/sysctl.d/99-go-prod.conf: `net.netfilter.nf_conntrack_max = 1048576` "
      "(with kube-proxy: KubeProxyConfiguration conntrack.maxPerCore); shorten idle entries with "
      "net.netfilter.nf_conntrack_tcp_timeout_established = 1800; and reuse connections "
      "(http.Transport MaxIdleConnsPerHost) instead of opening new ones.";
  return finish(r);
}

std::string pretty_rule(const SysctlSpec& spec, const nlohmann::json& d) {
  switch (spec.rule) {
    case SysctlRule::min: return ">= " + d["min"].dump();
    case SysctlRule::max: return "<= " + d["max"].dump();
    case SysctlRule::one_of: return "one of " + d["allowed"].dump();
    case SysctlRule::range_width: return "width >= " + d["min_width"].dump() + " (" + d["recommended"].get<std::string>() + ")";
  }
  return "";
}

nlohmann::json spec_defaults(const SysctlSpec& spec) {
  const auto& n = spec.name;
  if (n == "vm.max_map_count") return {{"min", 262144}};
  if (n == "vm.swappiness") return {{"max", 10}};
  if (n == "vm.overcommit_memory") return {{"allowed", {0, 1}}};
  if (n == "fs.file-max") return {{"min", 2097152}};
  if (n == "fs.nr_open") return {{"min", 1048576}};
  if (n == "fs.inotify.max_user_watches") return {{"min", 524288}};
  if (n == "fs.inotify.max_user_instances") return {{"min", 8192}};
  if (n == "net.core.somaxconn") return {{"min", 65535}};
  if (n == "net.ipv4.tcp_tw_reuse") return {{"allowed", {1}}};
  if (n == "net.ipv4.tcp_fin_timeout") return {{"max", 30}};
  if (n == "net.ipv4.ip_local_port_range") return {{"min_width", 64512}, {"recommended", "1024 65535"}};
  if (n == "net.netfilter.nf_conntrack_max") return {{"min", 524288}};
  if (n == "net.netfilter.nf_conntrack_tcp_timeout_established") return {{"max", 1800}};
  return nlohmann::json::object();
}

}  // namespace

std::vector<CheckDef> sysctl_checks() {
  std::vector<CheckDef> out;
  {
    CheckDef d;
    d.id = "swap";
    d.title = "No swap is active (node-wide)";
    d.explain =
        "Reads <procfs>/swaps (node-wide, also inside containers). Any active swap area is\n"
        "reported at severity warning: the Go GC marks the whole live heap every cycle, so\n"
        "swapped heap pages make GC and request latency depend on disk. No rows passes; the file\n"
        "missing (kernel without CONFIG_SWAP) is skip. Fix: swapoff -a and /etc/fstab; kubelet\n"
        "memorySwap.swapBehavior NoSwap.";
    d.scope = "node";
    d.default_severity = Severity::warning;
    d.run = [def = d](const Context& c, const nlohmann::json& s) { return run_swap(def, c, s); };
    out.push_back(std::move(d));
  }
  for (const auto& spec : sysctl_specs()) {
    CheckDef d;
    d.id = "sysctl." + spec.name;
    d.defaults = spec_defaults(spec);
    const bool node = spec.scope == SysctlScope::node;
    d.scope = node ? "node" : "pod-netns";
    d.title = spec.name + " " + pretty_rule(spec, d.defaults) +
              (node ? " (node-wide)" : " (Pod network namespace)");
    d.explain = "Reads <procfs>/" + sysctl_rel_path(spec.name) + " (sysctl " + spec.name + "); " +
                pretty_rule(spec, d.defaults) + ", configurable (" + d.defaults.begin().key() +
                ").\nWhy: " + spec.why + ".\nScope: " + scope_phrase(spec.scope) +
                ". The file missing is skip" +
                (is_netfilter(spec.name) ? " (nf_conntrack module not loaded)" : "") +
                ". Severity warning by default.";
    d.default_severity = Severity::warning;
    d.run = [def = d, spec](const Context& c, const nlohmann::json& s) {
      return run_sysctl(def, spec, c, s);
    };
    out.push_back(std::move(d));
  }
  {
    CheckDef d;
    d.id = "conntrack.usage";
    d.title = "Connection-tracking table is not nearly full";
    d.explain =
        "Reads <procfs>/sys/net/netfilter/nf_conntrack_count and nf_conntrack_max (the Pod's\n"
        "network namespace view). warn from `warn_percent` (default 80), fail from\n"
        "`fail_percent` (default 95): a full table drops new packets. Files missing (no\n"
        "nf_conntrack module) is skip; max 0 or garbage is error.";
    d.scope = "pod-netns";
    d.default_severity = Severity::critical;
    d.defaults = {{"warn_percent", 80}, {"fail_percent", 95}};
    d.run = [def = d](const Context& c, const nlohmann::json& s) { return run_conntrack(def, c, s); };
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace gopreflight::initcheck::checks
