// clock.sync (adjtimex(2), read-only) and clock.source (<sysfs> clocksource, <procfs>/cpuinfo).
#include "checks/clock.hpp"

#include <algorithm>
#include <cstdio>

#include "checks/common.hpp"
#include "checks/groups.hpp"

namespace gopreflight::initcheck::checks {

bool clock_synchronised(const ClockReading& r, std::int64_t max_error_us) {
  return r.state != kTimeError && r.maxerror_us < max_error_us;
}

std::string clock_state_name(int state) {
  switch (state) {
    case 0: return "TIME_OK";
    case 1: return "TIME_INS";
    case 2: return "TIME_DEL";
    case 3: return "TIME_OOP";
    case 4: return "TIME_WAIT";
    case kTimeError: return "TIME_ERROR";
    default: return "state " + std::to_string(state);
  }
}

std::string sta_flags(int status) {
  static constexpr std::pair<int, const char*> bits[] = {
      {0x0001, "STA_PLL"},     {0x0002, "STA_PPSFREQ"}, {0x0004, "STA_PPSTIME"},
      {0x0008, "STA_FLL"},     {0x0010, "STA_INS"},     {0x0020, "STA_DEL"},
      {0x0040, "STA_UNSYNC"},  {0x0080, "STA_FREQHOLD"}, {0x0100, "STA_PPSSIGNAL"},
      {0x0200, "STA_PPSJITTER"}, {0x0400, "STA_PPSWANDER"}, {0x0800, "STA_PPSERROR"},
      {0x1000, "STA_CLOCKERR"}, {0x2000, "STA_NANO"},   {0x4000, "STA_MODE"},
      {0x8000, "STA_CLK"}};
  std::string out;
  for (auto [bit, name] : bits) {
    if ((status & bit) == 0) continue;
    if (!out.empty()) out += "|";
    out += name;
  }
  return out.empty() ? "none" : out;
}

Result<std::vector<std::string>> parse_cpu_flags(std::string_view cpuinfo) {
  std::size_t pos = 0;
  while (pos < cpuinfo.size()) {
    auto nl = cpuinfo.find('\n', pos);
    if (nl == std::string_view::npos) nl = cpuinfo.size();
    auto line = cpuinfo.substr(pos, nl - pos);
    pos = nl + 1;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || trim(line.substr(0, colon)) != "flags") continue;
    std::vector<std::string> out;
    for (auto f : split_ws(line.substr(colon + 1))) out.emplace_back(f);
    return out;
  }
  return fail("no \"flags\" line (not an x86 cpuinfo)");
}

