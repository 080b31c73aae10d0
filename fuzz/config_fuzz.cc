// SPDX-License-Identifier: MIT
// wgkit::parse_config on arbitrary text, in the three ways the tools call it: wg setconf,
// wg addconf (append) and the library/wg-quick mode that accepts wg-quick's keys. A parse
// that succeeds must survive showconf: format_config's text parses again to the same text.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <wgkit/config.h>

#include "fuzz_common.h"

using wgkit_fuzz::check;

namespace {

std::optional<wgkit::Config> try_parse(std::string_view text, bool quick, bool append)
{
    wgkit::ParseOptions options;
    options.filename = "fuzz.conf";
    options.accept_quick_keys = quick;
    options.append = append;
    options.warn = [](const std::string& message) { check(!message.empty(), "a warning has text"); };
    try {
        return wgkit::parse_config(text, options);
    } catch (const wgkit::Error& e) {
        check(e.what()[0] != '\0', "an error has a message");
        return std::nullopt;
    }
}

} // namespace

void wgkit_fuzz::config_input(const std::uint8_t* data, std::size_t size)
{
    std::string_view text = wgkit_fuzz::as_text(data, size);

    std::optional<wgkit::Config> setconf = try_parse(text, false, false);
    try_parse(text, false, true);
    std::optional<wgkit::Config> quick = try_parse(text, true, false);
    // wg-quick keys only add to what wg accepts.
    check(!setconf || quick, "what wg accepts, the wg-quick mode accepts too");

    if (setconf) {
        std::string shown = wgkit::format_config(setconf->device);
        std::optional<wgkit::Config> again = try_parse(shown, false, false);
        check(again.has_value(), "showconf text parses");
        check(wgkit::format_config(again->device) == shown, "showconf text parses to itself");
    }
}

WGKIT_FUZZ_TARGET(config_input)
