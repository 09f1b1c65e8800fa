#pragma once
/// Dependency probes (`probe.<name>`): tcp://, redis://, postgres://, etcd+http(s)://, http(s)://.
/// Implemented with plain sockets and OpenSSL (no cpp-httplib) so the binary can be static.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "gopreflight/initcheck/check.hpp"

namespace gopreflight::initcheck {

struct ProbeSpec {
  std::string name;  ///< result id is "probe." + name
  std::string url;   ///< tcp://h:p, redis://h:p, postgres://h:p, etcd://h:p | etcd+https://h:p, http(s)://...
  std::chrono::milliseconds timeout{2000};  ///< per attempt
  bool tls_insecure = false;  ///< https: skip certificate verification (off by default)
  std::string ca_file;        ///< https: extra CA bundle to trust
};

/// Parses "name=url" (flag/env form). Errors name the bad part.
Result<ProbeSpec> parse_probe_arg(std::string_view arg);

/// One attempt; never throws. pass on a correct answer, fail with the reason otherwise.
CheckResult run_probe_once(const ProbeSpec& spec);

/// Retries every probe that has not passed until all pass or `deadline` elapses (init containers
/// wait for dependencies), calling `progress` with a human line after each round.
std::vector<CheckResult> run_probes(const std::vector<ProbeSpec>& specs,
                                    std::chrono::milliseconds deadline,
                                    std::chrono::milliseconds interval,
                                    const std::function<void(const std::string&)>& progress);

}  // namespace gopreflight::initcheck
