// SPDX-License-Identifier: MIT
// (stub: to be written)
#include "commands.h"

int wg::showconf_main(int, char*[]) { return 1; }
