#include <algorithm>

#include "checks/groups.hpp"

namespace gopreflight::initcheck {

const std::vector<CheckDef>& builtin_checks() {
  static const std::vector<CheckDef> all = [] {
    std::vector<CheckDef> out;
    for (auto group : {checks::kernel_checks, checks::cgroup_checks, checks::go_checks,
                       checks::thp_checks, checks::limits_checks, checks::clock_checks,
                       checks::sysctl_checks}) {
      auto defs = group();
      std::move(defs.begin(), defs.end(), std::back_inserter(out));
    }
    return out;
  }();
  return all;
}

const CheckDef* find_check(std::string_view id) {
  const auto& all = builtin_checks();
  auto it = std::find_if(all.begin(), all.end(), [&](const CheckDef& d) { return d.id == id; });
  return it == all.end() ? nullptr : &*it;
}

}  // namespace gopreflight::initcheck
