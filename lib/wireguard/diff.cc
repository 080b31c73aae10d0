// SPDX-License-Identifier: MIT
// syncconf's diff. The original sends every peer of the file again (replacing each one's
// allowed IPs); this sends only what differs, and leaves the device in the same state.
//
// The state the original leaves is computed by replaying its request on the running state,
// in order, with the backends' rules: a peer's entry replaces or edits its allowed IPs, an
// allowed IP added to one peer is taken from whichever peer had it, a removal only touches
// the peer that owns the prefix. Hash maps keep it O(peers + allowed IPs).
//
// The replay needs the running device only where an entry edits a peer's allowed IPs instead
// of replacing them (never in a config file). Otherwise it runs before the device is read,
// and each running peer is compared as it arrives and then dropped: syncconf never holds
// 10^5 running peers. The replay keeps pointers into the wanted device, not copies.
#include <endian.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <string_view>

#include <wgkit/wireguard.h>

#include "flat_map.h"

namespace wgkit {
namespace {

// A public key as a plain value (public keys need no wiping) for the flat map, compared a
// word at a time: no memcmp call per probe.
struct KeyBytes {
    std::array<std::uint64_t, 4> words;
    friend bool operator==(const KeyBytes& a, const KeyBytes& b) noexcept {
        return ((a.words[0] ^ b.words[0]) | (a.words[1] ^ b.words[1]) | (a.words[2] ^ b.words[2]) |
                (a.words[3] ^ b.words[3])) == 0;
    }
};

KeyBytes bytes_of(const Key& key) {
    KeyBytes b;
    std::memcpy(b.words.data(), key.data(), Key::size);
    return b;
}

struct KeyHash {
    // Public keys are Curve25519 points: their first bytes are as good as any hash.
    std::size_t operator()(const KeyBytes& key) const noexcept { return key.words[0]; }
};

// An allowed IP as the backends store it: family, cidr, and the address with its host bits
// cleared (both backends mask on insert, so 10.0.0.1/24 and 10.0.0.0/24 are one entry). The
// address is two big-endian words, so that masking is two shifts.
struct Prefix {
    std::uint64_t high = 0;
    std::uint64_t low = 0;
    std::uint8_t family = 0; ///< 4 or 6
    std::uint8_t cidr = 0;
    friend bool operator==(const Prefix& a, const Prefix& b) noexcept {
        return ((a.high ^ b.high) | (a.low ^ b.low) | unsigned(a.family ^ b.family) | unsigned(a.cidr ^ b.cidr)) == 0;
    }
};

struct PrefixHash {
    std::size_t operator()(const Prefix& p) const noexcept {
        std::uint64_t h = (p.high ^ (std::uint64_t{p.family} << 8 | p.cidr)) * 0x9e3779b97f4a7c15ULL;
        h ^= p.low * 0xc2b2ae3d27d4eb4fULL;
        return static_cast<std::size_t>(h ^ (h >> 31));
    }
};

bool valid_family(const AllowedIp& ip) { return ip.family == AF_INET || ip.family == AF_INET6; }

std::uint64_t load_big_endian(const std::uint8_t* bytes) {
    std::uint64_t word;
    std::memcpy(&word, bytes, sizeof(word));
    return be64toh(word);
}

/// The first `bits` bits of a word set, the rest clear (bits may be anything).
std::uint64_t leading_mask(int bits) {
    return bits <= 0 ? 0 : bits >= 64 ? ~std::uint64_t{0} : ~std::uint64_t{0} << (64 - bits);
}

Prefix prefix_of(const AllowedIp& ip) {
    Prefix p;
    p.family = ip.family == AF_INET ? 4 : 6;
    p.cidr = ip.cidr;
    std::uint8_t bytes[16] = {};
    std::memcpy(bytes, ip.address.data(), ip.family == AF_INET ? 4 : 16);
    p.high = load_big_endian(bytes) & leading_mask(ip.cidr);
    p.low = load_big_endian(bytes + 8) & leading_mask(ip.cidr - 64);
    return p;
}

constexpr std::uint32_t none = UINT32_MAX;

/// How many entries ahead the loops over 10^5 peers prefetch their hash slots.
constexpr std::size_t prefetch_distance = 8;

const Key zero_key{};

// What a peer of the file ends up as after the original's request. Fields point into the
// wanted device, at the last entry that gave them.
struct Target {
    const Key* public_key = nullptr;
    const Key* preshared_key = nullptr;
    const Endpoint* endpoint = nullptr;
    const std::uint16_t* persistent_keepalive = nullptr;
    /// Every allowed IP this peer was given, in order, as a list through Replay::given_;
    /// given entry g is still the peer's only while the owner map says (this peer, g).
    std::uint32_t first_given = none;
    std::uint32_t last_given = none;
    std::uint32_t given_count = 0; ///< entries in that list
    std::uint32_t owned = 0;   ///< how many prefixes the owner map gives this peer now
    std::uint32_t seen = 0;    ///< the read attempt that found it running (0: none yet)
    bool first_replaces = false;
    bool seeded = false;
};

struct Slot {
    std::uint32_t target;
    std::uint32_t given;
};

struct Given {
    const AllowedIp* ip;
    std::uint32_t next;
};

struct Match {
    std::uint32_t target; ///< index in the replay's targets, or none
    std::uint32_t seen;   ///< without a target: the read attempt that met this key (0: none)
};

// The original's request replayed: who ends up with which fields and prefixes.
class Replay {
public:
    explicit Replay(const Device& wanted) {
        std::size_t ips = 0;
        for (const Peer& peer : wanted.peers)
            ips += peer.allowed_ips.size();
        peers_ = PeerMap(wanted.peers.size());
        owner_ = OwnerMap(ips);
        given_.reserve(ips);
        entry_target_.reserve(wanted.peers.size());
        targets_.reserve(wanted.peers.size());
        for (std::size_t e = 0; e < wanted.peers.size(); ++e) {
            if (e + prefetch_distance < wanted.peers.size())
                peers_.prefetch(bytes_of(wanted.peers[e + prefetch_distance].public_key));
            const Peer& peer = wanted.peers[e];
            entry_target_.push_back(peer.remove ? none : target_for(peer));
            if (entry_target_.back() != none && !targets_[entry_target_.back()].first_replaces)
                needs_running_ips_ = true;
        }
    }

