// SPDX-License-Identifier: MIT
// Kernel netlink encoding without a kernel: SET_DEVICE requests are split, then applied to a
// small model of the kernel's wg_set_device, which also checks the splitting rules message by
// message (device attributes only first, REPLACE_ALLOWEDIPS only on a peer's first fragment,
// REMOVE_ME on every fragment, 16-bit nests, message size). Dump replies are built with the
// same writer and read back with the backend's parser.
#include "../../lib/wireguard/genl_codec.h"
#include "../../lib/wireguard/netlink_socket.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <wgkit/error.h>

using namespace wgkit;
using namespace wgkit::genl;

namespace {

constexpr std::uint16_t kFamily = 0x1234;

Key test_key(unsigned n, std::uint8_t salt = 0)
{
    std::uint8_t bytes[Key::size] = {};
    std::memcpy(bytes, &n, sizeof(n));
    bytes[31] = 0x40 | salt;
    return Key(bytes);
}

AllowedIp ip4(std::uint32_t host_order, std::uint8_t cidr, bool remove = false)
{
    AllowedIp ip;
    ip.family = AF_INET;
    std::uint32_t net = htonl(host_order);
    std::memcpy(ip.address.data(), &net, 4);
    ip.cidr = cidr;
    ip.remove = remove;
    return ip;
}

AllowedIp ip6(std::uint32_t n, std::uint8_t cidr)
{
    AllowedIp ip;
    ip.family = AF_INET6;
    ip.address[0] = 0xfd;
    std::memcpy(ip.address.data() + 12, &n, 4);
    ip.cidr = cidr;
    return ip;
}

Endpoint endpoint4(std::uint16_t port)
{
    Endpoint e;
    e.addr4.sin_family = AF_INET;
    e.addr4.sin_port = htons(port);
    e.addr4.sin_addr.s_addr = htonl(0x7f000001);
    return e;
}

Endpoint endpoint6(std::uint16_t port)
{
    Endpoint e;
    e.addr6.sin6_family = AF_INET6;
    e.addr6.sin6_port = htons(port);
    e.addr6.sin6_addr.s6_addr[15] = 1;
    return e;
}

// Minimal attribute access of our own, so the model does not share code with the encoder.
std::uint16_t type_of(const nlattr* a) { return a->nla_type & NLA_TYPE_MASK; }
const std::uint8_t* payload_of(const nlattr* a)
{
    return reinterpret_cast<const std::uint8_t*>(a) + NLA_HDRLEN;
}
std::size_t payload_len(const nlattr* a) { return a->nla_len - NLA_HDRLEN; }
template <class T> T value_of(const nlattr* a)
{
    REQUIRE(payload_len(a) == sizeof(T));
    T v;
    std::memcpy(&v, payload_of(a), sizeof(T));
    return v;
}
std::vector<const nlattr*> children(const std::uint8_t* p, std::size_t len)
{
    std::vector<const nlattr*> out;
    std::size_t off = 0;
    while (off + NLA_HDRLEN <= len) {
        const auto* a = reinterpret_cast<const nlattr*>(p + off);
        REQUIRE(a->nla_len >= NLA_HDRLEN);
        REQUIRE(off + a->nla_len <= len);
        out.push_back(a);
        off += NLA_ALIGN(a->nla_len);
    }
    REQUIRE(off == NLA_ALIGN(len));
    return out;
}
std::vector<const nlattr*> children(const nlattr* nest)
{
    return children(payload_of(nest), payload_len(nest));
}

/// What the kernel would hold after the requests; compared with what we meant to set.
struct ModelPeer {
    std::optional<Key> psk;
    std::optional<Endpoint> endpoint;
    std::optional<std::uint16_t> keepalive;
    std::vector<AllowedIp> ips;
};
struct Model {
    std::optional<Key> private_key;
    std::optional<std::uint16_t> port;
    std::optional<std::uint32_t> fwmark;
    std::map<Key, ModelPeer> peers;
    std::vector<Key> order;
    unsigned messages = 0;
    unsigned continued_fragments = 0;
};

AllowedIp model_ip(const nlattr* element)
{
    AllowedIp ip;
    bool has_flags = false;
    for (const nlattr* a : children(element)) {
        switch (type_of(a)) {
        case WGALLOWEDIP_A_FAMILY: ip.family = value_of<std::uint16_t>(a); break;
        case WGALLOWEDIP_A_IPADDR:
            REQUIRE(payload_len(a) == (ip.family == AF_INET6 ? 16u : 4u));
            std::memcpy(ip.address.data(), payload_of(a), payload_len(a));
            break;
        case WGALLOWEDIP_A_CIDR_MASK: ip.cidr = value_of<std::uint8_t>(a); break;
        case kAllowedIpAttrFlags:
            has_flags = true;
            ip.remove = value_of<std::uint32_t>(a) & kAllowedIpFlagRemoveMe;
            break;
        default: FAIL("unexpected allowed-IP attribute " << type_of(a));
        }
    }
    // The flags attribute goes only with a removal: older kernels reject it.
    REQUIRE(has_flags == ip.remove);
    return ip;
}

/// Applies one peer element. `continuing` is the key of the peer the previous message ended in.
void model_peer(Model& m, const nlattr* element, bool continues_previous)
{
    std::optional<Key> key;
    std::uint32_t flags = 0;
    bool has_fields = false;
    ModelPeer update;
    std::vector<AllowedIp> ips;
    for (const nlattr* a : children(element)) {
        switch (type_of(a)) {
        case WGPEER_A_PUBLIC_KEY:
            REQUIRE(payload_len(a) == Key::size);
            key = Key(payload_of(a));
            break;
        case WGPEER_A_FLAGS: flags = value_of<std::uint32_t>(a); break;
        case WGPEER_A_PRESHARED_KEY:
            REQUIRE(payload_len(a) == Key::size);
            update.psk = Key(payload_of(a));
            has_fields = true;
            break;
        case WGPEER_A_ENDPOINT: {
            Endpoint e;
            REQUIRE((payload_len(a) == sizeof(sockaddr_in) || payload_len(a) == sizeof(sockaddr_in6)));
            std::memcpy(&e.addr6, payload_of(a), payload_len(a));
            update.endpoint = e;
            has_fields = true;
            break;
        }
        case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
            update.keepalive = value_of<std::uint16_t>(a);
            has_fields = true;
            break;
        case WGPEER_A_ALLOWEDIPS:
            for (const nlattr* e : children(a))
                ips.push_back(model_ip(e));
            break;
        default: FAIL("unexpected peer attribute " << type_of(a));
        }
    }
    REQUIRE(key);
    if (continues_previous) {
        // A continued fragment: key, remove flag and allowed IPs, nothing else.
        ++m.continued_fragments;
        REQUIRE_FALSE(has_fields);
        REQUIRE((flags & WGPEER_F_REPLACE_ALLOWEDIPS) == 0);
    }
    if (flags & WGPEER_F_REMOVE_ME) {
        m.peers.erase(*key);
        std::erase(m.order, *key);
        return;
    }
    auto [it, inserted] = m.peers.try_emplace(*key);
    if (inserted)
        m.order.push_back(*key);
    ModelPeer& peer = it->second;
    if (update.psk)
        peer.psk = update.psk;
    if (update.endpoint)
        peer.endpoint = update.endpoint;
    if (update.keepalive)
        peer.keepalive = update.keepalive;
    if (flags & WGPEER_F_REPLACE_ALLOWEDIPS)
        peer.ips.clear();
    for (const AllowedIp& ip : ips) {
        if (ip.remove)
            std::erase_if(peer.ips, [&](const AllowedIp& x) {
                return x.family == ip.family && x.cidr == ip.cidr && x.address == ip.address;
            });
        else
            peer.ips.push_back(ip);
    }
}

/// Applies a whole split request, checking each message's framing and the splitting rules.
Model apply(const std::vector<std::vector<std::uint8_t>>& messages, std::size_t message_size,
            const std::string& name)
{
    Model m;
    std::optional<Key> last_key; // the key of the previous message's last peer element
    for (const std::vector<std::uint8_t>& bytes : messages) {
        ++m.messages;
        REQUIRE(bytes.size() <= message_size);
        const auto* nlh = reinterpret_cast<const nlmsghdr*>(bytes.data());
        REQUIRE(nlh->nlmsg_len == bytes.size());
        REQUIRE(nlh->nlmsg_type == kFamily);
        REQUIRE(nlh->nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK));
        const auto* genl = reinterpret_cast<const genlmsghdr*>(bytes.data() + NLMSG_HDRLEN);
        REQUIRE(genl->cmd == WG_CMD_SET_DEVICE);
        REQUIRE(genl->version == WG_GENL_VERSION);
        std::size_t attrs_at = NLMSG_HDRLEN + GENL_HDRLEN;
        bool first = m.messages == 1;
        bool has_name = false;
        std::optional<Key> this_last;
        for (const nlattr* a : children(bytes.data() + attrs_at, bytes.size() - attrs_at)) {
            switch (type_of(a)) {
            case WGDEVICE_A_IFNAME:
                has_name = true;
                REQUIRE(std::string(reinterpret_cast<const char*>(payload_of(a))) == name);
                break;
            case WGDEVICE_A_PRIVATE_KEY:
                REQUIRE(first);
                m.private_key = Key(payload_of(a));
                break;
            case WGDEVICE_A_LISTEN_PORT:
                REQUIRE(first);
                m.port = value_of<std::uint16_t>(a);
                break;
            case WGDEVICE_A_FWMARK:
                REQUIRE(first);
                m.fwmark = value_of<std::uint32_t>(a);
                break;
            case WGDEVICE_A_FLAGS:
                REQUIRE(first);
                REQUIRE(value_of<std::uint32_t>(a) == WGDEVICE_F_REPLACE_PEERS);
                m.peers.clear();
                m.order.clear();
                break;
            case WGDEVICE_A_PEERS: {
                std::vector<const nlattr*> elements = children(a);
                for (std::size_t i = 0; i < elements.size(); ++i) {
                    Key key(payload_of(children(elements[i]).at(0)));
                    bool continued = i == 0 && last_key && *last_key == key;
                    model_peer(m, elements[i], continued);
                    this_last = key;
                }
                break;
            }
            default: FAIL("unexpected device attribute " << type_of(a));
            }
        }
        REQUIRE(has_name);
        last_key = this_last;
    }
    return m;
}

