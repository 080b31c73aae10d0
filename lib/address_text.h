// SPDX-License-Identifier: MIT
// Address text shared by the model (AllowedIp, Endpoint) and the showconf writer. Internal.
#pragma once

#include <cstdint>
#include <string>

namespace wgkit::address_text {

/// Appends inet_ntop's text for an AF_INET (4 bytes) or AF_INET6 (16 bytes) address. IPv4 is
/// written without inet_ntop, whose sprintf dominated showconf with 10^5 allowed IPs.
/// Returns false (appending nothing) for another family.
bool append_ip(std::string& out, int family, const void* address);

} // namespace wgkit::address_text
