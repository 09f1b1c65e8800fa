// Policy file loading: text -> Policy, with every problem positioned as file:line:col. The keys are
// an interface (README "Policy file, lint and review"); unknown keys are errors, not ignored, so a
// typo never silently switches a rule off.
#include <algorithm>
#include <climits>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "gopreflight/webhook/engine.hpp"
#include "gopreflight/webhook/policy_io.hpp"
#include "gopreflight/webhook/quantity.hpp"
#include "gopreflight/webhook/yaml_input.hpp"

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

std::pair<int, int> PolicyMarks::at(const std::string& path) const {
  std::string p = path;
  while (!p.empty()) {
    if (auto it = keys.find(p); it != keys.end()) return it->second;
    const auto cut = p.find_last_of(".[");
    if (cut == std::string::npos) break;
    p.resize(cut);
  }
  return {1, 1};
}

namespace {

constexpr long long kMaxId = 2147483647;  // Kubernetes UIDs/GIDs are int64 but validated to int32 range

using yaml_input::describe;
using yaml_input::position;
using yaml_input::resolve_scalar;

bool dns_label(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '-'; });
}

bool dns_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    const auto dot = s.find('.', start);
    if (!dns_label(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// Kubernetes label/annotation key: optional DNS-subdomain prefix and "/", then a name of at most 63
// characters from [A-Za-z0-9_.-] that starts and ends alphanumeric.
bool qualified_name(std::string_view s) {
  const auto slash = s.find('/');
  std::string_view name = s;
  if (slash != std::string_view::npos) {
    if (!dns_subdomain(s.substr(0, slash))) return false;
    name = s.substr(slash + 1);
  }
  if (name.empty() || name.size() > 63) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '-' || c == '_' || c == '.'; });
}

std::string normalise_spaces(std::string_view s) {
  std::string out;
  bool pending = false;
  for (char c : s) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      pending = !out.empty();
    } else {
      if (pending) out += ' ';
      pending = false;
      out += c;
    }
  }
  return out;
}

struct Entry {
  std::string key;
  std::string path;  ///< dotted path of this key
  YAML::Node key_node, value;
  std::pair<int, int> pos() const {  // empty values have no useful mark: point at the key
    if (!value.IsDefined() || value.IsNull()) return position(key_node);
    return position(value);
  }
};

class Reader {
 public:
  Reader(std::string file, PolicyParse& out) : file_(std::move(file)), out_(out) {}

  void error(std::pair<int, int> pos, std::string message) {
    out_.problems.push_back({file_, pos.first, pos.second, std::move(message)});
  }
  void error(const Entry& e, const std::string& message) { error(e.pos(), e.path + ": " + message); }

