// Where each kind keeps its Pod, and a type check of everything the rules read.
#include "gopreflight/webhook/pod_views.hpp"

#include <array>

namespace gopreflight::webhook {
namespace {

using nlohmann::json;

const json& empty_object() {
  static const json kEmpty = json::object();
  return kEmpty;
}

enum class T { string, boolean, integer, object, array, quantity };

std::string_view type_word(T t) {
  switch (t) {
    case T::string: return "a string";
    case T::boolean: return "a boolean";
    case T::integer: return "an integer";
    case T::object: return "an object";
    case T::array: return "a list";
    case T::quantity: return "a quantity (string or number)";
  }
  return "?";
}

bool has_type(const json& v, T t) {
  switch (t) {
    case T::string: return v.is_string();
    case T::boolean: return v.is_boolean();
    case T::integer: return v.is_number_integer();
    case T::object: return v.is_object();
    case T::array: return v.is_array();
    case T::quantity: return v.is_string() || v.is_number();
  }
  return false;
}

/// obj[key] when obj is an object that has it, else null: std::map's own find, without
/// nlohmann's iterator wrapper (this is the engine's hottest lookup).
const json* member_of(const json& obj, std::string_view key) {
  const auto* members = obj.get_ptr<const json::object_t*>();
  if (members == nullptr) return nullptr;
  auto it = members->find(key);
  return it == members->end() ? nullptr : &it->second;
}

/// Checks values against types; null counts as absent (Kubernetes omits or nulls unset fields).
/// A quiet Shape only answers pass or fail: no message and, through sub(), no path is built, so
/// the happy path allocates nothing; check_pod_shape re-runs loud only when something failed.
class Shape {
 public:
  std::string error;
  bool quiet = false;