    /// Whether some peer's first entry edits its running allowed IPs rather than replacing
    /// them: then every running peer's list must be seeded before apply().
    bool needs_running_ips() const { return needs_running_ips_; }

    /// Gives target t the running peer's prefixes, as the device has them before the request.
    /// Only the first running entry of a key counts.
    void seed(std::uint32_t t, const Peer& running) {
        Target& target = targets_[t];
        if (target.first_replaces || target.seeded)
            return;
        target.seeded = true;
        for (const AllowedIp& ip : running.allowed_ips)
            if (valid_family(ip))
                add(t, ip);
    }

    /// Replays the file's entries, in order.
    void apply(const Device& wanted) {
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

    Match* match(const KeyBytes& key) { return peers_.find(key); }
    /// The key's entry, created (no target, never seen) for a key the file does not have.
    Match& match_or_add(const KeyBytes& key) { return *peers_.try_emplace(key, Match{none, 0}).first; }

    std::uint32_t size() const { return static_cast<std::uint32_t>(targets_.size()); }
    Target& target(std::uint32_t t) { return targets_[t]; }
    const Target& target(std::uint32_t t) const { return targets_[t]; }

    /// True when target t ends with exactly `running`'s allowed IPs (none for a new peer).
    bool unchanged_ips(std::uint32_t t, const Peer* running) const {
        const Target& target = targets_[t];
        if (!running)
            return target.owned == 0;
        // Every running prefix must still be t's; then the sets are equal when t owns as
        // many distinct prefixes as the running peer has (given entries tell duplicates
        // apart). Peers mostly have a few prefixes: those go on the stack, not the heap.
        const auto& ips = running->allowed_ips;
        if (target.given_count == target.owned && ips.size() == target.owned && ips.size() <= 16)
            return same_as_given(target, ips);
        std::array<std::uint32_t, 16> few;
        std::vector<std::uint32_t> many;
        std::uint32_t* givens = few.data();
        if (ips.size() > few.size()) {
            many.resize(ips.size());
            givens = many.data();
        }
        std::size_t count = 0;
        for (const AllowedIp& ip : ips) {
            if (!valid_family(ip))
                continue;
            const Slot* slot = owner_.find(prefix_of(ip));
            if (!slot || slot->target != t)
                return false;
            givens[count++] = slot->given;
        }
        if (count < target.owned)
            return false;
        std::sort(givens, givens + count);
        auto distinct = std::unique(givens, givens + count) - givens;
        return static_cast<std::uint32_t>(distinct) == target.owned;
    }

    /// When every entry of the target's list is still its own (given_count == owned; each
    /// owned prefix has its own entry, so they are distinct), its final set is their
    /// prefixes, compared here without the owner map: a random access per prefix into a
    /// 10^5-entry table is what the comparison cost under emulation. `ips` has as many
    /// entries as the list.
    bool same_as_given(const Target& target, const std::vector<AllowedIp>& ips) const {
        std::array<Prefix, 16> given;
        std::size_t n = 0;
        for (std::uint32_t g = target.first_given; g != none; g = given_[g].next)
            given[n++] = prefix_of(*given_[g].ip);
        std::array<Prefix, 16> had;
        for (std::size_t i = 0; i < ips.size(); ++i) {
            if (!valid_family(ips[i]))
                return false; // fewer valid prefixes than the peer ends with
            had[i] = prefix_of(ips[i]);
        }
        auto contains = [](const Prefix* begin, const Prefix* end, const Prefix& p) {
            return std::find(begin, end, p) != end;
        };
        // Equal sizes: equal sets when each side holds all of the other (which also rules
        // out a prefix the running peer lists twice).
        for (std::size_t i = 0; i < n; ++i)
            if (!contains(had.data(), had.data() + n, given[i]) || !contains(given.data(), given.data() + n, had[i]))
                return false;
        return true;
    }

    bool owns(std::uint32_t t, const AllowedIp& ip) const {
        const Slot* slot = owner_.find(prefix_of(ip));
        return slot && slot->target == t;
    }

    /// The allowed IPs target t ends with, in the order they were given.
    std::vector<AllowedIp> final_ips(std::uint32_t t) const {
        std::vector<AllowedIp> out;
        for (std::uint32_t g = targets_[t].first_given; g != none; g = given_[g].next) {
            const Slot* slot = owner_.find(prefix_of(*given_[g].ip));
            if (slot && slot->given == g) {
                AllowedIp& ip = out.emplace_back(*given_[g].ip);
                ip.remove = false;
            }
        }
        return out;
    }

private:
    // The target of entry's key, created (in first-occurrence order) on first sight.
    std::uint32_t target_for(const Peer& entry) {
        Match& match = match_or_add(bytes_of(entry.public_key));
        if (match.target == none) {
            match.target = size();
            Target& t = targets_.emplace_back();
            t.public_key = &entry.public_key;
            t.first_replaces = entry.replace_allowed_ips;
        }
        return match.target;
    }

    // Gives ip to target t, taking it from any other owner.
    void add(std::uint32_t t, const AllowedIp& ip) {
        auto g = static_cast<std::uint32_t>(given_.size());
        auto [slot, fresh] = owner_.try_emplace(prefix_of(ip), Slot{t, g});
        if (!fresh) {
            if (slot->target == t)
                return;
            --targets_[slot->target].owned;
            *slot = Slot{t, g};
        }
        Target& target = targets_[t];
        ++target.owned;
        ++target.given_count;
        given_.push_back(Given{&ip, none});
        if (target.last_given == none)
            target.first_given = g;
        else
            given_[target.last_given].next = g;
        target.last_given = g;
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
            target.preshared_key = &*entry.preshared_key;
        if (entry.endpoint)
            target.endpoint = &*entry.endpoint;
        if (entry.persistent_keepalive)
            target.persistent_keepalive = &*entry.persistent_keepalive;
        if (entry.replace_allowed_ips) {
            for (std::uint32_t g = target.first_given; g != none; g = given_[g].next)
                release(t, *given_[g].ip);
            target.first_given = target.last_given = none;
            target.given_count = 0;
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
    std::vector<Given> given_;
    OwnerMap owner_;
    bool needs_running_ips_ = false;
};

template <class T>
bool differs(const std::optional<T>& wanted, const std::optional<T>& running, const T& none) {
    return wanted && !(*wanted == running.value_or(none));
}

// Which of a peer's PSK, endpoint and keepalive the request must send. Target (1.0.20260223)
// semantics: a PSK or keepalive the file does not give is cleared; an endpoint it does not
// give stays. `running` is null for a peer the device does not have.
struct FieldChanges {
    bool preshared_key = false;
    bool endpoint = false;
    bool persistent_keepalive = false;
    bool any() const { return preshared_key || endpoint || persistent_keepalive; }
};

FieldChanges field_changes(const Target& target, const Peer* running) {
    FieldChanges c;
    const Key& psk = target.preshared_key ? *target.preshared_key : zero_key;
    const Key& had = running && running->preshared_key ? *running->preshared_key : zero_key;
    c.preshared_key = !(psk == had);
    std::uint16_t keepalive = target.persistent_keepalive ? *target.persistent_keepalive : 0;
    c.persistent_keepalive = keepalive != (running ? running->persistent_keepalive.value_or(0) : 0);
    c.endpoint = target.endpoint && !(running && running->endpoint && *running->endpoint == *target.endpoint);
    return c;
}

void put_fields(const Target& target, FieldChanges c, Peer& out) {
    if (c.preshared_key)
        out.preshared_key = target.preshared_key ? *target.preshared_key : zero_key;
    if (c.persistent_keepalive)
        out.persistent_keepalive = target.persistent_keepalive ? *target.persistent_keepalive : 0;
    if (c.endpoint)
        out.endpoint = *target.endpoint;
}

/// The kernel stores a private key clamped and reports it so, and compares a new one with
/// what it stored: a file's key that is the running one but for clamping would be installed
/// again, which expires every peer's session and redoes each peer's static Diffie-Hellman (an
/// X25519 per peer). The original sends it on every syncconf. It is the same X25519 key.
bool same_when_clamped(const std::optional<Key>& wanted, const std::optional<Key>& running) {
    return wanted && running && wanted->clamped() == *running;
}

using Numbered = std::vector<std::pair<std::uint32_t, Peer>>;

// Appends the peers in target (file) order.
void append_in_order(Numbered& peers, std::vector<Peer>& out) {
    std::sort(peers.begin(), peers.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [t, peer] : peers)
        out.push_back(std::move(peer));
}

} // namespace

struct DeviceDiff::State {
    State(const Device& wanted_device, const DiffOptions& diff_options)
        : wanted(wanted_device), options(diff_options), replay(wanted_device),
          streaming(!replay.needs_running_ips()) {
        if (streaming)
            replay.apply(wanted);
    }

    void device(const Device& running) {
        out.name = wanted.name.empty() ? running.name : wanted.name;
        // Unchanged fields are left out: an equal private key, port or fwmark is a no-op for
        // both backends, and leaving the key out keeps it off the wire. A ListenPort or FwMark
        // missing from the file still arrives here as 0 and resets the device, as setconf.
        out.private_key.reset();
        out.listen_port.reset();
        out.fwmark.reset();
        if (differs(wanted.private_key, running.private_key, Key{}) &&
            !same_when_clamped(wanted.private_key, running.private_key))
            out.private_key = wanted.private_key;
        if (differs(wanted.listen_port, running.listen_port, std::uint16_t{0}))
            out.listen_port = wanted.listen_port;
        if (differs(wanted.fwmark, running.fwmark, std::uint32_t{0}))
            out.fwmark = wanted.fwmark;
    }

    void restart() {
        ++attempt;
        running_peers = 0;
        next_target = 0;
        out.peers.clear();
        changes.clear();
        additions.clear();
        held.clear();
        kept.clear();
    }

    // A running peer, which must stay alive until result() when the replay is not streaming.
    void peer(const Peer& running) {
        ++running_peers;
        if (replay.size() == 0)
            return; // nothing wanted: result() sends one flag instead
        if (streaming)
            compare(running);
        else
            held.push_back(&running);
    }

    void compare(const Peer& running) {
        // The kernel lists peers in the order they were added, usually the file's: the peer
        // after the last one matched is tried first, without the key table (a random access
        // per peer into 10^5 entries, which is what costs under emulation).
        std::uint32_t t = none;
        if (next_target < replay.size() && *replay.target(next_target).public_key == running.public_key) {
            t = next_target;
        } else {
            Match& match = replay.match_or_add(bytes_of(running.public_key));
            if (match.target == none) {
                // A key a backend listed twice is removed once, by its first entry.
                if (match.seen == attempt)
                    return;
                match.seen = attempt;
                // Removals first, as the original prepends them: their prefixes are free
                // before others claim them.
                Peer& gone = out.peers.emplace_back();
                gone.public_key = running.public_key;
                gone.remove = true;
                return;
            }
            t = match.target;
        }
        Target& target = replay.target(t);
        if (target.seen == attempt)
            return; // listed twice: its first entry decides
        target.seen = attempt;
        next_target = t + 1;
        FieldChanges fields = field_changes(target, &running);
        bool ips_equal = replay.unchanged_ips(t, &running);
        if (ips_equal && !fields.any())
            return;
        Peer change;
        change.public_key = running.public_key;
        put_fields(target, fields, change);
        if (ips_equal) {
            changes.emplace_back(t, std::move(change));
            return;
        }
        std::vector<AllowedIp> final_ips = replay.final_ips(t);
        if (!options.incremental_allowed_ips) {
            change.replace_allowed_ips = true;
            change.allowed_ips = std::move(final_ips);
            changes.emplace_back(t, std::move(change));
            return;
        }
        // Incremental mode sends every removal before any addition, so a prefix moving
        // between two peers is never removed from its new owner, whatever order the peers
        // come in: prefixes the running peer had and loses, then those it gains.
        Peer added;
        added.public_key = running.public_key;
        FlatMap<Prefix, bool, PrefixHash> had(running.allowed_ips.size());
        for (const AllowedIp& ip : running.allowed_ips) {
            if (!valid_family(ip) || !had.try_emplace(prefix_of(ip), true).second)
                continue;
            if (!replay.owns(t, ip)) {
                AllowedIp& removal = change.allowed_ips.emplace_back(ip);
                removal.remove = true;
            }
        }
        for (const AllowedIp& ip : final_ips)
            if (!had.find(prefix_of(ip)))
                added.allowed_ips.push_back(ip);
        if (fields.any() || !change.allowed_ips.empty())
            changes.emplace_back(t, std::move(change));
        if (!added.allowed_ips.empty())
            additions.emplace_back(t, std::move(added));
    }

    Device result() {
        if (!streaming) {
            for (const Peer* running : held)
                if (Match* match = replay.match(bytes_of(running->public_key)); match && match->target != none)
                    replay.seed(match->target, *running);
            replay.apply(wanted);
            streaming = true;
            for (const Peer* running : held)
                compare(*running);
        }
        if (replay.size() == 0) {
            out.replace_peers = running_peers != 0;
            return std::move(out);
        }
        // Peers the device does not have yet: created with all their fields (in incremental
        // mode in the second pass, after every removal).
        for (std::uint32_t t = 0; t < replay.size(); ++t) {
            const Target& target = replay.target(t);
            if (target.seen == attempt)
                continue;
            Peer created;
            created.public_key = *target.public_key;
            put_fields(target, field_changes(target, nullptr), created);
            if (!replay.unchanged_ips(t, nullptr)) {
                created.allowed_ips = replay.final_ips(t);
                created.replace_allowed_ips = !options.incremental_allowed_ips;
            }
            (options.incremental_allowed_ips ? additions : changes).emplace_back(t, std::move(created));
        }
        append_in_order(changes, out.peers);
        append_in_order(additions, out.peers);
        return std::move(out);
    }

    const Device& wanted;
    DiffOptions options;
    Replay replay;
    bool streaming; ///< the replay is applied, and running peers are compared as they come
    std::uint32_t attempt = 1;
    std::size_t running_peers = 0;
    std::uint32_t next_target = 0; ///< the target the next running peer probably is
    Device out;               ///< device fields, then the removals in running order
    Numbered changes;         ///< per target: the change (and, but incremental, the creation)
    Numbered additions;       ///< incremental mode: prefixes gained, and new peers
    std::vector<const Peer*> held;  ///< running peers, until the replay can run
    std::deque<Peer> kept;          ///< those on_peer handed over, while held
};

DeviceDiff::DeviceDiff(const Device& wanted, const DiffOptions& options)
    : state_(std::make_unique<State>(wanted, options)) {}

DeviceDiff::~DeviceDiff() = default;

void DeviceDiff::on_device(const Device& device) { state_->device(device); }

void DeviceDiff::on_peer(Peer&& peer) {
    if (state_->streaming)
        state_->peer(peer);
    else
        state_->peer(state_->kept.emplace_back(std::move(peer)));
}

void DeviceDiff::on_restart() { state_->restart(); }

std::size_t DeviceDiff::running_peers() const { return state_->running_peers; }

Device DeviceDiff::result() { return state_->result(); }

Device diff_devices(const Device& running, const Device& wanted) {
    return diff_devices(running, wanted, DiffOptions{});
}

Device diff_devices(const Device& running, const Device& wanted, const DiffOptions& options) {
    DeviceDiff::State state(wanted, options);
    state.device(running);
    for (const Peer& peer : running.peers)
        state.peer(peer);
    return state.result();
}

} // namespace wgkit
