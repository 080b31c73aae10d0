// SPDX-License-Identifier: MIT
// nftables through libnftables: the same scripts wg-quick feeds `nft -f`, run in-process.
#include <nftables/libnftables.h>

#include <memory>
#include <string>

#include <wgkit/net.h>

namespace wgkit::net {
namespace {

struct CtxFree {
    void operator()(nft_ctx* ctx) const noexcept { nft_ctx_free(ctx); }
};
using CtxPtr = std::unique_ptr<nft_ctx, CtxFree>;

CtxPtr new_context() {
    CtxPtr ctx(nft_ctx_new(NFT_CTX_DEFAULT));
    if (!ctx)
        throw Error("nft: cannot create context", ENOMEM);
    nft_ctx_buffer_output(ctx.get());
    nft_ctx_buffer_error(ctx.get());
    return ctx;
}

/// Runs `script`; returns its output, or throws with nft's own error text.
std::string run(std::string_view script, bool handles = false) {
    CtxPtr ctx = new_context();
    if (handles)
        nft_ctx_output_set_flags(ctx.get(), nft_ctx_output_get_flags(ctx.get()) | NFT_CTX_OUTPUT_HANDLE);
    std::string text(script);
    if (nft_run_cmd_from_buffer(ctx.get(), text.c_str()) != 0) {
        std::string err = nft_ctx_get_error_buffer(ctx.get());
        while (!err.empty() && err.back() == '\n')
            err.pop_back();
        throw Error(err.empty() ? "nft: command failed" : err);
    }
    return nft_ctx_get_output_buffer(ctx.get());
}

} // namespace

bool nft_available() {
    try {
        run("list tables");
        return true;
    } catch (const Error&) {
        return false;
    }
}

void nft_run(std::string_view script) { run(script); }

std::string nft_list_tables() { return run("list tables"); }

std::string nft_output(std::string_view command, bool handles) { return run(command, handles); }

} // namespace wgkit::net
