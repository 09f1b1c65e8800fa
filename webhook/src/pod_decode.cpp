// The Pod model's decoder: where each kind keeps its Pod, and every field the engine reads.
#include "gopreflight/webhook/pod_decode.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace gopreflight::webhook {
namespace {

using simdjson::dom::element_type;

/// A field path built only when an error needs it: each level points at its parent.
struct Path {
  const Path* up = nullptr;
  const std::string* base = nullptr;  ///< the root's text
  std::string_view key;
  std::size_t index = 0;
  bool is_index = false;

  std::string str() const {
    std::string s = up != nullptr ? up->str() : (base != nullptr ? *base : std::string());
    if (up == nullptr) return s;
    if (is_index) return s + "[" + std::to_string(index) + "]";
    if (!s.empty()) s += '.';
    s += key;
    return s;
  }
  Path field(std::string_view k) const { return Path{this, nullptr, k, 0, false}; }
  Path at(std::size_t i) const { return Path{this, nullptr, {}, i, true}; }
};

bool is_null(JsonValue v) { return v.type() == element_type::NULL_VALUE; }
bool is_object(JsonValue v) { return v.type() == element_type::OBJECT; }

class Decoder {
 public:
  std::string error;

  bool expected(JsonValue v, std::string_view what, const Path& p) {
    error = p.str() + ": expected " + std::string(what) + ", found " + std::string(json_type_name(v));
    return false;
  }
  bool string(JsonValue v, const Path& p, std::optional<std::string>& out) {
    if (is_null(v)) return true;
    if (v.type() != element_type::STRING) return expected(v, "a string", p);
    out.emplace(std::string_view(v));
    return true;
  }
  bool string(JsonValue v, const Path& p, std::string& out) {
    if (is_null(v)) return true;
    if (v.type() != element_type::STRING) return expected(v, "a string", p);
    out.assign(std::string_view(v));
    return true;
  }
  bool boolean(JsonValue v, const Path& p, std::optional<bool>& out) {
    if (is_null(v)) return true;
    if (v.type() != element_type::BOOL) return expected(v, "a boolean", p);
    out = bool(v);
    return true;
  }
  /// An integer; above INT64_MAX it reads as INT64_MAX (never a valid uid, port or group).
  bool integer(JsonValue v, const Path& p, std::optional<std::int64_t>& out) {
    if (is_null(v)) return true;
    if (v.type() == element_type::INT64) {
      out = std::int64_t(v);
    } else if (v.type() == element_type::UINT64) {
      const std::uint64_t u = std::uint64_t(v);
      out = static_cast<std::int64_t>(std::min<std::uint64_t>(u, static_cast<std::uint64_t>(INT64_MAX)));
    } else {
      return expected(v, "an integer", p);
    }
    return true;
  }
  /// An object (null: `present` stays false).
  bool object(JsonValue v, const Path& p, bool& present) {
    present = false;
    if (is_null(v)) return true;
    if (!is_object(v)) return expected(v, "an object", p);
    present = true;
    return true;
  }
  /// A list of at most `max` entries (null: `present` stays false).
  bool list(JsonValue v, const Path& p, std::size_t max, bool& present) {
    present = false;
    if (is_null(v)) return true;
    if (v.type() != element_type::ARRAY) return expected(v, "a list", p);
    const std::size_t n = simdjson::dom::array(v).size();
    if (n > max) {
      error = p.str() + ": has " + std::to_string(n) + " entries; the engine reads at most " + std::to_string(max);
      return false;
    }
    present = true;
    return true;
  }
  /// Calls f(entry, entry_path, i) on each entry of a list whose entries must be objects.
  template <class F>
  bool objects(JsonValue v, const Path& p, std::size_t max, F f) {
    bool present = false;
    if (!list(v, p, max, present)) return false;
    if (!present) return true;
    std::size_t i = 0;
    for (auto e : simdjson::dom::array(v)) {
      const Path ep = p.at(i);
      // A null entry is refused too: list positions are field paths and patch indexes.
      if (!is_object(e)) return expected(e, "an object", ep);
      if (!f(e, ep, i)) return false;
      ++i;
    }
    return true;
  }
  bool strings(JsonValue v, const Path& p, std::vector<std::string>& out) {
    bool present = false;
    if (!list(v, p, kMaxListEntries, present)) return false;
    if (!present) return true;
    std::size_t i = 0;
    for (auto e : simdjson::dom::array(v)) {
      if (e.type() != element_type::STRING) return expected(e, "a string", p.at(i));
      out.emplace_back(std::string_view(e));
      ++i;
    }
    return true;
  }
  /// An object whose values are strings (labels, annotations).
  bool string_map(JsonValue v, const Path& p, std::map<std::string, std::string, std::less<>>& out) {
    bool present = false;
    if (!object(v, p, present)) return false;
    if (!present) return true;
    for (auto [k, val] : simdjson::dom::object(v)) {
      if (is_null(val)) continue;
      if (val.type() != element_type::STRING) return expected(val, "a string", p.field(k));
      out.emplace(std::string(k), std::string(std::string_view(val)));
    }
    return true;
  }
  /// An object whose values are quantities: strings, or numbers rendered as nlohmann renders them.
  bool quantity_map(JsonValue v, const Path& p, Quantities& out) {
    bool present = false;
    if (!object(v, p, present)) return false;
    if (!present) return true;
    for (auto [k, val] : simdjson::dom::object(v)) {
      switch (val.type()) {
        case element_type::NULL_VALUE: continue;
        case element_type::STRING: out.emplace(std::string(k), std::string(std::string_view(val))); break;
        case element_type::INT64: out.emplace(std::string(k), std::to_string(std::int64_t(val))); break;
        case element_type::UINT64: out.emplace(std::string(k), std::to_string(std::uint64_t(val))); break;
        case element_type::DOUBLE: out.emplace(std::string(k), nlohmann::json(double(val)).dump()); break;
        default: return expected(val, "a quantity (string or number)", p.field(k));
      }
    }
    return true;
  }

