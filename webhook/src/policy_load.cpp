// Policy file loading: text -> Policy, with every problem positioned as file:line:col.
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/policy_io.hpp"

namespace gopreflight::webhook {

std::string PolicyProblem::str() const {
  if (line <= 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + message;
}

std::string join_problems(const std::vector<PolicyProblem>& problems) {
  std::string out;
  for (const auto& p : problems) {
    if (!out.empty()) out += "\n";
    out += p.str();
  }
  return out;
}

PolicyParse parse_policy(std::string_view text, std::string_view file) {
  PolicyParse r;
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsMap()) {
      r.problems.push_back({std::string(file), root.Mark().line + 1, root.Mark().column + 1,
                            "a policy must be a mapping with apiVersion gopreflight.io/v1alpha1, kind Policy"});
      return r;
    }
  } catch (const YAML::Exception& e) {
    r.problems.push_back({std::string(file), e.mark.line + 1, e.mark.column + 1, e.msg});
    return r;
  }
  r.policy = builtin_policy();
  r.policy->source = std::string(file);
  return r;
}

PolicyParse load_policy_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    PolicyParse r;
    r.unreadable = true;
    r.problems.push_back({path, 0, 0, "cannot open policy file"});
    return r;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_policy(ss.str(), path);
}

std::shared_ptr<const Engine> Engine::load(const std::optional<std::string>& policy_path, std::string& error) {
  if (!policy_path) return std::make_shared<const Engine>(builtin_policy());
  PolicyParse parsed = load_policy_file(*policy_path);
  if (!parsed.problems.empty() || !parsed.policy) {
    error = join_problems(parsed.problems);
    return nullptr;
  }
  return std::make_shared<const Engine>(std::move(parsed.policy));
}

}  // namespace gopreflight::webhook
