// SPDX-License-Identifier: MIT
// syncconf's diff. The original sends every peer of the file again (replacing each one's
// allowed IPs); this sends only what differs, and leaves the device in the same state.
//
// The state the original leaves is computed by replaying its request on the running state,
// in order, with the backends' rules: a peer's entry replaces or edits its allowed IPs, an
// allowed IP added to one peer is taken from whichever peer had it, a removal only touches
// the peer that owns the prefix. Hash maps keep it O(peers + allowed IPs).
#include <cstring>
#include <string_view>
#include <unordered_map>

#include <wgkit/wireguard.h>

namespace wgkit {
namespace {

struct KeyHash {
    // Public keys are Curve25519 points: their first bytes are as good as any hash.
    std::size_t operator()(const Key& key) const noexcept {
        std::size_t h;
        std::memcpy(&h, key.data(), sizeof(h));
        return h;
    }
};

// An allowed IP as the backends store it: family, cidr, and the address with its host bits
// cleared (both backends mask on insert, so 10.0.0.1/24 and 10.0.0.0/24 are one entry).
struct Prefix {
    std::array<std::uint8_t, 18> bytes{};
    friend bool operator==(const Prefix&, const Prefix&) = default;
};

struct PrefixHash {
    std::size_t operator()(const Prefix& p) const noexcept {
        return std::hash<std::string_view>{}(
            std::string_view(reinterpret_cast<const char*>(p.bytes.data()), p.bytes.size()));
    }
};

bool valid_family(const AllowedIp& ip) { return ip.family == AF_INET || ip.family == AF_INET6; }

Prefix prefix_of(const AllowedIp& ip) {
    Prefix p;
    std::size_t len = ip.family == AF_INET ? 4 : 16;
    p.bytes[0] = ip.family == AF_INET ? 4 : 6;
    p.bytes[1] = ip.cidr;
    for (std::size_t i = 0; i < len; ++i) {
        unsigned bits = ip.cidr > i * 8 ? ip.cidr - i * 8 : 0;
        std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff00 >> bits);
        p.bytes[2 + i] = ip.address[i] & mask;
    }
    return p;
}

// What a peer ends up as after the original's request.
struct Target {
    const Peer* running = nullptr; ///< nullptr for a peer the device does not have yet
    Key public_key;
    std::optional<Key> preshared_key;
    std::optional<Endpoint> endpoint;
    std::optional<std::uint16_t> persistent_keepalive;
    /// Every allowed IP this peer was given, in order; entry i is still the peer's only
    /// while the owner map says (this peer, i). Stale entries are skipped at the end.
    std::vector<AllowedIp> ips;
    std::size_t running_ip_count = 0; ///< distinct prefixes the running peer has
};

struct Slot {
    std::uint32_t target;
    std::uint32_t index;
    friend bool operator==(const Slot&, const Slot&) = default;
};

class Replay {
public:
    Replay(const Device& running, const Device& wanted) {
        for (const Peer& peer : running.peers)
            running_index_.try_emplace(peer.public_key, &peer);
        for (const Peer& peer : wanted.peers)
            if (!peer.remove)
                target_for(peer.public_key);
        // The original removes the peers absent from the file before anything else, so only
        // the kept peers' prefixes are owned when the file's entries start to apply.
        for (std::uint32_t t = 0; t < targets_.size(); ++t) {
            if (const Peer* peer = targets_[t].running) {
                for (const AllowedIp& ip : peer->allowed_ips)
                    if (valid_family(ip) && add(t, ip))
                        ++targets_[t].running_ip_count;
            }
        }
        for (const Peer& peer : wanted.peers)
            if (!peer.remove)
                apply(peer);
    }

