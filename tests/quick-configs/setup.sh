# SPDX-License-Identifier: MIT
# Setup snippets for the shared wg-quick matrix (tests/quick-configs/*.conf), sourced by sh or
# bash in a fresh network namespace before `#@ setup` lines run. Fixed MACs and no IPv6
# link-locals on the veths: their DAD would race the snapshots.
veth_1400() {
  ip link add va address 02:00:00:00:01:0a type veth peer name vb address 02:00:00:00:01:0b &&
    ip link set va addrgenmode none && ip link set vb addrgenmode none &&
    ip addr add 192.0.2.1/24 dev va && ip link set va mtu 1400 up && ip link set vb up
}
veth_1420() {
  ip link add vc address 02:00:00:00:02:0c type veth peer name vd address 02:00:00:00:02:0d &&
    ip link set vc addrgenmode none && ip link set vd addrgenmode none &&
    ip addr add 198.51.100.1/24 dev vc && ip link set vc mtu 1420 up && ip link set vd up
}
