// cgroup.version, cgroup.memory, cgroup.cpu, cgroup.pids: the process's own cgroup.
#include "checks/common.hpp"
#include "checks/groups.hpp"

namespace gopreflight::initcheck::checks {

/// The cgroup checks are added to this list as they land (see cgroup_parse.hpp).
std::vector<CheckDef> cgroup_checks() { return {}; }

}  // namespace gopreflight::initcheck::checks
