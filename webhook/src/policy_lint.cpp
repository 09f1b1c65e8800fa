// `policy lint`: contradictions in a policy that parses.
#include "gopreflight/webhook/policy_io.hpp"

namespace gopreflight::webhook {

std::vector<PolicyProblem> lint_policy(const Policy& policy, const PolicyMarks& marks) {
  std::vector<PolicyProblem> out;
  (void)policy;
  (void)marks;
  return out;
}

}  // namespace gopreflight::webhook
