#pragma once
/// Reading, validating and linting the policy file (apiVersion gopreflight.io/v1alpha1, kind Policy),
/// and the built-in recommended policy. Pure functions on text; only load_policy_file reads a file.
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gopreflight/webhook/policy.hpp"

namespace gopreflight::webhook {

/// One problem in a policy file, positioned 1-based like a compiler error.
struct PolicyProblem {
  std::string file;
  int line = 0;  ///< 1-based; 0 when the problem has no position (unreadable file)
  int col = 0;   ///< 1-based
  std::string message;
  /// "file:line:col: message" (or "file: message" without a position).
  std::string str() const;
};

/// Where the value of each key of the policy was written (the key, when it has no value): dotted path ("podSecurity.level",
/// "requiredSysctls[0].name", "securityContext.runAsUser") -> 1-based line and column. Lint uses it
/// to position contradictions.
struct PolicyMarks {
  std::map<std::string, std::pair<int, int>> keys;
  /// The position of `path`, or of the closest recorded parent, or 1:1.
  std::pair<int, int> at(const std::string& path) const;
};

/// The result of parsing a policy: a policy only when `problems` is empty.
struct PolicyParse {
  std::shared_ptr<Policy> policy;
  std::vector<PolicyProblem> problems;
  PolicyMarks marks;
  bool unreadable = false;  ///< the file could not be read at all (missing, not a file, too big)
};

/// Parses policy text; `file` names it in messages. Reports every problem, not just the first.
PolicyParse parse_policy(std::string_view text, std::string_view file);
/// Reads and parses a policy file.
PolicyParse load_policy_file(const std::string& path);
/// The built-in recommended policy (documented in README, "Policy file, lint and review").
std::shared_ptr<Policy> builtin_policy();
/// Contradictions in a valid policy: required sysctls PSS baseline forbids or no Pod can set,
/// runAsUser ranges no Pod can meet, and securityContext keys that require nothing.
std::vector<PolicyProblem> lint_policy(const Policy& policy, const PolicyMarks& marks);

/// Joins problems one per line ("file:line:col: message\n...").
std::string join_problems(const std::vector<PolicyProblem>& problems);

}  // namespace gopreflight::webhook
