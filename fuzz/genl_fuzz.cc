// SPDX-License-Identifier: MIT
// DeviceDumpParser on arbitrary bytes walked as a stream of netlink messages, the way the
// backend hands it each message of a GET_DEVICE dump (mnl_cb_run has checked only that
// nlmsg_len fits the buffer). The first byte chooses collecting or streaming peers. A device
// that parses is encoded as SET_DEVICE messages (split small when the fuzzer asks) and parsed
// back: the peers, their keys and allowed IPs must survive.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include <wgkit/error.h>

#include "fuzz_common.h"
#include "../lib/wireguard/genl_codec.h"

using wgkit_fuzz::check;

namespace {

/// The message bytes in a buffer aligned as the receive buffer is (nlmsghdr, nlattr).
std::vector<std::uint32_t> aligned_copy(const std::uint8_t* data, std::size_t size)
{
    std::vector<std::uint32_t> buffer((size + 3) / 4);
    if (size)
        std::memcpy(buffer.data(), data, size);
    return buffer;
}

std::optional<wgkit::Device> parse_stream(const void* bytes, std::size_t size, bool streaming)
{
    std::vector<wgkit::Peer> streamed;
    wgkit::genl::DeviceDumpParser::PeerSink sink;
    if (streaming)
        sink = [&streamed](const wgkit::Device&, wgkit::Peer&& peer) { streamed.push_back(std::move(peer)); };
    wgkit::genl::DeviceDumpParser parser(sink);
    const auto* at = static_cast<const std::uint8_t*>(bytes);
    try {
        // Not mnl_nlmsg_ok: it compares nlmsg_len as a signed int, so a length of 2^31 or
        // more passes and mnl_nlmsg_next then jumps out of the buffer (found by this target;
        // the kernel never sends such a length, so the backend's mnl_cb_run is not at risk).
        while (size >= sizeof(nlmsghdr)) {
            const auto* nlh = reinterpret_cast<const nlmsghdr*>(at);
            if (nlh->nlmsg_len < sizeof(nlmsghdr) || nlh->nlmsg_len > size)
                break;
            parser.parse(nlh);
            std::size_t step = std::min<std::size_t>(NLMSG_ALIGN(nlh->nlmsg_len), size);
            at += step;
            size -= step;
        }
    } catch (const wgkit::Error& e) {
        check(e.code() == EPROTO, "a malformed dump is EPROTO");
        return std::nullopt;
    }
    wgkit::Device device = parser.finish();
    if (streaming) {
        check(device.peers.empty(), "a streaming parser keeps no peers");
        device.peers = std::move(streamed);
    }
    return device;
}

/// Re-encodes `device` as a set request and parses the messages back.
void round_trip(const wgkit::Device& device, std::size_t message_size)
{
    std::vector<std::vector<std::uint8_t>> messages;
    try {
        messages = wgkit::genl::encode_set_device(device, 0x20, message_size);
    } catch (const wgkit::Error& e) {
        check(e.code() == EMSGSIZE, "encoding fails only for a too small message");
        return;
    }
    std::vector<std::uint8_t> stream;
    for (const std::vector<std::uint8_t>& m : messages)
        stream.insert(stream.end(), m.begin(), m.end());
    std::vector<std::uint32_t> buffer = aligned_copy(stream.data(), stream.size());
    std::optional<wgkit::Device> back = parse_stream(buffer.data(), stream.size(), false);
    check(back.has_value(), "an encoded request parses");
    check(back->peers.size() == device.peers.size(), "peers survive encoding");
    for (std::size_t i = 0; i < device.peers.size(); ++i) {
        const wgkit::Peer& a = device.peers[i];
        const wgkit::Peer& b = back->peers[i];
        check(a.public_key == b.public_key, "public keys survive encoding");
        check(a.allowed_ips == b.allowed_ips, "allowed IPs survive encoding");
        check(a.preshared_key == b.preshared_key, "preshared keys survive encoding");
        check(a.persistent_keepalive == b.persistent_keepalive, "keepalive survives encoding");
    }
}

} // namespace

void wgkit_fuzz::genl_input(const std::uint8_t* data, std::size_t size)
{
    if (size < 2)
        return;
    bool streaming = data[0] & 1;
    // 0: the backend's default size; else a small one that forces splitting.
    std::size_t message_size = data[1] ? 64 + data[1] * 4 : wgkit::genl::kDefaultSetMessageSize;
    std::vector<std::uint32_t> buffer = aligned_copy(data + 2, size - 2);
    std::optional<wgkit::Device> device = parse_stream(buffer.data(), size - 2, streaming);
    if (device)
        round_trip(*device, message_size);
}

WGKIT_FUZZ_TARGET(genl_input)
