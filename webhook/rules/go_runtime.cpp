// Rule 5 (goRuntime): Go containers need a memory limit and a GOMEMLIMIT below it.
#include <algorithm>

#include "gopreflight/webhook/quantity.hpp"
#include "rules/common.hpp"

namespace gopreflight::webhook::rules {
namespace {

using detail::dq;
using detail::finding;

/*
 * Policy (Go runtime docs, "A Guide to the Go Garbage Collector"; runtime/debug.SetMemoryLimit):
 * - a Go container needs resources.limits.memory: without it nothing bounds the heap;
 * - GOMEMLIMIT above the memory limit is denied: the kernel OOM-kills the container before the
 *   GC ever works to stay under the soft limit;
 * - GOMEMLIMIT unset (or "off") warns with the value to set: `gomemlimit_ratio` (90%) of the
 *   limit, rounded to the nearest MiB (never reaching the limit);
 * - malformed GOMEMLIMIT is denied: the Go runtime aborts at start-up ("malformed GOMEMLIMIT");
 * - GOMAXPROCS above the CPU limit (rounded up to whole CPUs) warns: more runnable threads than
 *   the CFS quota allows means throttling;
 * - values from valueFrom or with $(VAR) references cannot be judged here: a warning says so.
 * Go containers: those named in the annotation `go_container_annotation` ("a,b" among
 * containers and initContainers, "*" for all containers); without it, all containers.
 */

/// The last env entry named `name` (the last one wins when a name repeats).
std::optional<std::size_t> find_env(const std::vector<EnvVar>& env, std::string_view name) {
  std::optional<std::size_t> found;
  for (std::size_t i = 0; i < env.size(); ++i) {
    if (env[i].name && *env[i].name == name) found = i;
  }
  return found;
}

std::vector<std::string> split_names(std::string_view s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto end = s.find(',', start);
    if (end == std::string_view::npos) end = s.size();
    std::string name = normalize_whitespace(s.substr(start, end - start));
    if (!name.empty()) out.push_back(std::move(name));
    start = end + 1;
  }
  return out;
}

void check_container(const Container& c, const Policy::GoRuntime& s, Findings& out) {
  const Mode advice = advice_mode(s.mode);
  // Texts and paths are built only for a finding (lambdas): a passing container allocates little.
  const auto who = [&] { return "Go container " + dq(c.name); };
  const auto& limits = c.limits;
  const auto mem_path = [&] { return c.path + ".resources.limits.memory"; };
  const auto env_path = [&] { return c.path + ".env"; };
  const auto& env = c.env;
  const bool has_env_from = c.env_from_count > 0;

  // Memory limit.
  std::optional<std::int64_t> limit_bytes;
  std::string limit_text;
  if (const auto mem = limits.find("memory"); mem != limits.end()) {
    limit_text = mem->second;
    auto q = parse_quantity(limit_text);
    auto bytes = q ? q->value() : Result<std::int64_t>(fail(q.error()));
    if (!bytes) {
      out.push_back(finding(id::kGoRuntime, "memoryLimit", mem_path(),
                            who() + " has memory limit " + dq(limit_text) + ", which is not a Kubernetes quantity: " +
                                bytes.error(),
                            "set " + mem_path() + " to a quantity such as 512Mi", s.mode));
    } else if (*bytes <= 0) {
      out.push_back(finding(id::kGoRuntime, "memoryLimit", mem_path(),
                            who() + " has memory limit " + dq(limit_text) + "; it must be positive",
                            "set " + mem_path() + " to a quantity such as 512Mi", s.mode));
    } else {
      limit_bytes = *bytes;
    }
  } else {
    out.push_back(finding(id::kGoRuntime, "memoryLimit", mem_path(),
                          who() + " has no memory limit: nothing bounds its heap and GOMEMLIMIT has nothing to follow",
                          "set " + mem_path() + " (e.g. 512Mi) and GOMEMLIMIT to " +
                              std::to_string(static_cast<int>(s.gomemlimit_ratio * 100 + 0.5)) + "% of it",
                          s.mode));
  }
  const auto ratio_pct = [&] { return std::to_string(static_cast<int>(s.gomemlimit_ratio * 100 + 0.5)) + "%"; };
  const auto rec = [&] {
    return limit_bytes ? recommend_gomemlimit(*limit_bytes, s.gomemlimit_ratio) : std::string();
  };
  const auto rec_note = [&] {
    return limit_bytes ? " (" + ratio_pct() + " of " + limit_text + ", rounded to the nearest MiB)" : std::string();
  };

  // GOMEMLIMIT.
  if (const auto idx = find_env(env, "GOMEMLIMIT")) {
    const EnvVar& e = env[*idx];
    const auto p = [&] { return env_path() + "[" + std::to_string(*idx) + "]"; };
    const std::string* value = e.value ? &*e.value : nullptr;
    if (!e.value_from.empty()) {
      if (limit_bytes) {
        out.push_back(finding(id::kGoRuntime, "GOMEMLIMIT", p() + ".valueFrom",
                              who() + " takes GOMEMLIMIT from valueFrom: its value cannot be judged against the memory limit " +
                                  limit_text + " at admission",
                              "make sure it resolves to at most " + dq(rec()) + rec_note() +
                                  " in Go syntax (a resourceFieldRef to limits.memory gives 100%, leaving no headroom)",
                              advice));
      }
    } else if (value != nullptr && value->find("$(") != std::string::npos) {
      out.push_back(finding(id::kGoRuntime, "GOMEMLIMIT", p() + ".value",
                            who() + " sets GOMEMLIMIT to " + dq(*value) +
                                ", which references other variables: it cannot be judged at admission",
                            limit_bytes ? "set a literal value such as " + dq(rec()) + rec_note() : "set a literal value",
                            advice));
    } else {
      const std::string text = value != nullptr ? *value : std::string();
      const auto g = parse_gomemlimit(text);
      if (!g) {
        out.push_back(finding(id::kGoRuntime, "GOMEMLIMIT", p() + ".value",
                              who() + " sets GOMEMLIMIT " + dq(text) + ": " + g.error() +
                                  "; the Go runtime aborts at start-up on a malformed GOMEMLIMIT",
                              "set " + p() + ".value: " + (limit_bytes ? dq(rec()) + rec_note() : std::string("\"900MiB\"")),
                              s.mode));
      } else if (g->off) {
        if (limit_bytes) {
          out.push_back(finding(id::kGoRuntime, "GOMEMLIMIT", p() + ".value",
                                who() + " sets GOMEMLIMIT=off: the garbage collector ignores the memory limit " + limit_text +
                                    " and the container can be OOM-killed with garbage still on the heap",
                                "set " + p() + ".value: " + dq(rec()) + rec_note(), advice));
        }
      } else if (limit_bytes && g->bytes > *limit_bytes) {
        out.push_back(finding(id::kGoRuntime, "GOMEMLIMIT", p() + ".value",
                              who() + " sets GOMEMLIMIT " + text + " (" + std::to_string(g->bytes) +
                                  " bytes), above its memory limit " + limit_text + " (" + std::to_string(*limit_bytes) +
                                  " bytes): the kernel OOM-kills it before the GC holds the heap down",
                              "set " + p() + ".value: " + dq(rec()) + rec_note(), s.mode));
      }
    }
  } else if (limit_bytes) {
    out.push_back(finding(
        id::kGoRuntime, "GOMEMLIMIT", env_path(),
        who() + " does not set GOMEMLIMIT: the garbage collector does not know the memory limit " + limit_text +
            " and the container can be OOM-killed with garbage still on the heap" +
            (has_env_from ? " (it has envFrom, which may set it: not checked)" : ""),
        "add to " + env_path() + ": {name: GOMEMLIMIT, value: " + dq(rec()) + "}" + rec_note(), advice));
  }

  // GOMAXPROCS against the CPU limit.
  const auto procs_idx = find_env(env, "GOMAXPROCS");
  const auto cpu = limits.find("cpu");
  if (!procs_idx || cpu == limits.end()) return;
  const std::string cpu_text = cpu->second;
  const auto cpu_path = [&] { return c.path + ".resources.limits.cpu"; };
  const auto cq = parse_quantity(cpu_text);
  const auto milli = cq ? cq->milli_value() : Result<std::int64_t>(fail(cq.error()));
  if (!milli || *milli <= 0) {
    out.push_back(finding(id::kGoRuntime, "cpuLimit", cpu_path(),
                          who() + " has CPU limit " + dq(cpu_text) + ", which is not a positive Kubernetes quantity" +
                              (milli ? std::string() : ": " + milli.error()),
                          "set " + cpu_path() + " to a quantity such as 500m or 2", s.mode));
    return;
  }
  const std::int64_t cpus = recommend_gomaxprocs(*milli);
  const EnvVar& e = env[*procs_idx];
  const auto p = [&] { return env_path() + "[" + std::to_string(*procs_idx) + "]"; };
  const std::string* value = e.value ? &*e.value : nullptr;
  if (!e.value_from.empty() || (value != nullptr && value->find("$(") != std::string::npos)) {
    out.push_back(finding(id::kGoRuntime, "GOMAXPROCS", p(),
                          who() + " takes GOMAXPROCS from another source: it cannot be judged against the CPU limit " +
                              cpu_text + " at admission",
                          "make sure it resolves to at most " + std::to_string(cpus), advice));
    return;
  }
  const std::string text = value != nullptr ? *value : std::string();
  const auto n = parse_gomaxprocs(text);
  if (!n) {
    out.push_back(finding(id::kGoRuntime, "GOMAXPROCS", p() + ".value",
                          who() + " sets GOMAXPROCS " + dq(text) +
                              ", which is not a positive integer: the Go runtime ignores it and uses its default",
                          "set " + p() + ".value: \"" + std::to_string(cpus) + "\" or remove it", advice));
  } else if (*n > cpus) {
    out.push_back(finding(id::kGoRuntime, "GOMAXPROCS", p() + ".value",
                          who() + " sets GOMAXPROCS " + text + ", above its CPU limit " + cpu_text + " (" +
                              std::to_string(cpus) + " CPU rounded up): the extra threads are throttled by the CFS quota",
                          "set " + p() + ".value: \"" + std::to_string(cpus) + "\"", advice));
  }
}

}  // namespace

