// kernel.pid_max, kernel.threads_max (node-wide sysctls) and rlimit.nofile, rlimit.nproc,
// rlimit.as (this process's limits from <procfs>/self/limits, which the Go app inherits from the
// same runtime configuration).
#include "checks/limits.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <system_error>

#include "checks/common.hpp"
#include "checks/groups.hpp"
#include "checks/kernel_version.hpp"

namespace gopreflight::initcheck::checks {

Result<LimitValue> parse_limit_value(std::string_view text) {
  auto s = trim(text);
  if (s == "unlimited") return LimitValue{true, 0};
  if (s.empty()) return fail("empty limit value");
  std::uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) {
    return fail("limit value \"" + std::string(s.substr(0, 32)) + "\" does not fit in 64 bits");
  }
  if (ec != std::errc{} || p != s.data() + s.size()) {
    return fail("limit value \"" + std::string(s.substr(0, 32)) + "\" is neither a number nor \"unlimited\"");
  }
  return LimitValue{false, v};
}

std::string to_string(const LimitValue& v) { return v.unlimited ? "unlimited" : std::to_string(v.value); }

namespace {
bool is_value_token(std::string_view t) {
  return t == "unlimited" || (!t.empty() && t.front() >= '0' && t.front() <= '9');
}
/// soft <= hard, with unlimited as the largest value.
bool le(const LimitValue& a, const LimitValue& b) {
  if (b.unlimited) return true;
  if (a.unlimited) return false;
  return a.value <= b.value;
}
}  // namespace

Result<ProcLimits> parse_proc_limits(std::string_view text) {
  if (trim(text).empty()) return fail("limits file is empty");
  ProcLimits out;
  // The kernel prints "%-25s %-20s %-20s %-10s": names contain spaces, so the name column ends
  // where the header's "Soft Limit" starts.
  std::size_t name_width = 0;
  std::size_t lineno = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    auto raw = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++lineno;
    if (trim(raw).empty()) continue;
    const auto where = "line " + std::to_string(lineno);
    if (name_width == 0) {
      const auto soft_col = raw.find("Soft Limit");
      if (trim(raw).substr(0, 5) != "Limit" || soft_col == std::string_view::npos ||
          raw.find("Hard Limit") == std::string_view::npos) {
        return fail(where + ": expected the header \"Limit  Soft Limit  Hard Limit  Units\"");
      }
      name_width = soft_col;
      continue;
    }
    const std::string name(trim(raw.substr(0, std::min(name_width, raw.size()))));
    if (name.empty()) return fail(where + ": row has no name");
    const auto sp = name.rfind(' ');
    if (is_value_token(sp == std::string::npos ? name : name.substr(sp + 1))) {
      return fail(where + " (" + name + "): values are not in the header's columns");
    }
    auto toks = split_ws(raw.size() > name_width ? raw.substr(name_width) : std::string_view());
    if (toks.size() < 2) return fail(where + ": row \"" + name.substr(0, 48) + "\" lacks soft and hard values");
    auto soft = parse_limit_value(toks[0]);
    auto hard = parse_limit_value(toks[1]);
    if (!soft) return fail(where + " (" + name + "): soft " + soft.error());
    if (!hard) return fail(where + " (" + name + "): hard " + hard.error());
    if (!le(*soft, *hard)) return fail(where + " (" + name + "): soft limit above hard limit");
    LimitRow row{*soft, *hard, {}};
    for (std::size_t k = 2; k < toks.size(); ++k) row.units += (row.units.empty() ? "" : " ") + std::string(toks[k]);
    if (!out.emplace(name, std::move(row)).second) return fail(where + ": duplicate row \"" + name + "\"");
  }
  if (name_width == 0) return fail("limits file has no header");
  return out;
}

