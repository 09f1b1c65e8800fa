// The termination log (/dev/termination-log): what `kubectl describe pod` shows as the reason.
#include "gopreflight/initcheck/render.hpp"

namespace gopreflight::initcheck {

namespace {

std::string flat(std::string_view s) {
  std::string out;
  for (char c : s) out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  return out;
}

/// Largest prefix length <= n that does not end inside a UTF-8 sequence.
std::size_t utf8_cut(std::string_view s, std::size_t n) {
  if (n >= s.size()) return s.size();
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return n;
}

}  // namespace

std::string render_termination_log(const Report& report, std::size_t max_bytes) {
  std::vector<std::string> lines;
  auto add = [&](Status st, std::string_view tag) {
    for (const auto& r : report.checks) {
      if (r.status != st) continue;
      std::string line = std::string(tag) + " " + r.id + ": " + flat(r.message);
      if (!r.remediation.empty() && st != Status::error) line += "; fix: " + flat(r.remediation);
      lines.push_back(std::move(line));
    }
  };
  add(Status::fail, "FAIL");
  if (report.strict) {
    add(Status::warn, "WARN");
    add(Status::error, "ERROR");
  } else {
    add(Status::error, "ERROR");
    add(Status::warn, "WARN");
  }
  if (lines.empty()) {
    const auto s = summarize(report);
    lines.push_back("PASS " + std::to_string(s.total) + " checks: " + std::to_string(s.pass) +
                    " pass, " + std::to_string(s.skip) + " skip");
  }
  std::string out;
  for (const auto& line : lines) {
    if (out.size() + line.size() + 1 <= max_bytes) {
      out += line;
      out += '\n';
      continue;
    }
    // The first line that does not fit: keep a cut prefix of it when there is useful room.
    const std::string more = " ...\n";
    const std::size_t room = max_bytes - out.size();
    if (room > more.size() + 16) {
      out += line.substr(0, utf8_cut(line, room - more.size()));
      out += more;
    }
    break;
  }
  return out;
}

}  // namespace gopreflight::initcheck
