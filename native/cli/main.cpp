// sshrelay: the command line client of sshrelayd. See docs/cli.md and `sshrelay --help`.
#include <string>
#include <vector>

#include "native/cli/app.hpp"

int main(int argc, char** argv) {
  return sshrelay::cli::run_app(std::vector<std::string>(argv + 1, argv + argc));
}
