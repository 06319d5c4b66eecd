#pragma once
// The command line (SPEC section 2): parses arguments, runs a subcommand, returns the exit code.

namespace tasksrun {

int run_cli(int argc, char** argv);

}  // namespace tasksrun
