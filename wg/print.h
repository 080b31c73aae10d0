// SPDX-License-Identifier: MIT
// The printers of `wg show`: pretty (for people), script fields and dump (for programs).
// They append to one fmt memory buffer that the caller flushes with fwrite, so 10^5 peers
// cost no per-field stdio calls and no per-peer allocations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/compile.h>
#include <fmt/format.h>

#include <wgkit/device.h>
#include <wgkit/wireguard.h>

namespace wg {

/// Frees a block only after wiping it. Printed text may hold private and preshared keys
/// (dump, showconf, WG_HIDE_KEYS=never), and a buffer that grows frees its old block.
/// (`Base` does the allocating; tests pass one that checks what it gets back.)
template <class T, class Base = std::allocator<T>>
struct WipingAllocator {
    using value_type = T;
    WipingAllocator() = default;
    template <class U>
    WipingAllocator(const WipingAllocator<U, typename std::allocator_traits<Base>::template rebind_alloc<U>>&) noexcept
    {
    }
    T* allocate(std::size_t n) { return Base{}.allocate(n); }
    void deallocate(T* p, std::size_t n) noexcept
    {
        explicit_bzero(p, n * sizeof(T));
        Base{}.deallocate(p, n);
    }
    friend bool operator==(const WipingAllocator&, const WipingAllocator&) noexcept { return true; }
};

/// Output text. The inline store is one byte: fmt leaves that store as it was when the text
/// moves to the heap, and only the heap is wiped.
using Buffer = fmt::basic_memory_buffer<char, 1, WipingAllocator<char>>;

/// Writes `out` to stdout and empties it. Printers call it between peers once the buffer
/// is large, so memory stays bounded however many peers a device has.
void flush(Buffer& out);
/// flush() when the buffer holds more than a chunk worth writing.
void flush_if_large(Buffer& out);

/// Text held in blocks that never move: once the last block has reached block_size, the next
/// append goes to a new one, which takes its whole room at once. One growing buffer would
/// instead copy its text at each growth by half, wipe each block it leaves (WipingAllocator),
/// and fault in each new one: at 4 MiB, about three times the text. The first block grows
/// as text comes, so a small device costs no more than one buffer. Each block wipes its
/// text when freed: it may hold keys.
class TextBlocks {
public:
    static constexpr std::size_t block_size = 1 << 16;
    /// Room past block_size, for the text that crosses it (a peer's is about 120 bytes,
    /// plus about 20 for each allowed IP).
    static constexpr std::size_t block_slack = 1 << 12;

    TextBlocks() : blocks_(1) {}
    /// The block to append to.
    Buffer& open();
    /// Bytes held in all blocks.
    std::size_t size() const noexcept { return closed_size_ + blocks_.back().size(); }
    std::size_t count() const noexcept { return blocks_.size(); }
    const Buffer& operator[](std::size_t i) const noexcept { return blocks_[i]; }
    /// Wipes and drops the text; the first block keeps its room.
    void clear();

private:
    std::vector<Buffer> blocks_; ///< never empty
    std::size_t closed_size_ = 0;
};

/// Output of a device printed while it is read (wgkit::read_device). The text is held until
/// the read ends, since the original prints only a device read whole, consistent (a dump the
/// kernel interrupts is read again); past hold_limit it is written as it grows, so memory stops
/// growing with the peer count. A read that must start again after that point cannot take
/// back what was written: restart() then throws Error(EINTR). The text is wiped as it goes,
/// and its blocks when freed (WipingAllocator): it may hold keys.
class StreamedOutput {
public:
    /// About 25,000 peers of `dump` lines; the kernel dump of a larger device is written as
    /// it arrives.
    static constexpr std::size_t hold_limit = 4 << 20;

    StreamedOutput() = default;
    StreamedOutput(const StreamedOutput&) = delete;
    StreamedOutput& operator=(const StreamedOutput&) = delete;

    Buffer& buffer() { return held_.open(); }
    /// The text held so far, read-only (for tests: buffer() may open a new block).
    const TextBlocks& held() const noexcept { return held_; }
    /// After each complete peer: writes the text once past hold_limit.
    void peer_done();
    /// The read starts again: the held text is dropped.
    void restart();
    /// The read ended: writes everything.
    void finish();

private:
    /// Empties the blocks, wiping what they held.
    void drop();
    void write_and_drop();
    TextBlocks held_;
    bool streaming_ = false;
};

/// wgkit::read_device(name, visitor); on failure prints the original's "Unable to access
/// interface: ..." (after what stdout holds) and returns false.
bool read_or_report(const char* name, wgkit::DeviceVisitor& visitor);

/// Prints a device while wgkit::read_device reads it: subclasses append their text to
/// out_.buffer() and call out_.peer_done() after each peer.
class StreamingPrinter : public wgkit::DeviceVisitor {
public:
    void on_restart() override
    {
        restart();
        out_.restart();
    }
    /// Reads device `name` into this printer and writes the text. On failure prints the
    /// original's "Unable to access interface" message; returns the exit status.
    int print(const char* name);

protected:
    /// The read starts again (after on_restart's held text is dropped).
    virtual void restart() {}
    StreamedOutput out_;
};

/// How the pretty printer renders: colour on/off, secrets shown, and the clock that
/// "latest handshake: ... ago" is measured against.
struct PrettyOptions {
    bool color = false;
    bool show_keys = false; ///< WG_HIDE_KEYS=never
    std::time_t now = 0;

