// Runs the catalog: selection, settings, timing, exception capture and severity.
#include <algorithm>
#include <chrono>
#include <exception>
#include <stdexcept>

#include "checks/common.hpp"
#include "gopreflight/initcheck/report.hpp"

namespace gopreflight::initcheck {

bool counts_as_failure(const CheckResult& r, bool strict) {
  if (r.status == Status::fail) return true;
  return strict && (r.status == Status::warn || r.status == Status::error);
}

Summary summarize(const Report& report) {
  Summary s;
  s.strict = report.strict;
  for (const auto& r : report.checks) {
    ++s.total;
    switch (r.status) {
      case Status::pass: ++s.pass; break;
      case Status::warn: ++s.warn; break;
      case Status::fail: ++s.fail; break;
      case Status::skip: ++s.skip; break;
      case Status::error: ++s.error; break;
    }
    if (counts_as_failure(r, report.strict)) s.failed = true;
  }
  return s;
}

int exit_code(const Report& report) { return summarize(report).failed ? 1 : 0; }

Result<bool> validate_ids(const std::vector<CheckDef>& catalog,
                          const std::vector<std::string>& probe_names,
                          const std::vector<std::string>& ids, std::string_view option) {
  for (const auto& id : ids) {
    const bool in_catalog = std::any_of(catalog.begin(), catalog.end(),
                                        [&](const CheckDef& d) { return d.id == id; });
    const bool is_probe =
        id.rfind("probe.", 0) == 0 &&
        std::find(probe_names.begin(), probe_names.end(), id.substr(6)) != probe_names.end();
    if (!in_catalog && !is_probe) {
      std::string msg = std::string(option) + ": unknown check id \"" + id + "\"";
      if (id.rfind("probe.", 0) == 0) {
        msg += " (no probe named \"" + id.substr(6) + "\" is configured)";
      } else {
        msg += " (see --list for the ids)";
      }
      return fail(msg);
    }
  }
  return true;
}

bool selected(const Selection& sel, std::string_view id) {
  auto has = [&](const std::vector<std::string>& v) {
    return std::find(v.begin(), v.end(), id) != v.end();
  };
  if (!sel.only.empty() && !has(sel.only)) return false;
  return !has(sel.skip);
}

nlohmann::json effective_settings(const CheckDef& def, const nlohmann::json* overrides) {
  nlohmann::json s = def.defaults.is_object() ? def.defaults : nlohmann::json::object();
  if (overrides && overrides->is_object()) {
    for (const auto& [k, v] : overrides->items()) s[k] = v;
  }
  return s;
}

namespace {
std::string json_type_name(const nlohmann::json& v) {
  if (v.is_boolean()) return "bool";
  if (v.is_number_integer()) return "int";
  if (v.is_number_float()) return "float";
  if (v.is_string()) return "string";
  if (v.is_array()) return "list";
  if (v.is_object()) return "map";
  return "null";
}
}  // namespace

Result<bool> validate_settings(const CheckDef& def, const nlohmann::json& overrides) {
  if (!overrides.is_object()) return fail("settings of " + def.id + " must be a map");
  for (const auto& [k, v] : overrides.items()) {
    if (k == "severity") {
      if (!v.is_string() || !parse_severity(v.get<std::string>())) {
        return fail("severity of " + def.id + " must be \"warning\" or \"critical\"");
      }
      continue;
    }
    auto it = def.defaults.find(k);
    if (it == def.defaults.end()) {
      std::string known;
      for (const auto& [dk, dv] : def.defaults.items()) known += (known.empty() ? "" : ", ") + dk;
      known += (known.empty() ? "" : ", ") + std::string("severity");
      return fail("unknown setting \"" + k + "\" for " + def.id + " (known: " + known + ")");
    }
    const auto want = json_type_name(*it);
    const auto got = json_type_name(v);
    const bool ok = want == got || (want == "float" && got == "int");
    if (!ok) {
      return fail("setting \"" + k + "\" of " + def.id + " must be " + want + ", got " + got);
    }
  }
  return true;
}

CheckResult run_one(const CheckDef& def, const Context& ctx, const nlohmann::json& settings) {
  const auto t0 = std::chrono::steady_clock::now();
  CheckResult r;
  try {
    if (!def.run) throw std::runtime_error("check has no run function");
    r = def.run(ctx, settings);
  } catch (const std::exception& e) {
    r = checks::make_result(def, settings);
    r = checks::read_error(r, "check " + def.id + " raised an exception: " + e.what());
  } catch (...) {
    r = checks::make_result(def, settings);
    r = checks::read_error(r, "check " + def.id + " raised an unknown exception");
  }
  const auto t1 = std::chrono::steady_clock::now();
  if (r.id.empty()) r.id = def.id;
  if (r.scope.empty()) r.scope = def.scope;
  r.duration_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  return checks::finish(std::move(r));
}

std::vector<CheckResult> run_catalog(const std::vector<CheckDef>& catalog, const Context& ctx,
                                     const Selection& sel, const SettingsOverrides& overrides) {
  std::vector<CheckResult> out;
  out.reserve(catalog.size());
  for (const auto& def : catalog) {
    if (!selected(sel, def.id)) continue;
    auto it = overrides.find(def.id);
    const auto settings = effective_settings(def, it == overrides.end() ? nullptr : &it->second);
    out.push_back(run_one(def, ctx, settings));
  }
  return out;
}

}  // namespace gopreflight::initcheck
