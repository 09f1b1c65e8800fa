// Parsers and readers for the process's own cgroup (see cgroup_parse.hpp).
#include "checks/cgroup_parse.hpp"

#include <algorithm>

#include "checks/common.hpp"

namespace gopreflight::initcheck::checks {

namespace {

/// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_octal(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const auto a = s[i + 1], b = s[i + 2], c = s[i + 3];
      if (a >= '0' && a <= '3' && b >= '0' && b <= '7' && c >= '0' && c <= '7') {
        out.push_back(static_cast<char>((a - '0') * 64 + (b - '0') * 8 + (c - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    auto line = trim(text.substr(start, end - start));
    if (!line.empty()) out.push_back(line);
    start = end + 1;
  }
  return out;
}

std::string clip(std::string_view s) { return std::string(s.substr(0, 80)) + (s.size() > 80 ? "..." : ""); }

bool has_option(std::string_view opts, std::string_view name) {
  std::size_t start = 0;
  while (start <= opts.size()) {
    auto end = opts.find(',', start);
    if (end == std::string_view::npos) end = opts.size();
    if (opts.substr(start, end - start) == name) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace

Result<std::vector<MountInfo>> parse_mountinfo(std::string_view text) {
  std::vector<MountInfo> out;
  int lineno = 0;
  for (auto line : lines_of(text)) {
    ++lineno;
    auto f = split_ws(line);
    auto dash = std::find(f.begin(), f.end(), std::string_view("-"));
    if (f.size() < 10 || dash == f.end() || dash - f.begin() < 6 || f.end() - dash < 3) {
      return fail("mountinfo line " + std::to_string(lineno) + " is malformed: \"" + clip(line) + "\"");
    }
    if (!parse_int(f[0]) || !parse_int(f[1])) {
      return fail("mountinfo line " + std::to_string(lineno) + " has no numeric mount ids: \"" + clip(line) + "\"");
    }
    MountInfo m;
    m.root = unescape_octal(f[3]);
    m.mount_point = unescape_octal(f[4]);
    m.fstype = std::string(*(dash + 1));
    m.super_options = std::string(*(dash + 3));
    out.push_back(std::move(m));
  }
  if (out.empty()) return fail("mountinfo is empty");
  return out;
}

Result<std::vector<ProcCgroupEntry>> parse_proc_cgroup(std::string_view text) {
  std::vector<ProcCgroupEntry> out;
  int lineno = 0;
  for (auto line : lines_of(text)) {
    ++lineno;
    auto c1 = line.find(':');
    auto c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) {
      return fail("cgroup line " + std::to_string(lineno) + " is not ID:CONTROLLERS:PATH: \"" + clip(line) + "\"");
    }
    auto id = parse_int(line.substr(0, c1));
    auto path = line.substr(c2 + 1);
    if (!id || *id < 0 || *id > 1'000'000 || path.empty() || path.front() != '/') {
      return fail("cgroup line " + std::to_string(lineno) + " is not ID:CONTROLLERS:/PATH: \"" + clip(line) + "\"");
    }
    ProcCgroupEntry e;
    e.hierarchy = static_cast<int>(*id);
    auto ctl = line.substr(c1 + 1, c2 - c1 - 1);
    std::size_t start = 0;
    while (!ctl.empty() && start <= ctl.size()) {
      auto end = ctl.find(',', start);
      if (end == std::string_view::npos) end = ctl.size();
      if (end > start) e.controllers.emplace_back(ctl.substr(start, end - start));
      start = end + 1;
    }
    e.path = std::string(path);
    out.push_back(std::move(e));
  }
  if (out.empty()) return fail("cgroup file is empty");
  return out;
}

std::string_view to_string(CgroupMode m) {
  switch (m) {
    case CgroupMode::v2: return "v2";
    case CgroupMode::hybrid: return "hybrid";
    case CgroupMode::v1: return "v1";
  }
  return "v1";
}

Result<CgroupLayout> detect_cgroup_layout(const std::vector<MountInfo>& mounts) {
  CgroupLayout l;
  std::optional<MountInfo> top_v2, unified;
  for (const auto& m : mounts) {
    if (m.fstype == "cgroup2" && m.mount_point == "/sys/fs/cgroup") top_v2 = m;
    else if (m.fstype == "cgroup2" && m.mount_point == "/sys/fs/cgroup/unified") unified = m;
    else if (m.fstype == "cgroup" && m.mount_point.rfind("/sys/fs/cgroup/", 0) == 0) l.v1.push_back(m);
  }
  if (top_v2) {
    l.mode = CgroupMode::v2;
    l.unified = top_v2;
    l.v1.clear();
    return l;
  }
  if (l.v1.empty()) {
    return fail("no cgroup filesystem is mounted at /sys/fs/cgroup (neither cgroup2 nor v1 controllers)");
  }
  l.mode = unified ? CgroupMode::hybrid : CgroupMode::v1;
  l.unified = unified;
  return l;
}

Result<std::optional<std::int64_t>> parse_cgroup_limit(std::string_view text) {
  auto s = trim(text);
  if (s == "max") return std::optional<std::int64_t>{};
  auto v = parse_int(s);
  if (!v || *v < 0) return fail("expected \"max\" or a non-negative integer, got \"" + clip(s) + "\"");
  return std::optional<std::int64_t>{*v};
}

Result<std::optional<std::int64_t>> parse_v1_bytes(std::string_view text) {
  auto s = trim(text);
  auto v = parse_int(s);
  if (!v) return fail("expected an integer, got \"" + clip(s) + "\"");
  if (*v == -1 || *v >= (std::int64_t{1} << 62)) return std::optional<std::int64_t>{};
  if (*v < 0) return fail("expected a non-negative integer, got \"" + clip(s) + "\"");
  return std::optional<std::int64_t>{*v};
}

Result<CpuMax> parse_cpu_max(std::string_view text) {
  auto f = split_ws(text);
  if (f.size() != 2) return fail("cpu.max: expected \"QUOTA PERIOD\", got \"" + clip(trim(text)) + "\"");
  CpuMax c;
  auto period = parse_int(f[1]);
  if (!period || *period <= 0) return fail("cpu.max: period \"" + clip(f[1]) + "\" is not a positive integer");
  c.period_us = *period;
  if (f[0] != "max") {
    auto q = parse_int(f[0]);
    if (!q || *q <= 0) return fail("cpu.max: quota \"" + clip(f[0]) + "\" is not \"max\" or a positive integer");
    c.quota_us = *q;
  }
  return c;
}

Result<std::string> relative_cgroup_path(std::string_view mount_root, std::string_view own_path) {
  if (own_path.find("/..") != std::string_view::npos || own_path.rfind("..", 0) == 0) {
    return fail("own cgroup \"" + std::string(own_path) +
                "\" lies outside this cgroup namespace's mount (root \"" + std::string(mount_root) + "\")");
  }
  std::string root(mount_root);
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  if (own_path == "/" || own_path == root) return std::string();
  if (root == "/") return std::string(own_path);
  if (own_path.rfind(root, 0) == 0 && own_path.size() > root.size() && own_path[root.size()] == '/') {
    return std::string(own_path.substr(root.size()));
  }
  return fail("own cgroup \"" + std::string(own_path) + "\" is not below the cgroup mount's root \"" + root + "\"");
}

Result<OwnCgroup> read_own_cgroup(const HostReader& host) {
  const auto mi_path = host.proc_path("self/mountinfo").string();
  auto mi = host.proc("self/mountinfo");
  if (!mi) return Error{mi.error()};
  auto mounts = parse_mountinfo(*mi);
  if (!mounts) return fail(mi_path + ": " + mounts.error());
  auto layout = detect_cgroup_layout(*mounts);
  if (!layout) return fail(mi_path + ": " + layout.error());
  const auto cg_path = host.proc_path("self/cgroup").string();
  auto cg = host.proc("self/cgroup");
  if (!cg) return Error{cg.error()};
  auto entries = parse_proc_cgroup(*cg);
  if (!entries) return fail(cg_path + ": " + entries.error());
  return OwnCgroup{std::move(*layout), std::move(*entries)};
}

Result<CgroupDir> controller_dir(const OwnCgroup& cg, std::string_view controller) {
  const MountInfo* mount = nullptr;
  const ProcCgroupEntry* entry = nullptr;
  if (cg.layout.mode == CgroupMode::v2) {
    mount = &*cg.layout.unified;
    for (const auto& e : cg.entries) {
      if (e.hierarchy == 0 && e.controllers.empty()) entry = &e;
    }
    if (!entry) return fail("/proc/self/cgroup has no \"0::\" line although cgroup2 is mounted");
  } else {
    for (const auto& m : cg.layout.v1) {
      if (has_option(m.super_options, controller)) mount = &m;
    }
    if (!mount) return fail("no cgroup v1 mount carries the " + std::string(controller) + " controller");
    for (const auto& e : cg.entries) {
      if (std::find(e.controllers.begin(), e.controllers.end(), controller) != e.controllers.end()) entry = &e;
    }
    if (!entry) return fail("/proc/self/cgroup has no line for the " + std::string(controller) + " controller");
  }
  auto rel = relative_cgroup_path(mount->root, entry->path);
  if (!rel) return Error{rel.error()};
  if (mount->mount_point.rfind("/sys/", 0) != 0) {
    return fail("cgroup mount point " + mount->mount_point + " is not under /sys");
  }
  CgroupDir d;
  d.sys_rel = mount->mount_point.substr(5) + *rel;
  d.own_path = entry->path;
  d.is_root = rel->empty() && (mount->root == "/" ) && entry->path == "/";
  return d;
}

namespace {

/// Reads one limit file; missing files are reported to the caller distinctly.
struct FileRead {
  bool present = false;
  std::string text;
  std::string error;
};
FileRead read_opt(const HostReader& host, const std::string& rel) {
  FileRead f;
  if (!host.sys_exists(rel)) return f;
  auto t = host.sys(rel);
  if (!t) {
    f.present = true;
    f.error = t.error();
    return f;
  }
  f.present = true;
  f.text = *t;
  return f;
}

std::string show(const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : "max"; }

}  // namespace

Result<LimitRead<MemoryReading>> read_memory(const HostReader& host, const OwnCgroup& cg) {
  auto dir = controller_dir(cg, "memory");
  if (!dir) return Error{dir.error()};
  LimitRead<MemoryReading> out;
  out.where = host.sys_path(dir->sys_rel).string();
  const bool v2 = cg.layout.mode == CgroupMode::v2;
  const std::string max_file = v2 ? "memory.max" : "memory.limit_in_bytes";
  const std::string high_file = v2 ? "memory.high" : "memory.soft_limit_in_bytes";
  const std::string swap_file = v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes";
  auto parse = v2 ? parse_cgroup_limit : parse_v1_bytes;
  auto fmax = read_opt(host, dir->sys_rel + "/" + max_file);
  if (!fmax.present) {
    if (dir->is_root) {
      out.root = true;
      return out;
    }
    return fail("reading " + out.where + "/" + max_file +
                ": no such file (memory controller not enabled for this cgroup?)");
  }
  if (!fmax.error.empty()) return fail(fmax.error);
  MemoryReading m;
  m.dir = out.where;
  auto mx = parse(fmax.text);
  if (!mx) return fail(out.where + "/" + max_file + ": " + mx.error());
  m.max = *mx;
  m.raw = max_file + "=" + show(m.max);
  auto fhigh = read_opt(host, dir->sys_rel + "/" + high_file);
  if (fhigh.present && fhigh.error.empty()) {
    auto h = parse(fhigh.text);
    if (!h) return fail(out.where + "/" + high_file + ": " + h.error());
    m.high = *h;
    m.raw += " " + high_file + "=" + show(m.high);
  }
  auto fswap = read_opt(host, dir->sys_rel + "/" + swap_file);
  if (fswap.present && fswap.error.empty()) {
    auto s = parse(fswap.text);
    if (!s) return fail(out.where + "/" + swap_file + ": " + s.error());
    m.swap_file_present = true;
    if (v2) {
      m.swap_max = *s;
    } else if (*s && m.max) {
      // v1 memsw is memory+swap: the swap allowance is the difference.
      m.swap_max = std::max<std::int64_t>(0, **s - *m.max);
    } else {
      m.swap_max = *s;  // memsw unlimited (or memory unlimited): swap bounded only by memsw
    }
    m.raw += " " + swap_file + "=" + show(*s);
  }
  out.value = std::move(m);
  return out;
}

Result<LimitRead<CpuReading>> read_cpu(const HostReader& host, const OwnCgroup& cg) {
  auto dir = controller_dir(cg, "cpu");
  if (!dir) return Error{dir.error()};
  LimitRead<CpuReading> out;
  out.where = host.sys_path(dir->sys_rel).string();
  CpuReading c;
  c.dir = out.where;
  if (cg.layout.mode == CgroupMode::v2) {
    auto f = read_opt(host, dir->sys_rel + "/cpu.max");
    if (!f.present) {
      if (dir->is_root) {
        out.root = true;
        return out;
      }
      return fail("reading " + out.where + "/cpu.max: no such file (cpu controller not enabled for this cgroup?)");
    }
    if (!f.error.empty()) return fail(f.error);
    auto m = parse_cpu_max(f.text);
    if (!m) return fail(out.where + "/cpu.max: " + m.error());
    c.quota_us = m->quota_us;
    c.period_us = m->period_us;
    c.raw = "cpu.max=\"" + std::string(trim(f.text)) + "\"";
  } else {
    auto fq = read_opt(host, dir->sys_rel + "/cpu.cfs_quota_us");
    auto fp = read_opt(host, dir->sys_rel + "/cpu.cfs_period_us");
    if (!fq.present || !fp.present) {
      if (dir->is_root && !fq.present) {
        out.root = true;
        return out;
      }
      return fail("reading " + out.where + "/cpu.cfs_quota_us and cpu.cfs_period_us: no such file");
    }
    if (!fq.error.empty()) return fail(fq.error);
    if (!fp.error.empty()) return fail(fp.error);
    auto q = parse_int(fq.text);
    auto p = parse_int(fp.text);
    if (!q || (*q < 0 && *q != -1) || *q == 0) {
      return fail(out.where + "/cpu.cfs_quota_us: expected -1 or a positive integer, got \"" + clip(trim(fq.text)) + "\"");
    }
    if (!p || *p <= 0) {
      return fail(out.where + "/cpu.cfs_period_us: expected a positive integer, got \"" + clip(trim(fp.text)) + "\"");
    }
    if (*q > 0) c.quota_us = *q;
    c.period_us = *p;
    c.raw = "cpu.cfs_quota_us=" + std::to_string(*q) + " cpu.cfs_period_us=" + std::to_string(*p);
  }
  out.value = std::move(c);
  return out;
}

std::string human_bytes(std::int64_t bytes) {
  static constexpr std::pair<std::int64_t, const char*> kUnits[] = {
      {std::int64_t{1} << 40, "TiB"}, {std::int64_t{1} << 30, "GiB"}, {std::int64_t{1} << 20, "MiB"}, {std::int64_t{1} << 10, "KiB"}};
  for (auto [size, name] : kUnits) {
    if (bytes >= size && bytes % size == 0) return std::to_string(bytes / size) + name;
  }
  return std::to_string(bytes) + "B";
}

}  // namespace gopreflight::initcheck::checks
