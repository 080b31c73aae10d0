// SPDX-License-Identifier: MIT
// A small open-addressing hash map for the diff's 10^5-entry tables. std::unordered_map
// allocates a node per entry and chases two pointers per lookup; at that size the diff was
// bound by those cache misses. Linear probing in one array with backward-shift deletion (no
// tombstones), for trivially copyable keys and values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

namespace wgkit {

template <class K, class V, class Hash>
class FlatMap {
    static_assert(std::is_trivially_copyable_v<K> && std::is_trivially_copyable_v<V>);

public:
    explicit FlatMap(std::size_t expected = 0) { rehash(expected); }

    V* find(const K& key) {
        for (std::size_t i = home(key);; i = (i + 1) & mask_) {
            Slot& s = slots_[i];
            if (!s.used)
                return nullptr;
            if (s.key == key)
                return &s.value;
        }
    }
    const V* find(const K& key) const { return const_cast<FlatMap*>(this)->find(key); }

    /// Starts loading the slot where `key`'s probe begins. At 10^5 entries every lookup is a
    /// cache miss; loops that know their next keys prefetch a few ahead to overlap them.
    void prefetch(const K& key) const { __builtin_prefetch(&slots_[home(key)]); }

    /// Inserts (key, value) unless key is present; returns the stored value and whether it
    /// was inserted.
    std::pair<V*, bool> try_emplace(const K& key, const V& value) {
        if ((size_ + 1) * 2 > slots_.size())
            rehash(size_ + 1);
        for (std::size_t i = home(key);; i = (i + 1) & mask_) {
            Slot& s = slots_[i];
            if (!s.used) {
                s = Slot{key, value, true};
                ++size_;
                return {&s.value, true};
            }
            if (s.key == key)
                return {&s.value, false};
        }
    }

    /// Removes the entry at `value` (a pointer find/try_emplace returned).
    void erase(V* value) {
        std::size_t hole = static_cast<std::size_t>(
            reinterpret_cast<Slot*>(reinterpret_cast<char*>(value) - offsetof(Slot, value)) - slots_.data());
        slots_[hole].used = false;
        --size_;
        // Backward shift: pull later entries of the probe run into the hole when their home
        // is not between the hole and where they sit, so lookups never meet a gap early.
        for (std::size_t j = (hole + 1) & mask_; slots_[j].used; j = (j + 1) & mask_) {
            std::size_t h = home(slots_[j].key);
            bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
            if (stays)
                continue;
            slots_[hole] = slots_[j];
            slots_[j].used = false;
            hole = j;
        }
    }

private:
    struct Slot {
        K key;
        V value;
        bool used;
    };

    // Fibonacci hashing: the top bits of hash * 2^64/phi, so weak low bits do not cluster.
    std::size_t home(const K& key) const {
        return static_cast<std::size_t>((std::uint64_t{Hash{}(key)} * 0x9e3779b97f4a7c15ULL) >> shift_);
    }

    void rehash(std::size_t expected) {
        std::size_t capacity = 16;
        unsigned bits = 4;
        while (capacity < expected * 2) {
            capacity *= 2;
            ++bits;
        }
        std::vector<Slot> old(capacity, Slot{K{}, V{}, false});
        old.swap(slots_);
        mask_ = capacity - 1;
        shift_ = 64 - bits;
        size_ = 0;
        for (const Slot& s : old)
            if (s.used)
                try_emplace(s.key, s.value);
    }

    std::vector<Slot> slots_;
    std::size_t mask_ = 0;
    unsigned shift_ = 0;
    std::size_t size_ = 0;
};

} // namespace wgkit
