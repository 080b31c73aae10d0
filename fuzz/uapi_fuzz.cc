// SPDX-License-Identifier: MIT
// The UAPI reply parsers on arbitrary text, as a userspace implementation's socket could send
// it: decode_get (GetReplyParser line by line) and SetReplyParser. A device that decodes is
// then encoded as a set request and printed as showconf, whose text must parse again.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include <wgkit/config.h>
#include <wgkit/error.h>

#include "fuzz_common.h"
#include "../lib/wireguard/uapi_codec.h"

using wgkit_fuzz::check;

namespace {

void set_reply(std::string_view text)
{
    wgkit::uapi::SetReplyParser parser;
    try {
        while (!text.empty()) {
            std::size_t nl = text.find('\n');
            if (parser.feed(text.substr(0, nl)) || nl == std::string_view::npos)
                return;
            text.remove_prefix(nl + 1);
        }
    } catch (const wgkit::Error& e) {
        check(e.code() != 0, "a set reply error carries an errno");
    }
}

void get_reply(std::string_view text)
{
    wgkit::Device device;
    try {
        device = wgkit::uapi::decode_get(text);
    } catch (const wgkit::Error& e) {
        check(e.code() != 0, "a get reply error carries an errno");
        return;
    }
    wgkit::uapi::SecretString request = wgkit::uapi::encode_set(device);
    check(request.starts_with("set=1\n") && request.ends_with("\n\n"), "a set request is framed");

    std::string shown = wgkit::format_config(device);
    try {
        // addconf's reading: absent stays absent, as in the device showconf printed.
        wgkit::ParseOptions options;
        options.append = true;
        wgkit::Config again = wgkit::parse_config(shown, options);
        std::string reshown = wgkit::format_config(again.device);
        if (reshown != shown)
            std::fprintf(stderr, "showconf:\n%s\nparsed and shown again:\n%s\n", shown.c_str(), reshown.c_str());
        check(reshown == shown, "showconf of a get reply parses to itself");
    } catch (const wgkit::Error& e) {
        std::fprintf(stderr, "showconf:\n%s\nerror: %s\n", shown.c_str(), e.what());
        wgkit_fuzz::property_failed("showconf of a get reply parses");
    }
}

} // namespace

void wgkit_fuzz::uapi_input(const std::uint8_t* data, std::size_t size)
{
    std::string_view text = wgkit_fuzz::as_text(data, size);
    get_reply(text);
    set_reply(text);
}

WGKIT_FUZZ_TARGET(uapi_input)
