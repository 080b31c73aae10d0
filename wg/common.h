// SPDX-License-Identifier: MIT
// What the subcommands of wg/ share: names, warnings, error text, applying a request.
#pragma once

#include <net/if.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include <wgkit/config.h>
#include <wgkit/error.h>
#include <wgkit/wireguard.h>

namespace wg {

/// The original copies the name with strncpy(IFNAMSIZ - 1): longer names are silently
/// truncated to 15 characters (reference §7.3; kept, scripts may rely on it).
inline std::string interface_name(std::string_view arg)
{
    return std::string(arg.substr(0, IFNAMSIZ - 1));
}

/// The name `wg show` prints for a device read by `requested`: the backend's, unless it gave
/// none or one too long to be real, then the requested name as the original stores it.
inline void show_requested_name(wgkit::Device& device, std::string_view requested)
{
    if (device.name.empty() || device.name.size() > IFNAMSIZ - 1)
        device.name = interface_name(requested);
}

/// The text after "Unable to ...: ": strerror of the errno behind the error, as the original's
/// perror prints it (the library's message when there is no errno).
inline std::string error_text(const wgkit::Error& e)
{
    return e.code() ? std::strerror(e.code()) : e.what();
}

/// Parser warnings go to stderr, one line each, and do not change the exit status.
inline wgkit::WarningSink stderr_warnings()
{
    return [](const std::string& message) {
        std::fputs(message.c_str(), stderr);
        if (message.empty() || message.back() != '\n')
            std::fputc('\n', stderr);
    };
}

/// Sends the request; on failure prints the original's message. Returns the exit status.
inline int apply_device(const wgkit::Device& device)
{
    try {
        wgkit::set_device(device);
    } catch (const wgkit::Error& e) {
        std::fprintf(stderr, "Unable to modify interface: %s\n", error_text(e).c_str());
        return 1;
    }
    return 0;
}

} // namespace wg
