// SPDX-License-Identifier: MIT
// Address text shared by the model (AllowedIp, Endpoint) and the showconf writer. Internal.
#pragma once

#include <cstdint>
#include <string>

#include <wgkit/device.h>

namespace wgkit::address_text {

/// Appends inet_ntop's text for an AF_INET (4 bytes) or AF_INET6 (16 bytes) address. IPv4 is
/// written without inet_ntop, whose sprintf dominated showconf with 10^5 allowed IPs.
/// Returns false (appending nothing) for another family.
bool append_ip(std::string& out, int family, const void* address);

/// Appends getnameinfo's numeric "IP:PORT", or "[IPv6]:PORT", for `endpoint`; returns its error
/// code, appending nothing, when it has none. Without a scope the text is built directly (it is
/// inet_ntop's), since showconf writes one per peer.
int append_endpoint(std::string& out, const Endpoint& endpoint);

} // namespace wgkit::address_text
