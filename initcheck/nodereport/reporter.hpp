#pragma once
/// node-report's loop: every interval, run the node-wide checks with the config's thresholds,
/// build the GoReady condition, and write it to the Node through the apiserver.
///
/// Requests per cycle: when nothing changed, one (the status patch, which is the heartbeat; its
/// reply is the Node, which also shows whether the taint is still as wanted). First cycle: a GET
/// of the Node first (the current condition's lastTransitionTime and the taints). On a transition
/// also an Event, and with the taint on, a taint patch (a GET again after a 409 Conflict).
/// Every failed request is retried with backoff within the cycle (429, 5xx, 409 and transport
/// errors), then left to the next cycle; no API error ends the loop.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gopreflight/initcheck/check.hpp"
#include "gopreflight/initcheck/config.hpp"
#include "nodereport/api.hpp"
#include "nodereport/condition.hpp"

namespace gopreflight::initcheck::nodereport {

struct ReporterOptions {
  std::string node_name;
  std::chrono::milliseconds interval{60000};
  bool manage_taint = false;  ///< gopreflight.io/not-ready:NoSchedule while False
  /// Events about a Node must be in "default" (the kubelet's): the apiserver refuses an Event
  /// whose involvedObject has no namespace in any other namespace (422, "involvedObject.namespace
  /// ... does not match event.namespace"), as tests/nodereport found.
  std::string event_namespace = "default";
  std::string config_file;    ///< re-read every cycle (a mounted ConfigMap changes in place)
  HostPaths paths;
  Backoff backoff;
  int max_attempts = 4;       ///< per request and cycle
};

/// What one cycle did, for the log line and the figures.
struct CycleOutcome {
  std::optional<NodeCondition> condition;  ///< empty when the checks could not be judged
  std::string previous_status;             ///< "" when the Node had none
  bool patched = false;
  bool transition = false;
  bool event = false;
  std::string taint;                       ///< "added", "removed" or ""
  int requests = 0;
  double check_ms = 0;                     ///< wall time of the checks
  double cpu_ms = 0;                       ///< CPU time of the whole cycle (filled by run_loop)
  std::vector<std::string> errors;         ///< each names the request or file and the cause
  bool stopped = false;                    ///< a stop was requested during a backoff wait
  bool ok() const { return errors.empty(); }
};

/// One line for the log: "node n1: gopreflight.io/GoReady=False (ThpEnabled) ...".
std::string describe(const CycleOutcome& o, const std::string& node);

class Reporter {
 public:
  /// Waits up to the given time; returns false when the process should stop (SIGTERM).
  using Sleep = std::function<bool(std::chrono::milliseconds)>;
  using Now = std::function<std::chrono::system_clock::time_point()>;

  Reporter(ReporterOptions opts, ApiClient& api, const ClockSource& clock, Sleep sleep,
           Now now = [] { return std::chrono::system_clock::now(); });

  /// Loads the config file (if any). At start-up an error is fatal (the CLI exits 2); in later
  /// cycles the last good config is kept and the error is reported.
  Result<bool> load_config();

  /// One report cycle (see the file comment).
  CycleOutcome cycle();

  const ReporterOptions& options() const { return opts_; }

 private:
  /// Runs `send` until it succeeds, fails for good, or attempts run out; sleeps between tries.
  Result<ApiResponse> with_retries(const std::string& what, const std::function<Result<ApiResponse>()>& send,
                                   CycleOutcome& out, const std::function<bool(const ApiResponse&)>& accept);
  bool read_node(CycleOutcome& out);
  void manage_taint(const NodeCondition& cond, CycleOutcome& out);

  ReporterOptions opts_;
  ApiClient& api_;
  const ClockSource& clock_;
  Sleep sleep_;
  Now now_;
  Config cfg_;
  bool have_node_ = false;
  bool taints_known_ = false;
  NodeView node_;
  std::optional<NodeCondition> last_written_;
  std::chrono::system_clock::time_point last_patch_{};
};

/// Runs cycles until `sleep` says stop (exit 0), logging one line per cycle and one per error.
/// `once`: a single cycle; exit 0 when it wrote the condition without error, 1 otherwise.
int run_loop(Reporter& reporter, const Reporter::Sleep& sleep, bool once,
             const std::function<void(const std::string&)>& log);

}  // namespace gopreflight::initcheck::nodereport
