// Rule 1 (podSecurity): adapter from pss::evaluate violations to engine findings.
#include "gopreflight/webhook/pss.hpp"
#include "rules/common.hpp"

namespace gopreflight::webhook::rules {

void pod_security(const PodView& pod, const Policy::PodSecurity& s, Findings& out) {
  if (!pod.has_spec || s.level == pss::Level::privileged) return;
  for (auto& v : pss::evaluate(s.level, s.version, pod)) {
    const std::string version = v.version.empty() ? s.version.str() : v.version;
    out.push_back(Finding{id::kPodSecurity, std::move(v.check_id), std::move(v.path),
                          std::move(v.message) + " (" + v.level + ", " + version + ")", std::move(v.fix),
                          std::string(mode_name(s.mode))});
  }
}

}  // namespace gopreflight::webhook::rules