  /// Calls `f` for each key of `map` (which must be a mapping); reports unknown and duplicate keys.
  void each(const YAML::Node& map, const std::string& path, std::pair<int, int> pos,
            std::initializer_list<std::string_view> known, const std::function<void(const Entry&)>& f) {
    if (!map.IsMap()) {
      error(pos, (path.empty() ? std::string("policy") : path) + ": expected a mapping, found " +
                     what(map));
      return;
    }
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      Entry e;
      e.key_node = it->first;
      e.value = it->second;
      if (!e.key_node.IsScalar()) {
        error(position(e.key_node), (path.empty() ? std::string("policy") : path) + ": keys must be plain words");
        continue;
      }
      e.key = e.key_node.Scalar();
      e.path = path.empty() ? e.key : path + "." + e.key;
      out_.marks.keys.emplace(e.path, e.pos());
      if (!seen.insert(e.key).second) {
        error(position(e.key_node), e.path + ": duplicate key");
        continue;
      }
      if (std::find(known.begin(), known.end(), e.key) == known.end()) {
        std::string list;
        for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        error(position(e.key_node), "unknown key \"" + e.key + "\" in " +
                                        (path.empty() ? std::string("the policy") : path) + "; expected one of: " + list);
        continue;
      }
      f(e);
    }
  }

  static std::string what(const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) return "nothing";
    if (n.IsSequence()) return "a sequence";
    if (n.IsMap()) return "a mapping";
    const auto v = resolve_scalar(n);
    return describe(v) + " (" + n.Scalar() + ")";
  }

  std::optional<std::string> string(const Entry& e) {
    if (e.value.IsScalar()) {
      const auto v = resolve_scalar(e.value);
      if (v.is_string()) return v.get<std::string>();
    }
    error(e, "expected a string, found " + what(e.value));
    return std::nullopt;
  }
  /// A scalar's text whatever its type (numbers are fine where the value is text, e.g. equals: 30).
  std::optional<std::string> text(const Entry& e) {
    if (e.value.IsScalar() && !resolve_scalar(e.value).is_null()) return e.value.Scalar();
    error(e, "expected a value, found " + what(e.value));
    return std::nullopt;
  }
  std::optional<bool> boolean(const Entry& e) {
    if (e.value.IsScalar()) {
      const auto v = resolve_scalar(e.value);
      if (v.is_boolean()) return v.get<bool>();
    }
    error(e, "expected true or false, found " + what(e.value));
    return std::nullopt;
  }
  std::optional<long long> integer(const Entry& e) {
    if (e.value.IsScalar()) {
      const auto v = resolve_scalar(e.value);
      if (v.is_number_integer() && !v.is_number_unsigned()) return v.get<long long>();
      if (v.is_number_unsigned()) {
        if (v.get<unsigned long long>() <= static_cast<unsigned long long>(LLONG_MAX)) return v.get<long long>();
        error(e, "integer out of range: " + e.value.Scalar());
        return std::nullopt;
      }
    }
    error(e, "expected an integer, found " + what(e.value));
    return std::nullopt;
  }
  std::optional<double> number(const Entry& e) {
    if (e.value.IsScalar()) {
      const auto v = resolve_scalar(e.value);
      if (v.is_number()) return v.get<double>();
    }
    error(e, "expected a number, found " + what(e.value));
    return std::nullopt;
  }
  std::optional<Mode> mode(const Entry& e) {
    auto s = string(e);
    if (!s) return std::nullopt;
    if (*s == "enforce") return Mode::enforce;
    if (*s == "warn") return Mode::warn;
    if (*s == "audit") return Mode::audit;
    error(e, "\"" + *s + "\" is not a mode; expected enforce, warn or audit");
    return std::nullopt;
  }
  /// A list of strings, each checked by `valid` (described by `what_valid` in the error).
  std::vector<std::string> strings(const Entry& e, const std::function<bool(std::string_view)>& valid,
                                   std::string_view what_valid) {
    std::vector<std::string> out;
    if (e.value.IsNull()) return out;
    if (!e.value.IsSequence()) {
      error(e, "expected a list, found " + what(e.value));
      return out;
    }
    std::size_t i = 0;
    for (const auto& item : e.value) {
      Entry ie{e.key, e.path + "[" + std::to_string(i++) + "]", item, item};
      auto s = string(ie);
      if (!s) continue;
      if (valid && !valid(*s)) {
        error(ie, "\"" + *s + "\" is not " + std::string(what_valid));
        continue;
      }
      out.push_back(*s);
    }
    return out;
  }

 private:
  std::string file_;
  PolicyParse& out_;
};

bool sysctl_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  std::size_t start = 0;
  while (true) {
    const auto sep = s.find_first_of("./", start);
    const auto seg = s.substr(start, sep == std::string_view::npos ? std::string_view::npos : sep - start);
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (seg.empty() || !alnum(seg.front()) || !alnum(seg.back())) return false;
    if (!std::all_of(seg.begin(), seg.end(), [&](char c) { return alnum(c) || c == '-' || c == '_'; })) return false;
    if (sep == std::string_view::npos) return true;
    start = sep + 1;
  }
}

