// SPDX-License-Identifier: MIT
// Asks the kernel's generic netlink controller for a family by name (default "wireguard") and
// prints "family=NAME id=ID version=VERSION". The kernel lab's smoke test uses it to show that
// the module answers over generic netlink, independently of libwgkit's own netlink code.
// Exit status: 0 found, 1 no such family, 2 any other error.
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

namespace {

struct SocketCloser {
    void operator()(mnl_socket* socket) const { mnl_socket_close(socket); }
};
using Socket = std::unique_ptr<mnl_socket, SocketCloser>;

struct Family {
    std::optional<uint16_t> id;
    std::optional<uint32_t> version;
};

int on_attribute(const nlattr* attr, void* data)
{
    Family& family = *static_cast<Family*>(data);
    switch (mnl_attr_get_type(attr)) {
    case CTRL_ATTR_FAMILY_ID:
        if (mnl_attr_validate(attr, MNL_TYPE_U16) == 0)
            family.id = mnl_attr_get_u16(attr);
        break;
    case CTRL_ATTR_VERSION:
        if (mnl_attr_validate(attr, MNL_TYPE_U32) == 0)
            family.version = mnl_attr_get_u32(attr);
        break;
    }
    return MNL_CB_OK;
}

int on_message(const nlmsghdr* message, void* data)
{
    return mnl_attr_parse(message, sizeof(genlmsghdr), on_attribute, data);
}

int fail(const char* what)
{
    std::fprintf(stderr, "genl_family_probe: %s: %s\n", what, std::strerror(errno));
    return 2;
}

} // namespace

int main(int argc, char* argv[])
{
    const char* name = argc > 1 ? argv[1] : "wireguard";
    Socket socket(mnl_socket_open(NETLINK_GENERIC));
    if (!socket)
        return fail("socket");
    if (mnl_socket_bind(socket.get(), 0, MNL_SOCKET_AUTOPID) < 0)
        return fail("bind");

    std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* request = mnl_nlmsg_put_header(buffer.data());
    request->nlmsg_type = GENL_ID_CTRL;
    request->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    const unsigned sequence = 1;
    request->nlmsg_seq = sequence;
    auto* header = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(request, sizeof(genlmsghdr)));
    header->cmd = CTRL_CMD_GETFAMILY;
    header->version = 1;
    mnl_attr_put_strz(request, CTRL_ATTR_FAMILY_NAME, name);
    if (mnl_socket_sendto(socket.get(), request, request->nlmsg_len) < 0)
        return fail("send");

    // The reply is the family message followed by the ACK, or an error message with ENOENT.
    const unsigned port = mnl_socket_get_portid(socket.get());
    Family family;
    for (;;) {
        const ssize_t length = mnl_socket_recvfrom(socket.get(), buffer.data(), buffer.size());
        if (length < 0)
            return fail("receive");
        const int result = mnl_cb_run(buffer.data(), size_t(length), sequence, port, on_message, &family);
        if (result == MNL_CB_STOP)
            break;
        if (result < 0) {
            if (errno == ENOENT) {
                std::fprintf(stderr, "genl_family_probe: no generic netlink family '%s'\n", name);
                return 1;
            }
            return fail("reply");
        }
    }
    if (!family.id || !family.version) {
        std::fprintf(stderr, "genl_family_probe: reply for '%s' lacks the id or version\n", name);
        return 2;
    }
    std::printf("family=%s id=%u version=%u\n", name, unsigned(*family.id), unsigned(*family.version));
    return 0;
}
