// SPDX-License-Identifier: MIT
// `wg set`'s option list parser, apart from set_main so the fuzz target (fuzz/wg_set_fuzz.cc)
// can drive it without a device to send to.
#pragma once

#include <span>

#include <wgkit/config.h>
#include <wgkit/device.h>

namespace wg {

/// Thrown for an unknown token or an option without its value.
struct InvalidArgument {
    const char* token;
};

/// Fills `device` from the option list (argv after the interface name). Device options are
/// accepted only before the first `peer`; tokens are compared case-sensitively. Endpoints are
/// resolved and key files read here; parser warnings go to `warn`. Throws InvalidArgument or
/// wgkit::Error.
void parse_arguments(std::span<char*> args, wgkit::Device& device, const wgkit::WarningSink& warn);

} // namespace wg
