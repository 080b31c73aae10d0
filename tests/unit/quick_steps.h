// SPDX-License-Identifier: MIT
#pragma once

// Shared by the wg-quick unit tests: a plan as the `[#]` lines it would print.

#include <string>
#include <vector>

#include <wgkit/quick.h>

inline std::vector<std::string> transcript(const std::vector<wgkit::quick::Step>& steps) {
    std::vector<std::string> out;
    for (const wgkit::quick::Step& s : steps)
        out.push_back(s.transcript);
    return out;
}