void require_same(const Model& m, const Device& d)
{
    REQUIRE(m.private_key == d.private_key);
    REQUIRE(m.port == d.listen_port);
    REQUIRE(m.fwmark == d.fwmark);
    REQUIRE(m.order.size() == d.peers.size());
    for (std::size_t i = 0; i < d.peers.size(); ++i) {
        const Peer& want = d.peers[i];
        REQUIRE(m.order[i] == want.public_key);
        const ModelPeer& got = m.peers.at(want.public_key);
        REQUIRE(got.psk == want.preshared_key);
        REQUIRE(got.endpoint == want.endpoint);
        REQUIRE(got.keepalive == want.persistent_keepalive);
        REQUIRE(got.ips == want.allowed_ips);
    }
}

Device config_device(std::size_t peers, std::size_t ips_per_peer)
{
    Device d;
    d.name = "wg0";
    d.private_key = test_key(0xffffffff);
    d.listen_port = 51820;
    d.fwmark = 0;
    d.replace_peers = true;
    for (std::size_t p = 0; p < peers; ++p) {
        Peer peer;
        peer.public_key = test_key(p, 1);
        peer.replace_allowed_ips = true;
        if (p % 2)
            peer.preshared_key = test_key(p, 2);
        if (p % 3)
            peer.endpoint = p % 3 == 1 ? endpoint4(1000 + p) : endpoint6(2000 + p);
        if (p % 4)
            peer.persistent_keepalive = p % 4;
        for (std::size_t i = 0; i < ips_per_peer; ++i)
            peer.allowed_ips.push_back(i % 2 ? ip6(p * 1000 + i, 128)
                                             : ip4(0x0a000000 + p * 1000 + i, 32));
        d.peers.push_back(peer);
    }
    return d;
}

} // namespace

