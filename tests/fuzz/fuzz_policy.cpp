// The policy loader and lint on arbitrary text: problems or a policy, never both, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gopreflight/webhook/policy_io.hpp"

using namespace gopreflight::webhook;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const PolicyParse r = parse_policy(text, "fuzz.yaml");
  if (static_cast<bool>(r.policy) == !r.problems.empty()) std::abort();
  for (const auto& p : r.problems)
    if (p.message.empty() || p.line < 0 || p.col < 0) std::abort();
  if (r.policy) {
    for (const auto& p : lint_policy(*r.policy, r.marks))
      if (p.line < 1 || p.message.empty()) std::abort();
    const auto& sc = r.policy->security_context;
    if (sc && sc->run_as_user_min && sc->run_as_user_max && *sc->run_as_user_min > *sc->run_as_user_max) std::abort();
  }
  return 0;
}
