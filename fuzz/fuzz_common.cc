// SPDX-License-Identifier: MIT
// Keeps the parsers under fuzz off the network. The config and `wg set` parsers resolve
// endpoints with getaddrinfo, which for a host name would ask the DNS servers in
// /etc/resolv.conf. The targets are linked with -Wl,--wrap=getaddrinfo,--wrap=getnameinfo
// (fuzz/meson.build), so every call from the library lands here first and is made numeric:
// a name then fails at once with EAI_NONAME, as an unknown name does, and no query leaves the
// process. Service names (ListenPort = domain) still come from /etc/services, a local file.
// WG_ENDPOINT_RESOLUTION_RETRIES=0 makes a temporary failure (EAI_AGAIN, EAI_SERVICE) fail at
// once instead of sleeping between retries.
#include "fuzz_common.h"

#include <netdb.h>

#include <cstdio>
#include <cstdlib>

extern "C" {

int __real_getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res);
int __real_getnameinfo(const sockaddr* addr, socklen_t addrlen, char* host, socklen_t hostlen,
                       char* serv, socklen_t servlen, int flags);

int __wrap_getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res)
{
    addrinfo numeric{};
    if (hints)
        numeric = *hints;
    else
        numeric.ai_family = AF_UNSPEC;
    if (node)
        numeric.ai_flags |= AI_NUMERICHOST;
    return __real_getaddrinfo(node, service, &numeric, res);
}

int __wrap_getnameinfo(const sockaddr* addr, socklen_t addrlen, char* host, socklen_t hostlen,
                       char* serv, socklen_t servlen, int flags)
{
    // No reverse lookups either.
    return __real_getnameinfo(addr, addrlen, host, hostlen, serv, servlen, flags | NI_NUMERICHOST);
}

int LLVMFuzzerInitialize(int*, char***)
{
    setenv("WG_ENDPOINT_RESOLUTION_RETRIES", "0", 1);
    return 0;
}

} // extern "C"

namespace wgkit_fuzz {

void property_failed(const char* what)
{
    std::fprintf(stderr, "wgkit fuzz property failed: %s\n", what);
    std::abort();
}

} // namespace wgkit_fuzz