  bool profile(JsonValue v, const Path& p, std::optional<ProfileRef>& out) {
    bool present = false;
    if (!object(v, p, present)) return false;
    if (!present) return true;
    ProfileRef r;
    for (auto [k, val] : simdjson::dom::object(v)) {
      if (k == "type") {
        if (!string(val, p.field(k), r.type)) return false;
      } else if (k == "localhostProfile") {
        if (!string(val, p.field(k), r.localhost_profile)) return false;
      }
    }
    out = std::move(r);
    return true;
  }

  bool security_context(JsonValue v, const Path& p, bool pod, std::optional<SecurityContext>& out) {
    bool present = false;
    if (!object(v, p, present)) return false;
    if (!present) return true;
    SecurityContext sc;
    for (auto [k, val] : simdjson::dom::object(v)) {
      const Path kp = p.field(k);
      bool ok = true;
      bool there = false;
      if (k == "runAsUser") {
        ok = integer(val, kp, sc.run_as_user);
      } else if (k == "runAsGroup") {
        ok = integer(val, kp, sc.run_as_group);
      } else if (k == "runAsNonRoot") {
        ok = boolean(val, kp, sc.run_as_non_root);
      } else if (k == "seccompProfile") {
        ok = profile(val, kp, sc.seccomp_profile);
      } else if (k == "appArmorProfile") {
        ok = profile(val, kp, sc.app_armor_profile);
      } else if (k == "seLinuxOptions") {
        ok = object(val, kp, there);
        if (ok && there) {
          SELinuxOptions o;
          for (auto [sk, sv] : simdjson::dom::object(val)) {
            const Path sp = kp.field(sk);
            if (sk == "type") ok = string(sv, sp, o.type);
            else if (sk == "user") ok = string(sv, sp, o.user);
            else if (sk == "role") ok = string(sv, sp, o.role);
            else if (sk == "level") ok = string(sv, sp, o.level);
            if (!ok) break;
          }
          sc.se_linux_options = std::move(o);
        }
      } else if (k == "windowsOptions") {
        ok = object(val, kp, there);
        if (ok && there) {
          WindowsOptions o;
          for (auto [wk, wv] : simdjson::dom::object(val)) {
            if (wk == "hostProcess") ok = boolean(wv, kp.field(wk), o.host_process);
            else if (wk == "runAsUserName") ok = string(wv, kp.field(wk), o.run_as_user_name);
            if (!ok) break;
          }
          sc.windows_options = std::move(o);
        }
      } else if (pod) {
        if (k == "fsGroup") {
          ok = integer(val, kp, sc.fs_group);
        } else if (k == "supplementalGroups") {
          ok = list(val, kp, kMaxListEntries, there);
          if (ok && there) {
            std::size_t i = 0;
            for (auto e : simdjson::dom::array(val)) {
              std::optional<std::int64_t> g;
              const Path ep = kp.at(i++);
              if (is_null(e)) return expected(e, "an integer", ep);  // entries are never absent
              if (!integer(e, ep, g)) return false;
              sc.supplemental_groups.push_back(*g);
            }
          }
        } else if (k == "sysctls") {
          ok = objects(val, kp, kMaxListEntries, [&](JsonValue e, const Path& ep, std::size_t) {
            Sysctl s;
            for (auto [ek, ev] : simdjson::dom::object(e)) {
              if (ek == "name" && !string(ev, ep.field(ek), s.name)) return false;
              if (ek == "value" && !string(ev, ep.field(ek), s.value)) return false;
            }
            sc.sysctls.push_back(std::move(s));
            return true;
          });
        }
      } else if (k == "privileged") {
        ok = boolean(val, kp, sc.privileged);
      } else if (k == "allowPrivilegeEscalation") {
        ok = boolean(val, kp, sc.allow_privilege_escalation);
      } else if (k == "readOnlyRootFilesystem") {
        ok = boolean(val, kp, sc.read_only_root_filesystem);
      } else if (k == "procMount") {
        ok = string(val, kp, sc.proc_mount);
      } else if (k == "capabilities") {
        ok = object(val, kp, there);
        if (ok && there) {
          Capabilities caps;
          for (auto [ck, cv] : simdjson::dom::object(val)) {
            if (ck == "add") ok = strings(cv, kp.field(ck), caps.add);
            else if (ck == "drop") {
              ok = strings(cv, kp.field(ck), caps.drop);
              caps.drop_set = !is_null(cv);
            }
            if (!ok) break;
          }
          sc.capabilities = std::move(caps);
        }
      }
      if (!ok) return false;
    }
    out = std::move(sc);
    return true;
  }

