// thp.enabled, thp.defrag, thp.max_ptes_none: transparent huge pages, judged as the Go GC guide
// ("Linux transparent huge pages") advises.
#include "checks/thp.hpp"

#include <algorithm>

#include "checks/common.hpp"
#include "checks/groups.hpp"

namespace gopreflight::initcheck::checks {

Result<ThpMode> parse_thp_mode(std::string_view text) {
  if (text.size() > 4096) return fail("THP mode text is longer than 4096 bytes");
  auto s = trim(text);
  if (s.empty()) return fail("THP mode text is empty");
  ThpMode m;
  int bracketed = 0;
  for (auto word : split_ws(s)) {
    bool sel = false;
    if (word.front() == '[') {
      if (word.size() < 3 || word.back() != ']') {
        return fail("THP mode word \"" + std::string(word.substr(0, 32)) + "\" has an unclosed bracket");
      }
      word = word.substr(1, word.size() - 2);
      sel = true;
    }
    const bool ok = std::all_of(word.begin(), word.end(),
                                [](char c) { return (c >= 'a' && c <= 'z') || c == '+'; });
    if (!ok || word.empty()) {
      return fail("THP mode word \"" + std::string(word.substr(0, 32)) +
                  "\" is not a mode name (lower-case letters and '+')");
    }
    if (sel) {
      ++bracketed;
      m.selected = std::string(word);
    }
    m.choices.emplace_back(word);
  }
  if (bracketed == 0) return fail("no [bracketed] active mode in \"" + std::string(s.substr(0, 64)) + "\"");
  if (bracketed > 1) return fail("more than one [bracketed] mode in \"" + std::string(s.substr(0, 64)) + "\"");
  return m;
}

namespace {

constexpr std::string_view kEnabled = "kernel/mm/transparent_hugepage/enabled";
constexpr std::string_view kDefrag = "kernel/mm/transparent_hugepage/defrag";
constexpr std::string_view kPtes = "kernel/mm/transparent_hugepage/khugepaged/max_ptes_none";

constexpr const char* kNoThp =
    "the kernel was built without transparent huge pages (CONFIG_TRANSPARENT_HUGEPAGE), so Go "
    "heaps are always backed by 4 KiB pages";

bool contains(const nlohmann::json& list, const std::string& v) {
  if (!list.is_array()) return false;
  return std::any_of(list.begin(), list.end(),
                     [&](const nlohmann::json& e) { return e.is_string() && e.get<std::string>() == v; });
}

std::string join(const nlohmann::json& list) {
  std::string out;
  if (!list.is_array()) return out;
  for (const auto& e : list) {
    if (!e.is_string()) continue;
    if (!out.empty()) out += ", ";
    out += e.get<std::string>();
  }
  return out;
}

/// Reads and parses one mode file; on failure fills `r` as skip (file absent) or error.
std::optional<ThpMode> read_mode(const Context& ctx, std::string_view rel, CheckResult& r) {
  const auto path = ctx.host.sys_path(rel).string();
  if (!ctx.host.sys_exists(rel)) {
    r.observed = "absent (" + path + ")";
    r.status = Status::skip;
    r.message = std::string("Not applicable: ") + path + " does not exist; " + kNoThp + ".";
    return std::nullopt;
  }
  auto text = ctx.host.sys(rel);
  if (!text) {
    r.observed = "unreadable (" + path + ")";
    r = read_error(r, text.error());
    return std::nullopt;
  }
  r.observed = observed_at(std::string(trim(*text).substr(0, 128)), path);
  auto mode = parse_thp_mode(*text);
  if (!mode) {
    r = read_error(r, "cannot parse " + path + ": " + mode.error());
    return std::nullopt;
  }
  return *mode;
}

std::string sysfs_fix(std::string_view file, std::string_view value) {
  return "Node-wide: `echo " + std::string(value) + " > /sys/kernel/mm/transparent_hugepage/" +
         std::string(file) +
         "`; persistent: a systemd unit or tmpfiles line, e.g. /etc/tmpfiles.d/thp.conf: `w "
         "/sys/kernel/mm/transparent_hugepage/" + std::string(file) + " - - - - " +
         std::string(value) + "`" +
         (file == "enabled" ? std::string(" (or the kernel command line transparent_hugepage=") +
                                  std::string(value) + ")"
                            : std::string()) +
         "; on Kubernetes apply it with the node pool's Linux node config or a privileged node "
         "tuning DaemonSet, not from the Pod.";
}

CheckResult run_enabled(const CheckDef& def, const Context& ctx, const nlohmann::json& s) {
  auto r = make_result(def, s);
  const auto ok_modes = s.value("allowed", nlohmann::json::array({"madvise", "never"}));
  r.expected = "one of: " + join(ok_modes);
  auto mode = read_mode(ctx, kEnabled, r);
  if (!mode) return r;
  if (contains(ok_modes, mode->selected)) {
    r.status = Status::pass;
    r.message = "THP mode is " + mode->selected + " (node-wide): " +
                (mode->selected == "never"
                     ? std::string("no huge pages, Go heap RSS tracks what the GC keeps.")
                     : std::string("huge pages only where a program asks with MADV_HUGEPAGE; Go "
                                   "1.21.1 and later no longer asks, so Go heaps stay on 4 KiB "
                                   "pages and their RSS tracks what the GC keeps."));
    return r;
  }
  r.status = Status::fail;
  r.message =
      "THP mode is " + mode->selected +
      " (node-wide): any Go heap region can be backed by 2 MiB huge pages, so RSS grows beyond "
      "the live heap (when the GC scavenger returns part of a huge page the memory is not given "
      "back) and khugepaged collapsing sparse regions with max_ptes_none 511 inflates RSS further, "
      "which eats into the container's memory limit. Go 1.21.1+ stopped using "
      "MADV_HUGEPAGE/MADV_COLLAPSE, so `madvise` keeps Go heaps on small pages. Use madvise, or "
      "keep always with khugepaged/max_ptes_none=0 (or GODEBUG=disablethp=1 on Go 1.21.6+).";
  r.remediation = sysfs_fix("enabled", "madvise");
  return finish(r);
}

/// Gets the active THP mode for the dependent checks; returns nullopt with `r` filled as skip
/// (THP off or absent) or error.
std::optional<std::string> thp_on(const Context& ctx, CheckResult& r) {
  CheckResult probe = r;
  auto mode = read_mode(ctx, kEnabled, probe);
  if (!mode) {
    r.status = probe.status;
    r.observed = probe.observed;
    r.message = probe.message;
    return std::nullopt;
  }
  if (mode->selected == "never") {
    r.status = Status::skip;
    r.observed = probe.observed;
    r.message = "Not applicable: THP is disabled (enabled = never), so this setting has no effect.";
    return std::nullopt;
  }
  return mode->selected;
}

CheckResult run_defrag(const CheckDef& def, const Context& ctx, const nlohmann::json& s) {
  auto r = make_result(def, s);
  const auto ok_modes =
      s.value("allowed", nlohmann::json::array({"defer", "defer+madvise", "madvise", "never"}));
  r.expected = "one of: " + join(ok_modes) + " (when THP is on)";
  auto enabled = thp_on(ctx, r);
  if (!enabled) return r;
  auto mode = read_mode(ctx, kDefrag, r);
  if (!mode) return r;
  if (contains(ok_modes, mode->selected)) {
    r.status = Status::pass;
    r.message = "THP defrag is " + mode->selected + " (node-wide, THP " + *enabled +
                "): page faults in Go heaps do not stall in direct compaction.";
    return r;
  }
  r.status = Status::fail;
  r.message = "THP defrag is " + mode->selected + " (node-wide, THP " + *enabled +
              "): a page fault that wants a huge page stalls in direct reclaim and compaction, "
              "which shows up as heap-growth and GC latency spikes in Go services. Use defer or "
              "defer+madvise (compaction in the background) or madvise.";
  r.remediation = sysfs_fix("defrag", "defer+madvise");
  return finish(r);
}

CheckResult run_ptes(const CheckDef& def, const Context& ctx, const nlohmann::json& s) {
  auto r = make_result(def, s);
  const auto max = s.value("max", std::int64_t{0});
  const bool judge_madvise = s.value("judge_when_madvise", false);
  r.expected = "<= " + std::to_string(max) + " when THP is always" +
               (judge_madvise ? std::string(" or madvise") : std::string());
  auto enabled = thp_on(ctx, r);
  if (!enabled) return r;
  const auto path = ctx.host.sys_path(kPtes).string();
  if (!ctx.host.sys_exists(kPtes)) {
    r.status = Status::skip;
    r.observed = "absent (" + path + ")";
    r.message = "Not applicable: " + path + " does not exist (no khugepaged on this kernel).";
    return r;
  }
  auto text = ctx.host.sys(kPtes);
  if (!text) {
    r.observed = "unreadable (" + path + ")";
    return read_error(r, text.error());
  }
  r.observed = observed_at(std::string(trim(*text).substr(0, 64)), path);
  auto v = parse_int(*text);
  if (!v || *v < 0 || *v > 511) {
    return read_error(r, "cannot parse " + path + ": expected an integer 0..511");
  }
  if (*enabled != "always" && !judge_madvise) {
    r.status = Status::pass;
    r.message = "khugepaged/max_ptes_none is " + std::to_string(*v) + " with THP " + *enabled +
                " (node-wide): khugepaged only collapses regions marked MADV_HUGEPAGE, which Go "
                "1.21.1+ no longer marks, so Go heaps are not inflated.";
    return r;
  }
  if (*v <= max) {
    r.status = Status::pass;
    r.message = "khugepaged/max_ptes_none is " + std::to_string(*v) + " with THP " + *enabled +
                " (node-wide): khugepaged only collapses fully populated ranges, so it does not "
                "add memory to Go heaps.";
    return r;
  }
  r.status = Status::fail;
  r.message = "khugepaged/max_ptes_none is " + std::to_string(*v) + " with THP " + *enabled +
              " (node-wide): khugepaged may collapse a 2 MiB range with up to " +
              std::to_string(*v) +
              " unpopulated 4 KiB pages, filling memory the Go scavenger returned and inflating "
              "RSS; set it to " + std::to_string(max) + ".";
  r.remediation = "Node-wide: `echo " + std::to_string(max) +
                  " > /sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none`; persistent: "
                  "/etc/tmpfiles.d/thp.conf: `w /sys/kernel/mm/transparent_hugepage/khugepaged/"
                  "max_ptes_none - - - - " + std::to_string(max) +
                  "`; or set THP enabled to madvise.";
  return finish(r);
}

template <class F>
CheckDef make_def(std::string id, std::string title, std::string explain, nlohmann::json defaults,
                  F fn) {
  return define_check(std::move(id), std::move(title), std::move(explain), "node",
                      Severity::warning, std::move(defaults), std::move(fn));
}

}  // namespace

std::vector<CheckDef> thp_checks() {
  std::vector<CheckDef> out;
  out.push_back(make_def(
      "thp.enabled", "Transparent huge pages are not `always` (node-wide)",
      "Reads <sysfs>/kernel/mm/transparent_hugepage/enabled (\"always [madvise] never\").\n"
      "Policy (Go GC guide, \"Linux transparent huge pages\"): with `always` any anonymous memory,\n"
      "Go heaps included, may be backed by 2 MiB pages; RSS then exceeds the live heap because the\n"
      "GC scavenger cannot return part of a huge page, and khugepaged (max_ptes_none 511) fills\n"
      "sparse ranges. Go 1.21.1+ no longer calls MADV_HUGEPAGE/MADV_COLLAPSE, so `madvise` keeps Go\n"
      "heaps on small pages. Setting `allowed` (default [madvise, never]); anything else is\n"
      "reported at the check's severity (default warning). The file missing = kernel without\n"
      "THP: skip. Fix: echo madvise > .../enabled, persistent via tmpfiles.d or\n"
      "transparent_hugepage=madvise on the kernel command line.",
      {{"allowed", {"madvise", "never"}}}, run_enabled));
  out.push_back(make_def(
      "thp.defrag", "THP defrag does not stall page faults in direct compaction (node-wide)",
      "Reads <sysfs>/kernel/mm/transparent_hugepage/defrag. Only judged when THP is on (enabled\n"
      "is not never; otherwise skip). `always` makes every page fault that wants a huge page stall\n"
      "in direct reclaim/compaction: latency spikes. defer and defer+madvise compact in the\n"
      "background; madvise stalls only MADV_HUGEPAGE regions (Go 1.21.1+ makes none); never\n"
      "never compacts (fewer huge pages, no stalls), so it passes too. Setting `allowed`\n"
      "(default [defer, defer+madvise, madvise, never]); severity default warning.",
      {{"allowed", {"defer", "defer+madvise", "madvise", "never"}}}, run_defrag));
  out.push_back(make_def(
      "thp.max_ptes_none", "khugepaged does not collapse sparse ranges into Go heaps (node-wide)",
      "Reads <sysfs>/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none (0..511, default\n"
      "511): how many unpopulated 4 KiB pages khugepaged may fill when it collapses a 2 MiB range.\n"
      "With THP `always`, 511 lets it refill memory the Go scavenger returned (RSS inflation);\n"
      "the Go GC guide recommends 0. Judged (<= `max`, default 0) only with THP always, because in\n"
      "madvise mode khugepaged only touches MADV_HUGEPAGE regions, which Go 1.21.1+ does not make;\n"
      "set `judge_when_madvise: true` to judge it there too (older Go, or cgo allocators that\n"
      "madvise). THP never: skip. Severity default warning.",
      {{"max", 0}, {"judge_when_madvise", false}}, run_ptes));
  return out;
}

}  // namespace gopreflight::initcheck::checks
