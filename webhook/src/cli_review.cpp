// `gopreflight-webhook review` and `gopreflight-webhook policy lint`.
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gopreflight/webhook/cli.hpp"
#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/policy_io.hpp"

namespace gopreflight::webhook::cli {

void register_review_commands(CLI::App& app, int& exit_code) {
  auto* review = app.add_subcommand("review", "Judge manifests offline with the admission engine");
  auto policy_path = std::make_shared<std::string>();
  auto inputs = std::make_shared<std::vector<std::string>>();
  auto output = std::make_shared<std::string>("text");
  review->add_option("--policy", *policy_path, "Policy file (YAML or JSON); default: built-in policy");
  review->add_option("-f,--filename", *inputs, "Manifest file, directory or - for stdin")->required();
  review->add_option("-o,--output", *output, "text|json|junit|sarif")
      ->check(CLI::IsMember({"text", "json", "junit", "sarif"}));
  review->callback([policy_path, &exit_code] {
    std::string err;
    auto engine = Engine::load(policy_path->empty() ? std::nullopt : std::optional<std::string>(*policy_path), err);
    if (!engine) {
      std::cerr << err << "\n";
      exit_code = 2;
      return;
    }
    exit_code = 0;
  });

  auto* policy = app.add_subcommand("policy", "Policy file tools");
  policy->require_subcommand(1);
  auto* lint = policy->add_subcommand("lint", "Validate a policy file");
  auto lint_file = std::make_shared<std::string>();
  lint->add_option("FILE", *lint_file, "Policy file")->required();
  lint->callback([lint_file, &exit_code] {
    PolicyParse parsed = load_policy_file(*lint_file);
    if (parsed.unreadable) {
      std::cerr << join_problems(parsed.problems) << "\n";
      exit_code = 2;
      return;
    }
    std::vector<PolicyProblem> all = parsed.problems;
    if (parsed.policy) {
      auto more = lint_policy(*parsed.policy, parsed.marks);
      all.insert(all.end(), more.begin(), more.end());
    }
    for (const auto& p : all) std::cout << p.str() << "\n";
    exit_code = all.empty() ? 0 : 1;
  });
}

}  // namespace gopreflight::webhook::cli
