// SPDX-License-Identifier: MIT
// (stub: to be written)
#include "commands.h"

int wg::set_main(int, char*[]) { return 1; }
