// SPDX-License-Identifier: MIT
// `wg setconf|addconf|syncconf <interface> <file>` (reference §1.5).
//   setconf  replaces everything: peers, private key, listen port, fwmark (absent = cleared);
//   addconf  adds or updates only what the file names;
//   syncconf turns the running state into the file's, sending only what differs (target
//            v1.0.20260223 semantics, PSK and keepalive dropped from the file are cleared).
#include "commands.h"
#include "common.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include <wgkit/config.h>
#include <wgkit/error.h>
#include <wgkit/wireguard.h>

namespace wg {

namespace {

/// A configuration file's bytes. A regular file is mapped rather than copied: a 10^5-peer
/// file is 15 MB, and mapping it costs neither a copy nor a page fault per 4 KiB (the pages
/// come in with the mapping), and leaves no copy of its keys on our heap. Anything else (a
/// pipe from `wg-quick strip`, /dev/stdin) is read. Like the original's fopen + getline loop,
/// a read error (say, the path is a directory) just ends the input.
class FileText {
public:
    FileText() = default;
    FileText(const FileText&) = delete;
    FileText& operator=(const FileText&) = delete;
    ~FileText() { release(); }

    /// False after printing the original's message when the file cannot be opened.
    bool open(const char* path)
    {
        std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path, "r"), std::fclose);
        if (!file) {
            std::fprintf(stderr, "fopen: %s\n", std::strerror(errno));
            return false;
        }
        struct stat st {};
        if (fstat(fileno(file.get()), &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
            void* map = mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE | MAP_POPULATE,
                             fileno(file.get()), 0);
            if (map != MAP_FAILED) {
                map_ = map;
                size_ = static_cast<std::size_t>(st.st_size);
                return true;
            }
            // Reserved up front so that growing leaves no copies of keys in freed memory.
            text_.reserve(static_cast<std::size_t>(st.st_size));
        }
        char chunk[65536];
        std::size_t n;
        while ((n = std::fread(chunk, 1, sizeof(chunk), file.get())) > 0)
            text_.append(chunk, n);
        explicit_bzero(chunk, sizeof(chunk));
        return true;
    }

    std::string_view view() const
    {
        return map_ ? std::string_view(static_cast<const char*>(map_), size_) : std::string_view(text_);
    }

    /// Drops the text: a read copy may hold the private key, so it is wiped first.
    void release()
    {
        if (map_)
            munmap(map_, size_);
        map_ = nullptr;
        explicit_bzero(text_.data(), text_.size());
        std::string().swap(text_);
    }

private:
    void* map_ = nullptr;
    std::size_t size_ = 0;
    std::string text_;
};

/// Parses with the subcommand's flags; prints the parser's message and the original's
/// summary line on failure.
bool parse_file(const char* command, const char* path, std::string_view text, wgkit::Device& device)
{
    wgkit::ParseOptions options;
    options.filename = path;
    options.append = !std::strcmp(command, "addconf");
    options.warn = stderr_warnings();
    try {
        device = wgkit::parse_config(text, options).device;
        return true;
    } catch (const wgkit::EnvironmentInvalid& e) {
        // The original exits on a bad WG_ENDPOINT_RESOLUTION_RETRIES at once, with no summary.
        std::fprintf(stderr, "%s\n", e.what());
    } catch (const wgkit::ConfigInvalid& e) {
        std::fprintf(stderr, "%s\nInvalid configuration\n", e.what());
    } catch (const wgkit::Error& e) {
        std::fprintf(stderr, "%s\nConfiguration parsing error\n", e.what());
    }
    return false;
}

/// The original's sync_conf: a file without peers, or a device without peers, is applied as
/// setconf; otherwise only the difference from the running state is sent. The running peers
/// are compared as they are read, never held all at once.
bool sync_with_running(wgkit::Device& wanted)
{
    if (wanted.peers.empty())
        return true;
    wgkit::DeviceDiff diff(wanted);
    try {
        wgkit::read_device(wanted.name, diff);
    } catch (const wgkit::Error& e) {
        std::fprintf(stderr, "Unable to retrieve current interface configuration: %s\n",
                     error_text(e).c_str());
        return false;
    }
    if (diff.running_peers() != 0)
        wanted = diff.result();
    return true;
}

} // namespace

int setconf_main(int argc, char* argv[])
{
    if (argc != 3) {
        std::fprintf(stderr, "Usage: %s %s <interface> <configuration filename>\n", PROG_NAME, argv[0]);
        return 1;
    }
    FileText text;
    if (!text.open(argv[2]))
        return 1;
    wgkit::Device device;
    bool parsed = parse_file(argv[0], argv[2], text.view(), device);
    text.release(); // not needed while the device is read
    if (!parsed)
        return 1;
    device.name = interface_name(argv[1]);
    if (!std::strcmp(argv[0], "syncconf") && !sync_with_running(device))
        return 1;
    return apply_device(device);
}

} // namespace wg