    /// The original's decisions: WG_COLOR_MODE (always / never / isatty(stdout)),
    /// WG_HIDE_KEYS (only "never" reveals), and time(NULL).
    static PrettyOptions from_environment();
};

/// The pretty block of one device (reference §1.2), peers sorted newest handshake first.
/// The sort is stable, so ties keep device order, as glibc's merge-sorting qsort does.
void print_pretty(Buffer& out, const wgkit::Device& device, const PrettyOptions& options);

/// The pretty block of one device, built while wgkit::read_device reads it. Peers are
/// sorted by handshake before any is written, so the text cannot stream; each peer is
/// rendered as it arrives and only its text (about 120 bytes, in TextBlocks) and sort key
/// are kept, not the peer with its allowed-IP list: a 10^5-peer device then needs less
/// memory than the original's array of peers.
class PrettyPrinter final : public wgkit::DeviceVisitor {
public:
    /// `requested`: the name the device was read by (see show_requested_name).
    PrettyPrinter(const PrettyOptions& options, std::string_view requested)
        : options_(options), requested_(requested)
    {
    }
    void on_device(const wgkit::Device& device) override;
    void on_peer(wgkit::Peer&& peer) override;
    void on_restart() override;
    /// After the read: the same text print_pretty gives for the device.
    void write(Buffer& out);

private:
    /// One peer's text. A peer starts in a block below TextBlocks::block_size, so its offset
    /// fits 32 bits, and the entry is 32 bytes: the sort moves each many times.
    struct Entry {
        timespec handshake;
        std::uint32_t block, offset;
        std::size_t length;
    };
    PrettyOptions options_;
    std::string requested_;
    wgkit::Device device_;
    TextBlocks blocks_;
    std::vector<Entry> entries_;
};

/// The fields of `wg show IF <field>`, and dump.
enum class ScriptField {
    PublicKey,
    PrivateKey,
    ListenPort,
    Fwmark,
    Peers,
    PresharedKeys,
    Endpoints,
    AllowedIps,
    LatestHandshakes,
    Transfer,
    PersistentKeepalive,
    Dump,
};

/// True for the field names `wg show IF <field>` accepts (including "dump").
bool is_script_field(std::string_view field);
std::optional<ScriptField> find_script_field(std::string_view name);
/// Prints one field in script format (tab-separated, device order); with_interface prefixes
/// every line with "NAME\t" (`show all <field>`, with the v1.0.20250521 endpoints fix).
/// `field` must satisfy is_script_field.
void print_script_field(Buffer& out, const wgkit::Device& device, std::string_view field,
                        bool with_interface);
/// The two halves of print_script_field, for a device printed while it is read: the device
/// line of the fields that have one (`device.peers` is not looked at), and one peer's line
/// of the fields that have peer lines. `name` prefixes each line when not empty.
void print_script_device(Buffer& out, const wgkit::Device& device, ScriptField field,
                         std::string_view name);
void print_script_peer(Buffer& out, const wgkit::Peer& peer, ScriptField field,
                       std::string_view name);

// Building blocks, exposed for the unit tests.

/// "1 year, 35 days, 3 hours, 1 second" (units cyan when colour is on); nothing for 0.
void append_duration(Buffer& out, std::uint64_t seconds, bool color);
/// "Now", "<duration> ago" or the red clock-went-backward warning.
void append_ago(Buffer& out, const timespec& handshake, std::time_t now, bool color);
/// "1023 B", "1.50 KiB", ... "5.00 TiB".
void append_bytes(Buffer& out, std::uint64_t bytes, bool color);
/// Appends `chunk` with every "ESC[" through the next letter removed, exactly as the
/// original's colourless terminal_printf does to each formatted chunk (reference §7.15).
void append_without_ansi(Buffer& out, std::string_view chunk);
/// Endpoint text as wg prints it ("1.2.3.4:5", "[::1]:5", or a getnameinfo error text).
void append_endpoint(Buffer& out, const wgkit::Endpoint& endpoint);
/// The address part of an allowed IP (inet_ntop text).
void append_ip(Buffer& out, const wgkit::AllowedIp& ip);
/// The whole allowed IP (address, '/', cidr), after `separator` unless that is '\0'.
void append_allowed_ip(Buffer& out, const wgkit::AllowedIp& ip, char separator = '\0');
/// Lets `write` put at most `max` bytes straight into `out`'s free space; it returns the end
/// of what it wrote. One reservation and no copy, for text written 10^5 times.
template <class Write>
void append_written(Buffer& out, std::size_t max, Write write)
{
    std::size_t size = out.size();
    out.resize(size + max);
    out.resize(static_cast<std::size_t>(write(out.data() + size) - out.data()));
}
/// Decimal digits of n.
void append_number(Buffer& out, std::uint64_t n);
/// Base64 of a key, or "(none)" for the all-zero key (the original's key()).
void append_key(Buffer& out, const wgkit::Key& key);
/// The same for a public key, without the constant-time encoding secrets need.
void append_public_key(Buffer& out, const wgkit::Key& key);

} // namespace wg
