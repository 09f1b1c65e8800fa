// gopreflight-check: the node and Pod check that runs before a Go service starts.
// All logic lives in gopreflight::initcheck.
#include "gopreflight/initcheck/cli.hpp"

int main(int argc, char** argv) { return gopreflight::initcheck::cli_main(argc, argv); }
