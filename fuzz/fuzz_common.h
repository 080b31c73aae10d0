// SPDX-License-Identifier: MIT
// What every wgkit fuzz target shares: a property check that crashes loudly, and (in
// fuzz_common.cc) the setup that keeps the parsers off the network.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wgkit_fuzz {

/// A property of the code under test failed: print what and abort, so libFuzzer saves the
/// input as a crash.
[[noreturn]] void property_failed(const char* what);

inline void check(bool ok, const char* what)
{
    if (!ok)
        property_failed(what);
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size)
{
    return {reinterpret_cast<const char*>(data), size};
}

} // namespace wgkit_fuzz