void read_pod_security(Reader& r, const Entry& section, Policy& p) {
  Policy::PodSecurity ps;
  bool ok = true;
  r.each(section.value, section.path, section.pos(), {"level", "version", "mode"}, [&](const Entry& e) {
    if (e.key == "level") {
      auto s = r.string(e);
      if (!s) return void(ok = false);
      auto l = pss::parse_level(*s);
      if (!l) {
        r.error(e, "\"" + *s + "\" is not a Pod Security Standards level; expected privileged, baseline or restricted");
        return void(ok = false);
      }
      ps.level = *l;
    } else if (e.key == "version") {
      auto s = r.text(e);
      if (!s) return void(ok = false);
      auto v = pss::Version::parse(*s);
      if (!v || (!v->latest && v->minor > 37)) {
        r.error(e, "\"" + *s + "\" is not a Pod Security Standards version; expected latest or v1.0 ... v1.37");
        return void(ok = false);
      }
      ps.version = *v;
    } else if (auto m = r.mode(e)) {
      ps.mode = *m;
    }
  });
  if (ok) p.pod_security = ps;
}

void read_required_sysctls(Reader& r, const Entry& section, Policy& p) {
  if (section.value.IsNull()) return;
  if (!section.value.IsSequence()) {
    r.error(section, "expected a list of {name, min|max|equals, mode}, found " + Reader::what(section.value));
    return;
  }
  std::map<std::string, std::string> seen;  // name -> path of its first entry
  std::size_t i = 0;
  for (const auto& item : section.value) {
    const std::string path = "requiredSysctls[" + std::to_string(i++) + "]";
    RequiredSysctl rs;
    bool ok = true, named = false;
    std::pair<int, int> entry_pos = position(item);
    r.each(item, path, entry_pos, {"name", "min", "max", "equals", "mode"}, [&](const Entry& e) {
      if (e.key == "name") {
        auto s = r.string(e);
        if (!s) return void(ok = false);
        if (!sysctl_name(*s)) {
          r.error(e, "\"" + *s + "\" is not a sysctl name (lower-case words separated by . or /, e.g. net.ipv4.tcp_fin_timeout)");
          return void(ok = false);
        }
        rs.name = *s;
        named = true;
      } else if (e.key == "min" || e.key == "max") {
        auto v = r.integer(e);
        if (!v) return void(ok = false);
        (e.key == "min" ? rs.min : rs.max) = *v;
      } else if (e.key == "equals") {
        auto s = r.text(e);
        if (!s) return void(ok = false);
        auto norm = normalise_spaces(*s);
        if (norm.empty()) {
          r.error(e, "must not be empty");
          return void(ok = false);
        }
        rs.equals = norm;
      } else if (auto m = r.mode(e)) {
        rs.mode = *m;
      } else {
        ok = false;
      }
    });
    if (!item.IsMap()) continue;
    if (!named) {
      if (ok) r.error(entry_pos, path + ": missing name (the sysctl, e.g. net.ipv4.tcp_fin_timeout)");
      continue;
    }
    if (rs.equals && (rs.min || rs.max)) {
      r.error(entry_pos, path + " (" + rs.name + "): use either equals or min/max, not both");
      ok = false;
    } else if (ok && !rs.equals && !rs.min && !rs.max) {
      r.error(entry_pos, path + " (" + rs.name + "): set min, max or equals");
      ok = false;
    } else if (rs.min && rs.max && *rs.min > *rs.max) {
      r.error(entry_pos, path + " (" + rs.name + "): min " + std::to_string(*rs.min) + " is greater than max " +
                             std::to_string(*rs.max));
      ok = false;
    }
    if (auto [it, inserted] = seen.emplace(rs.name, path); !inserted) {
      r.error(entry_pos, path + ": " + rs.name + " is already required by " + it->second);
      ok = false;
    }
    if (ok) p.required_sysctls.push_back(rs);
  }
}

