// `gopreflight-webhook serve`: flags to ServeOptions, then run_serve (webhook/server/server.cpp).
#include "gopreflight/webhook/cli.hpp"
#include "gopreflight/webhook/server.hpp"

namespace gopreflight::webhook::cli {

void register_serve_command(CLI::App& app, int& exit_code) {
  auto opts = std::make_shared<server::ServeOptions>();
  auto policy = std::make_shared<std::string>();
  auto client_ca = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve /validate and /mutate over HTTPS (admission webhook)");
  cmd->add_option("--listen", opts->listen, "HOST:PORT to listen on ([::]:PORT for IPv6)")
      ->capture_default_str();
  cmd->add_option("--tls-cert-file", opts->cert_file, "PEM certificate (leaf first, then intermediates); re-read on change");
  cmd->add_option("--tls-private-key-file", opts->key_file, "PEM private key; re-read on change");
  cmd->add_option("--policy", *policy, "Policy file (YAML or JSON); re-read on change. Default: built-in policy");
  cmd->add_option("--client-ca-file", *client_ca, "Require client certificates signed by these CAs (PEM)");
  cmd->add_option("--log-level", opts->log_level, "trace|debug|info|warn|error|off")->capture_default_str();
  cmd->add_flag("--dev-self-signed", opts->dev_self_signed,
                "Make a throwaway CA and certificate for localhost, print the caBundle, then serve");
  cmd->add_option("--max-connections", opts->max_connections,
                  "Connections served at once; later ones wait, accepted, for a free slot (as many again; the oldest waiter is closed when that queue is full)")
      ->capture_default_str();
  cmd->add_option("--worker-threads", opts->worker_threads,
                  "Threads serving connections, each an event loop (0: 8 per CPU the process may use, "
                  "from its affinity mask and cgroup cpu.max; 2 to 128)")
      ->capture_default_str();
  cmd->add_option("--keep-alive-timeout", opts->keep_alive_timeout_s, "Seconds an idle connection is kept")
      ->capture_default_str();
  cmd->add_option("--handshake-timeout", opts->handshake_timeout_s,
                  "Seconds from accept (time queued included) to a finished TLS handshake")
      ->capture_default_str();
  cmd->add_option("--read-timeout", opts->read_timeout_s,
                  "Seconds a whole request may take, first byte to last, however it trickles in "
                  "(also: from the handshake to the first request)")
      ->capture_default_str();
  cmd->add_option("--write-timeout", opts->write_timeout_s, "Seconds a whole answer may take to be sent")
      ->capture_default_str();
  cmd->add_option("--max-body-bytes", opts->max_body_bytes, "Largest request body; 413 above")->capture_default_str();
  cmd->add_option("--reload-interval-ms", opts->reload_interval_ms,
                  "How often certificate and policy files are checked for changes")
      ->capture_default_str();
  cmd->add_option("--shutdown-delay", opts->shutdown_delay_s,
                  "Seconds to keep serving (readyz 503) after SIGTERM before closing the listener")
      ->capture_default_str();
  cmd->add_option("--shutdown-grace-period", opts->shutdown_grace_s,
                  "Seconds in-flight requests get to finish after the listener closes")
      ->capture_default_str();
  cmd->callback([opts, policy, client_ca, &exit_code] {
    if (!policy->empty()) opts->policy_file = *policy;
    if (!client_ca->empty()) opts->client_ca_file = *client_ca;
    exit_code = server::run_serve(*opts);
  });
}

}  // namespace gopreflight::webhook::cli
