#pragma once
/// The gopreflight-check command line (initcheck/src/cli.cpp). Returns the process exit code:
/// 0 nothing failed, 1 something failed, 2 usage or config error.
/// Subcommands: `version`; `node-report` (the DaemonSet mode, docs/node-report.md), which runs
/// until SIGTERM (exit 0), or with --once exits 0 when the condition was written, 1 otherwise.
namespace gopreflight::initcheck {
int cli_main(int argc, char** argv);
}
