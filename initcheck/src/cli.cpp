// gopreflight-check command line: flags -> config -> catalog run -> probes -> one renderer.
// Exit codes: 0 nothing failed, 1 something failed, 2 usage or config error.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
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
#include "nodereport/api.hpp"
#include "nodereport/condition.hpp"
#include "nodereport/reporter.hpp"

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

/// The one place a duration flag is parsed ("--interval: ..." errors name the flag).
Result<std::chrono::milliseconds> duration_flag(const std::string& flag, const std::string& text) {
  auto d = parse_duration(text);
  if (!d) return fail(flag + ": " + d.error());
  return d;
}

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

/// Writes `text` to `path` atomically: a temp file in the same directory, fsync, rename, so a
/// reader (node_exporter's textfile collector, a CI step) never sees half a report.
Result<bool> write_file_atomically(const std::string& path, const std::string& text) {
  const std::filesystem::path target(path);
  const auto dir = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::string tmpl = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return fail("--output-file " + path + ": cannot create a temp file in " + dir.string() + ": " + std::strerror(errno));
  std::size_t off = 0;
  while (off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmpl.c_str());
      return fail("--output-file " + path + ": cannot write " + tmpl + ": " + std::strerror(err));
    }
    off += static_cast<std::size_t>(n);
  }
  ::fchmod(fd, 0644);
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    return fail("--output-file " + path + ": cannot flush " + tmpl + ": " + std::strerror(err));
  }
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmpl.c_str());
    return fail("--output-file " + path + ": cannot rename " + tmpl + " to it: " + std::strerror(err));
  }
  return true;
}

/// Node and namespace names go into URL paths: DNS-1123 subdomain characters only.
bool valid_k8s_name(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
  }
  return true;
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

/// Options of the node-report subcommand.
struct NodeReportFlags {
  std::string node_name = env_or("NODE_NAME", "");
  std::string interval = "60s";
  std::string request_timeout = "10s";
  bool manage_taint = false;
  bool once = false;
  std::string api_host = env_or("KUBERNETES_SERVICE_HOST", "");
  std::string api_port = env_or("KUBERNETES_SERVICE_PORT", "443");
  std::string token_file = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string ca_file = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
};

void add_node_report_flags(CLI::App& sub, NodeReportFlags& f) {
  sub.add_option("--node-name", f.node_name, "This Node's name (default $NODE_NAME: the Pod's spec.nodeName)");
  sub.add_option("--interval", f.interval, "Time between report cycles (default 60s)");
  sub.add_flag("--manage-taint", f.manage_taint,
               "Keep the taint gopreflight.io/not-ready:NoSchedule on the Node while GoReady is False");
  sub.add_option("--apiserver-host", f.api_host, "apiserver address (default $KUBERNETES_SERVICE_HOST)");
  sub.add_option("--apiserver-port", f.api_port, "apiserver port (default $KUBERNETES_SERVICE_PORT or 443)");
  sub.add_option("--token-file", f.token_file, "Service-account token, re-read when it changes");
  sub.add_option("--ca-file", f.ca_file, "Cluster CA bundle");
  sub.add_option("--request-timeout", f.request_timeout, "Timeout of each API request (default 10s)");
  sub.add_flag("--once", f.once, "One cycle, then exit: 0 when the condition was written, 1 otherwise");
  sub.fallthrough();  // --config, --path.procfs, --path.sysfs, --list belong to the main command
}

/// Blocks SIGTERM/SIGINT so they are taken only in sleep_until_signal (never mid-request).
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

/// Sleeps up to `d`; false when SIGTERM or SIGINT arrived (pending ones count at once).
bool sleep_until_signal(std::chrono::milliseconds d) {
  const sigset_t set = stop_signals();
  const auto end = std::chrono::steady_clock::now() + d;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(end - std::chrono::steady_clock::now());
    if (left.count() < 0) left = std::chrono::nanoseconds(0);
    timespec ts{static_cast<time_t>(left.count() / 1000000000), static_cast<long>(left.count() % 1000000000)};
    const int sig = ::sigtimedwait(&set, nullptr, &ts);
    if (sig == SIGTERM || sig == SIGINT) return false;
    if (sig < 0 && errno == EAGAIN) return true;
    if (sig < 0 && errno != EINTR) return true;
  }
}

