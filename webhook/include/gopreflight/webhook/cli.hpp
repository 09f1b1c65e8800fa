#pragma once
/// Sub-commands of gopreflight-webhook; each owner registers its own options on the CLI11 app.
/// The callbacks store the process exit code in `exit_code`.
#include <CLI/CLI.hpp>

namespace gopreflight::webhook::cli {

/// `review` and `policy lint` (webhook/src/cli_review.cpp).
void register_review_commands(CLI::App& app, int& exit_code);
/// `serve` (webhook/server/cli_serve.cpp).
void register_serve_command(CLI::App& app, int& exit_code);

}  // namespace gopreflight::webhook::cli
