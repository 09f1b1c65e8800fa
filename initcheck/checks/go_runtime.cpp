// go.gomemlimit, go.gomaxprocs: recommended Go runtime settings for the app container.
#include "checks/common.hpp"
#include "checks/groups.hpp"

namespace gopreflight::initcheck::checks {

/// The Go runtime checks are added to this list as they land.
std::vector<CheckDef> go_checks() { return {}; }

}  // namespace gopreflight::initcheck::checks