TEST_CASE("a device without peers is one message with every device attribute")
{
    Device d;
    d.name = "wg0";
    d.private_key = test_key(7);
    d.listen_port = 1;
    d.fwmark = 0x20;
    d.replace_peers = true;
    auto messages = encode_set_device(d, kFamily, 4096);
    REQUIRE(messages.size() == 1);
    Model m = apply(messages, 4096, "wg0");
    require_same(m, d);
}

TEST_CASE("absent device fields are not sent")
{
    Device d;
    d.name = "wg1";
    auto messages = encode_set_device(d, kFamily, 4096);
    REQUIRE(messages.size() == 1);
    // Header, genl header and the name only: "wg1\0" padded to 4 bytes.
    REQUIRE(messages[0].size() == NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN + 4);
}

TEST_CASE("one peer's allowed IPs split across messages continue without REPLACE_ALLOWEDIPS")
{
    // The kernel selftest's case: 255 * 256 * 2 allowed IPs on one peer.
    Device d;
    d.name = "wg0";
    Peer peer;
    peer.public_key = test_key(1);
    peer.replace_allowed_ips = true;
    peer.preshared_key = test_key(2);
    peer.endpoint = endpoint6(5);
    peer.persistent_keepalive = 25;
    for (std::uint32_t a = 1; a <= 255; ++a)
        for (std::uint32_t b = 0; b < 256; ++b) {
            peer.allowed_ips.push_back(ip4((a << 24) | (b << 16), 16));
            peer.allowed_ips.push_back(ip6((a << 8) | b, 128));
        }
    d.peers.push_back(peer);
    REQUIRE(d.peers[0].allowed_ips.size() == 130560);

    for (std::size_t size : {std::size_t(4096), std::size_t(32768), kDefaultSetMessageSize}) {
        INFO("message size " << size);
        auto messages = encode_set_device(d, kFamily, size);
        Model m = apply(messages, size, "wg0");
        require_same(m, d);
        REQUIRE(m.continued_fragments == messages.size() - 1);
        // Average entry: 28 bytes for IPv4, 40 for IPv6, so each message is nearly full.
        std::size_t payload = 130560 * 34;
        std::size_t usable = std::min(size, kMaxNestSize) - 100;
        REQUIRE(messages.size() <= payload / usable + 2);
    }
}

TEST_CASE("40 peers with 52 allowed IPs each, and 1000 mixed peers, at several sizes")
{
    for (auto [peers, ips] : {std::pair<std::size_t, std::size_t>{40, 52}, {1000, 3}, {23, 0}}) {
        Device d = config_device(peers, ips);
        for (std::size_t size : {std::size_t(512), std::size_t(4096), kDefaultSetMessageSize}) {
            INFO(peers << " peers, " << ips << " IPs, message size " << size);
            auto messages = encode_set_device(d, kFamily, size);
            require_same(apply(messages, size, "wg0"), d);
        }
    }
}

TEST_CASE("a peer that does not fit starts whole in the next message")
{
    Device d = config_device(200, 0);
    auto messages = encode_set_device(d, kFamily, 4096);
    REQUIRE(messages.size() > 1);
    Model m = apply(messages, 4096, "wg0");
    REQUIRE(m.continued_fragments == 0);
    require_same(m, d);
}

