// SPDX-License-Identifier: MIT
// wg-quick's own line parser, mirroring linux.bash's parse_options: it takes the wg-quick
// keys of the [Interface] section and passes every other line through to wg verbatim.
#include <strings.h>

#include <string>

#include <wgkit/quick.h>

namespace wgkit::quick {
namespace {

bool is_space(char c) { // bash's [[:space:]] in the C locale
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool is_ifs(char c) { return c == ' ' || c == '\t' || c == '\n'; }

std::string_view trim(std::string_view s, bool (*pred)(char)) {
    while (!s.empty() && pred(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && pred(s.back()))
        s.remove_suffix(1);
    return s;
}

/// nocasematch comparison.
bool same(std::string_view a, std::string_view b) {
    return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

/// `( ${value//,/ } )`: commas become spaces, then IFS word splitting.
std::vector<std::string> split_words(std::string_view value) {
    std::vector<std::string> words;
    std::string word;
    for (char c : value) {
        if (c == ',' || is_ifs(c)) {
            if (!word.empty())
                words.push_back(std::move(word));
            word.clear();
        } else {
            word += c;
        }
    }
    if (!word.empty())
        words.push_back(std::move(word));
    return words;
}

/// `[[ $v =~ (^[0-9.]+$)|(^.*:.*$) ]]`: a nameserver rather than a search domain.
bool is_nameserver(std::string_view v) {
    if (v.find(':') != std::string_view::npos)
        return true;
    return !v.empty() && v.find_first_not_of("0123456789.") == std::string_view::npos;
}

bool read_bool(std::string_view value) {
    if (same(value, "true"))
        return true;
    if (same(value, "false"))
        return false;
    throw Error("`" + std::string(value) + "' is neither true nor false");
}

/// `while read -r line || [[ -n $line ]]`: lines split at '\n', NUL bytes dropped, leading
/// and trailing IFS whitespace removed; a last line without '\n' counts only if non-empty.
std::vector<std::string> read_lines(std::string_view text) {
    std::vector<std::string> lines;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t nl = text.find('\n', pos);
        bool complete = nl != std::string_view::npos;
        std::string_view raw = text.substr(pos, complete ? nl - pos : std::string_view::npos);
        pos = complete ? nl + 1 : text.size();
        std::string line;
        for (char c : raw)
            if (c != '\0')
                line += c;
        line = std::string(trim(line, is_ifs));
        if (complete || !line.empty())
            lines.push_back(std::move(line));
    }
    return lines;
}

/// IPForward / IPMasquerade (wgkit extensions): checked here, before anything runs, so a typo
/// cannot leave a relay half configured.
std::string read_families(std::string_view key, std::string_view value, std::string_view path,
                          std::size_t line_number) {
    for (std::string_view ok : {"yes", "no", "ipv4", "ipv6"})
        if (same(value, ok))
            return std::string(value);
    std::string where = path.empty() ? "line " + std::to_string(line_number)
                                     : std::string(path) + ":" + std::to_string(line_number);
    throw Error(where + ": `" + std::string(value) + "' is not a valid " + std::string(key) +
                " value (yes, no, ipv4 or ipv6)");
}

} // namespace

QuickFile split_config(std::string_view text) { return split_config(text, {}); }

QuickFile split_config(std::string_view text, std::string_view path) {
    QuickFile file;
    bool interface_section = false;
    std::size_t line_number = 0;
    for (const std::string& line : read_lines(text)) {
        ++line_number;
        std::string_view stripped = std::string_view(line).substr(0, line.find('#'));
        std::size_t eq = stripped.find('=');
        std::string_view key = trim(stripped.substr(0, eq), is_space);
        std::string_view value =
            trim(eq == std::string_view::npos ? stripped : stripped.substr(eq + 1), is_space);
        // Hooks keep '#' (v1.0.20260223): their value comes from the unstripped line.
        std::size_t raw_eq = line.find('=');
        std::string_view raw_value = trim(
            raw_eq == std::string::npos ? std::string_view(line) : std::string_view(line).substr(raw_eq + 1),
            is_space);

        if (key.starts_with('['))
            interface_section = false;
        if (same(key, "[Interface]"))
            interface_section = true;
        if (interface_section) {
            if (same(key, "Address")) {
                for (std::string& w : split_words(value))
                    file.addresses.push_back(std::move(w));
                continue;
            }
            if (same(key, "MTU")) {
                file.mtu = value;
                continue;
            }
            if (same(key, "DNS")) {
                for (std::string& w : split_words(value))
                    (is_nameserver(w) ? file.dns : file.dns_search).push_back(std::move(w));
                continue;
            }
            if (same(key, "Table")) {
                file.table = value;
                continue;
            }
            std::vector<std::string>* hooks = same(key, "PreUp")      ? &file.pre_up
                                              : same(key, "PreDown")  ? &file.pre_down
                                              : same(key, "PostUp")   ? &file.post_up
                                              : same(key, "PostDown") ? &file.post_down
                                                                      : nullptr;
            if (hooks) {
                hooks->emplace_back(raw_value);
                continue;
            }
            if (same(key, "IPForward") || same(key, "IPMasquerade")) {
                std::string& field = same(key, "IPForward") ? file.ip_forward : file.ip_masquerade;
                field = read_families(same(key, "IPForward") ? "IPForward" : "IPMasquerade", value,
                                      path, line_number);
                continue;
            }
            if (same(key, "SaveConfig")) {
                file.save_config = read_bool(value);
                continue;
            }
        }
        file.wg_config += line;
        file.wg_config += '\n';
    }
    return file;
}

std::string strip(const QuickFile& file) { return file.wg_config + "\n"; }

} // namespace wgkit::quick
