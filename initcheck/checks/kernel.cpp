// kernel.version: the running kernel's release from <procfs>/sys/kernel/osrelease.
#include <charconv>

#include "checks/common.hpp"
#include "checks/groups.hpp"
#include "checks/kernel_version.hpp"

namespace gopreflight::initcheck::checks {

namespace {

/// Reads up to three dot-separated decimal numbers from the front of `s`. Returns the number of
/// parts read (0 if the text does not start with a digit) and advances nothing on failure.
int read_parts(std::string_view s, KernelVersion& v, bool whole) {
  int* slots[] = {&v.major, &v.minor, &v.patch};
  int n = 0;
  std::size_t i = 0;
  while (n < 3) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') break;
    int value = 0;
    auto [p, ec] = std::from_chars(s.data() + i, s.data() + s.size(), value);
    if (ec != std::errc{}) return -1;  // out of range
    *slots[n++] = value;
    i = static_cast<std::size_t>(p - s.data());
    if (i < s.size() && s[i] == '.' && n < 3) {
      ++i;
      continue;
    }
    break;
  }
  if (whole && i != s.size()) return -1;
  return n;
}

}  // namespace

Result<KernelVersion> parse_kernel_release(std::string_view text) {
  auto s = trim(text);
  if (s.empty()) return fail("kernel release is empty");
  if (s.size() > 256) return fail("kernel release is longer than 256 characters");
  KernelVersion v;
  int n = read_parts(s, v, false);
  if (n < 2) {
    return fail("kernel release \"" + std::string(s.substr(0, 64)) +
                "\" does not start with MAJOR.MINOR");
  }
  return v;
}

Result<KernelVersion> parse_version_threshold(std::string_view text) {
  auto s = trim(text);
  KernelVersion v;
  int n = read_parts(s, v, true);
  if (n < 2) return fail("version \"" + std::string(s) + "\" is not MAJOR.MINOR[.PATCH]");
  return v;
}

std::string to_string(const KernelVersion& v) {
  std::string out = std::to_string(v.major) + "." + std::to_string(v.minor);
  if (v.patch != 0) out += "." + std::to_string(v.patch);
  return out;
}

namespace {

constexpr std::string_view kOsrelease = "sys/kernel/osrelease";

CheckResult run_kernel_version(const CheckDef& def, const Context& ctx, const nlohmann::json& s) {
  auto r = make_result(def, s);
  const auto path = ctx.host.proc_path(kOsrelease).string();
  const auto min_text = s.value("min_version", std::string("5.4"));
  const auto warn_text = s.value("warn_below", std::string("5.8"));
  auto min_v = parse_version_threshold(min_text);
  auto warn_v = parse_version_threshold(warn_text);
  r.expected = ">= " + min_text + " (fail below), >= " + warn_text + " recommended";
  if (!min_v || !warn_v) {
    return read_error(r, "bad threshold in settings: " + (min_v ? warn_v.error() : min_v.error()));
  }
  auto text = ctx.host.proc(kOsrelease);
  if (!text) {
    r.observed = "unreadable (" + path + ")";
    return read_error(r, text.error());
  }
  const std::string raw(trim(*text).substr(0, 128));
  r.observed = observed_at(raw.empty() ? "\"\"" : raw, path);
  auto v = parse_kernel_release(*text);
  if (!v) return read_error(r, "cannot parse " + path + ": " + v.error());

  const std::string fix =
      "Upgrade the node kernel (node-wide: e.g. `apt-get install linux-image-amd64 && reboot` on "
      "Debian, or move the Pod to a node pool with a newer OS image via spec.nodeSelector); "
      "check with `uname -r`.";
  if (*v < *min_v) {
    r.status = Status::fail;
    r.message = "Kernel " + to_string(*v) + " (node-wide) is older than the minimum " + min_text +
                ": such kernels lack the cgroup v2 controllers and namespace features container "
                "runtimes and the Go runtime's limit detection rely on.";
    r.remediation = fix;
  } else if (*v < *warn_v) {
    r.status = Status::warn;
    r.message = "Kernel " + to_string(*v) + " (node-wide) is older than " + warn_text +
                ": Kubernetes documents 5.8 as the minimum kernel for cgroup v2 nodes, which "
                "Go's cgroup-derived GOMAXPROCS/GOMEMLIMIT tuning relies on.";
    r.remediation = fix;
  } else {
    r.status = Status::pass;
    r.message = "Kernel " + to_string(*v) + " (node-wide) meets " + warn_text + ".";
  }
  return r;
}

}  // namespace

std::vector<CheckDef> kernel_checks() {
  std::vector<CheckDef> out;
  CheckDef d;
  d.id = "kernel.version";
  d.title = "Kernel release (node-wide) is recent enough for Go services and cgroup v2";
  d.explain =
      "Reads <procfs>/sys/kernel/osrelease (what `uname -r` prints) and compares MAJOR.MINOR.PATCH.\n"
      "fail below min_version (default 5.4: the pre-launch checklist this tool follows recommends\n"
      "Linux 5.4+ for Go 1.21+ services); warn below warn_below (default 5.8: the kernel the\n"
      "Kubernetes documentation names as the minimum for cgroup v2 nodes; the checklist recommends\n"
      "cgroup v2, and the cgroup.* and go.* checks read its files).\n"
      "The kernel is node-wide: fixing it means upgrading the node or scheduling elsewhere.";
  d.scope = "node";
  d.default_severity = Severity::critical;
  d.defaults = {{"min_version", "5.4"}, {"warn_below", "5.8"}};
  d.run = [def = d](const Context& ctx, const nlohmann::json& s) {
    return run_kernel_version(def, ctx, s);
  };
  out.push_back(std::move(d));
  return out;
}

}  // namespace gopreflight::initcheck::checks