  /// `path + suffix`, or nothing when quiet (the path would only serve a message).
  std::string sub(const std::string& path, std::string_view suffix) const {
    if (quiet) return std::string();
    std::string out;
    out.reserve(path.size() + suffix.size());
    out += path;
    out += suffix;
    return out;
  }
  bool fail(const json& v, T t, const std::string& path, std::string_view key = {}) {
    if (quiet) return false;
    error = path + (key.empty() ? "" : ".") + std::string(key) + ": expected " + std::string(type_word(t)) +
            ", found " + std::string(json_type_name(v));
    return false;
  }
  static bool ok(const json& v, T t) { return v.is_null() || has_type(v, t); }
  /// `obj[key]`, when present, has type t.
  bool field(const json& obj, std::string_view key, T t, const std::string& path) {
    const json* it = member_of(obj, key);
    if (it == nullptr || ok(*it, t)) return true;
    return fail(*it, t, path, key);
  }
  /// A list of at most `max` entries, each of type `each`.
  bool list(const json& obj, std::string_view key, T each, const std::string& path, std::size_t max) {
    const json* it = member_of(obj, key);
    if (it == nullptr || it->is_null()) return true;
    if (!it->is_array()) return fail(*it, T::array, path, key);
    if (it->size() > max) {
      if (!quiet) {
        error = path + "." + std::string(key) + ": has " + std::to_string(it->size()) +
                " entries; the engine reads at most " + std::to_string(max);
      }
      return false;
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      if (!ok((*it)[i], each)) {
        return fail((*it)[i], each, sub(path, "." + std::string(key) + "[" + std::to_string(i) + "]"));
      }
    }
    return true;
  }
  /// An object whose values all have type `each` (labels, annotations, resource maps).
  bool map(const json& obj, std::string_view key, T each, const std::string& path) {
    const json* it = member_of(obj, key);
    if (it == nullptr || it->is_null()) return true;
    if (!it->is_object()) return fail(*it, T::object, path, key);
    for (const auto& [k, v] : it->get_ref<const json::object_t&>()) {
      if (!ok(v, each)) return fail(v, each, sub(path, "." + std::string(key) + "." + k));
    }
    return true;
  }
};

/// Runs `check(element, element_path)` on each object of obj[key] (already shape-checked as a
/// list), building the element path only when the check fails.
template <class F>
bool each_entry(Shape& s, const json& obj, std::string_view key, const std::string& path, F check) {
  const json* it = member_of(obj, key);
  if (it == nullptr || !it->is_array()) return true;
  for (std::size_t i = 0; i < it->size(); ++i) {
    Shape probe;
    probe.quiet = true;
    if (!check(probe, (*it)[i], std::string())) {
      // Re-run with the real path for the message.
      return check(s, (*it)[i], s.sub(path, "." + std::string(key) + "[" + std::to_string(i) + "]"));
    }
  }
  return true;
}

bool check_fields(Shape& s, const json& obj, const std::string& path,
                  std::initializer_list<std::pair<std::string_view, T>> fields) {
  // A quiet pass only needs pass or fail, not which field fails first: when the object has
  // fewer members than there are fields to check (securityContext, env entries), walking its
  // members answers the same question with fewer lookups.
  if (const auto* members = obj.get_ptr<const json::object_t*>(); s.quiet && members != nullptr &&
                                                                  members->size() < fields.size()) {
    for (const auto& [name, v] : *members) {
      for (const auto& [key, t] : fields) {
        if (key.size() == name.size() && key == name) {
          if (!Shape::ok(v, t)) return false;
          break;
        }
      }
    }
    return true;
  }
  for (const auto& [key, t] : fields) {
    if (!s.field(obj, key, t, path)) return false;
  }
  return true;
}

/// seccompProfile, seLinuxOptions, windowsOptions, appArmorProfile: objects of strings/bools.
bool check_common_security(Shape& s, const json& sc, const std::string& p) {
  if (!check_fields(s, sc, p,
                    {{"runAsUser", T::integer},
                     {"runAsGroup", T::integer},
                     {"runAsNonRoot", T::boolean},
                     {"seccompProfile", T::object},
                     {"seLinuxOptions", T::object},
                     {"windowsOptions", T::object},
                     {"appArmorProfile", T::object}}))
    return false;
  if (const json* it = member_of(sc, "seccompProfile"); it != nullptr && it->is_object()) {
    if (!check_fields(s, *it, s.sub(p, ".seccompProfile"), {{"type", T::string}, {"localhostProfile", T::string}}))
      return false;
  }
  if (const json* it = member_of(sc, "appArmorProfile"); it != nullptr && it->is_object()) {
    if (!check_fields(s, *it, s.sub(p, ".appArmorProfile"), {{"type", T::string}, {"localhostProfile", T::string}}))
      return false;
  }
  if (const json* it = member_of(sc, "seLinuxOptions"); it != nullptr && it->is_object()) {
    if (!check_fields(s, *it, s.sub(p, ".seLinuxOptions"),
                      {{"type", T::string}, {"user", T::string}, {"role", T::string}, {"level", T::string}}))
      return false;
  }
  if (const json* it = member_of(sc, "windowsOptions"); it != nullptr && it->is_object()) {
    if (!check_fields(s, *it, s.sub(p, ".windowsOptions"),
                      {{"hostProcess", T::boolean}, {"runAsUserName", T::string}}))
      return false;
  }
  return true;
}

bool check_container(Shape& s, const json& c, const std::string& p) {
  if (!check_fields(s, c, p,
                    {{"name", T::string},
                     {"image", T::string},
                     {"restartPolicy", T::string},
                     {"resources", T::object},
                     {"securityContext", T::object}}))
    return false;
  if (!s.list(c, "env", T::object, p, kMaxListEntries)) return false;
  if (!s.list(c, "envFrom", T::object, p, kMaxListEntries)) return false;
  if (!s.list(c, "ports", T::object, p, kMaxListEntries)) return false;
  if (!each_entry(s, c, "env", p, [](Shape& sh, const json& e, const std::string& ep) {
        return check_fields(sh, e, ep, {{"name", T::string}, {"value", T::string}, {"valueFrom", T::object}});
      }))
    return false;
  if (!each_entry(s, c, "ports", p, [](Shape& sh, const json& e, const std::string& ep) {
        return check_fields(sh, e, ep, {{"hostPort", T::integer}, {"containerPort", T::integer}, {"protocol", T::string}});
      }))
    return false;
  if (const json* it = member_of(c, "resources"); it != nullptr && it->is_object()) {
    const std::string rp = s.sub(p, ".resources");
    if (!s.map(*it, "limits", T::quantity, rp)) return false;
    if (!s.map(*it, "requests", T::quantity, rp)) return false;
  }
  if (const json* it = member_of(c, "securityContext"); it != nullptr && it->is_object()) {
    const std::string sp = s.sub(p, ".securityContext");
    if (!check_common_security(s, *it, sp)) return false;
    if (!check_fields(s, *it, sp,
                      {{"privileged", T::boolean},
                       {"allowPrivilegeEscalation", T::boolean},
                       {"readOnlyRootFilesystem", T::boolean},
                       {"procMount", T::string},
                       {"capabilities", T::object}}))
      return false;
    if (const json* cap = member_of(*it, "capabilities"); cap != nullptr && cap->is_object()) {
      const std::string cp = s.sub(sp, ".capabilities");
      if (!s.list(*cap, "add", T::string, cp, kMaxListEntries)) return false;
      if (!s.list(*cap, "drop", T::string, cp, kMaxListEntries)) return false;
    }
  }
  return true;
}

}  // namespace

std::string_view json_type_name(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "object";
    case json::value_t::array: return "list";
    case json::value_t::string: return "string";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    case json::value_t::binary: return "binary";
    case json::value_t::discarded: return "nothing";
  }
  return "unknown";
}

