#pragma once
/// Each checks/<area>.cpp contributes its catalog entries through one of these functions;
/// checks/registry.cpp lists them in report order. Adding a check: one entry in its area file.
#include <vector>

#include "gopreflight/initcheck/check.hpp"

namespace gopreflight::initcheck::checks {

std::vector<CheckDef> kernel_checks();   // kernel.version             (kernel.cpp)
std::vector<CheckDef> cgroup_checks();   // cgroup.version/memory/cpu/pids (cgroup.cpp)
std::vector<CheckDef> go_checks();       // go.gomemlimit, go.gomaxprocs   (go_runtime.cpp)
std::vector<CheckDef> thp_checks();      // thp.enabled/defrag/max_ptes_none (thp.cpp)
std::vector<CheckDef> limits_checks();   // kernel.pid_max, kernel.threads_max, rlimit.* (limits.cpp)
std::vector<CheckDef> clock_checks();    // clock.sync, clock.source  (clock.cpp)
std::vector<CheckDef> sysctl_checks();   // swap, sysctl.*, conntrack.usage (sysctl.cpp)

}  // namespace gopreflight::initcheck::checks
