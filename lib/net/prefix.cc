// SPDX-License-Identifier: MIT
#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <string>

#include <wgkit/net.h>

#include "../address_text.h"

namespace wgkit::net {

std::optional<Prefix> Prefix::parse(std::string_view text) {
    Prefix p;
    std::string_view addr = text;
    std::optional<unsigned> length;
    if (std::size_t slash = text.find('/'); slash != std::string_view::npos) {
        addr = text.substr(0, slash);
        std::string_view len = text.substr(slash + 1);
        unsigned value = 0;
        auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), value);
        if (len.empty() || ec != std::errc() || end != len.data() + len.size())
            return std::nullopt;
        length = value;
    }
    p.family = address_text::parse_ip(addr, p.address.data());
    if (p.family == AF_UNSPEC)
        return std::nullopt;
    unsigned max = p.family == AF_INET ? 32 : 128;
    if (length && *length > max)
        return std::nullopt;
    p.length = static_cast<std::uint8_t>(length.value_or(max));
    return p;
}

std::string Prefix::address_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(family, address.data(), buf, sizeof(buf));
    return buf;
}

std::string Prefix::to_string() const {
    return address_string() + "/" + std::to_string(length);
}

bool Prefix::contains(const Prefix& other) const noexcept {
    if (family != other.family || length > other.length)
        return false;
    unsigned whole = length / 8u, rest = length % 8u;
    if (!std::equal(address.begin(), address.begin() + whole, other.address.begin()))
        return false;
    auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return !rest || (address[whole] & mask) == (other.address[whole] & mask);
}

} // namespace wgkit::net
