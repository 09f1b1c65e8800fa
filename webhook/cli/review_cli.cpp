// `gopreflight-webhook review`, `policy lint` and `version`: the command-line side of the engine's
// offline use. Flags in, review::run and the renderers of gopreflight::webhook, bytes out.
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

#include "gopreflight/webhook/cli.hpp"
#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/policy.hpp"
#include "gopreflight/webhook/policy_io.hpp"
#include "gopreflight/webhook/review.hpp"
#include "gopreflight/webhook/rules.hpp"

#ifndef GOPREFLIGHT_VERSION
#error "GOPREFLIGHT_VERSION is set by webhook/CMakeLists.txt from the project version"
#endif

namespace gopreflight::webhook::cli {
namespace {

using nlohmann::json;

std::string dump(const json& j) { return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n"; }

std::string render(const review::Report& report, const std::string& format) {
  if (format == "json") return dump(review::render_json(report));
  if (format == "sarif") return dump(review::render_sarif(report));
  if (format == "junit") return review::render_junit(report);
  return review::render_text(report);
}

}  // namespace

bool write_file_atomically(const std::string& path, std::string_view content, std::string& error) {
  // A temporary file beside the target, then rename(2): readers (a Prometheus textfile collector,
  // a CI step) see the old file or the whole new one, never a part.
  std::string tmpl = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) {
    error = "cannot create a temporary file beside " + path + ": " + std::strerror(errno);
    return false;
  }
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = "writing " + tmpl + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmpl.c_str());
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  // mkstemp makes the file 0600; an output file is for others to read, as a redirect would make it.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd, 0666 & ~mask) != 0 || ::fsync(fd) != 0 || ::close(fd) != 0) {
    error = "finishing " + tmpl + ": " + std::strerror(errno);
    ::unlink(tmpl.c_str());
    return false;
  }
  if (std::rename(tmpl.c_str(), path.c_str()) != 0) {
    error = "renaming " + tmpl + " to " + path + ": " + std::strerror(errno);
    ::unlink(tmpl.c_str());
    return false;
  }
  return true;
}

std::string_view version() { return GOPREFLIGHT_VERSION; }

void register_review_commands(CLI::App& app, int& exit_code) {
  auto* review_cmd = app.add_subcommand(
      "review",
      "Judge manifests offline with the admission engine (exit 0 allowed, 1 denied, 2 unreadable or no objects)");
  struct Flags {
    std::string policy_path;
    std::vector<std::string> inputs;
    std::string output = "text";
    std::string output_file;
    std::string ns = "default";
    std::vector<std::string> skip_rules;
    bool fail_on_warning = false;
  };
  auto f = std::make_shared<Flags>();
  review_cmd->add_option("--policy", f->policy_path, "Policy file (YAML or JSON); default: the built-in policy");
  review_cmd->add_option("-f,--filename", f->inputs, "Manifest file, directory (recursive) or - for stdin; repeatable")
      ->required()
      ->allow_extra_args(false);
  review_cmd->add_option("-n,--namespace", f->ns,
                         "Namespace of objects that set none (as kubectl apply -n would), so namespace exemptions match")
      ->capture_default_str();
  review_cmd->add_option("-o,--output", f->output, "text, json, junit or sarif")
      ->check(CLI::IsMember({"text", "json", "junit", "sarif"}))
      ->capture_default_str();
  review_cmd->add_option("--output-file", f->output_file,
                         "Write the output to this file (atomically: a temporary file, then rename) instead of stdout");
  review_cmd->add_option("--skip-rule", f->skip_rules,
                         "Leave out a rule (podSecurity) or one check of it (podSecurity/runAsNonRoot); repeatable")
      ->allow_extra_args(false);
  review_cmd->add_flag("--fail-on-warning", f->fail_on_warning, "Exit 1 when any warning is found, not only on denials");
  review_cmd->callback([f, &exit_code] {
    review::RunOptions options;
    options.default_namespace = f->ns;
    options.fail_on_warning = f->fail_on_warning;
    for (const auto& id : f->skip_rules) {
      const auto rule = std::string_view(id).substr(0, id.find('/'));
      bool known = false;
      for (auto r : rules::kRuleIds) known = known || r == rule;
      if (!known || id.empty() || id.back() == '/') {
        std::string list;
        for (auto r : rules::kRuleIds) list += (list.empty() ? "" : ", ") + std::string(r);
        std::cerr << "gopreflight-webhook review: --skip-rule " << id << ": unknown rule; expected one of " << list
                  << " (optionally /CHECK)\n";
        exit_code = 2;
        return;
      }
      options.skip_rules.insert(id);
    }
    if (f->ns.empty()) {
      std::cerr << "gopreflight-webhook review: --namespace must not be empty\n";
      exit_code = 2;
      return;
    }
    std::string err;
    auto engine = Engine::load(f->policy_path.empty() ? std::nullopt : std::optional<std::string>(f->policy_path), err);
    if (!engine) {
      std::cerr << err << "\n"
                << "gopreflight-webhook review: the policy has problems; see `gopreflight-webhook policy lint "
                << f->policy_path << "`\n";
      exit_code = 2;
      return;
    }
    const auto manifests = review::read_inputs(f->inputs, std::cin);
    const auto report = review::run(*engine, manifests, options);
    const std::string out = render(report, f->output);
    if (f->output_file.empty()) {
      std::cout << out;
      std::cout.flush();
    } else if (!write_file_atomically(f->output_file, out, err)) {
      std::cerr << "gopreflight-webhook review: --output-file: " << err << "\n";
      exit_code = 2;
      return;
    }
    exit_code = report.exit_code();
  });

  auto* policy = app.add_subcommand("policy", "Policy file tools");
  policy->require_subcommand(1);
  auto* lint = policy->add_subcommand(
      "lint", "Validate a policy file: file:line:col per problem (exit 0 clean, 1 problems, 2 unreadable)");
  auto lint_file = std::make_shared<std::string>();
  lint->add_option("FILE", *lint_file, "Policy file (YAML or JSON)")->required();
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
    if (all.empty()) std::cout << *lint_file << ": ok\n";
    exit_code = all.empty() ? 0 : 1;
  });

  auto* version_cmd = app.add_subcommand("version", "Print the version (exit 0)");
  auto short_flag = std::make_shared<bool>(false);
  version_cmd->add_flag("--short", *short_flag, "Only the version number");
  version_cmd->callback([short_flag, &exit_code] {
    if (*short_flag) std::cout << version() << "\n";
    else std::cout << "gopreflight-webhook " << version() << "\n";
    exit_code = 0;
  });
}

}  // namespace gopreflight::webhook::cli
