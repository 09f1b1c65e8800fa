// --config YAML: parsed with yaml-cpp, validated against the catalog, every error FILE:LINE:COL.
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "gopreflight/common/duration.hpp"
#include "gopreflight/initcheck/config.hpp"

namespace gopreflight::initcheck {

Result<std::chrono::milliseconds> parse_duration(std::string_view text) { return common::parse_duration(text); }

namespace {

struct Parser {
  const std::string& file;
  const std::vector<CheckDef>& catalog;

  Error at(const YAML::Node& n, const std::string& msg) const { return at(n.Mark(), msg); }
  Error at(const YAML::Mark& m, const std::string& msg) const {
    if (m.line < 0) return fail(file + ": " + msg);
    return fail(file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": " + msg);
  }

  static std::string kind(const YAML::Node& n) {
    switch (n.Type()) {
      case YAML::NodeType::Map: return "a map";
      case YAML::NodeType::Sequence: return "a list";
      case YAML::NodeType::Scalar: return "a scalar";
      case YAML::NodeType::Null: return "empty";
      default: return "undefined";
    }
  }

  static bool quoted(const YAML::Node& n) { return n.Tag() == "!"; }

  /// Converts a YAML value to the JSON type of `like` (the check's default).
  Result<nlohmann::json> typed(const YAML::Node& n, const nlohmann::json& like, const std::string& what) const {
    if (like.is_array()) {
      if (!n.IsSequence()) return at(n, what + " must be a list, got " + kind(n));
      nlohmann::json out = nlohmann::json::array();
      const nlohmann::json elem = like.empty() ? nlohmann::json("") : like.front();
      for (std::size_t i = 0; i < n.size(); ++i) {
        auto v = typed(n[i], elem, what + "[" + std::to_string(i) + "]");
        if (!v) return Error{v.error()};
        out.push_back(*v);
      }
      return out;
    }
    if (!n.IsScalar()) return at(n, what + " must be a single value, got " + kind(n));
    const auto& raw = n.Scalar();
    try {
      if (like.is_boolean()) {
        if (quoted(n)) throw YAML::BadConversion(n.Mark());
        return nlohmann::json(n.as<bool>());
      }
      if (like.is_number_integer()) {
        if (quoted(n)) throw YAML::BadConversion(n.Mark());
        return nlohmann::json(n.as<std::int64_t>());
      }
      if (like.is_number_float()) {
        if (quoted(n)) throw YAML::BadConversion(n.Mark());
        const double d = n.as<double>();
        if (!std::isfinite(d)) throw YAML::BadConversion(n.Mark());
        return nlohmann::json(d);
      }
      if (like.is_string()) return nlohmann::json(raw);
    } catch (const YAML::Exception&) {
      const std::string want = like.is_boolean() ? "bool (true/false)"
                               : like.is_number_integer() ? "an integer"
                                                          : "a number";
      return at(n, what + " must be " + want + ", got \"" + raw + "\"");
    }
    return at(n, what + " has a type this check does not take");
  }

  /// Iterates a map, rejecting duplicate or non-scalar keys.
  template <class F>
  Result<bool> each_key(const YAML::Node& map, const std::string& where, F&& f) const {
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      // A copy: the iterator's -> yields a temporary pair, so a reference to its key dangles
      // (ASan: stack-use-after-scope in the unit tests).
      const YAML::Node k = it->first;
      if (!k.IsScalar()) return at(k, where + ": keys must be plain names");
      const auto key = k.Scalar();
      if (!seen.insert(key).second) return at(k, where + ": duplicate key \"" + key + "\"");
      auto r = f(key, k, it->second);
      if (!r) return r;
    }
    return true;
  }

  Result<std::chrono::milliseconds> duration(const YAML::Node& n, const std::string& what) const {
    if (!n.IsScalar()) return at(n, what + " must be a duration like \"2s\", got " + kind(n));
    auto d = parse_duration(n.Scalar());
    if (!d) return at(n, what + ": " + d.error());
    return *d;
  }

