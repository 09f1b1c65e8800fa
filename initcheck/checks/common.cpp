#include "checks/common.hpp"

#include <charconv>

namespace gopreflight::initcheck::checks {

namespace {
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
}  // namespace

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    std::size_t j = i;
    while (j < s.size() && !is_space(s[j])) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  std::int64_t v = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc{} || p != end) return std::nullopt;
  return v;
}

CheckDef define_check(std::string id, std::string title, std::string explain, std::string scope,
                      Severity severity, nlohmann::json defaults, CheckBody body) {
  CheckDef d;
  d.id = std::move(id);
  d.title = std::move(title);
  d.explain = std::move(explain);
  d.scope = std::move(scope);
  d.default_severity = severity;
  d.defaults = std::move(defaults);
  d.run = [def = d, body = std::move(body)](const Context& ctx, const nlohmann::json& s) {
    return body(def, ctx, s);
  };
  return d;
}

CheckResult make_result(const CheckDef& def, const nlohmann::json& settings) {
  CheckResult r;
  r.id = def.id;
  r.severity = def.default_severity;
  if (auto it = settings.find("severity"); it != settings.end() && it->is_string()) {
    if (auto sev = parse_severity(it->get<std::string>())) r.severity = *sev;
  }
  return r;
}

CheckResult finish(CheckResult r) {
  if (r.severity == Severity::warning && r.status == Status::fail) r.status = Status::warn;
  return r;
}

std::string observed_at(std::string_view value, std::string_view path) {
  std::string out(value);
  out += " (";
  out += path;
  out += ")";
  return out;
}

CheckResult read_error(CheckResult r, std::string_view what) {
  r.status = Status::error;
  r.message = std::string(what);
  return r;
}

}  // namespace gopreflight::initcheck::checks
