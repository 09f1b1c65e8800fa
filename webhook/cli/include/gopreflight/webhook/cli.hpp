#pragma once
/// Sub-commands of gopreflight-webhook; each owner registers its own options on the CLI11 app.
/// The callbacks store the process exit code in `exit_code`. Only cmd/ and the server's `serve`
/// see this header: the engine library (gopreflight::webhook) does not depend on CLI11.
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace gopreflight::webhook::cli {

/// `review`, `policy lint` and `version` (webhook/cli/review_cli.cpp).
void register_review_commands(CLI::App& app, int& exit_code);
/// `serve` (webhook/server/cli_serve.cpp).
void register_serve_command(CLI::App& app, int& exit_code);

/// The project version (CMake's project(VERSION)).
std::string_view version();
/// Writes `content` to `path` through a temporary file in the same directory and rename(2).
bool write_file_atomically(const std::string& path, std::string_view content, std::string& error);

}  // namespace gopreflight::webhook::cli