  Result<bool> parse_checks(const YAML::Node& n, Config& cfg) const {
    if (n.IsNull()) return true;
    if (!n.IsMap()) return at(n, "checks must be a map of check id to settings, got " + kind(n));
    return each_key(n, "checks", [&](const std::string& id, const YAML::Node& k, const YAML::Node& v) -> Result<bool> {
      const CheckDef* def = nullptr;
      for (const auto& d : catalog) {
        if (d.id == id) def = &d;
      }
      if (!def) return at(k, "checks: unknown check id \"" + id + "\" (see --list)");
      if (v.IsNull()) {
        cfg.checks[id] = nlohmann::json::object();
        return true;
      }
      if (!v.IsMap()) return at(v, "checks." + id + " must be a map of settings, got " + kind(v));
      nlohmann::json settings = nlohmann::json::object();
      auto r = each_key(v, "checks." + id, [&](const std::string& key, const YAML::Node& kk, const YAML::Node& vv) -> Result<bool> {
        if (key == "severity") {
          if (!vv.IsScalar() || !parse_severity(vv.Scalar())) {
            return at(vv, "checks." + id + ".severity must be \"warning\" or \"critical\"");
          }
          settings[key] = vv.Scalar();
          return true;
        }
        auto it = def->defaults.find(key);
        if (it == def->defaults.end()) {
          std::string known;
          for (const auto& [dk, dv] : def->defaults.items()) known += dk + ", ";
          return at(kk, "checks." + id + ": unknown setting \"" + key + "\" (known: " + known + "severity)");
        }
        auto val = typed(vv, *it, "checks." + id + "." + key);
        if (!val) return Error{val.error()};
        settings[key] = std::move(*val);
        return true;
      });
      if (!r) return r;
      auto ok = validate_settings(*def, settings);
      if (!ok) return at(v, ok.error());
      cfg.checks[id] = std::move(settings);
      return true;
    });
  }

  Result<bool> string_list(const YAML::Node& n, const std::string& what, std::vector<std::string>& out) const {
    if (n.IsNull()) return true;
    if (!n.IsSequence()) return at(n, what + " must be a list of check ids, got " + kind(n));
    for (std::size_t i = 0; i < n.size(); ++i) {
      if (!n[i].IsScalar()) return at(n[i], what + "[" + std::to_string(i) + "] must be a check id");
      out.push_back(n[i].Scalar());
    }
    return true;
  }

  Result<bool> parse_probes(const YAML::Node& n, Config& cfg) const {
    if (n.IsNull()) return true;
    if (!n.IsSequence()) return at(n, "probes must be a list of {name, url, timeout}, got " + kind(n));
    std::set<std::string> names;
    for (std::size_t i = 0; i < n.size(); ++i) {
      const YAML::Node& p = n[i];
      const std::string where = "probes[" + std::to_string(i) + "]";
      if (!p.IsMap()) return at(p, where + " must be a map {name, url, timeout}, got " + kind(p));
      std::string name, url;
      std::optional<std::chrono::milliseconds> timeout;
      bool insecure = false;
      std::string ca;
      auto r = each_key(p, where, [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) -> Result<bool> {
        if (key == "name" || key == "url" || key == "ca_file") {
          if (!v.IsScalar()) return at(v, where + "." + key + " must be a string, got " + kind(v));
          (key == "name" ? name : key == "url" ? url : ca) = v.Scalar();
        } else if (key == "timeout") {
          auto d = duration(v, where + ".timeout");
          if (!d) return Error{d.error()};
          if (d->count() <= 0) return at(v, where + ".timeout must be greater than 0");
          timeout = *d;
        } else if (key == "tls_insecure") {
          auto b = typed(v, nlohmann::json(false), where + ".tls_insecure");
          if (!b) return Error{b.error()};
          insecure = b->get<bool>();
        } else {
          return at(k, where + ": unknown key \"" + key + "\" (known: name, url, timeout, tls_insecure, ca_file)");
        }
        return true;
      });
      if (!r) return r;
      if (name.empty()) return at(p, where + ": missing \"name\"");
      if (url.empty()) return at(p, where + ": missing \"url\"");
      if (!names.insert(name).second) return at(p, where + ": duplicate probe name \"" + name + "\"");
      if (name.find('@') != std::string::npos || name.find('=') != std::string::npos) {
        return at(p, where + ".name \"" + name + "\" may not contain '@' or '=' (use the timeout key)");
      }
      auto spec = parse_probe_arg(name + "=" + url);
      if (!spec) return at(p, where + ": " + spec.error());
      if (timeout) spec->timeout = *timeout;
      spec->tls_insecure = insecure;
      spec->ca_file = ca;
      auto checked = validate_probe(std::move(*spec));  // e.g. tls_insecure on plain http://
      if (!checked) return at(p, where + ": " + checked.error());
      cfg.probes.push_back(std::move(*checked));
    }
    return true;
  }