    std::vector<Target>& targets() { return targets_; }
    const Peer* running_peer(const Key& key) const {
        auto it = running_index_.find(key);
        return it == running_index_.end() ? nullptr : it->second;
    }
    bool wanted(const Key& key) const { return index_.count(key) != 0; }
    bool owns(std::uint32_t t, const AllowedIp& ip) const {
        auto it = owner_.find(prefix_of(ip));
        return it != owner_.end() && it->second.target == t;
    }
    /// The allowed IPs target t ends with, in the order they were given.
    std::vector<AllowedIp> final_ips(std::uint32_t t) const {
        std::vector<AllowedIp> out;
        const auto& ips = targets_[t].ips;
        for (std::uint32_t i = 0; i < ips.size(); ++i) {
            auto it = owner_.find(prefix_of(ips[i]));
            if (it != owner_.end() && it->second == Slot{t, i})
                out.push_back(ips[i]);
        }
        return out;
    }

private:
    std::uint32_t target_for(const Key& key) {
        auto [it, fresh] = index_.try_emplace(key, static_cast<std::uint32_t>(targets_.size()));
        if (fresh) {
            Target& t = targets_.emplace_back();
            t.public_key = key;
            t.running = running_peer(key);
        }
        return it->second;
    }

    // Gives ip to target t, taking it from any other owner. False if t already had it.
    bool add(std::uint32_t t, const AllowedIp& ip) {
        auto& ips = targets_[t].ips;
        auto [it, fresh] = owner_.try_emplace(prefix_of(ip), Slot{t, 0});
        if (!fresh && it->second.target == t)
            return false;
        it->second = Slot{t, static_cast<std::uint32_t>(ips.size())};
        AllowedIp stored = ip;
        stored.remove = false;
        ips.push_back(stored);
        return true;
    }

    void apply(const Peer& entry) {
        std::uint32_t t = target_for(entry.public_key);
        Target& target = targets_[t];
        if (entry.preshared_key)
            target.preshared_key = entry.preshared_key;
        if (entry.endpoint)
            target.endpoint = entry.endpoint;
        if (entry.persistent_keepalive)
            target.persistent_keepalive = entry.persistent_keepalive;
        if (entry.replace_allowed_ips) {
            for (const AllowedIp& ip : target.ips) {
                auto it = owner_.find(prefix_of(ip));
                if (it != owner_.end() && it->second.target == t)
                    owner_.erase(it);
            }
            target.ips.clear();
        }
        for (const AllowedIp& ip : entry.allowed_ips) {
            if (!valid_family(ip))
                continue;
            if (!ip.remove) {
                add(t, ip);
                continue;
            }
            auto it = owner_.find(prefix_of(ip));
            if (it != owner_.end() && it->second.target == t)
                owner_.erase(it);
        }
    }

    std::unordered_map<Key, const Peer*, KeyHash> running_index_;
    std::unordered_map<Key, std::uint32_t, KeyHash> index_;
    std::vector<Target> targets_;
    std::unordered_map<Prefix, Slot, PrefixHash> owner_;
};

template <class T>
bool differs(const std::optional<T>& wanted, const std::optional<T>& running, const T& none) {
    return wanted && !(*wanted == running.value_or(none));
}

void diff_device_fields(const Device& running, const Device& wanted, Device& out) {
    // Unchanged fields are left out: an equal private key, port or fwmark is a no-op for
    // both backends, and leaving the key out keeps it off the wire. A ListenPort or FwMark
    // missing from the file still arrives here as 0 and resets the device, as setconf.
    if (differs(wanted.private_key, running.private_key, Key{}))
        out.private_key = wanted.private_key;
    if (differs(wanted.listen_port, running.listen_port, std::uint16_t{0}))
        out.listen_port = wanted.listen_port;
    if (differs(wanted.fwmark, running.fwmark, std::uint32_t{0}))
        out.fwmark = wanted.fwmark;
}

// The PSK, endpoint and keepalive part of a peer's change. Target (1.0.20260223) semantics:
// a PSK or keepalive the file does not give is cleared; an endpoint it does not give stays.
void diff_peer_fields(const Target& target, Peer& out) {
    static const Peer nothing;
    const Peer& running = target.running ? *target.running : nothing;
    Key psk = target.preshared_key.value_or(Key{});
    if (!(psk == running.preshared_key.value_or(Key{})))
        out.preshared_key = psk;
    std::uint16_t keepalive = target.persistent_keepalive.value_or(0);
    if (keepalive != running.persistent_keepalive.value_or(0))
        out.persistent_keepalive = keepalive;
    if (target.endpoint && !(running.endpoint && *running.endpoint == *target.endpoint))
        out.endpoint = target.endpoint;
}

bool has_field_change(const Peer& p) {
    return p.preshared_key || p.endpoint || p.persistent_keepalive || !p.allowed_ips.empty() ||
           p.replace_allowed_ips;
}

} // namespace