  /// A probe or lifecycle hook: the host of its httpGet / tcpSocket, into slots[0..1].
  bool handler(JsonValue v, const Path& p, std::array<std::string, 2>& hosts) {
    bool present = false;
    if (!object(v, p, present)) return false;
    if (!present) return true;
    for (auto [k, val] : simdjson::dom::object(v)) {
      const int slot = k == "httpGet" ? 0 : k == "tcpSocket" ? 1 : -1;
      if (slot < 0) continue;
      const Path kp = p.field(k);
      bool there = false;
      if (!object(val, kp, there)) return false;
      if (!there) continue;
      for (auto [hk, hv] : simdjson::dom::object(val)) {
        if (hk != "host") continue;
        std::optional<std::string> host;
        if (!string(hv, kp.field(hk), host)) return false;
        if (host) hosts[static_cast<std::size_t>(slot)] = std::move(*host);
      }
    }
    return true;
  }

  bool container(JsonValue v, const Path& p, Container& c) {
    static constexpr std::array<std::string_view, 5> kHandlers = {
        "livenessProbe", "readinessProbe", "startupProbe", "lifecycle.postStart", "lifecycle.preStop"};
    std::array<std::array<std::string, 2>, 5> hosts;
    for (auto [k, val] : simdjson::dom::object(v)) {
      const Path kp = p.field(k);
      bool ok = true;
      bool there = false;
      if (k == "name") {
        ok = string(val, kp, c.name);
      } else if (k == "image") {
        ok = string(val, kp, c.image);
      } else if (k == "restartPolicy") {
        ok = string(val, kp, c.restart_policy);
      } else if (k == "env") {
        if (val.type() == element_type::ARRAY) c.env.reserve(std::min(simdjson::dom::array(val).size(), kMaxListEntries));
        ok = objects(val, kp, kMaxListEntries, [&](JsonValue e, const Path& ep, std::size_t) {
          EnvVar ev;
          for (auto [ek, eval] : simdjson::dom::object(e)) {
            if (ek == "name") {
              if (!string(eval, ep.field(ek), ev.name)) return false;
            } else if (ek == "value") {
              if (!string(eval, ep.field(ek), ev.value)) return false;
            } else if (ek == "valueFrom") {
              bool vf = false;
              if (!object(eval, ep.field(ek), vf)) return false;
              if (vf) ev.value_from = json_text(eval);
            }
          }
          c.env.push_back(std::move(ev));
          return true;
        });
        c.has_env = !is_null(val);
      } else if (k == "envFrom") {
        c.env_from_key = true;
        ok = objects(val, kp, kMaxListEntries, [&](JsonValue, const Path&, std::size_t) {
          ++c.env_from_count;
          return true;
        });
      } else if (k == "ports") {
        ok = objects(val, kp, kMaxListEntries, [&](JsonValue e, const Path& ep, std::size_t) {
          Port port;
          for (auto [pk, pv] : simdjson::dom::object(e)) {
            bool pok = true;
            if (pk == "hostPort") pok = integer(pv, ep.field(pk), port.host_port);
            else if (pk == "containerPort") pok = integer(pv, ep.field(pk), port.container_port);
            else if (pk == "protocol") pok = string(pv, ep.field(pk), port.protocol);
            if (!pok) return false;
          }
          c.ports.push_back(std::move(port));
          return true;
        });
      } else if (k == "resources") {
        ok = object(val, kp, there);
        if (ok && there) {
          for (auto [rk, rv] : simdjson::dom::object(val)) {
            if (rk == "limits") ok = quantity_map(rv, kp.field(rk), c.limits);
            else if (rk == "requests") ok = quantity_map(rv, kp.field(rk), c.requests);
            if (!ok) break;
          }
        }
      } else if (k == "securityContext") {
        ok = security_context(val, kp, false, c.security_context);
      } else if (k == "livenessProbe") {
        ok = handler(val, kp, hosts[0]);
      } else if (k == "readinessProbe") {
        ok = handler(val, kp, hosts[1]);
      } else if (k == "startupProbe") {
        ok = handler(val, kp, hosts[2]);
      } else if (k == "lifecycle") {
        ok = object(val, kp, there);
        if (ok && there) {
          for (auto [lk, lv] : simdjson::dom::object(val)) {
            if (lk == "postStart") ok = handler(lv, kp.field(lk), hosts[3]);
            else if (lk == "preStop") ok = handler(lv, kp.field(lk), hosts[4]);
            if (!ok) break;
          }
        }
      }
      if (!ok) return false;
    }
    for (std::size_t h = 0; h < hosts.size(); ++h) {
      for (std::size_t kind = 0; kind < 2; ++kind) {
        if (hosts[h][kind].empty()) continue;
        c.handler_hosts.push_back({std::string(kHandlers[h]), kind == 0 ? "httpGet" : "tcpSocket",
                                   std::move(hosts[h][kind])});
      }
    }
    return true;
  }

