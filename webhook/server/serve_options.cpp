// `serve`'s flags, checked before anything is read or opened (see check_serve_options).
#include <spdlog/common.h>

#include <algorithm>
#include <climits>
#include <string>

#include "gopreflight/webhook/server.hpp"

namespace gopreflight::webhook::server {

Result<ListenAddress> check_serve_options(const ServeOptions& o) {
  std::string err;
  auto listen = parse_listen(o.listen, err);
  if (!listen) return fail(err);

  // Certificates: a pair of files, or --dev-self-signed alone.
  const bool cert = !o.cert_file.empty(), key = !o.key_file.empty();
  if (o.dev_self_signed && (cert || key)) {
    return fail("--dev-self-signed makes its own certificate: drop --tls-cert-file/--tls-private-key-file");
  }
  if (!o.dev_self_signed && !cert && !key) {
    return fail("--tls-cert-file and --tls-private-key-file are required (or --dev-self-signed)");
  }
  if (!o.dev_self_signed && !key) return fail("--tls-private-key-file is required with --tls-cert-file");
  if (!o.dev_self_signed && !cert) return fail("--tls-cert-file is required with --tls-private-key-file");

  // Numbers: each flag, its value and its range. Timeouts are seconds, at most a day.
  struct Bound {
    const char* flag;
    long long value, min, max;
    const char* note;
  };
  constexpr long long kDay = 86400;
  const Bound bounds[] = {
      {"--max-connections", o.max_connections, 1, INT_MAX, ""},
      {"--worker-threads", o.worker_threads, 0, 1024, " (0: 8 per CPU)"},
      {"--keep-alive-timeout", o.keep_alive_timeout_s, 1, kDay, " seconds"},
      {"--handshake-timeout", o.handshake_timeout_s, 1, kDay, " seconds"},
      {"--read-timeout", o.read_timeout_s, 1, kDay, " seconds"},
      {"--write-timeout", o.write_timeout_s, 1, kDay, " seconds"},
      {"--reload-interval-ms", o.reload_interval_ms, 10, INT_MAX, ""},
      {"--shutdown-delay", o.shutdown_delay_s, 0, kDay, " seconds"},
      {"--shutdown-grace-period", o.shutdown_grace_s, 1, kDay, " seconds"},
      {"--max-body-bytes", static_cast<long long>(std::min<std::size_t>(o.max_body_bytes, LLONG_MAX)), 1, LLONG_MAX, ""},
  };
  for (const auto& b : bounds) {
    if (b.value >= b.min && b.value <= b.max) continue;
    const std::string range = b.max == INT_MAX || b.max == LLONG_MAX
                                  ? std::to_string(b.min) + " or more"
                                  : std::to_string(b.min) + ".." + std::to_string(b.max);
    return fail(std::string(b.flag) + " " + std::to_string(b.value) + ": must be " + range + b.note);
  }

  if (spdlog::level::from_str(o.log_level) == spdlog::level::off && o.log_level != "off") {
    return fail("--log-level " + o.log_level + ": expected trace, debug, info, warn, error, critical or off");
  }
  return *listen;
}

}  // namespace gopreflight::webhook::server
