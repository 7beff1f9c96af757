#pragma once
// sshttpd's `shell` line mode (docs/sshweb.md): a greeting naming the tier, then each channel read is one
// command line, run with the text output form and answered by its text and a new prompt; `quit` or
// `exit`, the client's EOF or the idle timeout end it. For people typing at a site with plain `ssh`.
#include <chrono>
#include <functional>
#include <string>

#include <libssh/libssh.h>

#include "native/sshweb/site_commands.hpp"

namespace sshrelay::sshweb {

// `on_command` is told of each line run (for the audit and the log). Blocks until the shell ends.
void run_line_shell(ssh_channel channel, const ClientIdentity& client, SiteCommands& commands,
                    std::chrono::milliseconds idle_timeout,
                    const std::function<void(const CommandResult&)>& on_command);

}  // namespace sshrelay::sshweb
