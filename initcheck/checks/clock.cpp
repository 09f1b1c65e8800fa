#include "checks/common.hpp"
#include "checks/groups.hpp"

namespace gopreflight::initcheck::checks {

std::vector<CheckDef> clock_checks() { return {}; }

}  // namespace gopreflight::initcheck::checks
