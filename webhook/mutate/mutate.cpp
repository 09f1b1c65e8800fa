// Injection of the gopreflight-check init container: the pure patch builder. The init container
// reads the app container's limits through the downward API (resourceFieldRef with containerName)
// and its GOMEMLIMIT/GOMAXPROCS as literal env, so gopreflight-check judges the app, not itself.
#include "gopreflight/common/app_env.hpp"
#include "gopreflight/webhook/mutate.hpp"

#include "gopreflight/webhook/quantity.hpp"

#include <cstdint>
#include <utility>

namespace gopreflight::webhook::mutate {
namespace {

using nlohmann::json;
namespace app_env = gopreflight::common::app_env;

const json* member(const json& j, std::string_view key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string string_member(const json& j, std::string_view key) {
  const json* v = member(j, key);
  return v && v->is_string() ? v->get<std::string>() : std::string{};
}

/// Value of metadata.labels[key] or metadata.annotations[key], label first.
std::string label_or_annotation(const json& metadata, std::string_view key, std::string& where) {
  const json* md = &metadata;
  for (const char* field : {"labels", "annotations"}) {
    const json* m = member(*md, field);
    if (!m) continue;
    std::string v = string_member(*m, key);
    if (!v.empty()) {
      where = std::string(field) == "labels" ? "label" : "annotation";
      return v;
    }
  }
  return {};
}

std::string annotation(const json& metadata, std::string_view key) {
  const json* ann = member(metadata, "annotations");
  return ann ? string_member(*ann, key) : std::string{};
}

const json* find_env(const json& container, std::string_view name) {
  const json* env = member(container, "env");
  if (!env || !env->is_array()) return nullptr;
  for (const auto& e : *env) {
    if (e.is_object() && string_member(e, "name") == name) return &e;
  }
  return nullptr;
}

const json* find_container(const json& containers, std::string_view name) {
  for (const auto& c : containers) {
    if (c.is_object() && string_member(c, "name") == name) return &c;
  }
  return nullptr;
}

std::optional<std::string> limit_of(const json& container, std::string_view resource) {
  const json* res = member(container, "resources");
  const json* lim = res ? member(*res, "limits") : nullptr;
  const json* v = lim ? member(*lim, resource) : nullptr;
  if (!v) return std::nullopt;
  if (v->is_string()) return v->get<std::string>();
  if (v->is_number()) return v->dump();
  return std::nullopt;
}

/// The app's env var as the init container should see it: the literal value, or its valueFrom
/// with a resourceFieldRef pinned to the app container (unpinned it would name the init container).
std::optional<json> copied_env(const json& app, std::string_view from, const std::string& to,
                               const std::string& app_name) {
  const json* e = find_env(app, from);
  if (!e) return std::nullopt;
  json out = {{"name", to}};
  if (const json* v = member(*e, "value"); v && v->is_string()) {
    out["value"] = *v;
    return out;
  }
  if (const json* vf = member(*e, "valueFrom"); vf && vf->is_object()) {
    json copy = *vf;
    if (auto rf = copy.find("resourceFieldRef"); rf != copy.end() && rf->is_object() &&
                                                 !rf->contains("containerName")) {
      (*rf)["containerName"] = app_name;
    }
    out["valueFrom"] = std::move(copy);
    return out;
  }
  out["value"] = "";
  return out;
}

/// Go containers for set_go_env: named by the annotation ("a,b" or "*"), or all when it is absent.
bool is_go_container(const json& pod, const std::string& name, const Injection& inj) {
  const json* md = member(pod, "metadata");
  const std::string list = md != nullptr ? annotation(*md, inj.go_container_annotation) : std::string{};
  if (list.empty() || list == "*") return true;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string item = list.substr(start, comma - start);
    const auto b = item.find_first_not_of(" \t");
    const auto e = item.find_last_not_of(" \t");
    if (b != std::string::npos && item.substr(b, e - b + 1) == name) return true;
    start = comma + 1;
  }
  return false;
}

json env_literal(std::string name, std::string value) {
  return {{"name", std::move(name)}, {"value", std::move(value)}};
}

json resource_env(std::string name, const std::string& app, std::string resource,
                  std::string divisor) {
  return {{"name", std::move(name)},
          {"valueFrom",
           {{"resourceFieldRef",
             {{"containerName", app}, {"resource", std::move(resource)}, {"divisor", std::move(divisor)}}}}}};
}

}  // namespace

Selection injection_selects(const json* metadata, const json* spec, std::string_view ns, const Injection& inj) {
  if (!inj.enabled) return {false, "injection is disabled"};
  if (spec != nullptr) {
    if (const json* os = member(*spec, "os"); os && string_member(*os, "name") == "windows") {
      return {false, "spec.os.name is windows (gopreflight-check is Linux-only)"};
    }
  }
  std::string where;
  const std::string opt = metadata != nullptr ? label_or_annotation(*metadata, inj.opt_in_key, where) : std::string{};
  if (opt == "false") return {false, where + " " + inj.opt_in_key + "=false opts out"};
  if (opt == "true") return {true, where + " " + inj.opt_in_key + "=true"};
  for (const auto& n : inj.namespaces) {
    if (n == ns || n == "*") return {true, "namespace " + std::string(ns) + " is listed"};
  }
  return {false, "namespace " + std::string(ns) + " is not listed and the Pod does not opt in"};
}

Selection select_pod(const json& pod, std::string_view request_namespace, const Injection& inj) {
  const json* md = member(pod, "metadata");
  std::string ns(request_namespace);
  if (ns.empty() && md != nullptr) ns = string_member(*md, "namespace");
  return injection_selects(md, member(pod, "spec"), ns, inj);
}

std::optional<std::string> app_container_name(const json* metadata, const json* spec, std::string& error) {
  const json* containers = spec ? member(*spec, "containers") : nullptr;
  if (!containers || !containers->is_array() || containers->empty()) {
    error = "spec.containers: expected a non-empty array of containers";
    return std::nullopt;
  }
  const std::string wanted = metadata != nullptr ? annotation(*metadata, kAppContainerAnnotation) : std::string{};
  if (!wanted.empty()) {
    if (find_container(*containers, wanted)) return wanted;
    error = "metadata.annotations[" + std::string(kAppContainerAnnotation) + "]: container \"" +
            wanted + "\" is not in spec.containers";
    return std::nullopt;
  }
  const json& first = (*containers)[0];
  std::string name = first.is_object() ? string_member(first, "name") : std::string{};
  if (name.empty()) {
    error = "spec.containers[0].name: expected a non-empty string";
    return std::nullopt;
  }
  return name;
}

std::optional<std::string> app_container_name(const json& pod, std::string& error) {
  return app_container_name(member(pod, "metadata"), member(pod, "spec"), error);
}

Injection effective_injection(const Policy& policy) {
  Injection inj = policy.injection;
  if (policy.go_runtime) inj.gomemlimit_ratio = policy.go_runtime->gomemlimit_ratio;
  return inj;
}

Plan injection_plan(const json* metadata, const json* spec, std::string_view ns, const Injection& inj) {
  Plan p;
  if (spec == nullptr || !spec->is_object()) {
    p.error = "spec: expected an object";
    return p;
  }
  const json* inits = member(*spec, "initContainers");
  if (inits && !inits->is_null() && !inits->is_array()) {
    p.error = "spec.initContainers: expected an array";
    return p;
  }
  Selection sel = injection_selects(metadata, spec, ns, inj);
  if (!sel.selected) {
    p.reason = std::move(sel.reason);
    return p;
  }
  if (inits && inits->is_array() && find_container(*inits, kInitContainerName)) {
    p.reason = "spec.initContainers already has gopreflight-check";
    return p;
  }
  auto app = app_container_name(metadata, spec, p.error);
  if (!app) return p;
  const json& containers = spec->at("containers");
  for (std::size_t i = 0; i < containers.size(); ++i) {
    if (!containers[i].is_object()) {
      p.error = "spec.containers[" + std::to_string(i) + "]: expected an object";
      return p;
    }
    const json* env = member(containers[i], "env");
    if (env && !env->is_null() && !env->is_array()) {
      p.error = "spec.containers[" + std::to_string(i) + "].env: expected an array";
      return p;
    }
  }
  p.inject = true;
  p.app = std::move(*app);
  p.reason = std::move(sel.reason);
  return p;
}

json init_container(const json& pod, const std::string& app, const Injection& inj) {
  const json& containers = pod.at("spec").at("containers");
  const json& app_c = *find_container(containers, app);

  json env = json::array();
  env.push_back(env_literal(app_env::kContainer, app));
  if (limit_of(app_c, "memory")) {
    env.push_back(resource_env(app_env::kMemoryLimit, app, "limits.memory", "1"));
  } else {
    env.push_back(env_literal(app_env::kMemoryLimit, "unlimited"));
  }
  if (limit_of(app_c, "cpu")) {
    env.push_back(resource_env(app_env::kCpuLimitMillicores, app, "limits.cpu", "1m"));
  } else {
    env.push_back(env_literal(app_env::kCpuLimitMillicores, "unlimited"));
  }
  if (auto e = copied_env(app_c, "GOMEMLIMIT", app_env::kGomemlimit, app)) env.push_back(*e);
  if (auto e = copied_env(app_c, "GOMAXPROCS", app_env::kGomaxprocs, app)) env.push_back(*e);

  json c = {
      {"name", std::string(kInitContainerName)},
      {"image", inj.image},
      {"imagePullPolicy", inj.image_pull_policy},
      {"env", std::move(env)},
      {"terminationMessagePolicy", "FallbackToLogsOnError"},
      {"resources",
       {{"requests", {{"cpu", inj.cpu_request}, {"memory", inj.memory_request}}},
        {"limits", {{"cpu", inj.cpu_limit}, {"memory", inj.memory_limit}}}}},
      {"securityContext",
       {{"runAsNonRoot", true},
        {"allowPrivilegeEscalation", false},
        {"readOnlyRootFilesystem", true},
        {"capabilities", {{"drop", json::array({"ALL"})}}},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}}};
  // The image's user is 65532 (distroless nonroot); OpenShift's restricted-v2 SCC assigns its own.
  if (inj.set_user_ids) c["securityContext"]["runAsUser"] = 65532;
  if (!inj.command.empty()) c["command"] = inj.command;
  if (!inj.args.empty()) c["args"] = inj.args;
  return c;
}

PatchResult build_patch(const json& pod, std::string_view request_namespace, const Injection& inj) {
  PatchResult r;
  if (!pod.is_object()) {
    r.error = "object: expected a Pod JSON object";
    return r;
  }
  const json* md = member(pod, "metadata");
  const json* spec = member(pod, "spec");
  std::string ns(request_namespace);
  if (ns.empty() && md != nullptr) ns = string_member(*md, "namespace");
  Plan plan = injection_plan(md, spec, ns, inj);
  if (!plan.error.empty()) {
    r.error = std::move(plan.error);
    return r;
  }
  if (!plan.inject) {
    r.notes.push_back("not injected: " + plan.reason);
    return r;
  }
  const std::string* app = &plan.app;
  const json* inits = member(*spec, "initContainers");
  const json& containers = spec->at("containers");

  // GOMEMLIMIT/GOMAXPROCS first, so the init container copies what the app will really run with.
  json patched_pod_view;  // only materialised when set_go_env changes the app container
  const json* pod_for_init = &pod;
  if (inj.set_go_env) {
    for (std::size_t i = 0; i < containers.size(); ++i) {
      const json& c = containers[i];
      const std::string name = string_member(c, "name");
      if (!is_go_container(pod, name, inj)) continue;
      if (member(c, "envFrom")) {
        r.notes.push_back("containers[" + name + "]: has envFrom, Go env left as is");
        continue;
      }
      std::vector<json> add;
      if (!find_env(c, "GOMEMLIMIT")) {
        auto mem = limit_of(c, "memory");
        auto bytes = mem ? quantity_bytes(*mem) : std::nullopt;
        if (bytes && *bytes > 0) add.push_back(env_literal("GOMEMLIMIT", gomemlimit_value(*bytes, inj.gomemlimit_ratio)));
      }
      if (!find_env(c, "GOMAXPROCS")) {
        auto cpu = limit_of(c, "cpu");
        auto milli = cpu ? quantity_millicores(*cpu) : std::nullopt;
        if (milli && *milli > 0) add.push_back(env_literal("GOMAXPROCS", gomaxprocs_value(*milli)));
      }
      if (add.empty()) continue;
      const std::string base = "/spec/containers/" + std::to_string(i) + "/env";
      const json* env = member(c, "env");
      if (!env || env->is_null()) {
        r.patch.push_back({{"op", "add"}, {"path", base}, {"value", add}});
      } else {
        for (auto& e : add) r.patch.push_back({{"op", "add"}, {"path", base + "/-"}, {"value", e}});
      }
      if (name == *app) {
        if (patched_pod_view.is_null()) patched_pod_view = pod;
        json& pe = patched_pod_view["spec"]["containers"][i]["env"];
        if (!pe.is_array()) pe = json::array();
        for (auto& e : add) pe.push_back(e);
        pod_for_init = &patched_pod_view;
      }
      for (auto& e : add) {
        r.notes.push_back("containers[" + name + "]: set " + e["name"].get<std::string>() + "=" +
                          e["value"].get<std::string>());
      }
    }
  }

  json init = init_container(*pod_for_init, *app, inj);
  if (!inits || inits->is_null()) {
    r.patch.push_back({{"op", "add"}, {"path", "/spec/initContainers"}, {"value", json::array({std::move(init)})}});
  } else {
    const std::size_t at = init_container_index(*inits);
    const std::string path = at == inits->size() ? "/spec/initContainers/-" : "/spec/initContainers/" + std::to_string(at);
    r.patch.push_back({{"op", "add"}, {"path", path}, {"value", std::move(init)}});
  }
  r.notes.push_back("injected gopreflight-check for app container " + *app + " (" + plan.reason + ")");
  return r;
}

std::size_t init_container_index(const json& init_containers) {
  std::size_t at = 0;
  if (!init_containers.is_array()) return at;
  for (std::size_t i = 0; i < init_containers.size(); ++i) {
    if (string_member(init_containers[i], "restartPolicy") == "Always") at = i + 1;
  }
  return at;
}

std::optional<long long> quantity_bytes(std::string_view q) {
  const auto parsed = parse_quantity(q);
  if (!parsed) return std::nullopt;
  const auto v = parsed->value();
  if (!v) return std::nullopt;
  return static_cast<long long>(*v);
}

std::optional<long long> quantity_millicores(std::string_view q) {
  const auto parsed = parse_quantity(q);
  if (!parsed) return std::nullopt;
  const auto v = parsed->milli_value();
  if (!v) return std::nullopt;
  return static_cast<long long>(*v);
}

std::string gomemlimit_value(long long limit_bytes, double ratio) {
  // The same value the goRuntime rule recommends in its warning.
  return recommend_gomemlimit(static_cast<std::int64_t>(limit_bytes), ratio);
}

std::string gomaxprocs_value(long long millicores) {
  return std::to_string(common::recommend_gomaxprocs(static_cast<std::int64_t>(millicores)));
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                   (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                   static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += table[(n >> 6) & 63];
    out += table[n & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out += table[(n >> 18) & 63];
    out += table[(n >> 12) & 63];
    out += rest == 2 ? table[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}


}  // namespace gopreflight::webhook::mutate
