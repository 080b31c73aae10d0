// SPDX-License-Identifier: MIT
// libcrypto by dlopen: see crypto_loader.h for why. The prototypes come from OpenSSL's own
// headers (decltype), so a signature change there breaks the build rather than the call.
#include "crypto_loader.h"

#include "wgkit/error.h"

#include <dlfcn.h>
#include <string.h>

#include <memory>
#include <string>

#include <openssl/evp.h>

namespace wgkit::detail {

namespace {

constexpr char libcrypto_soname[] = "libcrypto.so.3";

struct Libcrypto {
    decltype(&EVP_PKEY_new_raw_private_key) new_raw_private_key = nullptr;
    decltype(&EVP_PKEY_get_raw_public_key) get_raw_public_key = nullptr;
    decltype(&EVP_PKEY_free) free_pkey = nullptr;
    std::string error; ///< why it could not be loaded, or empty
};

template <typename F>
bool bind(void* handle, const char* name, F& fn)
{
    fn = reinterpret_cast<F>(dlsym(handle, name));
    return fn != nullptr;
}

Libcrypto load()
{
    Libcrypto lib;
    // Never unloaded: OpenSSL keeps global state and registers atexit handlers.
    void* handle = dlopen(libcrypto_soname, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        const char* why = dlerror();
        lib.error = why ? why : libcrypto_soname;
        return lib;
    }
    if (!bind(handle, "EVP_PKEY_new_raw_private_key", lib.new_raw_private_key) ||
        !bind(handle, "EVP_PKEY_get_raw_public_key", lib.get_raw_public_key) ||
        !bind(handle, "EVP_PKEY_free", lib.free_pkey))
        lib.error = std::string(libcrypto_soname) + " lacks the X25519 raw key functions";
    return lib;
}

const Libcrypto& libcrypto()
{
    static const Libcrypto lib = load(); // thread-safe initialisation
    return lib;
}

} // namespace

void x25519_public_key(const std::uint8_t* private_key, std::uint8_t* public_key)
{
    const Libcrypto& lib = libcrypto();
    if (!lib.error.empty())
        throw Error("Unable to derive public key: " + lib.error);
    struct Free {
        decltype(&EVP_PKEY_free) fn;
        void operator()(EVP_PKEY* p) const noexcept { fn(p); }
    };
    std::unique_ptr<EVP_PKEY, Free> pkey(
        lib.new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key, 32), Free{lib.free_pkey});
    if (!pkey)
        throw Error("Unable to derive public key: X25519 is unavailable in OpenSSL");
    std::size_t len = 32;
    if (lib.get_raw_public_key(pkey.get(), public_key, &len) != 1 || len != 32)
        throw Error("Unable to derive public key: OpenSSL refused the private key");
}

void secure_wipe(void* p, std::size_t n) noexcept
{
    explicit_bzero(p, n);
}

} // namespace wgkit::detail