  bool containers(JsonValue v, const Path& p, std::string_view list, const std::string& spec_path,
                  std::vector<Container>& out) {
    if (v.type() == element_type::ARRAY) out.reserve(std::min(simdjson::dom::array(v).size(), kMaxContainers));
    return objects(v, p, kMaxContainers, [&](JsonValue e, const Path& ep, std::size_t i) {
      Container c;
      c.list = std::string(list);
      c.index = i;
      const std::string index = std::to_string(i);
      c.path.reserve(spec_path.size() + list.size() + index.size() + 3);
      c.path.append(spec_path).append(".").append(list).append("[").append(index).append("]");
      if (!container(e, ep, c)) return false;
      out.push_back(std::move(c));
      return true;
    });
  }

  bool metadata(JsonValue v, const Path& p, PodMetadata& md) {
    for (auto [k, val] : simdjson::dom::object(v)) {
      const Path kp = p.field(k);
      bool ok = true;
      if (k == "name") ok = string(val, kp, md.name);
      else if (k == "generateName") ok = string(val, kp, md.generate_name);
      else if (k == "namespace") ok = string(val, kp, md.ns);
      else if (k == "labels") ok = string_map(val, kp, md.labels);
      else if (k == "annotations") ok = string_map(val, kp, md.annotations);
      if (!ok) return false;
    }
    return true;
  }

