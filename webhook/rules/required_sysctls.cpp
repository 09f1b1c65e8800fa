// Rule 2 (requiredSysctls): the sysctls the policy requires, present and in range.
#include <charconv>

#include "rules/common.hpp"

namespace gopreflight::webhook::rules {
namespace {

using detail::finding;
using detail::dq;

std::optional<long long> parse_integer(std::string_view s) {
  const std::string t = normalize_whitespace(s);
  long long v = 0;
  const char* b = t.data();
  const char* e = t.data() + t.size();
  if (t.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(b, e, v);
  if (ec != std::errc() || p != e) return std::nullopt;
  return v;
}

/// normalize_sysctl_name(a) == normalize_sysctl_name(b), without building either.
bool same_sysctl_name(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const auto slashed = [](std::string_view n) {
    const auto first = n.find_first_of("./");
    return first != std::string_view::npos && n[first] == '/';
  };
  const bool sa = slashed(a), sb = slashed(b);
  const auto norm = [](char c, bool swap) {
    if (!swap) return c;
    return c == '/' ? '.' : c == '.' ? '/' : c;
  };
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (norm(a[i], sa) != norm(b[i], sb)) return false;
  }
  return true;
}

/// The value to suggest: `equals`, else the bound that makes the sysctl pass.
std::string wanted_value(const RequiredSysctl& r) {
  if (r.equals) return normalize_whitespace(*r.equals);
  if (r.min) return std::to_string(*r.min);
  if (r.max) return std::to_string(*r.max);
  return "";
}

std::string requirement(const RequiredSysctl& r) {
  if (r.equals) return "must equal " + dq(normalize_whitespace(*r.equals));
  if (r.min && r.max) return "must be between " + std::to_string(*r.min) + " and " + std::to_string(*r.max);
  if (r.min) return "must be at least " + std::to_string(*r.min);
  if (r.max) return "must be at most " + std::to_string(*r.max);
  return "must be set";
}

}  // namespace

void required_sysctls(const PodView& pod, const std::vector<RequiredSysctl>& required, Findings& out) {
  if (required.empty() || !pod.has_spec) return;
  // Paths, fixes and messages are built only for a finding: a passing Pod allocates little here.
  const std::string list_path = pod.spec_path + ".securityContext.sysctls";
  const auto& sc = pod.spec.security_context;
  const std::vector<Sysctl>* sysctls = sc ? &sc->sysctls : nullptr;
  for (const auto& r : required) {
    // The last entry wins if a name repeats (the API server refuses duplicates anyway).
    std::size_t found = std::string::npos;
    const std::string* value = nullptr;
    if (sysctls != nullptr) {
      for (std::size_t i = 0; i < sysctls->size(); ++i) {
        const auto& name = (*sysctls)[i].name;
        if (name && same_sysctl_name(*name, r.name)) {
          found = i;
          value = (*sysctls)[i].value ? &*(*sysctls)[i].value : nullptr;
        }
      }
    }
    if (found == std::string::npos) {
      const std::string line = "{name: " + r.name + ", value: " + dq(wanted_value(r)) + "}";
      out.push_back(finding(id::kRequiredSysctls, r.name, list_path,
                            "sysctl " + r.name + " is not set; the policy requires it (" + requirement(r) + ")",
                            "add to " + list_path + ": " + line, r.mode));
      continue;
    }
    const auto entry_path = [&] { return list_path + "[" + std::to_string(found) + "].value"; };
    const std::string_view have = value != nullptr ? std::string_view(*value) : std::string_view();
    const auto fix = [&] { return "set " + entry_path() + ": " + dq(wanted_value(r)); };
    if (r.equals) {
      if (normalize_whitespace(have) != normalize_whitespace(*r.equals)) {
        out.push_back(finding(id::kRequiredSysctls, r.name, entry_path(),
                              "sysctl " + r.name + " is " + dq(have) + "; it " + requirement(r), fix(), r.mode));
      }
      continue;
    }
    if (!r.min && !r.max) continue;  // presence was all that was asked
    const auto v = parse_integer(have);
    if (!v) {
      out.push_back(finding(id::kRequiredSysctls, r.name, entry_path(),
                            "sysctl " + r.name + " is " + dq(have) + ", not an integer; it " + requirement(r),
                            fix(), r.mode));
      continue;
    }
    if ((r.min && *v < *r.min) || (r.max && *v > *r.max)) {
      out.push_back(finding(id::kRequiredSysctls, r.name, entry_path(),
                            "sysctl " + r.name + " is " + std::to_string(*v) + "; it " + requirement(r), fix(),
                            r.mode));
    }
  }
}

}  // namespace gopreflight::webhook::rules
