#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

#include "gopreflight/initcheck/check.hpp"

namespace gopreflight::initcheck {

HostReader::HostReader(HostPaths paths, std::size_t max_bytes)
    : paths_(std::move(paths)), max_bytes_(max_bytes) {}

Result<std::string> HostReader::read(const std::filesystem::path& path) const {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) {
    return fail("reading " + path.string() + ": no such file");
  }
  if (std::filesystem::is_directory(st)) {
    return fail("reading " + path.string() + ": is a directory, expected a file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return fail("reading " + path.string() + ": " + std::strerror(errno));
  }
  // /proc and /sys files report size 0, so read in chunks up to the cap.
  std::string out;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    out.append(buf, static_cast<std::size_t>(in.gcount()));
    if (out.size() > max_bytes_) {
      return fail("reading " + path.string() + ": larger than " + std::to_string(max_bytes_) +
                  " bytes, refusing to parse");
    }
  }
  if (in.bad()) {
    return fail("reading " + path.string() + ": I/O error");
  }
  return out;
}

Result<std::string> HostReader::proc(std::string_view rel) const { return read(proc_path(rel)); }
Result<std::string> HostReader::sys(std::string_view rel) const { return read(sys_path(rel)); }

bool HostReader::proc_exists(std::string_view rel) const {
  std::error_code ec;
  return std::filesystem::exists(proc_path(rel), ec);
}
bool HostReader::sys_exists(std::string_view rel) const {
  std::error_code ec;
  return std::filesystem::exists(sys_path(rel), ec);
}

std::string_view to_string(Status s) {
  switch (s) {
    case Status::pass: return "pass";
    case Status::warn: return "warn";
    case Status::fail: return "fail";
    case Status::skip: return "skip";
    case Status::error: return "error";
  }
  return "error";
}

std::string_view to_string(Severity s) { return s == Severity::critical ? "critical" : "warning"; }

std::optional<Severity> parse_severity(std::string_view s) {
  if (s == "critical") return Severity::critical;
  if (s == "warning") return Severity::warning;
  return std::nullopt;
}

}  // namespace gopreflight::initcheck