// runAsUser / runAsGroup: {min, max}, both within 0 ... 2147483647.
bool read_id_range(Reader& r, const Entry& section, std::optional<long long>& min, std::optional<long long>& max) {
  bool ok = true;
  r.each(section.value, section.path, section.pos(), {"min", "max"}, [&](const Entry& e) {
    auto v = r.integer(e);
    if (!v) return void(ok = false);
    if (*v < 0 || *v > kMaxId) {
      r.error(e, std::to_string(*v) + " is not a valid id; expected 0 ... 2147483647");
      return void(ok = false);
    }
    (e.key == "min" ? min : max) = *v;
  });
  if (!section.value.IsMap()) return false;
  if (ok && !min && !max) {
    r.error(section, "set min and/or max");
    return false;
  }
  if (min && max && *min > *max) {
    r.error(section, "min " + std::to_string(*min) + " is greater than max " + std::to_string(*max));
    return false;
  }
  return ok;
}

void read_security_context(Reader& r, const Entry& section, Policy& p) {
  Policy::SecurityContextRule sc;
  bool ok = true;
  r.each(section.value, section.path, section.pos(),
         {"mode", "readOnlyRootFilesystem", "runAsNonRoot", "allowPrivilegeEscalation", "runAsUser", "runAsGroup"},
         [&](const Entry& e) {
           if (e.key == "mode") {
             if (auto m = r.mode(e)) sc.mode = *m;
             else ok = false;
           } else if (e.key == "runAsUser") {
             ok = read_id_range(r, e, sc.run_as_user_min, sc.run_as_user_max) && ok;
           } else if (e.key == "runAsGroup") {
             ok = read_id_range(r, e, sc.run_as_group_min, sc.run_as_group_max) && ok;
           } else {
             auto b = r.boolean(e);
             if (!b) return void(ok = false);
             if (e.key == "readOnlyRootFilesystem") sc.read_only_root_filesystem = *b;
             else if (e.key == "runAsNonRoot") sc.run_as_non_root = *b;
             else sc.allow_privilege_escalation = *b;
           }
         });
  if (ok) p.security_context = sc;
}

void read_go_runtime(Reader& r, const Entry& section, Policy& p) {
  Policy::GoRuntime g;
  bool ok = true;
  r.each(section.value, section.path, section.pos(), {"mode", "goContainersAnnotation", "gomemlimitRatio"},
         [&](const Entry& e) {
           if (e.key == "mode") {
             if (auto m = r.mode(e)) g.mode = *m;
             else ok = false;
           } else if (e.key == "goContainersAnnotation") {
             auto s = r.string(e);
             if (s && !qualified_name(*s)) {
               r.error(e, "\"" + *s + "\" is not an annotation key (prefix/name, e.g. gopreflight.io/go-containers)");
               s.reset();
             }
             if (s) g.go_container_annotation = *s;
             else ok = false;
           } else {
             auto d = r.number(e);
             if (d && !(*d > 0.0 && *d < 1.0)) {
               r.error(e, e.value.Scalar() + " is out of range; expected a fraction of the memory limit above 0 and below 1 (e.g. 0.9)");
               d.reset();
             }
             if (d) g.gomemlimit_ratio = *d;
             else ok = false;
           }
         });
  if (ok) p.go_runtime = g;
}

void read_init_check(Reader& r, const Entry& section, Policy& p) {
  Policy::InitCheckRequired ic;
  bool ok = true;
  r.each(section.value, section.path, section.pos(), {"mode", "namespaces", "containerName"}, [&](const Entry& e) {
    if (e.key == "mode") {
      if (auto m = r.mode(e)) ic.mode = *m;
      else ok = false;
    } else if (e.key == "namespaces") {
      ic.namespaces = r.strings(e, dns_label, "a namespace name");
    } else {
      auto s = r.string(e);
      if (s && !dns_label(*s)) {
        r.error(e, "\"" + *s + "\" is not a container name (lower-case letters, digits and -, at most 63)");
        s.reset();
      }
      if (s) ic.container_name = *s;
      else ok = false;
    }
  });
  if (ok) p.init_check = ic;
}

