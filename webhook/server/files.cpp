// Small pure-ish helpers of the server: listen address parsing and file fingerprints for reload.
#include <sys/stat.h>

#include <charconv>
#include <climits>
#include <cstdlib>

#include "gopreflight/webhook/server.hpp"

namespace gopreflight::webhook::server {

std::optional<ListenAddress> parse_listen(std::string_view s, std::string& error) {
  ListenAddress a;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') {
      error = "--listen " + std::string(s) + ": expected [IPv6]:PORT";
      return std::nullopt;
    }
    a.host = std::string(s.substr(1, close - 1));
    port = s.substr(close + 2);
  } else {
    const auto colon = s.rfind(':');
    if (colon == std::string_view::npos || s.find(':') != colon) {
      error = "--listen " + std::string(s) + ": expected HOST:PORT (IPv6 as [::]:PORT)";
      return std::nullopt;
    }
    a.host = std::string(s.substr(0, colon));
    port = s.substr(colon + 1);
  }
  if (a.host.empty()) a.host = "0.0.0.0";
  int p = -1;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc{} || ptr != port.data() + port.size() || p < 0 || p > 65535) {
    error = "--listen " + std::string(s) + ": port \"" + std::string(port) + "\" is not 0-65535";
    return std::nullopt;
  }
  a.port = p;
  return a;
}

FileFingerprint fingerprint(const std::string& path) {
  FileFingerprint f;
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return f;
  struct stat st {};
  if (::stat(buf, &st) != 0) return f;
  f.exists = true;
  f.resolved = buf;
  f.inode = static_cast<std::uint64_t>(st.st_ino);
  f.size = static_cast<std::uint64_t>(st.st_size);
  f.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  return f;
}

}  // namespace gopreflight::webhook::server
