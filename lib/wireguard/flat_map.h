// SPDX-License-Identifier: MIT
// A small open-addressing hash map for the diff's 10^5-entry tables. std::unordered_map
// allocates a node per entry and chases two pointers per lookup; at that size the diff was
// bound by those cache misses. Linear probing in one array with backward-shift deletion (no
// tombstones), for trivially copyable keys and values. It grows at 80% load: at 10^5 entries
// a table at most half full was twice the memory, and touching memory is what costs most under
// emulation (the kernel zeroes each new page), while probes stay short.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>

namespace wgkit {

/// Zero-filled storage for trivially copyable values, never written to just to clear it.
/// Arrays of 2 MiB and more are mapped directly and ask for transparent huge pages: at 10^5
/// entries a table is about 10 MB, and in the kernel lab (emulated) every 4 KiB page fault
/// costs tens of microseconds.
template <class T>
class ZeroedArray {
    static_assert(std::is_trivially_copyable_v<T>);

public:
    ZeroedArray() = default;
    explicit ZeroedArray(std::size_t count) : size_(count)
    {
        std::size_t bytes = count * sizeof(T);
        if (bytes >= (std::size_t{2} << 20)) {
            void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED)
                throw std::bad_alloc();
            madvise(p, bytes, MADV_HUGEPAGE); // advice: where it is refused, 4 KiB pages serve
            data_ = static_cast<T*>(p);
            mapped_ = bytes;
        } else {
            data_ = static_cast<T*>(std::calloc(count ? count : 1, sizeof(T)));
            if (!data_)
                throw std::bad_alloc();
        }
    }
    ZeroedArray(ZeroedArray&& other) noexcept { swap(other); }
    ZeroedArray& operator=(ZeroedArray&& other) noexcept
    {
        swap(other);
        return *this;
    }
    ZeroedArray(const ZeroedArray&) = delete;
    ZeroedArray& operator=(const ZeroedArray&) = delete;
    ~ZeroedArray()
    {
        if (mapped_)
            munmap(data_, mapped_);
        else
            std::free(data_);
    }

    void swap(ZeroedArray& other) noexcept
    {
        std::swap(data_, other.data_);
        std::swap(size_, other.size_);
        std::swap(mapped_, other.mapped_);
    }
    T& operator[](std::size_t i) noexcept { return data_[i]; }
    const T& operator[](std::size_t i) const noexcept { return data_[i]; }
    T* data() noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }

private:
    T* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t mapped_ = 0; ///< bytes mapped, or 0 when the array came from calloc
};

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
        if ((size_ + 1) * 5 > slots_.size() * 4)
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
        while (capacity * 4 < expected * 5) {
            capacity *= 2;
            ++bits;
        }
        // All-zero bytes are an empty slot (used == false).
        ZeroedArray<Slot> old(capacity);
        old.swap(slots_);
        mask_ = capacity - 1;
        shift_ = 64 - bits;
        size_ = 0;
        for (std::size_t i = 0; i < old.size(); ++i)
            if (old[i].used)
                try_emplace(old[i].key, old[i].value);
    }

    ZeroedArray<Slot> slots_;
    std::size_t mask_ = 0;
    unsigned shift_ = 0;
    std::size_t size_ = 0;
};

} // namespace wgkit
