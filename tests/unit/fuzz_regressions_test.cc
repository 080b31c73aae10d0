// SPDX-License-Identifier: MIT
// Every fuzz seed (fuzz/corpus/<target>/) and every input that once crashed a fuzz target
// (fuzz/regressions/<target>/, named after what broke), replayed through the targets' own
// functions: fuzz/*_fuzz.cc are compiled into this test without libFuzzer, so the same
// properties run in the ordinary build and under the CI's ASan+UBSan build. A failing
// property is a test failure naming the input file; a crash is one too.
#include <catch2/catch.hpp>

#include <dlfcn.h>
#include <netdb.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "../../fuzz/fuzz_common.h"

namespace fs = std::filesystem;

namespace {

struct PropertyFailed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

} // namespace

void wgkit_fuzz::property_failed(const char* what)
{
    throw PropertyFailed(what);
}

// The fuzz build wraps getaddrinfo with the linker; here the test executable's own definition
// takes the place of libc's for libwgkit. Either way a host name in a replayed input fails as
// unknown instead of asking the DNS.
extern "C" int getaddrinfo(const char* node, const char* service, const addrinfo* hints,
                           addrinfo** res)
{
    using Fn = int (*)(const char*, const char*, const addrinfo*, addrinfo**);
    static const Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "getaddrinfo"));
    addrinfo numeric{};
    if (hints)
        numeric = *hints;
    if (node)
        numeric.ai_flags |= AI_NUMERICHOST;
    return real(node, service, &numeric, res);
}

namespace {

struct Target {
    const char* name;
    void (*input)(const std::uint8_t*, std::size_t);
};

const Target targets[] = {
    {"config", wgkit_fuzz::config_input}, {"key", wgkit_fuzz::key_input},
    {"uapi", wgkit_fuzz::uapi_input},     {"genl", wgkit_fuzz::genl_input},
    {"wg_set", wgkit_fuzz::wg_set_input}, {"quick", wgkit_fuzz::quick_input},
};

/// fuzz/ in the source tree (WGKIT_TEST_DATA is tests/unit/data, which need not exist).
fs::path fuzz_dir()
{
    return fs::path(WGKIT_TEST_DATA).parent_path().parent_path().parent_path() / "fuzz";
}

std::vector<fs::path> files_in(const fs::path& dir)
{
    std::vector<fs::path> files;
    if (fs::is_directory(dir))
        for (const fs::directory_entry& e : fs::directory_iterator(dir))
            if (e.is_regular_file())
                files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

/// Runs every file of `kind` (corpus or regressions) through its target; returns how many.
std::size_t replay(const char* kind)
{
    setenv("WG_ENDPOINT_RESOLUTION_RETRIES", "0", 1);
    std::size_t count = 0;
    for (const Target& target : targets) {
        for (const fs::path& file : files_in(fuzz_dir() / kind / target.name)) {
            std::ifstream in(file, std::ios::binary);
            std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), {}};
            INFO(file.string());
            try {
                target.input(bytes.data(), bytes.size());
            } catch (const PropertyFailed& e) {
                FAIL_CHECK("property failed: " << e.what());
            }
            ++count;
        }
    }
    return count;
}

} // namespace

TEST_CASE("every fuzz target has seeds, and they keep every property", "[fuzz]")
{
    for (const Target& target : targets) {
        INFO(target.name);
        CHECK(files_in(fuzz_dir() / "corpus" / target.name).size() >= 5);
    }
    CHECK(replay("corpus") >= 50);
}

TEST_CASE("every input that once crashed a fuzz target now keeps every property", "[fuzz]")
{
    // One file per finding; the report that found it is in the commit adding the file.
    CHECK(replay("regressions") >= 1);
}
