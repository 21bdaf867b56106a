#include "cli/cli.h"

int main(int argc, char** argv) { return fastappkit::run_cli(argc, argv); }