  bool spec(JsonValue v, const Path& p, const std::string& spec_path, PodSpec& s) {
    for (auto [k, val] : simdjson::dom::object(v)) {
      const Path kp = p.field(k);
      bool ok = true;
      bool there = false;
      if (k == "hostNetwork") {
        ok = boolean(val, kp, s.host_network);
      } else if (k == "hostPID") {
        ok = boolean(val, kp, s.host_pid);
      } else if (k == "hostIPC") {
        ok = boolean(val, kp, s.host_ipc);
      } else if (k == "hostUsers") {
        ok = boolean(val, kp, s.host_users);
      } else if (k == "runtimeClassName") {
        ok = string(val, kp, s.runtime_class_name);
      } else if (k == "os") {
        ok = object(val, kp, there);
        if (ok && there) {
          for (auto [ok2, ov] : simdjson::dom::object(val)) {
            if (ok2 == "name" && !string(ov, kp.field(ok2), s.os_name)) return false;
          }
        }
      } else if (k == "securityContext") {
        ok = security_context(val, kp, true, s.security_context);
      } else if (k == "containers") {
        ok = containers(val, kp, "containers", spec_path, s.containers);
      } else if (k == "initContainers") {
        s.has_init_containers = !is_null(val);
        ok = containers(val, kp, "initContainers", spec_path, s.init_containers);
      } else if (k == "ephemeralContainers") {
        ok = containers(val, kp, "ephemeralContainers", spec_path, s.ephemeral_containers);
      } else if (k == "volumes") {
        ok = objects(val, kp, kMaxListEntries, [&](JsonValue e, const Path& ep, std::size_t) {
          Volume vol;
          for (auto [vk, vv] : simdjson::dom::object(e)) {
            if (vk == "name") {
              if (!string(vv, ep.field(vk), vol.name)) return false;
            } else if (!is_null(vv)) {
              vol.types.emplace_back(vk);
              if (vk == "hostPath") vol.host_path = true;
            }
          }
          std::sort(vol.types.begin(), vol.types.end());
          s.volumes.push_back(std::move(vol));
          return true;
        });
      }
      if (!ok) return false;
    }
    return true;
  }
};

/// object[key] when present and not null.
std::optional<JsonValue> member(JsonValue object, std::string_view key) {
  auto r = object.at_key(key);
  if (r.error()) return std::nullopt;
  JsonValue v = r.value_unsafe();
  if (is_null(v)) return std::nullopt;
  return v;
}

}  // namespace