TEST_CASE("REMOVE_ME goes on every fragment of a split peer")
{
    Device d;
    d.name = "wg0";
    Peer keep;
    keep.public_key = test_key(1);
    Peer gone;
    gone.public_key = test_key(2);
    gone.remove = true;
    for (std::uint32_t i = 0; i < 500; ++i)
        gone.allowed_ips.push_back(ip4(0x0a000000 + i, 32));
    d.peers = {keep, gone};
    auto messages = encode_set_device(d, kFamily, 1024);
    REQUIRE(messages.size() > 2);
    // Every message after the first is a continuation of the removed peer, flagged again.
    Model m = apply(messages, 1024, "wg0");
    REQUIRE(m.continued_fragments == messages.size() - 1);
    REQUIRE(m.order == std::vector<Key>{keep.public_key});
}

TEST_CASE("allowed-IP removal carries WGALLOWEDIP_A_FLAGS, additions do not")
{
    Device d;
    d.name = "wg0";
    Peer peer;
    peer.public_key = test_key(1);
    peer.allowed_ips = {ip4(0x0a000001, 32), ip4(0x0a000002, 32, true)};
    d.peers = {peer};
    auto messages = encode_set_device(d, kFamily, 4096);
    Model m = apply(messages, 4096, "wg0"); // model_ip checks flags <=> remove
    REQUIRE(m.peers.at(peer.public_key).ips == std::vector<AllowedIp>{ip4(0x0a000001, 32)});
}

TEST_CASE("update-only goes on every fragment, as remove does")
{
    // Otherwise a continued fragment would create the peer the first one declined to create.
    Device d;
    d.name = "wg0";
    Peer peer;
    peer.public_key = test_key(1);
    peer.update_only = true;
    peer.replace_allowed_ips = true;
    for (std::uint32_t i = 0; i < 300; ++i)
        peer.allowed_ips.push_back(ip4(0x0a000000 + i, 32));
    d.peers = {peer};
    auto messages = encode_set_device(d, kFamily, 1024);
    REQUIRE(messages.size() > 2);
    for (std::size_t m = 0; m < messages.size(); ++m) {
        const auto& bytes = messages[m];
        std::size_t at = NLMSG_HDRLEN + GENL_HDRLEN;
        std::optional<std::uint32_t> flags;
        for (const nlattr* a : children(bytes.data() + at, bytes.size() - at))
            if (type_of(a) == WGDEVICE_A_PEERS)
                for (const nlattr* p : children(a))
                    for (const nlattr* f : children(p))
                        if (type_of(f) == WGPEER_A_FLAGS)
                            flags = value_of<std::uint32_t>(f);
        std::uint32_t want = m == 0 ? WGPEER_F_UPDATE_ONLY | WGPEER_F_REPLACE_ALLOWEDIPS
                                    : WGPEER_F_UPDATE_ONLY;
        REQUIRE(flags == want);
    }
}

TEST_CASE("a message too small for any progress is EMSGSIZE, not an endless loop")
{
    Device d = config_device(1, 1);
    try {
        encode_set_device(d, kFamily, 64);
        FAIL("no error");
    } catch (const Error& e) {
        REQUIRE(e.code() == EMSGSIZE);
    }
}

TEST_CASE("the writer refuses attributes that break the policy table")
{
    MessageWriter msg(256);
    msg.start_genl(kFamily, NLM_F_REQUEST, 1, WG_CMD_SET_DEVICE, 1);
    std::uint8_t short_key[16] = {};
    REQUIRE_THROWS_AS(msg.put(kDeviceLevel, WGDEVICE_A_PRIVATE_KEY, short_key, 16),
                      std::logic_error);
    REQUIRE_THROWS_AS(msg.put_u16(kDeviceLevel, WGDEVICE_A_FWMARK, 1), std::logic_error);
    REQUIRE_THROWS_AS(msg.put_string(kDeviceLevel, WGDEVICE_A_IFNAME, "sixteen-chars-xx"),
                      std::logic_error);
    REQUIRE(msg.put_string(kDeviceLevel, WGDEVICE_A_IFNAME, "fifteen-chars-x"));
}

