#pragma once
// The `sshrelay` command line: subcommand dispatch, top-level help, and the exit code of a usage error.
#include <string>
#include <vector>

namespace sshrelay::cli {

// argv without the program name. Returns the process exit code (exit_status.hpp).
int run_app(const std::vector<std::string>& args);

std::string top_level_help();

}  // namespace sshrelay::cli
