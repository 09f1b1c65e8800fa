// gopreflight-check command line: runs the catalog and prints one line per check.
#include <iostream>

#include "gopreflight/initcheck/check.hpp"
#include "gopreflight/initcheck/cli.hpp"

namespace gopreflight::initcheck {

int cli_main(int /*argc*/, char** /*argv*/) {
  HostReader host(HostPaths{});
  SystemClock clock;
  EnvMap env;
  Context ctx{host, clock, env};
  bool failed = false;
  for (const auto& def : builtin_checks()) {
    CheckResult r;
    try {
      r = def.run(ctx, def.defaults);
    } catch (const std::exception& e) {
      r.id = def.id;
      r.status = Status::error;
      r.message = e.what();
    }
    if (r.status == Status::fail) failed = true;
    std::cout << to_string(r.status) << "  " << r.id << "  " << r.observed << "\n";
  }
  return failed ? 1 : 0;
}

}  // namespace gopreflight::initcheck
