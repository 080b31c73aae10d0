// SPDX-License-Identifier: MIT
// Backend choice per interface (wireguard-tools' ipc.c): a UAPI socket that accepts a
// connection wins, even over a kernel interface of the same name; otherwise the kernel.
#include <wgkit/wireguard.h>

namespace wgkit {

std::vector<std::string> list_interfaces() {
    std::vector<std::string> names = genl::list_interfaces();
    std::vector<std::string> userspace = uapi::list_interfaces();
    // No de-duplication: like the original, a name present in both lists shows twice.
    names.insert(names.end(), std::make_move_iterator(userspace.begin()),
                 std::make_move_iterator(userspace.end()));
    return names;
}

Device get_device(std::string_view name) {
    if (uapi::has_interface(name))
        return uapi::get_device(name);
    return genl::get_device(name);
}

void read_device(std::string_view name, DeviceVisitor& visitor) {
    if (uapi::has_interface(name))
        uapi::read_device(name, visitor);
    else
        genl::read_device(name, visitor);
}

void set_device(const Device& device) {
    if (uapi::has_interface(device.name))
        uapi::set_device(device);
    else
        genl::set_device(device);
}

} // namespace wgkit