void read_exemptions(Reader& r, const Entry& section, Policy& p) {
  r.each(section.value, section.path, section.pos(), {"namespaces", "usernames", "runtimeClasses"}, [&](const Entry& e) {
    if (e.key == "namespaces") {
      p.exemptions.namespaces = r.strings(e, dns_label, "a namespace name");
    } else if (e.key == "usernames") {
      p.exemptions.usernames = r.strings(e, [](std::string_view s) { return !s.empty(); }, "a user name");
    } else {
      p.exemptions.runtime_classes = r.strings(e, dns_subdomain, "a RuntimeClass name");
    }
  });
}

// resources: {requests: {cpu, memory}, limits: {cpu, memory}} as Kubernetes quantities.
void read_resources(Reader& r, const Entry& section, Injection& inj) {
  std::map<std::string, std::int64_t> milli;  // "requests.cpu" -> value in thousandths
  r.each(section.value, section.path, section.pos(), {"requests", "limits"}, [&](const Entry& group) {
    r.each(group.value, group.path, group.pos(), {"cpu", "memory"}, [&](const Entry& e) {
      auto s = r.text(e);
      if (!s) return;
      auto q = parse_quantity(*s);
      if (!q) {
        r.error(e, "\"" + *s + "\" is not a Kubernetes quantity: " + q.error());
        return;
      }
      if ((*q).negative) {
        r.error(e, "\"" + *s + "\" is negative");
        return;
      }
      const auto m = (*q).milli_value();
      if (!m) {
        r.error(e, "\"" + *s + "\": " + m.error());
        return;
      }
      milli[group.key + "." + e.key] = *m;
      std::string& slot = group.key == "requests" ? (e.key == "cpu" ? inj.cpu_request : inj.memory_request)
                                                  : (e.key == "cpu" ? inj.cpu_limit : inj.memory_limit);
      slot = *s;
    });
  });
  for (const char* res : {"cpu", "memory"}) {
    const auto req = milli.find(std::string("requests.") + res), lim = milli.find(std::string("limits.") + res);
    if (req != milli.end() && lim != milli.end() && req->second > lim->second) {
      r.error(section, std::string("requests.") + res + " is greater than limits." + res +
                           " (Kubernetes rejects such a container)");
    }
  }
}

void read_injection(Reader& r, const Entry& section, Policy& p) {
  Injection& inj = p.injection;
  r.each(section.value, section.path, section.pos(),
         {"enabled", "namespaces", "optInKey", "image", "args", "resources", "setGoEnv", "setUserIds"},
         [&](const Entry& e) {
           if (e.key == "enabled" || e.key == "setGoEnv" || e.key == "setUserIds") {
             if (auto b = r.boolean(e)) {
               (e.key == "enabled" ? inj.enabled : e.key == "setGoEnv" ? inj.set_go_env : inj.set_user_ids) = *b;
             }
           } else if (e.key == "namespaces") {
             inj.namespaces = r.strings(e, dns_label, "a namespace name");
           } else if (e.key == "optInKey") {
             auto s = r.string(e);
             if (s && !qualified_name(*s)) r.error(e, "\"" + *s + "\" is not a label/annotation key");
             else if (s) inj.opt_in_key = *s;
           } else if (e.key == "image") {
             auto s = r.string(e);
             if (s && (s->empty() || s->find_first_of(" \t\n") != std::string::npos))
               r.error(e, "\"" + *s + "\" is not an image reference");
             else if (s) inj.image = *s;
           } else if (e.key == "args") {
             inj.args = r.strings(e, nullptr, "");
           } else {
             read_resources(r, e, inj);
           }
         });
}

}  // namespace