TEST_CASE("allowed-IP elements are the bytes that a nest and puts would write")
{
    // write_allowed_ip lays each element out as one block; the reference here is the same
    // element built with the generic nest and put calls (libmnl). Small messages make the
    // elements fall at many offsets of a reused buffer, so stale bytes would show in padding.
    Device device;
    device.name = "wg0";
    Peer& peer = device.peers.emplace_back();
    peer.public_key = test_key(7);
    for (std::uint32_t i = 0; i < 300; ++i) {
        if (i % 3 == 0)
            peer.allowed_ips.push_back(ip4(0x0a000000u + i * 977u, static_cast<std::uint8_t>(i % 33)));
        else
            peer.allowed_ips.push_back(ip6(i * 7919u, static_cast<std::uint8_t>(i % 129)));
        peer.allowed_ips.back().remove = i % 5 == 1;
    }
    std::vector<std::vector<std::uint8_t>> got;
    for (const auto& message : encode_set_device(device, kFamily, 700)) {
        const std::size_t head = NLMSG_HDRLEN + GENL_HDRLEN;
        for (const nlattr* top : children(message.data() + head, message.size() - head)) {
            if (type_of(top) != WGDEVICE_A_PEERS)
                continue;
            for (const nlattr* p : children(top))
                for (const nlattr* a : children(p))
                    if (type_of(a) == WGPEER_A_ALLOWEDIPS)
                        for (const nlattr* e : children(a)) {
                            const auto* bytes = reinterpret_cast<const std::uint8_t*>(e);
                            got.emplace_back(bytes, bytes + NLA_ALIGN(e->nla_len));
                        }
        }
    }
    REQUIRE(got.size() == peer.allowed_ips.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        const AllowedIp& ip = peer.allowed_ips[i];
        MessageWriter reference(256);
        reference.start(0, 0, 0, 0);
        {
            NestGuard element(reference);
            REQUIRE(reference.put_u16(kAllowedIpLevel, WGALLOWEDIP_A_FAMILY, ip.family));
            REQUIRE(reference.put(kAllowedIpLevel, WGALLOWEDIP_A_IPADDR, ip.address.data(),
                                  ip.family == AF_INET6 ? 16 : 4));
            REQUIRE(reference.put_u8(kAllowedIpLevel, WGALLOWEDIP_A_CIDR_MASK, ip.cidr));
            if (ip.remove)
                REQUIRE(reference.put_u32(kAllowedIpLevel, kAllowedIpAttrFlags, kAllowedIpFlagRemoveMe));
            element.close();
        }
        auto expected = reference.bytes().subspan(NLMSG_HDRLEN);
        INFO("allowed IP " << i << ": " << ip.to_string() << (ip.remove ? " (remove)" : ""));
        CHECK(std::vector<std::uint8_t>(expected.begin(), expected.end()) == got[i]);
    }
}

TEST_CASE("reserve keeps to the capacity and to an open nest's 16-bit length")
{
    constexpr std::size_t capacity = 66560; // a multiple of 4 above one full nest
    MessageWriter msg(capacity);
    msg.start_genl(kFamily, NLM_F_REQUEST, 1, WG_CMD_SET_DEVICE, 1);
    const std::size_t start = msg.size();
    REQUIRE(msg.reserve(3) == nullptr); // not a whole number of 4-byte units
    {
        NestGuard peers(msg, kDeviceLevel, WGDEVICE_A_PEERS);
        REQUIRE(peers);
        // The nest may hold 0xffff bytes with its header: 0xfff8 is the last multiple of 4 in.
        const std::size_t room = (kMaxNestSize - NLA_HDRLEN) / 4 * 4;
        REQUIRE(msg.reserve(room + 4) == nullptr);
        REQUIRE(msg.size() == start + NLA_HDRLEN);
        std::uint8_t* block = msg.reserve(room);
        REQUIRE(block == msg.bytes().data() + start + NLA_HDRLEN);
        REQUIRE(msg.reserve(4) == nullptr);
        peers.close();
    }
    REQUIRE(msg.size() == start + NLA_HDRLEN + (kMaxNestSize - NLA_HDRLEN) / 4 * 4);
    // Outside the nest only the capacity bounds it.
    REQUIRE(msg.reserve(capacity - msg.size() + 4) == nullptr);
    REQUIRE(msg.reserve(capacity - msg.size()) != nullptr);
    REQUIRE(msg.size() == capacity);
}

TEST_CASE("a nest guard cancels what it wrote unless closed")
{
    MessageWriter msg(256);
    msg.start_genl(kFamily, NLM_F_REQUEST, 1, WG_CMD_SET_DEVICE, 1);
    std::size_t empty = msg.size();
    {
        NestGuard peers(msg, kDeviceLevel, WGDEVICE_A_PEERS);
        REQUIRE(peers);
        Key key = test_key(1);
        REQUIRE(msg.put(kPeerLevel, WGPEER_A_PUBLIC_KEY, key.data(), Key::size));
    }
    REQUIRE(msg.size() == empty);
    {
        NestGuard peers(msg, kDeviceLevel, WGDEVICE_A_PEERS);
        peers.close();
    }
    REQUIRE(msg.size() == empty + NLA_HDRLEN);
}

// ---- GET_DEVICE replies ------------------------------------------------------------------