namespace {

constexpr std::string_view kLimits = "self/limits";

std::string rlimit_fix(std::string_view rl, std::string_view ulimit_flag, std::string_view systemd,
                       std::string_view value, std::string_view docker) {
  const std::string v(value);
  return "Raise it where the Go process is started: shell `ulimit " + std::string(ulimit_flag) + " " +
         v + "`; systemd unit `[Service] " + std::string(systemd) + "=" + v +
         "`; /etc/security/limits.d/99-go-prod.conf: `* hard " + std::string(rl) + " " + v +
         "`. Kubernetes has no Pod field for rlimits: containers inherit the runtime's, so set "
         "`" + std::string(systemd) + "=" + v +
         "` in containerd.service/crio.service (or CRI-O `default_ulimits = [\"" + std::string(rl) +
         "=" + v + ":" + v + "\"]`, docker/podman `--ulimit " + std::string(docker) + "=" + v + ":" +
         v + "`).";
}

/// Reads and parses <procfs>/self/limits and returns the named row, or fills `r` as error.
std::optional<LimitRow> read_row(const Context& ctx, std::string_view name, CheckResult& r) {
  const auto path = ctx.host.proc_path(kLimits).string();
  auto text = ctx.host.proc(kLimits);
  if (!text) {
    r.observed = "unreadable (" + path + ")";
    r = read_error(r, text.error());
    return std::nullopt;
  }
  auto limits = parse_proc_limits(*text);
  if (!limits) {
    r.observed = "unparsable (" + path + ")";
    r = read_error(r, "cannot parse " + path + ": " + limits.error());
    return std::nullopt;
  }
  auto it = limits->find(name);
  if (it == limits->end()) {
    r.observed = "no \"" + std::string(name) + "\" row (" + path + ")";
    r = read_error(r, path + " has no \"" + std::string(name) + "\" row");
    return std::nullopt;
  }
  r.observed = observed_at("soft " + to_string(it->second.soft) + ", hard " + to_string(it->second.hard),
                           path + " \"" + std::string(name) + "\"");
  return it->second;
}

CheckResult run_nofile(const CheckDef& def, const Context& ctx, const nlohmann::json& s) {
  auto r = make_result(def, s);
  const auto min = s.value("min", std::int64_t{65536});
  r.expected = "hard limit >= " + std::to_string(min);
  auto row = read_row(ctx, "Max open files", r);
  if (!row) return r;
  const auto need = static_cast<std::uint64_t>(min < 0 ? 0 : min);
  if (row->hard.unlimited || row->hard.value >= need) {
    r.status = Status::pass;
    r.message = "Open-files hard limit is " + to_string(row->hard) +
                ": Go 1.19+ raises the soft limit (" + to_string(row->soft) +
                ") to it at start, so the service can hold that many sockets and files.";
    return r;
  }
  r.status = Status::fail;
  r.message = "Open-files hard limit is " + to_string(row->hard) + ", below " + std::to_string(min) +
              ": Go 1.19+ raises the soft limit only up to the hard limit, so accept() and dial "
              "fail with EMFILE (\"too many open files\") once that many connections are open.";
  r.remediation = rlimit_fix("nofile", "-Hn", "LimitNOFILE", "1048576", "nofile");
  return finish(r);
}

CheckResult run_nproc(const CheckDef& def, const Context& ctx, const nlohmann::json& s) {
  auto r = make_result(def, s);
  const auto min = s.value("min", std::int64_t{10000});
  r.expected = "soft limit >= " + std::to_string(min) + " or unlimited";
  auto row = read_row(ctx, "Max processes", r);
  if (!row) return r;
  const auto need = static_cast<std::uint64_t>(min < 0 ? 0 : min);
  if (row->soft.unlimited || row->soft.value >= need) {
    r.status = Status::pass;
    r.message = "Process/thread limit (RLIMIT_NPROC, per user) is " + to_string(row->soft) +
                ": enough for the Go runtime's default maximum of 10000 OS threads.";
    return r;
  }
  r.status = Status::fail;
  r.message = "Process/thread limit (RLIMIT_NPROC) is " + to_string(row->soft) + ", below " +
              std::to_string(min) +
              ": it counts every thread of every process of this user ID on the node; when a Go "
              "program blocked in syscalls or cgo needs a new OS thread and clone() fails, the "
              "runtime aborts (\"runtime: failed to create new OS thread\"). Go does not raise "
              "it. (Not enforced for root with CAP_SYS_RESOURCE.)";
  r.remediation = rlimit_fix("nproc", "-u", "LimitNPROC", "unlimited", "nproc");
  return finish(r);
}

CheckResult run_as(const CheckDef& def, const Context& ctx, const nlohmann::json& s) {
  auto r = make_result(def, s);
  r.expected = "soft and hard limit unlimited";
  auto row = read_row(ctx, "Max address space", r);
  if (!row) return r;
  if (row->soft.unlimited && row->hard.unlimited) {
    r.status = Status::pass;
    r.message = "Address-space limit (RLIMIT_AS) is unlimited, as the Go runtime needs.";
    return r;
  }
  r.status = Status::fail;
  r.message = "Address-space limit (RLIMIT_AS) is soft " + to_string(row->soft) + ", hard " +
              to_string(row->hard) +
              ": the Go runtime reserves far more virtual address space than it uses (heap "
              "arenas, goroutine stacks, race/cgo mappings), so a finite RLIMIT_AS makes it die "
              "with \"fatal error: out of memory\" while RSS is small. Limit memory with the "
              "cgroup (resources.limits.memory) and GOMEMLIMIT instead.";
  r.remediation = rlimit_fix("as", "-v", "LimitAS", "unlimited", "as");
  return finish(r);
}

/// kernel.pid_max / kernel.threads_max: one integer, node-wide.
CheckResult run_kernel_min(const CheckDef& def, const Context& ctx, const nlohmann::json& s,
                           std::string_view rel, std::string_view sysctl, std::string_view why,
                           std::int64_t recommended) {
  auto r = make_result(def, s);
  const auto min = s.value("min", recommended);
  r.expected = ">= " + std::to_string(min);
  const auto path = ctx.host.proc_path(rel).string();
  auto text = ctx.host.proc(rel);
  if (!text) {
    r.observed = "unreadable (" + path + ")";
    return read_error(r, text.error());
  }
  r.observed = observed_at(std::string(trim(*text).substr(0, 64)), path);
  auto v = parse_int(*text);
  if (!v || *v < 0) return read_error(r, "cannot parse " + path + ": expected a non-negative integer");
  if (*v >= min) {
    r.status = Status::pass;
    r.message = std::string(sysctl) + " is " + std::to_string(*v) + " (node-wide), at least " +
                std::to_string(min) + ".";
    return r;
  }
  const auto target = std::to_string(std::max(min, recommended));
  r.status = Status::fail;
  r.message = std::string(sysctl) + " is " + std::to_string(*v) + " (node-wide), below " +
              std::to_string(min) + ": " + std::string(why);
  r.remediation = "Node tuning: `sysctl -w " + std::string(sysctl) + "=" + target +
                  "`; persistent: /etc/sysctl.d/99-go-prod.conf: `" + std::string(sysctl) + " = " +
                  target + "` (then `sysctl --system`).";
  return finish(r);
}

/// The initial PID namespace's inode number, fixed by the kernel (PROC_PID_INIT_INO).
constexpr std::string_view kInitPidNamespace = "pid:[4026531836]";
/// The first kernel whose kernel.pid_max belongs to each PID namespace.
constexpr KernelVersion kPerNamespacePidMax{6, 14, 0};

/// Why <procfs>/sys/kernel/pid_max is not the node's limit here, or nothing when it is. Since Linux
/// 6.14 a new PID namespace starts with its own pid_max (the kernel's maximum, 4194304) while
/// every PID taken in it is also taken in each parent namespace under that parent's pid_max: in a
/// container the file shows the container's numbering, not the node's PID space. Readings of the
/// namespace link or the release that fail leave the file's value as the reading (older kernels,
/// fixture trees without them).
std::optional<std::string> pid_max_not_node_wide(const Context& ctx) {
  auto release = ctx.host.proc("sys/kernel/osrelease");
  if (!release) return std::nullopt;
  auto version = parse_kernel_release(trim(*release));
  if (!version || *version < kPerNamespacePidMax) return std::nullopt;
  std::error_code ec;
  const auto link = std::filesystem::read_symlink(ctx.host.proc_path("self/ns/pid"), ec);
  if (ec || link.native() == kInitPidNamespace) return std::nullopt;
  return "kernel " + to_string(*version) + " keeps kernel.pid_max per PID namespace (since 6.14) and this process runs in " +
         link.native() + ", not the node's initial PID namespace";
}

template <class F>
CheckDef make_def(std::string id, std::string title, std::string scope, Severity sev,
                  std::string explain, nlohmann::json defaults, F fn) {
  return define_check(std::move(id), std::move(title), std::move(explain), std::move(scope), sev,
                      std::move(defaults), std::move(fn));
}

}  // namespace