int run_node_report(const NodeReportFlags& f, const std::string& config_file, const HostPaths& paths) {
  if (f.node_name.empty()) return usage_error("node-report: --node-name is required (or NODE_NAME from the downward API spec.nodeName)");
  if (!valid_k8s_name(f.node_name)) return usage_error("node-report: --node-name \"" + f.node_name + "\" is not a valid Node name");
  if (f.api_host.empty()) return usage_error("node-report: --apiserver-host is required (or KUBERNETES_SERVICE_HOST, set in every Pod)");
  auto port = nodereport::parse_port(f.api_port);
  if (!port) return usage_error("node-report: --apiserver-port: " + port.error());
  auto interval = duration_flag("--interval", f.interval);
  if (!interval) return usage_error(interval.error());
  if (interval->count() < 1000) return usage_error("--interval: at least 1s");
  auto timeout = duration_flag("--request-timeout", f.request_timeout);
  if (!timeout) return usage_error(timeout.error());
  if (timeout->count() <= 0) return usage_error("--request-timeout: must be greater than 0");
  if (::access(f.ca_file.c_str(), R_OK) != 0) {
    return usage_error("node-report: --ca-file " + f.ca_file + ": " + std::strerror(errno));
  }

  // Trust only the cluster CA, as client-go does: the probes' Conn also loads OpenSSL's default
  // verify paths, which these variables point at the CA file (and its directory, which has no
  // hashed names). Loading the system bundle on every connection also cost ~25 ms of CPU.
  ::setenv("SSL_CERT_FILE", f.ca_file.c_str(), 1);
  ::setenv("SSL_CERT_DIR", std::filesystem::path(f.ca_file).parent_path().c_str(), 1);

  nodereport::ApiConfig api_cfg;
  api_cfg.host = f.api_host;
  api_cfg.port = *port;
  api_cfg.ca_file = f.ca_file;
  api_cfg.token_file = f.token_file;
  api_cfg.timeout = *timeout;
  nodereport::ApiClient api(api_cfg);

  nodereport::ReporterOptions opts;
  opts.node_name = f.node_name;
  opts.interval = *interval;
  opts.manage_taint = f.manage_taint;
  opts.config_file = config_file;
  opts.paths = paths;
  SystemClock clock;
  nodereport::Reporter reporter(opts, api, clock, sleep_until_signal);
  if (auto ok = reporter.load_config(); !ok) return usage_error(ok.error());

  const sigset_t set = stop_signals();
  ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
  auto log = [](const std::string& line) {
    std::cerr << "gopreflight-check node-report: " << line << std::endl;
  };
  log("node " + f.node_name + ": reporting " + std::string(nodereport::kConditionType) + " every " +
      f.interval + " to " + f.api_host + ":" + std::to_string(*port) +
      (f.manage_taint ? " (taint managed)" : ""));
  return nodereport::run_loop(reporter, sleep_until_signal, f.once, log);
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
  app.add_option("-o,--output", output, "Report format: text, json, junit or prometheus")
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
  std::string output_file;
  app.add_option("--output-file", output_file,
                 "Write the report here instead of stdout (atomically: temp file + rename)");
  app.set_version_flag("--version", kVersion);
  (void)strict_flag;
  auto* version_cmd = app.add_subcommand("version", "Print the version, then exit");
  NodeReportFlags nr;
  auto* node_report = app.add_subcommand(
      "node-report",
      "Run as a DaemonSet: every --interval, run the node-wide checks (scope node in --list) and set\n"
      "the Node condition gopreflight.io/GoReady through the Kubernetes API (docs/node-report.md).\n"
      "Also takes the main options --config, --path.procfs, --path.sysfs and --list (node-wide checks).");
  add_node_report_flags(*node_report, nr);

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
    if (version_cmd->parsed()) {
      std::cout << kVersion << "\n";
      return 0;
    }
    if (node_report->parsed()) {
      if (list) {  // the checks node-report runs
        std::vector<CheckDef> node_wide;
        for (const auto& d : catalog) {
          if (d.scope == "node") node_wide.push_back(d);
        }
        std::cout << (output == "json" ? render_catalog_json(node_wide) : render_catalog_text(node_wide));
        return 0;
      }
      if (!only_raw.empty() || !skip_raw.empty() || !probe_args.empty() || !output_file.empty()) {
        return usage_error("node-report runs every node-wide check (scope node in --list); --only, --skip, "
                           "--probe and --output-file do not apply (skip checks in the config's `skip:`)");
      }
      HostPaths nr_paths;
      nr_paths.procfs = procfs;
      nr_paths.sysfs = sysfs;
      return run_node_report(nr, config_file, nr_paths);
    }
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
      auto d = duration_flag("--probe-deadline", probe_deadline_text);
      if (!d) return usage_error(d.error());
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
    const bool color = output_file.empty() && output == "text" && ::isatty(STDOUT_FILENO) == 1 &&
                       (!no_color || !*no_color);
    std::string rendered;
    if (output == "json") rendered = render_json(report);
    else if (output == "junit") rendered = render_junit(report);
    else if (output == "prometheus") rendered = render_prometheus(report);
    else rendered = render_text(report, color);
    if (output_file.empty()) {
      std::cout << rendered;
      std::cout.flush();
    } else if (auto ok = write_file_atomically(output_file, rendered); !ok) {
      std::cerr << "gopreflight-check: " << ok.error() << "\n";
      return 2;
    }

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