namespace {

/// An allowed-IP element's attributes in the kernel's order (cidr, address, family), which the
/// decoder reads on a fast path, or in another (family, address, cidr), which it walks.
enum class IpOrder { Kernel, Other };

void put_allowed_ip(MessageWriter& msg, const AllowedIp& ip, IpOrder order)
{
    std::size_t len = ip.family == AF_INET ? 4 : 16;
    if (order == IpOrder::Kernel)
        REQUIRE(msg.put_u8(kAllowedIpLevel, WGALLOWEDIP_A_CIDR_MASK, ip.cidr));
    else
        REQUIRE(msg.put_u16(kAllowedIpLevel, WGALLOWEDIP_A_FAMILY, ip.family));
    REQUIRE(msg.put(kAllowedIpLevel, WGALLOWEDIP_A_IPADDR, ip.address.data(), len));
    if (order == IpOrder::Kernel)
        REQUIRE(msg.put_u16(kAllowedIpLevel, WGALLOWEDIP_A_FAMILY, ip.family));
    else
        REQUIRE(msg.put_u8(kAllowedIpLevel, WGALLOWEDIP_A_CIDR_MASK, ip.cidr));
}

/// Builds dump reply messages the way the kernel does: device fields in the first only, and
/// a peer whose IPs do not fit repeated (key + rest of IPs) at the start of the next.
std::vector<std::vector<std::uint8_t>> build_dump(const Device& d, std::size_t ips_per_message,
                                                  IpOrder order = IpOrder::Kernel)
{
    std::vector<std::vector<std::uint8_t>> out;
    MessageWriter msg(1 << 16);
    auto start = [&] {
        msg.start_genl(kFamily, NLM_F_MULTI, 1, WG_CMD_GET_DEVICE, 1);
        REQUIRE(msg.put_string(kDeviceLevel, WGDEVICE_A_IFNAME, d.name));
    };
    auto finish = [&] { out.emplace_back(msg.bytes().begin(), msg.bytes().end()); };
    start();
    REQUIRE(msg.put_u32(kDeviceLevel, WGDEVICE_A_IFINDEX, d.ifindex));
    if (d.private_key) {
        REQUIRE(msg.put(kDeviceLevel, WGDEVICE_A_PRIVATE_KEY, d.private_key->data(), 32));
        REQUIRE(msg.put(kDeviceLevel, WGDEVICE_A_PUBLIC_KEY, d.public_key->data(), 32));
    }
    REQUIRE(msg.put_u16(kDeviceLevel, WGDEVICE_A_LISTEN_PORT, *d.listen_port));
    REQUIRE(msg.put_u32(kDeviceLevel, WGDEVICE_A_FWMARK, *d.fwmark));
    std::size_t in_message = 0;
    for (const Peer& p : d.peers) {
        std::size_t next_ip = 0;
        bool first_fragment = true;
        do {
            NestGuard peers(msg, kDeviceLevel, WGDEVICE_A_PEERS);
            NestGuard element(msg);
            REQUIRE(msg.put(kPeerLevel, WGPEER_A_PUBLIC_KEY, p.public_key.data(), 32));
            if (first_fragment) {
                Key psk = p.preshared_key.value_or(Key());
                REQUIRE(msg.put(kPeerLevel, WGPEER_A_PRESHARED_KEY, psk.data(), 32));
                if (p.endpoint)
                    REQUIRE(msg.put(kPeerLevel, WGPEER_A_ENDPOINT, &p.endpoint->addr,
                                    p.endpoint->length()));
                REQUIRE(msg.put_u16(kPeerLevel, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
                                    p.persistent_keepalive.value_or(0)));
                std::int64_t ts[2] = {p.last_handshake.tv_sec, p.last_handshake.tv_nsec};
                REQUIRE(msg.put(kPeerLevel, WGPEER_A_LAST_HANDSHAKE_TIME, ts, 16));
                REQUIRE(msg.put(kPeerLevel, WGPEER_A_RX_BYTES, &p.rx_bytes, 8));
                REQUIRE(msg.put(kPeerLevel, WGPEER_A_TX_BYTES, &p.tx_bytes, 8));
                std::uint32_t version = 1;
                REQUIRE(msg.put(kPeerLevel, WGPEER_A_PROTOCOL_VERSION, &version, 4));
                first_fragment = false;
            }
            {
                NestGuard ips(msg, kPeerLevel, WGPEER_A_ALLOWEDIPS);
                for (; next_ip < p.allowed_ips.size() && in_message < ips_per_message;
                     ++next_ip, ++in_message) {
                    const AllowedIp& ip = p.allowed_ips[next_ip];
                    NestGuard e(msg);
                    put_allowed_ip(msg, ip, order);
                    e.close();
                }
                ips.close();
            }
            element.close();
            peers.close();
            if (next_ip < p.allowed_ips.size()) {
                finish();
                start();
                in_message = 0;
            }
        } while (next_ip < p.allowed_ips.size());
    }
    finish();
    return out;
}

Device sample_device()
{
    Device d = config_device(30, 7);
    d.ifindex = 5;
    d.public_key = test_key(0xfffffffe);
    for (std::size_t i = 0; i < d.peers.size(); ++i) {
        Peer& p = d.peers[i];
        p.replace_allowed_ips = false;
        p.persistent_keepalive = p.persistent_keepalive.value_or(0);
        p.last_handshake = {static_cast<time_t>(1700000000 + i), static_cast<long>(i)};
        p.rx_bytes = i * 1000;
        p.tx_bytes = i * 7;
    }
    d.replace_peers = false;
    return d;
}

void require_same_read(const Device& got, const Device& want)
{
    REQUIRE(got.name == want.name);
    REQUIRE(got.ifindex == want.ifindex);
    REQUIRE(got.private_key == want.private_key);
    REQUIRE(got.public_key == want.public_key);
    REQUIRE(got.listen_port == want.listen_port);
    REQUIRE(got.fwmark == want.fwmark);
    REQUIRE(got.peers.size() == want.peers.size());
    for (std::size_t i = 0; i < want.peers.size(); ++i) {
        const Peer& g = got.peers[i];
        const Peer& w = want.peers[i];
        REQUIRE(g.public_key == w.public_key);
        REQUIRE(g.preshared_key == w.preshared_key);
        REQUIRE(g.endpoint == w.endpoint);
        REQUIRE(g.persistent_keepalive == w.persistent_keepalive);
        REQUIRE(g.last_handshake.tv_sec == w.last_handshake.tv_sec);
        REQUIRE(g.last_handshake.tv_nsec == w.last_handshake.tv_nsec);
        REQUIRE(g.rx_bytes == w.rx_bytes);
        REQUIRE(g.tx_bytes == w.tx_bytes);
        REQUIRE(g.allowed_ips == w.allowed_ips);
    }
}

} // namespace

