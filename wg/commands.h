// SPDX-License-Identifier: MIT
// One entry point per subcommand; wg/main.cc's table dispatches to them. Each receives
// argc/argv starting at the subcommand name (argv[0] == "show", ...) and PROG_NAME, the
// program name as invoked (argv[0] of main), for usage texts. Returns the exit status.
#pragma once

namespace wg {

extern const char* PROG_NAME;

int show_main(int argc, char* argv[]);
int showconf_main(int argc, char* argv[]);
int set_main(int argc, char* argv[]);
int setconf_main(int argc, char* argv[]);   // setconf, addconf and syncconf (argv[0] says which)
int genkey_main(int argc, char* argv[]);    // genkey and genpsk (argv[0] says which)
int pubkey_main(int argc, char* argv[]);

} // namespace wg
