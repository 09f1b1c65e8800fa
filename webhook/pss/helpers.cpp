// Small string helpers shared by the PSS checks.
#include <cstdint>
#include <string>

#include "pss/detail.hpp"

namespace gopreflight::webhook::pss::detail {

std::string join_path(const std::string& base, std::string_view key) {
  std::string out;
  out.reserve(base.size() + key.size() + 1);
  out += base;
  if (!base.empty()) out += '.';
  out += key;
  return out;
}

std::string index_path(const std::string& base, std::size_t i) {
  char digits[24];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + i % 10);
    i /= 10;
  } while (i != 0);
  std::string out;
  out.reserve(base.size() + n + 2);
  out += base;
  out += '[';
  while (n) out += digits[--n];
  out += ']';
  return out;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

void Ctx::violation(std::string path, std::string message, std::string fix) {
  out_.push_back(Violation{std::string(check_id), std::string(check_level), std::move(path),
                           std::move(message), std::move(fix), version_str});
}

bool pod_os_is_windows(Ctx& ctx) { return ctx.spec->os_name.value_or("") == "windows"; }

bool pod_in_user_namespace(Ctx& ctx) { return ctx.spec->host_users == false; }

}  // namespace gopreflight::webhook::pss::detail