  Result<Config> parse(const YAML::Node& root) const {
    Config cfg;
    if (root.IsNull()) return cfg;
    if (!root.IsMap()) return at(root, "the top level must be a map (checks, skip, strict, probes, probeDeadline, probeInterval), got " + kind(root));
    std::optional<YAML::Node> skip_node;
    auto r = each_key(root, "config", [&](const std::string& key, const YAML::Node& k, const YAML::Node& v) -> Result<bool> {
      if (key == "checks") return parse_checks(v, cfg);
      if (key == "skip") {
        skip_node = v;
        return string_list(v, "skip", cfg.skip);
      }
      if (key == "strict") {
        auto b = typed(v, nlohmann::json(false), "strict");
        if (!b) return Error{b.error()};
        cfg.strict = b->get<bool>();
        return true;
      }
      if (key == "probes") return parse_probes(v, cfg);
      if (key == "probeDeadline" || key == "probeInterval") {
        auto d = duration(v, key);
        if (!d) return Error{d.error()};
        if (key == "probeInterval" && d->count() <= 0) return at(v, "probeInterval must be greater than 0");
        (key == "probeDeadline" ? cfg.probe_deadline : cfg.probe_interval) = *d;
        return true;
      }
      return at(k, "unknown key \"" + key + "\" (known: checks, skip, strict, probes, probeDeadline, probeInterval)");
    });
    if (!r) return Error{r.error()};
    if (skip_node && skip_node->IsSequence()) {
      std::vector<std::string> probe_names;
      for (const auto& p : cfg.probes) probe_names.push_back(p.name);
      for (std::size_t i = 0; i < skip_node->size(); ++i) {
        // probe.<name> may name a probe given by --probe or GOPREFLIGHT_PROBES: the CLI checks
        // those once every probe is known.
        if ((*skip_node)[i].Scalar().rfind("probe.", 0) == 0) continue;
        auto ok = validate_ids(catalog, probe_names, {(*skip_node)[i].Scalar()}, "skip");
        if (!ok) return at((*skip_node)[i], ok.error());
      }
    }
    return cfg;
  }
};

}  // namespace

Result<Config> parse_config(std::string_view text, const std::string& file,
                            const std::vector<CheckDef>& catalog) {
  Parser p{file, catalog};
  if (text.size() > (1u << 20)) return fail(file + ": larger than 1 MiB, refusing to parse");
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    return p.parse(root);
  } catch (const YAML::ParserException& e) {
    return p.at(e.mark, "YAML syntax error: " + e.msg);
  } catch (const YAML::Exception& e) {
    return p.at(e.mark, e.msg);
  }
}

Result<Config> load_config(const std::string& file, const std::vector<CheckDef>& catalog) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(file + ": cannot read the config file: " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return fail(file + ": I/O error while reading the config file");
  return parse_config(ss.str(), file, catalog);
}

}  // namespace gopreflight::initcheck