bool is_pod_kind(std::string_view kind) {
  static constexpr std::array<std::string_view, 9> kinds = {
      "Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet",
      "Job", "CronJob", "ReplicationController", "PodTemplate"};
  for (auto k : kinds) {
    if (k == kind) return true;
  }
  return false;
}

Parsed<ExtractedPod> extract_pod_view(const json& object, std::string_view kind) {
  Parsed<ExtractedPod> out;
  if (!object.is_object()) {
    out.error = "object: expected an object, found " + std::string(json_type_name(object));
    return out;
  }
  // Walks `keys` from the object; each step must be an object. Returns null when absent.
  const auto walk = [&](std::initializer_list<const char*> keys, std::string& path) -> const json* {
    const json* cur = &object;
    path.clear();
    for (const char* k : keys) {
      path += path.empty() ? k : std::string(".") + k;
      auto it = cur->find(k);
      if (it == cur->end() || it->is_null()) return nullptr;
      if (!it->is_object()) {
        out.error = path + ": expected an object, found " + std::string(json_type_name(*it));
        return nullptr;
      }
      cur = &*it;
    }
    return cur;
  };

  ExtractedPod pod;
  std::string tpl_path;
  const json* tpl = nullptr;
  if (kind == "Pod") {
    tpl = &object;
  } else if (kind == "PodTemplate") {
    tpl = walk({"template"}, tpl_path);
  } else if (kind == "CronJob") {
    tpl = walk({"spec", "jobTemplate", "spec", "template"}, tpl_path);
  } else if (is_pod_kind(kind)) {
    tpl = walk({"spec", "template"}, tpl_path);
  } else {
    out.error = "kind \"" + std::string(kind) +
                "\" is not a Pod or a workload with a Pod template (Pod, Deployment, ReplicaSet, "
                "StatefulSet, DaemonSet, Job, CronJob, ReplicationController, PodTemplate)";
    return out;
  }
  if (!out.error.empty()) return out;
  pod.is_template = kind != "Pod";
  if (tpl == nullptr) {
    if (kind == "ReplicationController") {  // template is optional there: nothing to judge
      pod.view.metadata = &empty_object();
      pod.view.spec = nullptr;
      out.value = pod;
      return out;
    }
    out.error = (tpl_path.empty() ? std::string("template") : tpl_path) + ": missing; a " +
                std::string(kind) + " needs a Pod template to be judged";
    return out;
  }
  const std::string prefix = kind == "Pod" ? "" : tpl_path + ".";
  pod.view.metadata_path = prefix + "metadata";
  pod.view.spec_path = prefix + "spec";
  auto md = tpl->find("metadata");
  if (md == tpl->end() || md->is_null()) {
    pod.view.metadata = &empty_object();
  } else if (!md->is_object()) {
    out.error = pod.view.metadata_path + ": expected an object, found " + std::string(json_type_name(*md));
    return out;
  } else {
    pod.view.metadata = &*md;
  }
  auto sp = tpl->find("spec");
  if (sp == tpl->end() || sp->is_null()) {
    out.error = pod.view.spec_path + ": missing; a Pod needs a spec with containers";
    return out;
  }
  if (!sp->is_object()) {
    out.error = pod.view.spec_path + ": expected an object, found " + std::string(json_type_name(*sp));
    return out;
  }
  pod.view.spec = &*sp;
  out.value = pod;
  return out;
}

