#pragma once
/// The gopreflight-check command line (initcheck/src/cli.cpp). Returns the process exit code:
/// 0 nothing failed, 1 something failed, 2 usage or config error.
namespace gopreflight::initcheck {
int cli_main(int argc, char** argv);
}
