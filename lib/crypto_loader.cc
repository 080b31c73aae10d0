// SPDX-License-Identifier: MIT
// libsodium by dlopen: see crypto_loader.h for why. The prototypes come from libsodium's own
// header (decltype), so a signature change there breaks the build rather than the call.
#include "crypto_loader.h"

#include "wgkit/error.h"

#include <dlfcn.h>
#include <string.h>

#include <string>

#include <sodium.h>

namespace wgkit::detail {

namespace {

constexpr char libsodium_soname[] = "libsodium.so.23";

struct Libsodium {
    decltype(&crypto_scalarmult_curve25519_base) scalarmult_base = nullptr;
    std::string error; ///< why it could not be loaded, or empty
};

template <typename F>
bool bind(void* handle, const char* name, F& fn)
{
    fn = reinterpret_cast<F>(dlsym(handle, name));
    return fn != nullptr;
}

Libsodium load()
{
    Libsodium lib;
    // Never unloaded: sodium_init's choice of implementation lives in the library.
    void* handle = dlopen(libsodium_soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* why = dlerror();
        lib.error = why ? why : libsodium_soname;
        return lib;
    }
    decltype(&sodium_init) init = nullptr;
    if (!bind(handle, "sodium_init", init) ||
        !bind(handle, "crypto_scalarmult_curve25519_base", lib.scalarmult_base)) {
        lib.error = std::string(libsodium_soname) + " lacks sodium_init or X25519";
        return lib;
    }
    // Picks the implementation for this CPU; 1 means another caller already did.
    if (init() < 0)
        lib.error = std::string(libsodium_soname) + " could not be initialised";
    return lib;
}

const Libsodium& libsodium()
{
    static const Libsodium lib = load(); // thread-safe initialisation
    return lib;
}

} // namespace

void x25519_public_key(const std::uint8_t* private_key, std::uint8_t* public_key)
{
    const Libsodium& lib = libsodium();
    if (!lib.error.empty())
        throw Error("Unable to derive public key: " + lib.error);
    // Clamps a copy of the scalar itself, as X25519 (RFC 7748) and the original do.
    if (lib.scalarmult_base(public_key, private_key) != 0)
        throw Error("Unable to derive public key: libsodium refused the private key");
}

} // namespace wgkit::detail
