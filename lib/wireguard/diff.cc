// SPDX-License-Identifier: MIT
// syncconf's diff. The original sends every peer of the file again (replacing each one's
// allowed IPs); this sends only what differs, and leaves the device in the same state.
//
// The state the original leaves is computed by replaying its request on the running state,
// in order, with the backends' rules: a peer's entry replaces or edits its allowed IPs, an
// allowed IP added to one peer is taken from whichever peer had it, a removal only touches
// the peer that owns the prefix. Hash maps keep it O(peers + allowed IPs).
#include <algorithm>
#include <cstring>
#include <string_view>

#include <wgkit/wireguard.h>

#include "flat_map.h"

namespace wgkit {
namespace {

// A public key as a plain value (public keys need no wiping) for the flat map.
using KeyBytes = std::array<std::uint8_t, Key::size>;

KeyBytes bytes_of(const Key& key) {
    KeyBytes b;
    std::memcpy(b.data(), key.data(), b.size());
    return b;
}

struct KeyHash {
    // Public keys are Curve25519 points: their first bytes are as good as any hash.
    std::size_t operator()(const KeyBytes& key) const noexcept {
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
        std::uint64_t a, b;
        std::memcpy(&a, p.bytes.data() + 2, 8);
        std::memcpy(&b, p.bytes.data() + 10, 8);
        std::uint64_t h = (a ^ (std::uint64_t{p.bytes[0]} << 56 | p.bytes[1])) * 0x9e3779b97f4a7c15ULL;
        h ^= b * 0xc2b2ae3d27d4eb4fULL;
        return static_cast<std::size_t>(h ^ (h >> 31));
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
    std::uint32_t owned = 0; ///< how many prefixes the owner map gives this peer now
};

struct Slot {
    std::uint32_t target;
    std::uint32_t index;
    friend bool operator==(const Slot&, const Slot&) = default;
};

constexpr std::uint32_t none = UINT32_MAX;

/// How many entries ahead the loops over 10^5 peers prefetch their hash slots.
constexpr std::size_t prefetch_distance = 8;

class Replay {
public:
    Replay(const Device& running, const Device& wanted) {
        std::size_t ips = 0;
        for (const Peer& peer : wanted.peers)
            ips += peer.allowed_ips.size();
        peers_ = PeerMap(std::max(running.peers.size(), wanted.peers.size()));
        entry_target_.reserve(wanted.peers.size());
        targets_.reserve(wanted.peers.size());
        owner_ = OwnerMap(ips);
        keep_.assign(running.peers.size(), false);
        for (std::uint32_t r = 0; r < running.peers.size(); ++r) {
            if (r + prefetch_distance < running.peers.size())
                peers_.prefetch(bytes_of(running.peers[r + prefetch_distance].public_key));
            // A key a backend listed twice is removed (or kept) once, by its first entry.
            if (!peers_.try_emplace(bytes_of(running.peers[r].public_key), Match{r, none}).second)
                keep_[r] = true;
        }
        for (std::size_t e = 0; e < wanted.peers.size(); ++e) {
            if (e + prefetch_distance < wanted.peers.size())
                peers_.prefetch(bytes_of(wanted.peers[e + prefetch_distance].public_key));
            const Peer& peer = wanted.peers[e];
            entry_target_.push_back(peer.remove ? none : target_for(peer, running));
        }
        // The original removes the peers absent from the file first, so only kept peers'
        // prefixes are owned when the file's entries apply. A peer whose first entry
        // replaces its allowed IPs would drop them unseen, so only the others are seeded:
        // the usual config (every [Peer] replaces) then costs no seeding at all.
        for (std::uint32_t t = 0; t < targets_.size(); ++t) {
            if (targets_[t].running && !first_replaces_[t]) {
                for (const AllowedIp& ip : targets_[t].running->allowed_ips)
                    if (valid_family(ip))
                        add(t, ip);
            }
        }
        for (std::size_t e = 0; e < wanted.peers.size(); ++e) {
            if (e + prefetch_distance < wanted.peers.size())
                prefetch_owner(wanted.peers[e + prefetch_distance].allowed_ips);
            if (entry_target_[e] != none)
                apply(entry_target_[e], wanted.peers[e]);
        }
    }

    /// Prefetches the owner slot of the first of `ips` (most peers have one or two).
    void prefetch_owner(const std::vector<AllowedIp>& ips) const {
        if (!ips.empty() && valid_family(ips.front()))
            owner_.prefetch(prefix_of(ips.front()));
    }

    std::vector<Target>& targets() { return targets_; }
    /// Whether running.peers[r] needs no removal entry.
    bool keep(std::size_t r) const { return keep_[r]; }