bool is_pod_kind(std::string_view kind) {
  static constexpr std::array<std::string_view, 9> kinds = {
      "Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet",
      "Job", "CronJob", "ReplicationController", "PodTemplate"};
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

Result<ObjectHeader> decode_object_header(JsonValue object) {
  if (!is_object(object)) return fail("object: expected an object, found " + std::string(json_type_name(object)));
  ObjectHeader h;
  const auto md = member(object, "metadata");
  if (!md) return h;
  if (!is_object(*md)) return fail("metadata: expected an object, found " + std::string(json_type_name(*md)));
  std::optional<std::string> name, generate_name, ns;
  for (const char* key : {"name", "generateName", "namespace"}) {
    const auto v = member(*md, key);
    if (!v) continue;
    if (v->type() != element_type::STRING) {
      return fail(std::string("metadata.") + key + ": expected a string, found " + std::string(json_type_name(*v)));
    }
    const std::string_view s(*v);
    const std::string_view k(key);
    if (k == "name") h.name.assign(s);
    else if (k == "generateName") generate_name.emplace(s);
    else h.ns.assign(s);
  }
  if (h.name.empty() && generate_name) h.name = *generate_name + "*";
  return h;
}

Result<DecodedPod> decode_pod(JsonValue object, std::string_view kind) {
  if (!is_object(object)) return fail("object: expected an object, found " + std::string(json_type_name(object)));
  std::string tpl_path;
  // Walks `keys` from the object; each step must be an object. nullopt when absent.
  std::string walk_error;
  const auto walk = [&](std::initializer_list<const char*> keys) -> std::optional<JsonValue> {
    JsonValue cur = object;
    for (const char* k : keys) {
      tpl_path += tpl_path.empty() ? k : std::string(".") + k;
      const auto next = member(cur, k);
      if (!next) return std::nullopt;
      if (!is_object(*next)) {
        walk_error = tpl_path + ": expected an object, found " + std::string(json_type_name(*next));
        return std::nullopt;
      }
      cur = *next;
    }
    return cur;
  };
  std::optional<JsonValue> tpl;
  if (kind == "Pod") {
    tpl = object;
  } else if (kind == "PodTemplate") {
    tpl = walk({"template"});
  } else if (kind == "CronJob") {
    tpl = walk({"spec", "jobTemplate", "spec", "template"});
  } else if (is_pod_kind(kind)) {
    tpl = walk({"spec", "template"});
  } else {
    return fail("kind \"" + std::string(kind) +
                "\" is not a Pod or a workload with a Pod template (Pod, Deployment, ReplicaSet, "
                "StatefulSet, DaemonSet, Job, CronJob, ReplicationController, PodTemplate)");
  }
  if (!walk_error.empty()) return fail(std::move(walk_error));
  DecodedPod out;
  out.is_template = kind != "Pod";
  if (!tpl) {
    if (kind == "ReplicationController") {  // template is optional there: nothing to judge
      out.view.has_spec = false;
      return out;
    }
    return fail((tpl_path.empty() ? std::string("template") : tpl_path) + ": missing; a " + std::string(kind) +
                " needs a Pod template to be judged");
  }
  const std::string prefix = kind == "Pod" ? "" : tpl_path + ".";
  PodView& view = out.view;
  view.metadata_path = prefix + "metadata";
  view.spec_path = prefix + "spec";
  Decoder d;
  if (const auto md = member(*tpl, "metadata")) {
    if (!is_object(*md)) {
      return fail(view.metadata_path + ": expected an object, found " + std::string(json_type_name(*md)));
    }
    out.metadata = *md;
    const Path root{nullptr, &view.metadata_path, {}, 0, false};
    if (!d.metadata(*md, root, view.metadata)) return fail(std::move(d.error));
  }
  const auto sp = member(*tpl, "spec");
  if (!sp) return fail(view.spec_path + ": missing; a Pod needs a spec with containers");
  if (!is_object(*sp)) return fail(view.spec_path + ": expected an object, found " + std::string(json_type_name(*sp)));
  out.spec = *sp;
  const Path root{nullptr, &view.spec_path, {}, 0, false};
  if (!d.spec(*sp, root, view.spec_path, view.spec)) return fail(std::move(d.error));
  return out;
}

Result<PodView> decode_pod_json(const nlohmann::json& object, std::string_view kind, std::string spec_path,
                                std::string metadata_path) {
  auto doc = JsonDocument::read(object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (!doc) return fail(doc.error());
  auto pod = decode_pod((*doc)->root(), kind);
  if (!pod) return fail(pod.error());
  PodView view = std::move(pod->view);
  if (!spec_path.empty() && spec_path != view.spec_path) {
    const std::string old = view.spec_path;
    view.spec_path = spec_path;
    for (auto* list : {&view.spec.containers, &view.spec.init_containers, &view.spec.ephemeral_containers}) {
      for (auto& c : *list) c.path = spec_path + c.path.substr(old.size());
    }
  }
  if (!metadata_path.empty()) view.metadata_path = std::move(metadata_path);
  return view;
}

Result<Container> decode_container_json(const nlohmann::json& container, std::string path, std::string list,
                                        std::size_t index) {
  auto doc = JsonDocument::read(container.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (!doc) return fail(doc.error());
  const JsonValue root = (*doc)->root();
  Decoder d;
  const Path p{nullptr, &path, {}, 0, false};
  if (!is_object(root)) return fail(path + ": expected an object, found " + std::string(json_type_name(root)));
  Container c;
  c.list = std::move(list);
  c.index = index;
  if (!d.container(root, p, c)) return fail(std::move(d.error));
  c.path = std::move(path);
  return c;
}

}  // namespace gopreflight::webhook