TEST_CASE("a dump is read back whole, fragments of one peer merged")
{
    Device want = sample_device();
    for (IpOrder order : {IpOrder::Kernel, IpOrder::Other}) {
        for (std::size_t per_message : {std::size_t(1), std::size_t(5), std::size_t(1000)}) {
            INFO(per_message << " allowed IPs per message, kernel order " << (order == IpOrder::Kernel));
            auto messages = build_dump(want, per_message, order);
            DeviceDumpParser parser;
            for (const auto& m : messages)
                parser.parse(reinterpret_cast<const nlmsghdr*>(m.data()));
            require_same_read(parser.finish(), want);
        }
    }
}

/// The allowed IPs read from a message holding one peer with one allowed-IP element, whose
/// attributes `put` writes.
template <class Put>
std::vector<AllowedIp> read_one_element(Put put)
{
    MessageWriter msg(512);
    msg.start_genl(kFamily, 0, 1, 0, 1);
    NestGuard peers(msg, kDeviceLevel, WGDEVICE_A_PEERS);
    NestGuard e(msg);
    Key key = test_key(1);
    REQUIRE(msg.put(kPeerLevel, WGPEER_A_PUBLIC_KEY, key.data(), 32));
    NestGuard list(msg, kPeerLevel, WGPEER_A_ALLOWEDIPS);
    NestGuard element(msg);
    put(msg);
    element.close();
    list.close();
    e.close();
    peers.close();
    DeviceDumpParser parser;
    parser.parse(msg.header());
    Device d = parser.finish();
    REQUIRE(d.peers.size() == 1);
    return d.peers[0].allowed_ips;
}

TEST_CASE("allowed IPs in the kernel's layout read as the policy walk reads them")
{
    // The fast path takes only the exact layout; anything else, valid or not, goes the walk.
    for (unsigned i = 0; i < 600; ++i) {
        AllowedIp ip;
        ip.family = i % 2 ? AF_INET6 : AF_INET;
        for (std::size_t b = 0; b < (ip.family == AF_INET ? 4u : 16u); ++b)
            ip.address[b] = static_cast<std::uint8_t>(i * 31 + b * 7);
        ip.cidr = static_cast<std::uint8_t>(i % (ip.family == AF_INET ? 33 : 129));
        INFO(ip.to_string());
        for (IpOrder order : {IpOrder::Kernel, IpOrder::Other})
            REQUIRE(read_one_element([&](MessageWriter& msg) { put_allowed_ip(msg, ip, order); }) ==
                    std::vector{ip});
        // A flags attribute makes it another layout: the walk reads the flag too.
        AllowedIp removed = ip;
        removed.remove = true;
        REQUIRE(read_one_element([&](MessageWriter& msg) {
                    put_allowed_ip(msg, ip, IpOrder::Kernel);
                    REQUIRE(msg.put_u32(kAllowedIpLevel, kAllowedIpAttrFlags, kAllowedIpFlagRemoveMe));
                }) == std::vector{removed});
    }
    // Out of range in the kernel's layout: rejected as the walk rejects it.
    for (auto [family, len, cidr] : {std::tuple{AF_INET, 4, 33}, std::tuple{AF_INET6, 16, 129},
                                     std::tuple{AF_INET6, 4, 0}, std::tuple{AF_INET, 16, 0},
                                     std::tuple{AF_UNSPEC, 4, 0}}) {
        INFO("family " << family << " length " << len << " cidr " << cidr);
        std::uint8_t addr[16] = {10};
        try {
            read_one_element([&](MessageWriter& msg) {
                REQUIRE(msg.put_u8(kAllowedIpLevel, WGALLOWEDIP_A_CIDR_MASK, static_cast<std::uint8_t>(cidr)));
                REQUIRE(msg.put(kAllowedIpLevel, WGALLOWEDIP_A_IPADDR, addr, static_cast<std::size_t>(len)));
                REQUIRE(msg.put_u16(kAllowedIpLevel, WGALLOWEDIP_A_FAMILY, static_cast<std::uint16_t>(family)));
            });
            FAIL("no error");
        } catch (const Error& err) {
            REQUIRE(err.code() == EPROTO);
        }
    }
}

TEST_CASE("a streaming dump hands over each peer once it is complete")
{
    Device want = sample_device();
    auto messages = build_dump(want, 3);
    std::vector<Peer> streamed;
    DeviceDumpParser parser([&](const Device& fields, Peer&& p) {
        // The device's own fields come first in the dump: complete by the first peer.
        REQUIRE(fields.private_key == want.private_key);
        REQUIRE(fields.listen_port == want.listen_port);
        REQUIRE(fields.fwmark == want.fwmark);
        streamed.push_back(std::move(p));
    });
    for (const auto& m : messages) {
        std::size_t before = streamed.size();
        parser.parse(reinterpret_cast<const nlmsghdr*>(m.data()));
        // The last peer of a message may continue in the next: it is held back.
        for (std::size_t i = before; i < streamed.size(); ++i)
            REQUIRE(streamed[i].allowed_ips.size() == 7);
    }
    Device got = parser.finish();
    REQUIRE(got.peers.empty());
    got.peers = std::move(streamed);
    require_same_read(got, want);
}

