// SPDX-License-Identifier: MIT
// Kernel WireGuard interfaces: every link whose IFLA_INFO_KIND is "wireguard" (reference §3.5).
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <string>
#include <string_view>
#include <vector>

#include <wgkit/wireguard.h>

#include "genl_codec.h"
#include "netlink_socket.h"

namespace wgkit::genl {

namespace {

/// The payload of a NUL-terminated string attribute (up to its first NUL), or empty if it
/// is not one.
std::string_view string_of(const nlattr* attr)
{
    std::size_t len = attr_payload_len(attr);
    const char* text = static_cast<const char*>(attr_payload(attr));
    if (len == 0 || text[len - 1] != '\0')
        return {};
    return text;
}

/// A nest too short for an attribute simply has none (AttrRange stops at the bounds).
bool is_wireguard(const nlattr* linkinfo)
{
    for (const nlattr* attr : AttrRange::of_nest(linkinfo))
        if (attr_type(attr) == IFLA_INFO_KIND)
            return string_of(attr) == "wireguard";
    return false;
}

} // namespace

std::vector<std::string> list_interfaces()
{
    NetlinkSocket socket(NETLINK_ROUTE);
    MessageWriter msg(256);
    std::uint32_t seq = socket.next_seq();
    auto* info = static_cast<ifinfomsg*>(
        msg.start(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, seq, sizeof(ifinfomsg)));
    info->ifi_family = AF_UNSPEC;
    socket.send(msg.bytes());

    std::vector<std::string> names;
    // A dump interrupted by links coming and going is still read to its end: busy hosts change
    // links all the time, and retrying could go on forever (the original keeps what it has).
    socket.receive(
        seq,
        [&](const nlmsghdr* nlh) {
            if (nlh->nlmsg_type != RTM_NEWLINK)
                return;
            std::string_view name;
            bool wireguard = false;
            for (const nlattr* attr : AttrRange::of_message(nlh, sizeof(ifinfomsg))) {
                if (attr_type(attr) == IFLA_IFNAME)
                    name = string_of(attr);
                else if (attr_type(attr) == IFLA_LINKINFO)
                    wireguard = is_wireguard(attr);
            }
            if (wireguard && !name.empty())
                names.emplace_back(name);
        },
        NetlinkSocket::OnInterrupt::Tolerate);
    return names;
}

} // namespace wgkit::genl