namespace {

constexpr std::string_view kCurrent = "devices/system/clocksource/clocksource0/current_clocksource";
constexpr std::string_view kAvailable = "devices/system/clocksource/clocksource0/available_clocksource";

std::string fmt_ms(std::int64_t us) {
  const auto ms = static_cast<double>(us) / 1000.0;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3f ms", ms);
  return buf;
}

CheckResult run_sync(const CheckDef& def, const Context& ctx, const nlohmann::json& s) {
  auto r = make_result(def, s);
  const auto max_err = s.value("max_error_us", std::int64_t{16000000});
  r.expected = "maxerror < " + std::to_string(max_err) + " us and state != TIME_ERROR";
  auto reading = ctx.clock.adjtimex();
  if (!reading) {
    r.observed = "unreadable (adjtimex(2))";
    return read_error(r, reading.error());
  }
  const auto& c = *reading;
  r.observed = observed_at("state=" + clock_state_name(c.state) +
                               " maxerror=" + std::to_string(c.maxerror_us) +
                               "us esterror=" + std::to_string(c.esterror_us) +
                               "us offset=" + std::to_string(c.offset_ns) +
                               "ns status=" + sta_flags(c.status_flags),
                           "adjtimex(2)");
  const std::string node =
      " This is the node's kernel clock (a container sees the same clock; fix it on the node).";
  if (clock_synchronised(c, max_err)) {
    r.status = Status::pass;
    r.message = "System clock is NTP-synchronised: offset " + std::to_string(c.offset_ns) +
                " ns, estimated error " + fmt_ms(c.esterror_us) + ", maximum error " +
                fmt_ms(c.maxerror_us) + "." + node;
    return r;
  }
  r.status = Status::fail;
  r.message = std::string("System clock is not synchronised (") +
              (c.state == kTimeError ? "state TIME_ERROR" : "maximum error " + fmt_ms(c.maxerror_us)) +
              ", as systemd-timedated judges \"NTP synchronized: no\"): wall-clock time.Now() "
              "can be off or jump when NTP finally steps it, breaking TLS certificate validity, "
              "token expiry, distributed leases and log ordering." + node;
  r.remediation =
      "On the node: `timedatectl set-ntp true` (systemd-timesyncd) or `apt-get install chrony && "
      "systemctl enable --now chrony`; persistent: `systemctl enable chrony` / NTP=... in "
      "/etc/systemd/timesyncd.conf; verify with `chronyc tracking` or `timedatectl status`.";
  return finish(r);
}

CheckResult run_source(const CheckDef& def, const Context& ctx, const nlohmann::json& s) {
  auto r = make_result(def, s);
  const auto good = s.value("allowed", nlohmann::json::array());
  std::string list;
  for (const auto& e : good) {
    if (!e.is_string()) continue;
    list += (list.empty() ? "" : ", ") + e.get<std::string>();
  }
  r.expected = "one of: " + list;
  const auto path = ctx.host.sys_path(kCurrent).string();
  auto text = ctx.host.sys(kCurrent);
  if (!text) {
    r.observed = "unreadable (" + path + ")";
    return read_error(r, text.error());
  }
  const std::string cur(trim(*text));
  if (cur.empty() || cur.size() > 64 || cur.find_first_of(" \t\n") != std::string::npos) {
    r.observed = observed_at("\"" + cur.substr(0, 64) + "\"", path);
    return read_error(r, "cannot parse " + path + ": expected one clocksource name");
  }
  std::string obs = cur + " (" + path + ")";
  if (auto avail = ctx.host.sys(kAvailable)) {
    obs += "; available: " + std::string(trim(*avail).substr(0, 200));
  }
  std::string tsc_note;
  if (auto cpuinfo = ctx.host.proc("cpuinfo")) {
    if (auto flags = parse_cpu_flags(*cpuinfo)) {
      auto has = [&](const char* f) { return std::find(flags->begin(), flags->end(), f) != flags->end(); };
      tsc_note = std::string("constant_tsc=") + (has("constant_tsc") ? "yes" : "no") +
                 " nonstop_tsc=" + (has("nonstop_tsc") ? "yes" : "no");
      obs += "; cpu flags (" + ctx.host.proc_path("cpuinfo").string() + "): " + tsc_note;
    }
  }
  r.observed = obs;
  const bool ok = std::any_of(good.begin(), good.end(), [&](const nlohmann::json& e) {
    return e.is_string() && e.get<std::string>() == cur;
  });
  const std::string tsc_msg = tsc_note.empty() ? "" : " CPU: " + tsc_note + ".";
  if (ok) {
    r.status = Status::pass;
    r.message = "Clocksource is " + cur +
                " (node-wide): the vDSO serves clock_gettime, so time.Now() costs tens of "
                "nanoseconds without a syscall." + tsc_msg;
    return r;
  }
  r.status = Status::fail;
  r.message = "Clocksource is " + cur +
              " (node-wide): the vDSO cannot read it, so every clock_gettime, and with it Go's "
              "time.Now(), timers and the scheduler's clock, becomes a real syscall (often "
              "microseconds), which slows request timing, tracing and time-heavy code." + tsc_msg +
              (cur == "hpet" || cur == "acpi_pm"
                   ? " The kernel usually falls back to this when it judged the TSC unstable "
                     "(see `dmesg | grep -i clocksource`)."
                   : "");
  r.remediation =
      "On the node: `echo tsc > /sys/devices/system/clocksource/clocksource0/current_clocksource` "
      "(kvm-clock on KVM guests; pick one listed in available_clocksource); persistent: kernel "
      "command line `clocksource=tsc tsc=reliable` in GRUB_CMDLINE_LINUX of /etc/default/grub, "
      "then `update-grub` and reboot. If the TSC is really unstable (no constant_tsc/nonstop_tsc), "
      "move the workload to hardware or an instance type with an invariant TSC.";
  return finish(r);
}

}  // namespace

std::vector<CheckDef> clock_checks() {
  std::vector<CheckDef> out;
  {
    CheckDef d;
    d.id = "clock.sync";
    d.title = "System clock is NTP-synchronised (adjtimex, read-only)";
    d.explain =
        "Calls adjtimex(2) with modes = 0 (a read: no CAP_SYS_TIME needed) and reports the state,\n"
        "maxerror, esterror, offset (ns with STA_NANO) and STA_* flags. Synchronised, as\n"
        "systemd-timedated decides, when maxerror < `max_error_us` (default 16000000 = 16 s, the\n"
        "kernel's ceiling that it reaches without NTP updates) and the state is not TIME_ERROR.\n"
        "Unsynchronised fails (severity critical by default; set `severity: warning` to only\n"
        "warn). The clock is not namespaced: inside a container this is the node's kernel clock.";
    d.scope = "node";
    d.default_severity = Severity::critical;
    d.defaults = {{"max_error_us", 16000000}};
    d.run = [def = d](const Context& c, const nlohmann::json& s) { return run_sync(def, c, s); };
    out.push_back(std::move(d));
  }
  {
    CheckDef d;
    d.id = "clock.source";
    d.title = "Clocksource is one the vDSO can read (fast time.Now)";
    d.explain =
        "Reads <sysfs>/devices/system/clocksource/clocksource0/current_clocksource (and\n"
        "available_clocksource, plus constant_tsc/nonstop_tsc from <procfs>/cpuinfo on x86 for\n"
        "the report). Sources the vDSO reads pass: `allowed`, default tsc, kvm-clock,\n"
        "arch_sys_counter, hyperv_clocksource_tsc_page, hyperv_clocksource_msr. Anything else\n"
        "(hpet, acpi_pm, jiffies, ...) makes clock_gettime a syscall, so Go's time.Now() gets\n"
        "slow: reported at severity warning by default.";
    d.scope = "node";
    d.default_severity = Severity::warning;
    d.defaults = {{"allowed",
                   {"tsc", "kvm-clock", "arch_sys_counter", "hyperv_clocksource_tsc_page",
                    "hyperv_clocksource_msr"}}};
    d.run = [def = d](const Context& c, const nlohmann::json& s) { return run_source(def, c, s); };
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace gopreflight::initcheck::checks
