// gopreflight-check command line: flags -> config -> catalog run -> probes -> one renderer.
// Exit codes: 0 nothing failed, 1 something failed, 2 usage or config error.
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>

#include <CLI/CLI.hpp>

#include "checks/common.hpp"
#include "gopreflight/initcheck/check.hpp"
#include "gopreflight/initcheck/cli.hpp"
#include "gopreflight/initcheck/config.hpp"
#include "gopreflight/initcheck/probe.hpp"
#include "gopreflight/initcheck/render.hpp"
#include "gopreflight/initcheck/report.hpp"

extern char** environ;

namespace gopreflight::initcheck {

namespace {

constexpr const char* kVersion = "gopreflight-check 0.1.0";
constexpr const char* kDefaultTerminationLog = "/dev/termination-log";
constexpr const char* kProbeExplain =
    "probe.<name>: a dependency the Go service needs is reachable before it starts.\n"
    "Configured by --probe name=url (repeatable), GOPREFLIGHT_PROBES=\"name=url,name=url\" or the\n"
    "config's `probes:` list. URLs: tcp://host:port (connect), redis://host:port (PING -> PONG),\n"
    "postgres://host:port (SSLRequest answered by the server), etcd://host:port or\n"
    "etcd+https://host:port (GET /health), http(s)://host[:port]/path (expects 2xx).\n"
    "Each attempt has a timeout (--probe-timeout, default 2s; `timeout` per probe in the config);\n"
    "probes that have not passed are retried every probeInterval (default 1s) until probeDeadline\n"
    "(--probe-deadline, default 60s), so an init container waits for its dependencies.\n";

/// "a, b,,c" -> {"a","b","c"}; each flag occurrence may hold a comma list.
std::vector<std::string> split_ids(const std::vector<std::string>& raw) {
  std::vector<std::string> out;
  for (const auto& item : raw) {
    std::size_t start = 0;
    while (start <= item.size()) {
      auto end = item.find(',', start);
      if (end == std::string::npos) end = item.size();
      auto id = checks::trim(std::string_view(item).substr(start, end - start));
      if (!id.empty()) out.emplace_back(id);
      start = end + 1;
    }
  }
  return out;
}

EnvMap read_env() {
  EnvMap env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    auto key = kv.substr(0, eq);
    if (key.rfind("GOPREFLIGHT_", 0) == 0) env.emplace(std::string(key), std::string(kv.substr(eq + 1)));
  }
  return env;
}

int usage_error(const std::string& msg) {
  std::cerr << "gopreflight-check: " << msg << "\nRun gopreflight-check --help for usage.\n";
  return 2;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void write_termination_log(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (out) out << text;
  if (out) out.flush();
  if (!out) {
    std::cerr << "gopreflight-check: --termination-log " << path
              << ": cannot write: " << std::strerror(errno) << " (continuing)\n";
  }
}

}  // namespace

int cli_main(int argc, char** argv) {
  CLI::App app{"gopreflight-check: checks the node and Pod before a Go service starts.\n"
               "Exit codes: 0 nothing failed, 1 something failed, 2 usage or config error.",
               "gopreflight-check"};
  HostPaths paths;
  std::string procfs = "/proc", sysfs = "/sys", output = "text", config_file, explain_id;
  std::string termination_log, probe_deadline_text, probe_timeout_text;
  std::vector<std::string> only_raw, skip_raw, probe_args;
  bool strict = false, list = false;

  app.add_option("--path.procfs", procfs, "procfs mount point (default /proc)");
  app.add_option("--path.sysfs", sysfs, "sysfs mount point (default /sys)");
  app.add_option("--output", output, "Report format: text, json, junit or prometheus")
      ->check(CLI::IsMember({"text", "json", "junit", "prometheus"}));
  app.add_option("--config", config_file, "YAML config file (thresholds, severities, skip, probes)");
  auto* only_opt = app.add_option("--only", only_raw, "Run only these check ids (comma list)");
  app.add_option("--skip", skip_raw, "Do not run these check ids (comma list)");
  auto* strict_flag = app.add_flag("--strict", strict, "Warnings and errors fail the run (exit 1)");
  app.add_flag("--list", list, "Print the catalog with defaults and scope, then exit");
  app.add_option("--explain", explain_id, "Explain one check id, then exit");
  auto* tlog_opt = app.add_option("--termination-log", termination_log,
                                  "Write failures here (default /dev/termination-log when it exists)");
  app.add_option("--probe", probe_args, "Dependency probe name=url (repeatable)");
  auto* deadline_opt = app.add_option("--probe-deadline", probe_deadline_text,
                                      "Retry probes until this deadline (default 60s)");
  auto* timeout_opt = app.add_option("--probe-timeout", probe_timeout_text,
                                     "Timeout of each probe attempt (default 2s)");
  app.set_version_flag("--version", kVersion);
  (void)strict_flag;

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }

