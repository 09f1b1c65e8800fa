// gopreflight-check: the node and Pod check that runs before a Go service starts, and (node-report)
// the DaemonSet that keeps the Node condition gopreflight.io/GoReady up to date.
// All logic lives in gopreflight::initcheck.
#include "gopreflight/initcheck/cli.hpp"

int main(int argc, char** argv) { return gopreflight::initcheck::cli_main(argc, argv); }
