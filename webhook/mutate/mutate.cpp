// Injection of the gopreflight-check init container: the pure patch builder. The init container
// reads the app container's limits through the downward API (resourceFieldRef with containerName)
// and its GOMEMLIMIT/GOMAXPROCS as literal env, so gopreflight-check judges the app, not itself.
#include "gopreflight/common/app_env.hpp"
#include "gopreflight/webhook/mutate.hpp"

#include "gopreflight/webhook/pod_decode.hpp"
#include "gopreflight/webhook/quantity.hpp"

#include <cstdint>
#include <utility>

namespace gopreflight::webhook::mutate {
namespace {

using nlohmann::json;
namespace app_env = gopreflight::common::app_env;

const std::string* map_value(const std::map<std::string, std::string, std::less<>>& m, std::string_view key) {
  auto it = m.find(key);
  return it == m.end() ? nullptr : &it->second;
}

/// Value of metadata.labels[key] or metadata.annotations[key], label first (a non-empty one).
std::string label_or_annotation(const PodMetadata& md, std::string_view key, std::string& where) {
  if (const auto* v = map_value(md.labels, key); v != nullptr && !v->empty()) {
    where = "label";
    return *v;
  }
  if (const auto* v = map_value(md.annotations, key); v != nullptr && !v->empty()) {
    where = "annotation";
    return *v;
  }
  return {};
}

std::string annotation(const PodMetadata& md, std::string_view key) {
  const auto* v = map_value(md.annotations, key);
  return v != nullptr ? *v : std::string{};
}

const EnvVar* find_env(const std::vector<EnvVar>& env, std::string_view name) {
  for (const auto& e : env) {
    if (e.name.value_or("") == name) return &e;
  }
  return nullptr;
}

const Container* find_container(const std::vector<Container>& containers, std::string_view name) {
  for (const auto& c : containers) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

std::optional<std::string> limit_of(const Container& c, std::string_view resource) {
  auto it = c.limits.find(resource);
  if (it == c.limits.end()) return std::nullopt;
  return it->second;
}

/// The app's env var as the init container should see it: the literal value, or its valueFrom
/// with a resourceFieldRef pinned to the app container (unpinned it would name the init container).
std::optional<json> copied_env(const std::vector<EnvVar>& app_env, std::string_view from, const std::string& to,
                               const std::string& app_name) {
  const EnvVar* e = find_env(app_env, from);
  if (!e) return std::nullopt;
  json out = {{"name", to}};
  if (e->value) {
    out["value"] = *e->value;
    return out;
  }
  if (!e->value_from.empty()) {
    json copy = json::parse(e->value_from);
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
bool is_go_container(const PodView& pod, const std::string& name, const Injection& inj) {
  const std::string list = annotation(pod.metadata, inj.go_container_annotation);
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

Selection injection_selects(const PodView& pod, std::string_view ns, const Injection& inj) {
  if (!inj.enabled) return {false, "injection is disabled"};
  if (pod.spec.os_name.value_or("") == "windows") {
    return {false, "spec.os.name is windows (gopreflight-check is Linux-only)"};
  }
  std::string where;
  const std::string opt = label_or_annotation(pod.metadata, inj.opt_in_key, where);
  if (opt == "false") return {false, where + " " + inj.opt_in_key + "=false opts out"};
  if (opt == "true") return {true, where + " " + inj.opt_in_key + "=true"};
  for (const auto& n : inj.namespaces) {
    if (n == ns || n == "*") return {true, "namespace " + std::string(ns) + " is listed"};
  }
  return {false, "namespace " + std::string(ns) + " is not listed and the Pod does not opt in"};
}

std::string pod_namespace(const PodView& pod, std::string_view request_namespace) {
  std::string ns(request_namespace);
  if (ns.empty()) ns = pod.metadata.ns.value_or("");
  return ns;
}

std::optional<std::string> app_container_name(const PodView& pod, std::string& error) {
  const auto& containers = pod.spec.containers;
  if (containers.empty()) {
    error = "spec.containers: expected a non-empty array of containers";
    return std::nullopt;
  }
  const std::string wanted = annotation(pod.metadata, kAppContainerAnnotation);
  if (!wanted.empty()) {
    if (find_container(containers, wanted)) return wanted;
    error = "metadata.annotations[" + std::string(kAppContainerAnnotation) + "]: container \"" +
            wanted + "\" is not in spec.containers";
    return std::nullopt;
  }
  if (containers[0].name.empty()) {
    error = "spec.containers[0].name: expected a non-empty string";
    return std::nullopt;
  }
  return containers[0].name;
}

Injection effective_injection(const Policy& policy) {
  Injection inj = policy.injection;
  if (policy.go_runtime) inj.gomemlimit_ratio = policy.go_runtime->gomemlimit_ratio;
  return inj;
}

Plan injection_plan(const PodView& pod, std::string_view ns, const Injection& inj) {
  Plan p;
  if (!pod.has_spec) {
    p.error = "spec: expected an object";
    return p;
  }
  Selection sel = injection_selects(pod, ns, inj);
  if (!sel.selected) {
    p.reason = std::move(sel.reason);
    return p;
  }
  if (find_container(pod.spec.init_containers, kInitContainerName)) {
    p.reason = "spec.initContainers already has gopreflight-check";
    return p;
  }
  auto app = app_container_name(pod, p.error);
  if (!app) return p;
  p.inject = true;
  p.app = std::move(*app);
  p.reason = std::move(sel.reason);
  return p;
}

json init_container(const Container& app_c, const std::vector<EnvVar>& app_env, const Injection& inj) {
  const std::string& app = app_c.name;
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
  if (auto e = copied_env(app_env, "GOMEMLIMIT", app_env::kGomemlimit, app)) env.push_back(*e);
  if (auto e = copied_env(app_env, "GOMAXPROCS", app_env::kGomaxprocs, app)) env.push_back(*e);

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

namespace {
/// Sets the field paths and indexes of a container list after an insertion.
void renumber(std::vector<Container>& list, const std::string& spec_path, std::string_view name) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    list[i].index = i;
    list[i].path = spec_path + "." + std::string(name) + "[" + std::to_string(i) + "]";
  }
}
}  // namespace

PatchResult build_patch(const PodView& pod, std::string_view request_namespace, const Injection& inj,
                        PodView* mutated) {
  PatchResult r;
  const std::string ns = pod_namespace(pod, request_namespace);
  Plan plan = injection_plan(pod, ns, inj);
  if (!plan.error.empty()) {
    r.error = std::move(plan.error);
    return r;
  }
  if (!plan.inject) {
    r.notes.push_back("not injected: " + plan.reason);
    return r;
  }
  const std::string& app = plan.app;
  const Container& app_c = *find_container(pod.spec.containers, app);
  std::vector<EnvVar> app_env = app_c.env;  // with the Go env set below, what the init container copies
  PodView model;  // the Pod as this patch makes it, for `mutated`
  if (mutated) model = pod;

  // GOMEMLIMIT/GOMAXPROCS first, so the init container copies what the app will really run with.
  if (inj.set_go_env) {
    for (std::size_t pos = 0; pos < pod.spec.containers.size(); ++pos) {
      const Container& c = pod.spec.containers[pos];
      const std::string& name = c.name;
      if (!is_go_container(pod, name, inj)) continue;
      if (c.env_from_key) {
        r.notes.push_back("containers[" + name + "]: has envFrom, Go env left as is");
        continue;
      }
      std::vector<json> add;
      if (!find_env(c.env, "GOMEMLIMIT")) {
        auto mem = limit_of(c, "memory");
        auto bytes = mem ? quantity_bytes(*mem) : std::nullopt;
        if (bytes && *bytes > 0) add.push_back(env_literal("GOMEMLIMIT", gomemlimit_value(*bytes, inj.gomemlimit_ratio)));
      }
      if (!find_env(c.env, "GOMAXPROCS")) {
        auto cpu = limit_of(c, "cpu");
        auto milli = cpu ? quantity_millicores(*cpu) : std::nullopt;
        if (milli && *milli > 0) add.push_back(env_literal("GOMAXPROCS", gomaxprocs_value(*milli)));
      }
      if (add.empty()) continue;
      const std::string base = "/spec/containers/" + std::to_string(c.index) + "/env";
      if (!c.has_env) {
        r.patch.push_back({{"op", "add"}, {"path", base}, {"value", add}});
      } else {
        for (auto& e : add) r.patch.push_back({{"op", "add"}, {"path", base + "/-"}, {"value", e}});
      }
      for (auto& e : add) {
        EnvVar added{e["name"].get<std::string>(), e["value"].get<std::string>(), {}};
        if (name == app) app_env.push_back(added);
        if (mutated) model.spec.containers[pos].env.push_back(std::move(added));
      }
      if (mutated) model.spec.containers[pos].has_env = true;
      for (auto& e : add) {
        r.notes.push_back("containers[" + name + "]: set " + e["name"].get<std::string>() + "=" +
                          e["value"].get<std::string>());
      }
    }
  }

  json init = init_container(app_c, app_env, inj);
  const std::size_t at = pod.spec.has_init_containers ? init_container_index(pod.spec.init_containers) : 0;
  if (mutated) {
    auto decoded = decode_container_json(init, "", "initContainers", at);
    if (!decoded) {  // our own container spec: a failure here is a defect, reported, never guessed
      r = PatchResult{};
      r.error = "the injected init container does not decode: " + decoded.error();
      return r;
    }
    model.spec.init_containers.insert(model.spec.init_containers.begin() + static_cast<std::ptrdiff_t>(at),
                                      std::move(*decoded));
    model.spec.has_init_containers = true;
    renumber(model.spec.init_containers, model.spec_path, "initContainers");
  }
  if (!pod.spec.has_init_containers) {
    r.patch.push_back({{"op", "add"}, {"path", "/spec/initContainers"}, {"value", json::array({std::move(init)})}});
  } else {
    const std::string path = at == pod.spec.init_containers.size() ? "/spec/initContainers/-"
                                                                   : "/spec/initContainers/" + std::to_string(at);
    r.patch.push_back({{"op", "add"}, {"path", path}, {"value", std::move(init)}});
  }
  r.notes.push_back("injected gopreflight-check for app container " + app + " (" + plan.reason + ")");
  if (mutated) *mutated = std::move(model);
  return r;
}

PatchResult build_patch(const json& pod, std::string_view request_namespace, const Injection& inj) {
  auto view = decode_pod_json(pod);
  if (!view) {
    PatchResult r;
    r.error = view.error();
    return r;
  }
  return build_patch(*view, request_namespace, inj);
}

Selection select_pod(const json& pod, std::string_view request_namespace, const Injection& inj) {
  auto view = decode_pod_json(pod);
  if (!view) return {false, "the Pod cannot be read: " + view.error()};
  return injection_selects(*view, pod_namespace(*view, request_namespace), inj);
}

std::size_t init_container_index(const std::vector<Container>& init_containers) {
  std::size_t at = 0;
  for (std::size_t i = 0; i < init_containers.size(); ++i) {
    if (init_containers[i].restart_policy.value_or("") == "Always") at = i + 1;
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