TEST_CASE("a zero preshared key reads as absent; a set request reads back as the device")
{
    Device d = config_device(50, 9);
    auto messages = encode_set_device(d, kFamily, 1000);
    DeviceDumpParser parser;
    for (const auto& m : messages)
        parser.parse(reinterpret_cast<const nlmsghdr*>(m.data()));
    Device got = parser.finish();
    REQUIRE(got.peers.size() == 50);
    for (std::size_t i = 0; i < 50; ++i) {
        REQUIRE(got.peers[i].preshared_key == d.peers[i].preshared_key);
        REQUIRE(got.peers[i].allowed_ips == d.peers[i].allowed_ips);
    }
}

TEST_CASE("malformed replies are EPROTO; unknown attributes are skipped")
{
    auto parse_one = [](MessageWriter& msg) {
        DeviceDumpParser parser;
        parser.parse(msg.header());
        return parser.finish();
    };
    MessageWriter msg(512);
    Key key = test_key(1);

    SECTION("a peer without a public key")
    {
        msg.start_genl(kFamily, 0, 1, 0, 1);
        NestGuard peers(msg, kDeviceLevel, WGDEVICE_A_PEERS);
        NestGuard e(msg);
        REQUIRE(msg.put_u16(kPeerLevel, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 1));
        e.close();
        peers.close();
        try {
            parse_one(msg);
            FAIL("no error");
        } catch (const Error& err) {
            REQUIRE(err.code() == EPROTO);
        }
    }
    SECTION("a cidr out of range")
    {
        msg.start_genl(kFamily, 0, 1, 0, 1);
        NestGuard peers(msg, kDeviceLevel, WGDEVICE_A_PEERS);
        NestGuard e(msg);
        REQUIRE(msg.put(kPeerLevel, WGPEER_A_PUBLIC_KEY, key.data(), 32));
        NestGuard ips(msg, kPeerLevel, WGPEER_A_ALLOWEDIPS);
        NestGuard ip(msg);
        std::uint8_t addr[4] = {10, 0, 0, 0};
        REQUIRE(msg.put_u16(kAllowedIpLevel, WGALLOWEDIP_A_FAMILY, AF_INET));
        REQUIRE(msg.put(kAllowedIpLevel, WGALLOWEDIP_A_IPADDR, addr, 4));
        REQUIRE(msg.put_u8(kAllowedIpLevel, WGALLOWEDIP_A_CIDR_MASK, 33));
        ip.close();
        ips.close();
        e.close();
        peers.close();
        REQUIRE_THROWS_AS(parse_one(msg), Error);
    }
    SECTION("an attribute of the wrong size")
    {
        msg.start_genl(kFamily, 0, 1, 0, 1);
        std::uint8_t three[3] = {};
        // Written raw: the writer itself refuses it.
        nlattr* a = reinterpret_cast<nlattr*>(reinterpret_cast<std::uint8_t*>(msg.header()) +
                                              msg.header()->nlmsg_len);
        a->nla_type = WGDEVICE_A_LISTEN_PORT;
        a->nla_len = NLA_HDRLEN + 3;
        std::memcpy(a + 1, three, 3);
        msg.header()->nlmsg_len += NLA_ALIGN(a->nla_len);
        REQUIRE_THROWS_AS(parse_one(msg), Error);
    }
    SECTION("an attribute newer than the table")
    {
        msg.start_genl(kFamily, 0, 1, 0, 1);
        nlattr* a = reinterpret_cast<nlattr*>(reinterpret_cast<std::uint8_t*>(msg.header()) +
                                              msg.header()->nlmsg_len);
        a->nla_type = 200;
        a->nla_len = NLA_HDRLEN + 1;
        msg.header()->nlmsg_len += NLA_ALIGN(a->nla_len);
        REQUIRE(msg.put_u16(kDeviceLevel, WGDEVICE_A_LISTEN_PORT, 7));
        REQUIRE(parse_one(msg).listen_port == 7);
    }
}

TEST_CASE("the netlink socket's receive buffer is raised at the socket level, and nothing else is set")
{
    wgkit::genl::NetlinkSocket socket(NETLINK_GENERIC);
    int rcvbuf = 0, all_nsid = -1;
    socklen_t len = sizeof(rcvbuf);
    REQUIRE(getsockopt(socket.fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len) == 0);
    // The kernel doubles what is set; the default is about 200 KiB. Without CAP_NET_ADMIN
    // only up to net.core.rmem_max.
    int rmem_max = 0;
    if (FILE* f = std::fopen("/proc/sys/net/core/rmem_max", "r")) {
        if (std::fscanf(f, "%d", &rmem_max) != 1)
            rmem_max = 0;
        std::fclose(f);
    }
    if (geteuid() == 0)
        CHECK(rcvbuf >= 2 * (1 << 20));
    else
        CHECK(rcvbuf >= std::min(2 * (1 << 20), 2 * rmem_max));
    len = sizeof(all_nsid);
    REQUIRE(getsockopt(socket.fd(), SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &all_nsid, &len) == 0);
    CHECK(all_nsid == 0);
}
