// SPDX-License-Identifier: MIT
// What every wgkit fuzz target shares: a property check that crashes loudly, the entry point of
// each target, and (in fuzz_common.cc) the setup that keeps the parsers off the network.
// The targets are also compiled into tests/unit/fuzz_regressions_test.cc, where
// property_failed throws and the test replays every seed and every input that once crashed
// through the same functions.
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

// One input of each target.
void config_input(const std::uint8_t* data, std::size_t size);
void key_input(const std::uint8_t* data, std::size_t size);
void uapi_input(const std::uint8_t* data, std::size_t size);
void genl_input(const std::uint8_t* data, std::size_t size);
void wg_set_input(const std::uint8_t* data, std::size_t size);
void quick_input(const std::uint8_t* data, std::size_t size);

inline std::string_view as_text(const std::uint8_t* data, std::size_t size)
{
    return {reinterpret_cast<const char*>(data), size};
}

} // namespace wgkit_fuzz

/// libFuzzer's entry point calling `function`, in the fuzz build only (fuzz/meson.build defines
/// WGKIT_FUZZ_LIBFUZZER); the replay test calls the functions itself.
#ifdef WGKIT_FUZZ_LIBFUZZER
#define WGKIT_FUZZ_TARGET(function)                                                          \
    extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)       \
    {                                                                                        \
        wgkit_fuzz::function(data, size);                                                    \
        return 0;                                                                            \
    }
#else
#define WGKIT_FUZZ_TARGET(function)
#endif
