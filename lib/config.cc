// SPDX-License-Identifier: MIT
// The wg(8) configuration file reader: one pass over the text, one line at a time, with the
// original's rules (whitespace removed everywhere, '#' comments, case-insensitive sections
// and "Key=" prefixes) and its messages, plus an optional "file:line: " location.
#include <wgkit/config.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "config_text.h"
#include "crypto_loader.h"

namespace wgkit {

using config_text::iequals;
using config_text::is_space;

namespace {

/// get_value of the original: the text after a case-insensitive "Key=" prefix, or empty when
/// the line does not start with it or has nothing after it (an empty value is unrecognized).
std::string_view value_of(std::string_view line, std::string_view key_eq)
{
    // key_eq is ASCII letters and a final '=': c | 0x20 is a letter's lowercase exactly
    // when c is that letter in either case, so one OR per byte does strcasecmp's work.
    if (line.size() <= key_eq.size() || line[key_eq.size() - 1] != '=')
        return {};
    for (std::size_t i = 0; i + 1 < key_eq.size(); ++i)
        if ((line[i] | 0x20) != (key_eq[i] | 0x20))
            return {};
    return line.substr(key_eq.size());
}

std::string_view trim(std::string_view text)
{
    while (!text.empty() && is_space(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && is_space(text.back()))
        text.remove_suffix(1);
    return text;
}

/// wg-quick splits Address and DNS values on commas and whitespace.
void append_tokens(std::string_view value, std::vector<std::string>& out)
{
    std::size_t start = 0;
    for (std::size_t i = 0; i <= value.size(); ++i) {
        if (i < value.size() && value[i] != ',' && !is_space(value[i]))
            continue;
        if (i > start)
            out.emplace_back(value.substr(start, i - start));
        start = i + 1;
    }
}

/// The stripped line as "Line unrecognized" shows it: the value of a PrivateKey= or
/// PresharedKey= line (misplaced in another section) is hidden.
std::string shown_line(std::string_view line)
{
    for (std::string_view key_eq : {std::string_view("PrivateKey="), std::string_view("PresharedKey=")}) {
        if (!value_of(line, key_eq).empty())
            return std::string(line.substr(0, key_eq.size())).append(config_text::hidden);
    }
    return std::string(line);
}

class ConfigReader {
public:
    explicit ConfigReader(const ParseOptions& options) : options_(options)
    {
        Device& device = config_.device;
        // setconf semantics: the file states the whole device, so what it omits is reset.
        // addconf (append) leaves what the file omits as it is.
        if (!options_.append) {
            device.replace_peers = true;
            device.private_key = Key{};
            device.listen_port = 0;
            device.fwmark = 0;
        }
        if (options_.warn)
            warn_ = [this](const std::string& message) { options_.warn(location() + message); };
    }

    ConfigReader(const ConfigReader&) = delete;
    ConfigReader& operator=(const ConfigReader&) = delete;
    /// The line buffer has held PrivateKey and PresharedKey values.
    ~ConfigReader() { detail::secure_wipe(stripped_.data(), stripped_.size()); }

    /// Reads the first line of `text`; returns its size, without the '\n' that ends it.
    std::size_t read_line(std::string_view text, unsigned number)
    {
        line_number_ = number;
        config_text::StrippedLine stripped;
        while (!(stripped = config_text::strip_next_line(text, stripped_.data(), stripped_.size())).fits)
            grow_line_buffer();
        std::string_view line(stripped_.data(), stripped.content_size);
        if (line.empty())
            return stripped.line_size;
        try {
            process(line, text.substr(0, stripped.line_size));
        } catch (const EnvironmentInvalid&) {
            throw;
        } catch (const Error& e) {
            if (options_.filename.empty())
                throw;
            throw Error(location() + e.what(), e.code());
        }
        return stripped.line_size;
    }

    /// Room for about this many peers, so that a 10^5-peer file does not move every parsed
    /// peer each time the vector grows.
    void expect_peers(std::size_t count) { config_.device.peers.reserve(count); }

    Config finish()
    {
        note_keyless_peer();
        if (keyless_peer_line_) {
            line_number_ = keyless_peer_line_;
            throw ConfigInvalid(location() + "A peer is missing a public key");
        }
        return std::move(config_);
    }

private:
    enum class Section { none, interface, peer };

    /// Doubles the line buffer (it only grows, so a file costs one or two allocations). The
    /// room left behind may hold a key: it is wiped before it is freed.
    void grow_line_buffer()
    {
        std::string bigger(std::max<std::size_t>(stripped_.size() * 2, 256), '\0');
        detail::secure_wipe(stripped_.data(), stripped_.size());
        stripped_.swap(bigger);
    }

    std::string location() const
    {
        if (options_.filename.empty())
            return {};
        return options_.filename + ':' + std::to_string(line_number_) + ": ";
    }

    [[noreturn]] void unrecognized(std::string_view line) const
    {
        throw Error(config_text::quoted("Line unrecognized", shown_line(line)));
    }

    void note_keyless_peer()
    {
        if (section_started_peer_ && !peer_has_key_ && !keyless_peer_line_)
            keyless_peer_line_ = config_.device.peers.back().source_line;
    }

    void process(std::string_view line, std::string_view raw)
    {
        if (iequals(line, "[Interface]")) {
            section_ = Section::interface;
            return;
        }
        if (iequals(line, "[Peer]")) {
            start_peer();
            return;
        }
        if (section_ == Section::interface)
            process_interface(line, raw);
        else if (section_ == Section::peer)
            process_peer(line);
        else
            unrecognized(line);
    }

    void start_peer()
    {
        note_keyless_peer();
        Peer& peer = config_.device.peers.emplace_back();
        peer.replace_allowed_ips = true;
        peer.source_line = line_number_;
        section_ = Section::peer;
        section_started_peer_ = true;
        peer_has_key_ = false;
    }

    void process_interface(std::string_view line, std::string_view raw)
    {
        Device& device = config_.device;
        std::string_view value;
        if (!(value = value_of(line, "ListenPort=")).empty())
            device.listen_port = parse_port(value);
        else if (!(value = value_of(line, "FwMark=")).empty())
            device.fwmark = parse_fwmark(value);
        else if (!(value = value_of(line, "PrivateKey=")).empty())
            device.private_key = config_text::parse_secret_key(value);
        else if (!options_.accept_quick_keys || !process_quick(raw.substr(0, raw.find('\0'))))
            unrecognized(line);
    }

    void process_peer(std::string_view line)
    {
        Peer& peer = config_.device.peers.back();
        std::string_view value;
        // Tried by first letter (the line is not empty): no key is a prefix of another, so
        // at most one can match, and each line is compared with one or two keys, not five.
        switch (config_text::ascii_lower(line[0])) {
        case 'e':
            if (!(value = value_of(line, "Endpoint=")).empty()) {
                if (!retries_) // read once per file, and before the first endpoint is parsed
                    retries_ = config_text::resolution_retries();
                peer.endpoint = config_text::parse_endpoint(value, warn_, *retries_);
                return;
            }
            break;
        case 'p':
            if (!(value = value_of(line, "PublicKey=")).empty()) {
                peer.public_key = parse_key(value);
                peer_has_key_ = true;
                return;
            }
            if (!(value = value_of(line, "PresharedKey=")).empty()) {
                peer.preshared_key = config_text::parse_secret_key(value);
                return;
            }
            if (!(value = value_of(line, "PersistentKeepalive=")).empty()) {
                peer.persistent_keepalive = parse_persistent_keepalive(value);
                return;
            }
            break;
        case 'a':
            if (!(value = value_of(line, "AllowedIPs=")).empty()) {
                parse_allowed_ips(value, peer, warn_);
                return;
            }
            break;
        }
        unrecognized(line);
    }

    /// wg-quick's own [Interface] keys, read the way wg-quick reads them: key and value are
    /// the trimmed text around the first '=', before any '#' (hooks keep their '#', as in the
    /// target release). `raw` is the line up to any NUL (the original reads C strings).
    /// Returns false when the line is not one of them.
    bool process_quick(std::string_view raw)
    {
        std::string_view content = raw.substr(0, raw.find('#'));
        std::size_t eq = content.find('=');
        if (eq == std::string_view::npos)
            return false;
        std::string_view key = trim(content.substr(0, eq));
        std::string_view value = trim(content.substr(eq + 1));
        std::string_view hook = trim(raw.substr(eq + 1));
        QuickConfig& quick = config_.quick;
        if (iequals(key, "Address"))
            append_tokens(value, quick.addresses);
        else if (iequals(key, "DNS"))
            append_tokens(value, quick.dns);
        else if (iequals(key, "MTU"))
            quick.mtu = parse_mtu(value);
        else if (iequals(key, "Table"))
            quick.table = value.empty() ? std::nullopt : std::optional<std::string>(value);
        else if (iequals(key, "PreUp"))
            quick.pre_up.emplace_back(hook);
        else if (iequals(key, "PostUp"))
            quick.post_up.emplace_back(hook);
        else if (iequals(key, "PreDown"))
            quick.pre_down.emplace_back(hook);
        else if (iequals(key, "PostDown"))
            quick.post_down.emplace_back(hook);
        else if (iequals(key, "SaveConfig"))
            quick.save_config = parse_bool(value);
        else
            return false;
        return true;
    }

    static std::optional<std::uint32_t> parse_mtu(std::string_view value)
    {
        if (value.empty()) // wg-quick treats an empty MTU as unset: detect it
            return std::nullopt;
        std::uint64_t mtu = 0;
        for (char c : value) {
            if (!config_text::is_digit(c) || mtu > 0xffffffffu)
                throw Error(config_text::quoted("MTU is not a number", value));
            mtu = mtu * 10 + static_cast<unsigned>(c - '0');
        }
        if (mtu > 0xffffffffu)
            throw Error(config_text::quoted("MTU is not a number", value));
        return static_cast<std::uint32_t>(mtu);
    }

    static bool parse_bool(std::string_view value)
    {
        if (iequals(value, "true"))
            return true;
        if (iequals(value, "false"))
            return false;
        throw Error("`" + std::string(value) + "' is neither true nor false");
    }

    const ParseOptions& options_;
    WarningSink warn_;
    Config config_;
    Section section_ = Section::none;
    unsigned line_number_ = 0;
    bool section_started_peer_ = false;
    bool peer_has_key_ = false;
    std::optional<int> retries_;     ///< WG_ENDPOINT_RESOLUTION_RETRIES, once read
    unsigned keyless_peer_line_ = 0; ///< line of the first [Peer] without PublicKey; 0 = none
    std::string stripped_;           ///< reused for every line: no allocation per line
};

} // namespace

Config parse_config(std::string_view text, const ParseOptions& options)
{
    ConfigReader reader(options);
    reader.expect_peers(config_text::count_section_lines(text));
    unsigned number = 0;
    while (!text.empty()) {
        std::size_t line_size = reader.read_line(text, ++number);
        if (line_size == text.size()) // the last line, without a '\n'
            break;
        text.remove_prefix(line_size + 1);
    }
    return reader.finish();
}

} // namespace wgkit
