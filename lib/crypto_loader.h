// SPDX-License-Identifier: MIT
#pragma once

// Internal to lib/: libsodium, loaded on first use. `wg` needs it only to derive a public key
// (pubkey, and show of a userspace device, which reports only its private key); linking it
// would make every `wg` process pay for relocating it at start-up. OpenSSL's libcrypto did this
// before, and loading and initialising it cost more than the rest of `wg pubkey` together
// (docs/dependencies.md).

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace wgkit::detail {

/// X25519(private, 9): writes the public key for `private_key` into `public_key`. Throws Error
/// when libsodium.so.23 cannot be loaded or refuses the key.
void x25519_public_key(const std::uint8_t* private_key, std::uint8_t* public_key);

/// Overwrites n bytes in a way the compiler may not remove: explicit_bzero's own technique,
/// inline, since every Key wipes itself when it dies and a 10^5-peer showconf destroys 1.5
/// keys per peer (a call into libc for each was a tenth of its user time). The empty asm may
/// read `p` and all memory, so the stores before it cannot be dropped as dead.
inline void secure_wipe(void* p, std::size_t n) noexcept
{
    std::memset(p, 0, n);
    asm volatile("" : : "r"(p) : "memory");
}

} // namespace wgkit::detail