Device diff_devices(const Device& running, const Device& wanted) {
    return diff_devices(running, wanted, DiffOptions{});
}

Device diff_devices(const Device& running, const Device& wanted, const DiffOptions& options) {
    Device out;
    out.name = wanted.name.empty() ? running.name : wanted.name;
    diff_device_fields(running, wanted, out);

    Replay replay(running, wanted);
    auto& targets = replay.targets();
    if (targets.empty()) {
        // Nothing wanted: one flag instead of a removal per peer (what setconf sends).
        out.replace_peers = !running.peers.empty();
        return out;
    }

    // Removals first, as the original prepends them: their prefixes are free before others
    // claim them.
    for (const Peer& peer : running.peers) {
        // (running_peer: a key listed twice by a backend is removed once.)
        if (replay.wanted(peer.public_key) || replay.running_peer(peer.public_key) != &peer)
            continue;
        Peer& gone = out.peers.emplace_back();
        gone.public_key = peer.public_key;
        gone.remove = true;
    }

    // Incremental mode sends every removal before any addition, so a prefix moving between
    // two peers is never removed from its new owner, whatever order the peers come in.
    std::vector<Peer> additions;
    for (std::uint32_t t = 0; t < targets.size(); ++t) {
        const Target& target = targets[t];
        Peer change;
        change.public_key = target.public_key;
        diff_peer_fields(target, change);

        std::vector<AllowedIp> final_ips = replay.final_ips(t);
        bool ips_equal = false;
        if (target.running) {
            ips_equal = final_ips.size() == target.running_ip_count;
            for (const AllowedIp& ip : target.running->allowed_ips)
                if (ips_equal && valid_family(ip))
                    ips_equal = replay.owns(t, ip);
        } else {
            ips_equal = final_ips.empty();
        }

        if (!options.incremental_allowed_ips) {
            if (!ips_equal) {
                change.replace_allowed_ips = true;
                change.allowed_ips = std::move(final_ips);
            }
            if (!target.running || has_field_change(change))
                out.peers.push_back(std::move(change));
            continue;
        }

        Peer added;
        added.public_key = target.public_key;
        if (!ips_equal) {
            // Prefixes the running peer had and loses, then those it gains.
            std::unordered_map<Prefix, bool, PrefixHash> had;
            if (target.running) {
                for (const AllowedIp& ip : target.running->allowed_ips) {
                    if (!valid_family(ip) || !had.emplace(prefix_of(ip), true).second)
                        continue;
                    if (!replay.owns(t, ip)) {
                        AllowedIp removal = ip;
                        removal.remove = true;
                        change.allowed_ips.push_back(removal);
                    }
                }
            }
            for (const AllowedIp& ip : final_ips)
                if (!had.count(prefix_of(ip)))
                    added.allowed_ips.push_back(ip);
        }
        if (!target.running) {
            // A new peer is created in the second pass, fields and all.
            added.preshared_key = change.preshared_key;
            added.endpoint = change.endpoint;
            added.persistent_keepalive = change.persistent_keepalive;
            additions.push_back(std::move(added));
            continue;
        }
        if (has_field_change(change))
            out.peers.push_back(std::move(change));
        if (!added.allowed_ips.empty())
            additions.push_back(std::move(added));
    }
    for (Peer& peer : additions)
        out.peers.push_back(std::move(peer));
    return out;
}

} // namespace wgkit