PolicyParse parse_policy(std::string_view text, std::string_view file) {
  PolicyParse r;
  const std::string fname(file);
  yaml_input::Limits limits;
  limits.max_bytes = 1u << 20;
  limits.max_nodes = 20'000;
  auto docs = yaml_input::load_all(text, limits);
  if (docs.error) {
    r.problems.push_back({fname, docs.error->line, docs.error->col, docs.error->message});
    return r;
  }
  std::vector<YAML::Node> roots;
  for (const auto& d : docs.docs)
    if (d.IsDefined() && !d.IsNull()) roots.push_back(d);
  if (roots.empty()) {
    r.problems.push_back({fname, 1, 1, "empty policy; expected apiVersion: gopreflight.io/v1alpha1 and kind: Policy"});
    return r;
  }
  if (roots.size() > 1) {
    const auto [l, c] = position(roots[1]);
    r.problems.push_back({fname, l, c, "a policy file holds one document; found a second one here"});
    return r;
  }
  const YAML::Node& root = roots[0];
  auto policy = std::make_shared<Policy>();
  policy->source = fname;
  Reader rd(fname, r);
  bool api_version = false, kind = false;
  rd.each(root, "", position(root),
          {"apiVersion", "kind", "podSecurity", "requiredSysctls", "securityContext", "goRuntime", "initCheck",
           "exemptions", "injection"},
          [&](const Entry& e) {
            if (e.key == "apiVersion" || e.key == "kind") {
              const std::string want = e.key == "apiVersion" ? "gopreflight.io/v1alpha1" : "Policy";
              auto s = rd.string(e);
              if (s && *s != want) rd.error(e, "\"" + *s + "\" is not supported; expected " + want);
              (e.key == "apiVersion" ? api_version : kind) = true;
              return;
            }
            // A section written with no value (`podSecurity:`) is what a file read in the middle
            // of a write looks like: an error, never "off" (issue 10). Off is an absent section.
            if (e.value.IsNull()) {
              rd.error(e, std::string("the section has no value; write its settings") +
                              (e.key == "requiredSysctls" ? " ([] for none)" : "") +
                              ", or leave the section out to turn it off");
              return;
            }
            if (e.key == "podSecurity") read_pod_security(rd, e, *policy);
            else if (e.key == "requiredSysctls") read_required_sysctls(rd, e, *policy);
            else if (e.key == "securityContext") read_security_context(rd, e, *policy);
            else if (e.key == "goRuntime") read_go_runtime(rd, e, *policy);
            else if (e.key == "initCheck") read_init_check(rd, e, *policy);
            else if (e.key == "exemptions") read_exemptions(rd, e, *policy);
            else read_injection(rd, e, *policy);
          });
  if (root.IsMap()) {
    const auto pos = position(root);
    if (!api_version) rd.error(pos, "missing apiVersion: gopreflight.io/v1alpha1");
    if (!kind) rd.error(pos, "missing kind: Policy");
  }
  std::stable_sort(r.problems.begin(), r.problems.end(), [](const PolicyProblem& a, const PolicyProblem& b) {
    return std::pair(a.line, a.col) < std::pair(b.line, b.col);
  });
  if (r.problems.empty()) r.policy = std::move(policy);
  return r;
}

PolicyParse load_policy_file(const std::string& path) {
  PolicyParse r;
  std::error_code ec;
  const bool regular = std::filesystem::is_regular_file(path, ec);
  std::ifstream in;
  if (regular) in.open(path, std::ios::binary);
  if (!regular || !in) {
    r.unreadable = true;
    r.problems.push_back({path, 0, 0, regular ? "cannot open the policy file"
                                              : (std::filesystem::exists(path, ec) ? "not a regular file"
                                                                                   : "no such file")});
    return r;
  }
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > (1u << 20)) {
      r.unreadable = true;
      r.problems.push_back({path, 0, 0, "policy file larger than 1 MiB"});
      return r;
    }
  }
  if (in.bad()) {
    r.unreadable = true;
    r.problems.push_back({path, 0, 0, "read error"});
    return r;
  }
  return parse_policy(text, path);
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
