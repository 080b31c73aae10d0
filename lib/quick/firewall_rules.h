// SPDX-License-Identifier: MIT
#pragma once

// Internal to lib/quick: the firewall text wg-quick's add_default builds for one family.

#include <cstdint>
#include <string>
#include <vector>

#include <wgkit/net.h>

namespace wgkit::quick {

/// The `nft -f` script: table wg-quick-IF with preraw/premangle/postmangle chains.
std::string nft_script(int family, const std::string& interface, std::uint32_t table,
                       const std::vector<net::Prefix>& addresses);
/// The `iptables-restore -n` input with the same rules.
std::string iptables_script(const std::string& interface, std::uint32_t table,
                            const std::vector<net::Prefix>& addresses);
/// The input that deletes every rule of `saved` (iptables-save output) commented as
/// wg-quick's rule for `interface`; empty when there is none.
std::string iptables_removal(const std::string& saved, const std::string& interface);

} // namespace wgkit::quick