void go_runtime(const PodView& pod, const Policy::GoRuntime& s, Findings& out) {
  if (!pod.has_spec) return;
  const auto ann = pod.metadata.annotations.find(s.go_container_annotation);
  const std::string* selector = ann != pod.metadata.annotations.end() ? &ann->second : nullptr;
  if (selector == nullptr || normalize_whitespace(*selector) == "*") {
    for (const auto& c : pod.spec.containers) check_container(c, s, out);
    return;
  }
  const auto names = split_names(*selector);
  const auto all = detail::containers_of(pod, {"containers", "initContainers"});
  for (const Container* c : all) {
    if (std::find(names.begin(), names.end(), c->name) != names.end()) check_container(*c, s, out);
  }
  for (const auto& n : names) {
    const bool exists = std::any_of(all.begin(), all.end(), [&](const Container* c) { return c->name == n; });
    if (!exists) {
      const std::string p = pod.metadata_path + ".annotations[" + s.go_container_annotation + "]";
      out.push_back(finding(id::kGoRuntime, "goContainers", p,
                            "annotation " + s.go_container_annotation + " names container " + dq(n) +
                                ", which the Pod does not have: its Go rules are not applied",
                            "fix the name in " + p + " (a comma-separated list of container names, or \"*\")",
                            advice_mode(s.mode)));
    }
  }
}

}  // namespace gopreflight::webhook::rules