std::vector<CheckDef> limits_checks() {
  std::vector<CheckDef> out;
  out.push_back(make_def(
      "kernel.pid_max", "PID space is large enough for many Go threads (node-wide)", "node",
      Severity::warning,
      "Reads <procfs>/sys/kernel/pid_max. Every OS thread takes a PID, Go programs run one thread\n"
      "per P plus threads blocked in syscalls/cgo, and all containers of the node share the space\n"
      "(per PID namespace since Linux 6.14: there, outside the node's initial PID namespace, the\n"
      "file is the namespace's own numbering and the check skips, saying so). The kernel default\n"
      "is 32768 (more on machines with over 32 CPUs); systemd 243+ sets 4194304. Policy: `min`\n"
      "(default 65536) below which the node can run out of PIDs (fork/clone EAGAIN); the fix sets\n"
      "4194304. Severity warning.",
      {{"min", 65536}},
      [](const CheckDef& d, const Context& c, const nlohmann::json& s) {
        if (auto why = pid_max_not_node_wide(c)) {
          auto r = make_result(d, s);
          r.expected = ">= " + std::to_string(s.value("min", std::int64_t{65536})) + " (the node's)";
          r.observed = "not the node's (" + c.host.proc_path("sys/kernel/pid_max").string() +
                       " is this PID namespace's)";
          r.status = Status::skip;
          r.message = "Cannot read the node's PID limit from here: " + *why +
                      ". Its pid_max is this namespace's own, while its PIDs also count against the "
                      "node's. Run the check in the node's PID namespace (node-report runs with "
                      "hostPID) or read `sysctl kernel.pid_max` on the node.";
          return r;
        }
        return run_kernel_min(d, c, s, "sys/kernel/pid_max", "kernel.pid_max",
                              "when PIDs run out, clone() fails and a Go program that needs a new "
                              "OS thread aborts (\"runtime: failed to create new OS thread\").",
                              4194304);
      }));
  out.push_back(make_def(
      "kernel.threads_max", "System-wide thread limit allows Go thread growth (node-wide)", "node",
      Severity::warning,
      "Reads <procfs>/sys/kernel/threads-max (sysctl kernel.threads-max): the most threads the\n"
      "whole node may have; the kernel sizes it from RAM (about 7800 per GiB). Policy: `min`\n"
      "(default 65536, enough for several Go programs at the runtime's default cap of 10000\n"
      "threads each plus the node's own). Severity warning.",
      {{"min", 65536}},
      [](const CheckDef& d, const Context& c, const nlohmann::json& s) {
        return run_kernel_min(d, c, s, "sys/kernel/threads-max", "kernel.threads-max",
                              "when the node reaches it clone() fails with EAGAIN and a Go "
                              "program that needs a new OS thread aborts.",
                              65536);
      }));
  out.push_back(make_def(
      "rlimit.nofile", "Open-files hard limit is high enough (Go raises soft to hard)", "container",
      Severity::critical,
      "Reads \"Max open files\" from <procfs>/self/limits (this process; the Go app container gets\n"
      "the same from the container runtime). Judges the HARD limit: since Go 1.19 the runtime\n"
      "raises the soft limit to the hard one at start, so the hard limit is what the service\n"
      "gets. Policy: hard >= `min` (default 65536, the source article's minimum). Fix:\n"
      "LimitNOFILE= in the runtime's systemd unit (containerd/CRI-O), ulimit -Hn, limits.d.",
      {{"min", 65536}}, run_nofile));
  out.push_back(make_def(
      "rlimit.nproc", "Per-user process/thread limit allows Go thread growth", "container",
      Severity::warning,
      "Reads \"Max processes\" from <procfs>/self/limits. RLIMIT_NPROC counts threads of all\n"
      "processes of the same real UID; Go does not raise it. Policy: soft >= `min` (default\n"
      "10000, the Go runtime's default maximum number of OS threads) or unlimited.",
      {{"min", 10000}}, run_nproc));
  out.push_back(make_def(
      "rlimit.as", "Address-space limit is unlimited (Go reserves large virtual ranges)", "container",
      Severity::critical,
      "Reads \"Max address space\" from <procfs>/self/limits. The Go runtime reserves virtual\n"
      "address space well beyond what it touches, so any finite RLIMIT_AS (ulimit -v) causes\n"
      "spurious out-of-memory aborts. Policy: soft and hard unlimited; limit memory with the\n"
      "cgroup and GOMEMLIMIT instead.",
      nlohmann::json::object(), run_as));
  return out;
}

}  // namespace gopreflight::initcheck::checks