  try {
    const auto& catalog = builtin_checks();
    if (list) {
      std::cout << (output == "json" ? render_catalog_json(catalog) : render_catalog_text(catalog));
      return 0;
    }
    if (!explain_id.empty()) {
      if (const auto* def = find_check(explain_id)) {
        std::cout << render_explain(*def);
        return 0;
      }
      if (explain_id == "probe" || explain_id.rfind("probe.", 0) == 0) {
        std::cout << kProbeExplain;
        return 0;
      }
      return usage_error("--explain: unknown check id \"" + explain_id + "\" (see --list)");
    }

    Config cfg;
    if (!config_file.empty()) {
      auto c = load_config(config_file, catalog);
      if (!c) return usage_error(c.error());
      cfg = std::move(*c);
    }

    // Probes: config, then --probe flags, then GOPREFLIGHT_PROBES.
    std::optional<std::chrono::milliseconds> flag_timeout;
    if (timeout_opt->count() > 0) {
      auto d = parse_probe_timeout(probe_timeout_text);  // the probes' own bounds (1ms..10m)
      if (!d) return usage_error("--probe-timeout: " + d.error());
      if (d->count() <= 0) return usage_error("--probe-timeout: must be greater than 0");
      flag_timeout = *d;
    }
    std::vector<ProbeSpec> probes = cfg.probes;
    auto add_probe = [&](const std::string& arg, const std::string& source) -> std::optional<std::string> {
      auto p = parse_probe_arg(arg);
      if (!p) return source + ": " + p.error();
      // --probe-timeout fills in only where the probe did not name its own (`name@5s=url`).
      const auto eq = arg.find('=');
      const bool own_timeout = arg.substr(0, eq).find('@') != std::string::npos;
      if (flag_timeout && !own_timeout) p->timeout = *flag_timeout;
      probes.push_back(std::move(*p));
      return std::nullopt;
    };
    for (const auto& a : probe_args) {
      if (auto err = add_probe(a, "--probe " + a)) return usage_error(*err);
    }
    const EnvMap env = read_env();
    if (auto it = env.find("GOPREFLIGHT_PROBES"); it != env.end()) {
      for (const auto& a : split_ids({it->second})) {
        if (auto err = add_probe(a, "GOPREFLIGHT_PROBES entry \"" + a + "\"")) return usage_error(*err);
      }
    }
    std::vector<std::string> probe_names;
    std::set<std::string> seen;
    for (const auto& p : probes) {
      if (!seen.insert(p.name).second) {
        return usage_error("probe name \"" + p.name +
                           "\" is configured twice (--probe, GOPREFLIGHT_PROBES or the config)");
      }
      probe_names.push_back(p.name);
    }
    std::chrono::milliseconds deadline = cfg.probe_deadline.value_or(std::chrono::seconds(60));
    if (deadline_opt->count() > 0) {
      auto d = parse_duration(probe_deadline_text);
      if (!d) return usage_error("--probe-deadline: " + d.error());
      deadline = *d;
    }
    const auto interval = cfg.probe_interval.value_or(std::chrono::seconds(1));

    Selection sel;
    sel.only = split_ids(only_raw);
    sel.skip = split_ids(skip_raw);
    if (only_opt->count() > 0 && sel.only.empty()) return usage_error("--only: empty list of check ids");
    if (auto ok = validate_ids(catalog, probe_names, sel.only, "--only"); !ok) return usage_error(ok.error());
    if (auto ok = validate_ids(catalog, probe_names, sel.skip, "--skip"); !ok) return usage_error(ok.error());
    if (auto ok = validate_ids(catalog, probe_names, cfg.skip, "skip"); !ok) {
      return usage_error(config_file + ": " + ok.error());
    }
    sel.skip.insert(sel.skip.end(), cfg.skip.begin(), cfg.skip.end());

    paths.procfs = procfs;
    paths.sysfs = sysfs;
    HostReader host(paths);
    SystemClock clock;
    Context ctx{host, clock, env};

    Report report;
    report.strict = strict || cfg.strict.value_or(false);
    report.timestamp_s = unix_now();
    report.checks = run_catalog(catalog, ctx, sel, cfg.checks);

    std::vector<ProbeSpec> chosen;
    for (const auto& p : probes) {
      if (selected(sel, "probe." + p.name)) chosen.push_back(p);
    }
    if (!chosen.empty()) {
      auto results = run_probes(chosen, deadline, interval,
                                [](const std::string& line) { std::cerr << line << "\n"; });
      for (auto& r : results) {
        if (r.scope.empty()) r.scope = "probe";
        report.checks.push_back(checks::finish(std::move(r)));
      }
    }

    const char* no_color = std::getenv("NO_COLOR");
    const bool color = output == "text" && ::isatty(STDOUT_FILENO) == 1 && (!no_color || !*no_color);
    if (output == "json") std::cout << render_json(report);
    else if (output == "junit") std::cout << render_junit(report);
    else if (output == "prometheus") std::cout << render_prometheus(report);
    else std::cout << render_text(report, color);
    std::cout.flush();

    std::string tlog = termination_log;
    if (tlog_opt->count() == 0) {
      std::error_code ec;
      if (std::filesystem::exists(kDefaultTerminationLog, ec)) tlog = kDefaultTerminationLog;
    }
    if (!tlog.empty()) write_termination_log(tlog, render_termination_log(report));
    return exit_code(report);
  } catch (const std::exception& e) {
    std::cerr << "gopreflight-check: internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace gopreflight::initcheck
