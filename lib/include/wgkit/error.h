// SPDX-License-Identifier: MIT
#pragma once

// Thread safety: Error is a plain value; throw_errno is reentrant.

#include <stdexcept>
#include <string>

namespace wgkit {

/// The one error type of libwgkit. `what()` is the message in the original tool's words
/// (for config errors it may be prefixed with `file:line: `); `code()` is the errno behind it,
/// or 0 when there is none. Library code throws it and never prints; the CLIs print it once.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message, int code = 0)
        : std::runtime_error(message), code_(code) {}

    /// The errno that caused the error, 0 if none.
    int code() const noexcept { return code_; }

private:
    int code_;
};

/// Throws Error(prefix + ": " + strerror(code), code). For "Unable to ...: <strerror>" lines.
[[noreturn]] void throw_errno(const std::string& prefix, int code);

} // namespace wgkit
