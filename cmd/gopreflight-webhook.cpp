// gopreflight-webhook: the admission webhook (`serve`) and the same engine offline (`review`,
// `policy lint`). All logic lives in gopreflight::webhook; this only wires sub-commands.
#include <exception>
#include <iostream>

#include "gopreflight/webhook/cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{"gopreflight-webhook: admission policy for Go services on Kubernetes"};
  app.require_subcommand(1);
  int exit_code = 0;
  gopreflight::webhook::cli::register_review_commands(app, exit_code);
  gopreflight::webhook::cli::register_serve_command(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;  // usage errors exit 2
  } catch (const std::exception& e) {
    std::cerr << "gopreflight-webhook: " << e.what() << "\n";
    return 2;
  }
  return exit_code;
}