namespace {

bool pod_shape_ok(Shape& s, const PodView& pod) {
  if (pod.metadata != nullptr) {
    const json& md = *pod.metadata;
    if (!check_fields(s, md, pod.metadata_path, {{"name", T::string}, {"namespace", T::string}}))
      return false;
    if (!s.map(md, "labels", T::string, pod.metadata_path)) return false;
    if (!s.map(md, "annotations", T::string, pod.metadata_path)) return false;
  }
  if (pod.spec == nullptr) return true;
  const json& spec = *pod.spec;
  const std::string& p = pod.spec_path;
  if (!check_fields(s, spec, p,
                    {{"hostNetwork", T::boolean},
                     {"hostPID", T::boolean},
                     {"hostIPC", T::boolean},
                     {"hostUsers", T::boolean},
                     {"runtimeClassName", T::string},
                     {"securityContext", T::object},
                     {"os", T::object}}))
    return false;
  if (const json* os = member_of(spec, "os"); os != nullptr && os->is_object()) {
    if (!s.field(*os, "name", T::string, s.sub(p, ".os"))) return false;
  }
  if (const json* sc = member_of(spec, "securityContext"); sc != nullptr && sc->is_object()) {
    const std::string sp = s.sub(p, ".securityContext");
    if (!check_common_security(s, *sc, sp)) return false;
    if (!s.field(*sc, "fsGroup", T::integer, sp)) return false;
    if (!s.list(*sc, "supplementalGroups", T::integer, sp, kMaxListEntries)) return false;
    if (!s.list(*sc, "sysctls", T::object, sp, kMaxListEntries)) return false;
    if (!each_entry(s, *sc, "sysctls", sp, [](Shape& sh, const json& e, const std::string& ep) {
          return check_fields(sh, e, ep, {{"name", T::string}, {"value", T::string}});
        }))
      return false;
  }
  for (const char* list : {"containers", "initContainers", "ephemeralContainers"}) {
    if (!s.list(spec, list, T::object, p, kMaxContainers)) return false;
    const json* it = member_of(spec, list);
    if (it == nullptr || !it->is_array()) continue;
    if (!each_entry(s, spec, list, p, [](Shape& sh, const json& c, const std::string& cp) {
          return check_container(sh, c, cp);
        }))
      return false;
  }
  if (!s.list(spec, "volumes", T::object, p, kMaxListEntries)) return false;
  return true;
}

}  // namespace

std::string check_pod_shape(const PodView& pod) {
  Shape quiet;
  quiet.quiet = true;
  if (pod_shape_ok(quiet, pod)) return "";
  Shape loud;  // something is wrong: the same checks again, now with paths and the message
  pod_shape_ok(loud, pod);
  return loud.error;
}

}  // namespace gopreflight::webhook