    /// True when target t ends with exactly the running peer's allowed IPs.
    bool unchanged_ips(std::uint32_t t) const {
        const Target& target = targets_[t];
        if (!target.running)
            return target.owned == 0;
        // Every running prefix must still be t's; then the sets are equal when t owns as
        // many distinct prefixes as the running peer has (slots tell duplicates apart).
        // Peers mostly have a few prefixes: their slots go on the stack, not the heap.
        const auto& running = target.running->allowed_ips;
        std::array<std::uint32_t, 16> few;
        std::vector<std::uint32_t> many;
        std::uint32_t* slots = few.data();
        if (running.size() > few.size()) {
            many.resize(running.size());
            slots = many.data();
        }
        std::size_t count = 0;
        for (const AllowedIp& ip : running) {
            if (!valid_family(ip))
                continue;
            const Slot* slot = owner_.find(prefix_of(ip));
            if (!slot || slot->target != t)
                return false;
            slots[count++] = slot->index;
        }
        if (count < target.owned)
            return false;
        std::sort(slots, slots + count);
        auto distinct = std::unique(slots, slots + count) - slots;
        return static_cast<std::uint32_t>(distinct) == target.owned;
    }
    bool owns(std::uint32_t t, const AllowedIp& ip) const {
        const Slot* slot = owner_.find(prefix_of(ip));
        return slot && slot->target == t;
    }
    /// The allowed IPs target t ends with, in the order they were given.
    std::vector<AllowedIp> final_ips(std::uint32_t t) const {
        std::vector<AllowedIp> out;
        const auto& ips = targets_[t].ips;
        for (std::uint32_t i = 0; i < ips.size(); ++i) {
            const Slot* slot = owner_.find(prefix_of(ips[i]));
            if (slot && *slot == Slot{t, i})
                out.push_back(ips[i]);
        }
        return out;
    }

private:
    struct Match {
        std::uint32_t running; ///< index in running.peers, or none
        std::uint32_t target;  ///< index in targets_, or none
    };

    // The target of entry's key, created (in first-occurrence order) on first sight.
    std::uint32_t target_for(const Peer& entry, const Device& running) {
        Match& match = *peers_.try_emplace(bytes_of(entry.public_key), Match{none, none}).first;
        if (match.target == none) {
            match.target = static_cast<std::uint32_t>(targets_.size());
            Target& t = targets_.emplace_back();
            t.public_key = entry.public_key;
            if (match.running != none) {
                t.running = &running.peers[match.running];
                keep_[match.running] = true;
            }
            first_replaces_.push_back(entry.replace_allowed_ips);
        }
        return match.target;
    }

    // Gives ip to target t, taking it from any other owner.
    void add(std::uint32_t t, const AllowedIp& ip) {
        auto& ips = targets_[t].ips;
        auto [slot, fresh] = owner_.try_emplace(prefix_of(ip), Slot{t, 0});
        if (!fresh) {
            if (slot->target == t)
                return;
            --targets_[slot->target].owned;
        }
        *slot = Slot{t, static_cast<std::uint32_t>(ips.size())};
        ++targets_[t].owned;
        AllowedIp stored = ip;
        stored.remove = false;
        ips.push_back(stored);
    }

    void release(std::uint32_t t, const AllowedIp& ip) {
        Slot* slot = owner_.find(prefix_of(ip));
        if (slot && slot->target == t) {
            owner_.erase(slot);
            --targets_[t].owned;
        }
    }

    void apply(std::uint32_t t, const Peer& entry) {
        Target& target = targets_[t];
        if (entry.preshared_key)
            target.preshared_key = entry.preshared_key;
        if (entry.endpoint)
            target.endpoint = entry.endpoint;
        if (entry.persistent_keepalive)
            target.persistent_keepalive = entry.persistent_keepalive;
        if (entry.replace_allowed_ips) {
            for (const AllowedIp& ip : target.ips)
                release(t, ip);
            target.ips.clear();
        }
        for (const AllowedIp& ip : entry.allowed_ips) {
            if (!valid_family(ip))
                continue;
            if (ip.remove)
                release(t, ip);
            else
                add(t, ip);
        }
    }

    using PeerMap = FlatMap<KeyBytes, Match, KeyHash>;
    using OwnerMap = FlatMap<Prefix, Slot, PrefixHash>;
    PeerMap peers_;
    std::vector<Target> targets_;
    std::vector<std::uint32_t> entry_target_; ///< per wanted entry; none for a removal
    std::vector<bool> first_replaces_;
    std::vector<bool> keep_;
    OwnerMap owner_;
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
    for (std::size_t r = 0; r < running.peers.size(); ++r) {
        if (replay.keep(r))
            continue;
        Peer& gone = out.peers.emplace_back();
        gone.public_key = running.peers[r].public_key;
        gone.remove = true;
    }

    // Incremental mode sends every removal before any addition, so a prefix moving between
    // two peers is never removed from its new owner, whatever order the peers come in.
    std::vector<Peer> additions;
    for (std::uint32_t t = 0; t < targets.size(); ++t) {
        if (t + prefetch_distance < targets.size() && targets[t + prefetch_distance].running)
            replay.prefetch_owner(targets[t + prefetch_distance].running->allowed_ips);
        const Target& target = targets[t];
        Peer change;
        change.public_key = target.public_key;
        diff_peer_fields(target, change);

        bool ips_equal = replay.unchanged_ips(t);
        // Only a changed peer pays for its list.
        std::vector<AllowedIp> final_ips = ips_equal ? std::vector<AllowedIp>{} : replay.final_ips(t);

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
            FlatMap<Prefix, bool, PrefixHash> had(target.running ? target.running->allowed_ips.size() : 0);
            if (target.running) {
                for (const AllowedIp& ip : target.running->allowed_ips) {
                    if (!valid_family(ip) || !had.try_emplace(prefix_of(ip), true).second)
                        continue;
                    if (!replay.owns(t, ip)) {
                        AllowedIp removal = ip;
                        removal.remove = true;
                        change.allowed_ips.push_back(removal);
                    }
                }
            }
            for (const AllowedIp& ip : final_ips)
                if (!had.find(prefix_of(ip)))
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
