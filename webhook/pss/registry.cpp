// The explicit PSS check registry, its start-up validation, and the evaluator.
//
// Design follows kubernetes/pod-security-admission (policy/registry.go): every check holds a list
// of {minimum version, function}; for a requested level and version the evaluator runs every
// check whose level is at or below the requested one, each with its newest entry whose minimum
// version is <= the requested version. Versions newer than the newest entry of any check, and
// "latest", evaluate as that newest version. Under restricted, a restricted entry may override
// (replace) a baseline check, e.g. capabilities_restricted replaces capabilities_baseline.
#include <algorithm>
#include <set>

#include "pss/detail.hpp"

namespace gopreflight::webhook::pss {
namespace detail {

const std::vector<Check>& builtin_checks() {
  // Registry order is evaluation and report order: baseline checks, then restricted ones.
  static const std::vector<Check> checks = {
      check_hostNamespaces(),
      check_privileged(),
      check_capabilities_baseline(),
      check_hostPathVolumes(),
      check_hostPorts(),
      check_appArmorProfile(),
      check_seLinuxOptions(),
      check_procMount(),
      check_seccompProfile_baseline(),
      check_sysctls(),
      check_windowsHostProcess(),
      check_hostProbesAndHostLifecycle(),
      check_restrictedVolumes(),
      check_allowPrivilegeEscalation(),
      check_runAsNonRoot(),
      check_runAsUser(),
      check_seccompProfile_restricted(),
      check_capabilities_restricted(),
      check_procMount_restricted(),
  };
  return checks;
}

std::vector<std::string> validate_checks(const std::vector<Check>& checks) {
  std::vector<std::string> errs;
  std::set<std::string_view> ids, baseline_ids;
  for (const auto& c : checks) {
    const std::string id(c.id);
    if (c.id.empty()) errs.push_back("a check has an empty id");
    if (!ids.insert(c.id).second) errs.push_back("multiple checks registered for id " + id);
    if (c.level != Level::baseline && c.level != Level::restricted)
      errs.push_back("check " + id + ": invalid level " + std::string(to_string(c.level)));
    if (c.level == Level::baseline) baseline_ids.insert(c.id);
    if (c.versions.empty()) errs.push_back("check " + id + ": no versions");
    for (std::size_t i = 0; i < c.versions.size(); ++i) {
      const auto& v = c.versions[i];
      if (v.min_minor < 0) errs.push_back("check " + id + ": negative version");
      if (v.fn == nullptr)
        errs.push_back("check " + id + " v1." + std::to_string(v.min_minor) + ": no function");
      if (i > 0 && v.min_minor <= c.versions[i - 1].min_minor)
        errs.push_back("check " + id + ": versions must be strictly increasing (v1." +
                       std::to_string(c.versions[i - 1].min_minor) + " then v1." +
                       std::to_string(v.min_minor) + ")");
    }
  }
  for (const auto& c : checks) {
    for (const auto& v : c.versions) {
      for (auto o : v.overrides) {
        if (c.level != Level::restricted)
          errs.push_back("check " + std::string(c.id) + ": only restricted checks may override");
        else if (!baseline_ids.count(o))
          errs.push_back("check " + std::string(c.id) + ": overrides unknown baseline check " +
                         std::string(o));
      }
    }
  }
  return errs;
}

}  // namespace detail

using detail::Check;
using detail::ContainerRef;
using detail::Ctx;

std::vector<std::string> registry_errors() {
  static const std::vector<std::string> errs = detail::validate_checks(detail::builtin_checks());
  return errs;
}

int newest_known_minor() {
  static const int newest = [] {
    int m = 0;
    for (const auto& c : detail::builtin_checks())
      for (const auto& v : c.versions) m = std::max(m, v.min_minor);
    return m;
  }();
  return newest;
}

std::vector<CheckInfo> list_checks() {
  std::vector<CheckInfo> out;
  for (const auto& c : detail::builtin_checks()) {
    CheckInfo info{std::string(c.id), c.level, std::string(c.description), {}};
    for (const auto& v : c.versions) info.versions.push_back(v.min_minor);
    out.push_back(std::move(info));
  }
  return out;
}

std::vector<std::string> baseline_allowed_sysctls(const Version& version) {
  const int newest = newest_known_minor();
  return detail::sysctls_allowed(version.latest ? newest : std::min(version.minor, newest));
}

const std::vector<std::string>& baseline_allowed_sysctls_ref(const Version& version) {
  static const std::vector<std::vector<std::string>> by_minor = [] {
    std::vector<std::vector<std::string>> v;
    for (int m = 0; m <= newest_known_minor(); ++m) v.push_back(detail::sysctls_allowed(m));
    return v;
  }();
  const int newest = newest_known_minor();
  static const std::vector<std::string> kNone;
  const int minor = version.latest ? newest : std::min(version.minor, newest);
  return minor < 0 ? kNone : by_minor[static_cast<std::size_t>(minor)];
}

namespace {

/// The newest entry of `c` in force at `minor`, or null when the check starts later.
const detail::VersionedCheck* entry_for(const Check& c, int minor) {
  const detail::VersionedCheck* found = nullptr;
  for (const auto& v : c.versions) {
    if (v.min_minor <= minor) found = &v;
  }
  return found;
}

using Plan = std::vector<std::pair<const Check*, const detail::VersionedCheck*>>;

/// The checks to run for (level, minor), in registry order: each applicable check with its entry
/// in force, minus baseline checks replaced by a restricted entry. Computed once for all minors.
const Plan& plan(Level level, int minor) {
  static const std::vector<Plan> plans = [] {
    const int newest = newest_known_minor();
    std::vector<Plan> all;
    for (Level l : {Level::baseline, Level::restricted}) {
      for (int m = 0; m <= newest; ++m) {
        Plan p;
        std::set<std::string_view> overridden;
        for (const auto& c : detail::builtin_checks()) {
          if (static_cast<int>(c.level) > static_cast<int>(l)) continue;
          const auto* e = entry_for(c, m);
          if (!e) continue;
          p.emplace_back(&c, e);
          if (c.level == Level::restricted) overridden.insert(e->overrides.begin(), e->overrides.end());
        }
        std::erase_if(p, [&](const auto& ce) {
          return ce.first->level == Level::baseline && overridden.count(ce.first->id) > 0;
        });
        all.push_back(std::move(p));
      }
    }
    return all;
  }();
  const int newest = newest_known_minor();
  const std::size_t row = level == Level::restricted ? 1 : 0;
  return plans[row * static_cast<std::size_t>(newest + 1) + static_cast<std::size_t>(minor)];
}

void collect_containers(Ctx& ctx) {
  ctx.containers.reserve(ctx.spec->init_containers.size() + ctx.spec->containers.size() +
                         ctx.spec->ephemeral_containers.size());
  for (const auto* list : {&ctx.spec->init_containers, &ctx.spec->containers, &ctx.spec->ephemeral_containers}) {
    for (const Container& c : *list) {
      ctx.containers.push_back(ContainerRef{&c, c.security_context ? &*c.security_context : nullptr, c.path,
                                            c.path + ".securityContext", c.name});
    }
  }
}

}  // namespace

std::vector<Violation> evaluate(Level level, const Version& version, const PodView& pod) {
  std::vector<Violation> out;
  if (level == Level::privileged) return out;  // privileged: no checks at all (as PSA)

  Ctx ctx(out);
  ctx.check_id = kInvalidTypeCheckId;
  ctx.check_level = to_string(level);
  ctx.version_str = version.str();
  ctx.meta_path = pod.metadata_path;
  ctx.spec_path = pod.spec_path;

  const auto& errs = registry_errors();
  if (!errs.empty()) {
    out.push_back(Violation{std::string(kRegistryErrorCheckId), std::string(to_string(level)),
                            pod.spec_path,
                            "internal error: the Pod Security Standards check registry is "
                            "invalid (" + detail::join(errs, "; ") + "); nothing can be allowed",
                            "report this as a gopreflight bug", ctx.version_str});
    return out;
  }

  const int newest = newest_known_minor();
  ctx.minor = version.latest ? newest : std::min(version.minor, newest);

  if (!pod.has_spec) {
    out.push_back(Violation{std::string(kInvalidTypeCheckId), std::string(to_string(level)),
                            pod.spec_path, "the Pod spec is missing; it cannot be judged",
                            "add " + pod.spec_path + " with at least one container",
                            ctx.version_str});
    return out;
  }
  ctx.spec = &pod.spec;
  ctx.meta = &pod.metadata;
  ctx.pod_sc = pod.spec.security_context ? &*pod.spec.security_context : nullptr;
  ctx.pod_sc_path = ctx.spec_path + ".securityContext";
  collect_containers(ctx);

  for (const auto& [c, e] : plan(level, ctx.minor)) {
    ctx.check_id = c->id;
    ctx.check_level = to_string(c->level);
    e->fn(ctx);
  }
  return out;
}

}  // namespace gopreflight::webhook::pss
