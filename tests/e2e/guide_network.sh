#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The WireGuard guide's five-node network ("Example Server-To-Server Config with Roaming
# Devices", the guide wgkit grew from) end to end, in network namespaces, each node brought up
# by wgkit's wg-quick with the guide's config and fresh keys:
#
#                         internet (routes between the four, no NAT)
#        192.0.2.0/24 /         | 198.51.100.0/24     \ 203.0.113.0/25     \ 203.0.113.128/25
#     public-server1      public-server2          home NAT            mobile NAT
#     192.0.2.1           198.51.100.1            203.0.113.2         203.0.113.130
#     10.0.0.1/24         10.0.0.2/32             masquerade          masquerade
#     the relay                                     | 192.168.1.0/24    | 192.168.2.0/24
#                                          home-server .2, laptop .3   phone .2 (laptop .3 after roaming)
#
# What must hold (issue 7): the 20 ordered pairs ping each other over the tunnel; the pairs
# that are not each other's peers go through public-server1 (its transfer counters grow by the
# pings' bytes on both legs); the laptop roams from the home NAT to the mobile NAT and becomes
# reachable again within 30 s with no command run on it (its keepalive teaches public-server1
# the new endpoint); public-server1 goes down and up and every pair recovers within 30 s;
# teardown leaves no namespace, link, process or file behind, pass or fail.
#
# Runs on the kernel module where it exists, else wg-quick falls back to wireguard-go; the
# kernel lab runs this same script (tests/vm/cases/guide_network.sh). Bash, ip, nft, ping and
# busybox only: the VM guest has no python.
#
# Usage: guide_network.sh [--report]
#   --report   the README's first command (scripts/demo.sh): progress lines and the report,
#              no command transcript.
# Environment: WGKIT_WG, WGKIT_WG_QUICK (our binaries; required), WGKIT_E2E_BACKEND=kernel|
# userspace (fail unless that backend is the one used).
# Exit status: 0 pass, 77 skip (not root, a tool missing), anything else fail.
set -uo pipefail
export LC_ALL=C

report_mode=0
case ${1:-} in
  --report) report_mode=1 ;;
  "") ;;
  *) echo "usage: $0 [--report]" >&2; exit 2 ;;
esac

skip() { echo "SKIP: $*" >&2; exit 77; }
((EUID == 0)) || skip "needs root (network namespaces)"
# By path: busybox's nsenter would run its own ping and sysctl applets, not iputils' and procps'.
declare -A tool=()
for t in ip nft ping sysctl nsenter; do
  tool[$t]=$(command -v "$t") || skip "$t is not installed"
done
WG=${WGKIT_WG:?WGKIT_WG must name our wg}
WG_QUICK=${WGKIT_WG_QUICK:?WGKIT_WG_QUICK must name our wg-quick}

# ---------------------------------------------------------------------------------------------
# The network, as the guide lists it.

nodes=(ps1 ps2 home laptop phone)
declare -A title=([ps1]=public-server1 [ps2]=public-server2 [home]=home-server [laptop]=laptop [phone]=phone)
declare -A fqdn=([ps1]=public-server1.example-vpn.tld [ps2]=public-server2.example-vpn.dev
  [home]=home-server.example-vpn.dev [laptop]=laptop.example-vpn.dev [phone]=phone.example-vpn.dev)
declare -A vpn=([ps1]=10.0.0.1 [ps2]=10.0.0.2 [home]=10.0.0.3 [laptop]=10.0.0.4 [phone]=10.0.0.5)
relay=ps1

# Underlay: each node's address; the NATed ones' public face is their router's WAN address.
declare -A underlay=([ps1]=192.0.2.1 [ps2]=198.51.100.1 [home]=192.168.1.2 [laptop]=192.168.1.3 [phone]=192.168.2.2)
home_wan=203.0.113.2 mobile_wan=203.0.113.130
# What the nodes' hosts files say: the guide's endpoint names (home-server's points at its NAT,
# which keeps its source port 51820 when it masquerades).
hosts_file="127.0.0.1 localhost
${underlay[ps1]} ${fqdn[ps1]}
${underlay[ps2]} ${fqdn[ps2]}
$home_wan ${fqdn[home]}
"

# Pairs that are each other's peers in the guide: the relay and anyone. Every other pair has
# no direct peer and must go through the relay.
direct() { [[ $1 == "$relay" || $2 == "$relay" ]]; }

pairs=()
for a in "${nodes[@]}"; do for b in "${nodes[@]}"; do [[ $a != "$b" ]] && pairs+=("$a:$b"); done; done

# Unique per run: namespaces, /etc/netns entries and (for wireguard-go, whose UAPI sockets share
# /var/run/wireguard across namespaces) interface names.
tag=$(($$ % 100000))
ns_prefix=wge$tag-
declare -A ns=()
for n in "${nodes[@]}" internet homenat mobilenat; do ns[$n]=$ns_prefix$n; done
# Link names this script gives (all inside its namespaces); the host must not gain any of them.
our_links=(eth0 wan lan-home lan-laptop lan-phone i-ps1 i-ps2 i-home i-mobile)

tmp= torn_down=0 failed=0 scenario_done=0 backend=
declare -A ifname=() conf=() is_up=() nsino=()
declare -A R_rx=() R_tx=() R_ep=() node_of_pub=()
host_links_before=" $(cd /sys/class/net && echo *) "
roam_seconds= restart_seconds= links_seconds= old_laptop_ep= new_laptop_ep=
declare -A lat=() path=()

# ---------------------------------------------------------------------------------------------
# Output: progress lines always; the command transcript unless --report.

bold= plain=
if [[ -t 1 ]]; then bold=$'\e[1m' plain=$'\e[0m'; fi
# A progress line; the test log also says when (seconds since the start).
step() {
  local when=
  ((report_mode)) || when="[$SECONDS s] "
  printf '%s==> %s%s%s\n' "$bold" "$when" "$*" "$plain"
}
note() { ((report_mode)) || echo "    $*"; }
fail() {
  echo "FAIL: $*" >&2
  failed=1
  exit 1
}
# show_file FILE: a log, indented, on stderr (when something failed).
show_file() { [[ -s $1 ]] && sed 's/^/    | /' "$1" >&2; return 0; }

# at NODE CMD...: runs CMD in the node's namespace through `ip netns exec`, which also gives it
# the hosts file we wrote for the node (wg-quick resolves the guide's endpoint names).
# wg-quick runs under `timeout 120`: a hung call (a stuck UAPI listener of someone else's can
# block `wg show interfaces`-style listing) must fail the run, and bash runs no trap, not even
# on SIGTERM, until its foreground command returns.
at() {
  local n=$1
  shift
  ((report_mode)) || echo "+ [$n] $*" >&2
  ip netns exec "${ns[$n]}" "$@"
}
# in_net NODE CMD...: the same for commands that only need the node's network (pings, counters,
# sysctl): nsenter costs a fraction of `ip netns exec` in the emulated VM guest (busybox, static).
in_net() {
  local n=$1
  shift
  nsenter --net="/run/netns/${ns[$n]}" "$@"
}

# ---------------------------------------------------------------------------------------------
# Teardown (trap EXIT): everything this run made, pass or fail, then the check that it is gone.

# What wg-quick makes outside the namespaces: UAPI sockets and wireguard-go (userspace names
# are this run's own), state records (keyed by this run's namespaces).
wg_leftovers() {
  local n f pid cmd argv left=()
  for n in "${!ifname[@]}"; do
    f=/var/run/wgkit/quick/${ifname[$n]}.${nsino[$n]:-none}
    [[ -e $f ]] && left+=("$f")
    [[ $backend == userspace ]] || continue
    for f in /var/run/wireguard/"${ifname[$n]}".sock /var/run/wireguard/"${ifname[$n]}".name; do
      [[ -e $f ]] && left+=("$f")
    done
  done
  if [[ $backend == userspace ]]; then
    for f in /proc/[0-9]*/cmdline; do
      pid=${f#/proc/}
      pid=${pid%/cmdline}
      mapfile -d '' -t argv 2>/dev/null <"$f" || continue # builtin: no process per pid
      cmd="${argv[*]} "
      for n in "${!ifname[@]}"; do
        [[ $cmd == *"wireguard-go ${ifname[$n]} "* ]] && left+=("process $pid: $cmd")
      done
    done
  fi
  ((${#left[@]})) && printf '%s\n' "${left[@]}"
  return 0
}

# Everything else this run makes: namespaces, /etc/netns entries, the temp dir, links.
env_leftovers() {
  local n i left=()
  for n in "${!ns[@]}"; do
    [[ -e /run/netns/${ns[$n]} ]] && left+=("namespace ${ns[$n]}")
    [[ -e /etc/netns/${ns[$n]} ]] && left+=("/etc/netns/${ns[$n]}")
  done
  [[ -n $tmp && -e $tmp ]] && left+=("$tmp")
  for i in "${our_links[@]}" "${ifname[@]}"; do
    [[ $host_links_before != *" $i "* && -e /sys/class/net/$i ]] && left+=("link $i in the host namespace")
  done
  ((${#left[@]})) && printf '%s\n' "${left[@]}" | sort -u
  return 0
}

teardown() {
  ((torn_down)) && return
  torn_down=1
  local n pids left
  # Background pings of an interrupted phase.
  pids=$(jobs -p)
  [[ -n $pids ]] && kill $pids 2>/dev/null
  wait 2>/dev/null
  for n in phone laptop home ps2 ps1; do
    [[ -n ${is_up[$n]:-} ]] || continue
    at "$n" timeout 120 "$WG_QUICK" down "${conf[$n]}" >"$tmp/$n.down.log" 2>&1 ||
      { echo "FAIL: wg-quick down on ${title[$n]}:" >&2; show_file "$tmp/$n.down.log"; failed=1; }
  done
  # What wg-quick down alone left behind is a failure of the run (only asked when it got there:
  # after an earlier failure the namespaces may still hold what that failure left).
  if ((scenario_done)); then
    left=$(wg_leftovers)
    if [[ -n $left ]]; then
      echo "FAIL: left behind by wg-quick down:" >&2
      sed 's/^/    /' <<<"$left" >&2
      failed=1
    fi
  fi
  local mine=()
  for n in "${!ns[@]}"; do [[ -e /run/netns/${ns[$n]} ]] && mine+=("${ns[$n]}"); done
  if ((${#mine[@]})); then
    # Only processes inside our namespaces (wireguard-go), by their ids; one ip for all.
    pids=$(printf 'netns pids %s\n' "${mine[@]}" | ip -batch - 2>/dev/null)
    if [[ -n $pids ]]; then
      kill $pids 2>/dev/null
      sleep 0.2
      kill -9 $pids 2>/dev/null
    fi
    printf 'netns del %s\n' "${mine[@]}" | ip -force -batch - 2>/dev/null
  fi
  for n in "${!ns[@]}"; do rm -rf "/etc/netns/${ns[$n]}"; done
  rmdir /etc/netns 2>/dev/null
  # Whatever a failed down left: sockets and state records under this run's names.
  for n in "${!ifname[@]}"; do
    rm -f "/var/run/wgkit/quick/${ifname[$n]}.${nsino[$n]:-none}"
    [[ $backend == userspace ]] && rm -f /var/run/wireguard/"${ifname[$n]}".sock /var/run/wireguard/"${ifname[$n]}".name
  done
  [[ -n $tmp ]] && rm -rf "$tmp"
}

on_exit() {
  local status=$?
  teardown
  local left
  left=$(wg_leftovers; env_leftovers)
  if [[ -n $left ]]; then
    echo "FAIL: teardown left behind:" >&2
    sed 's/^/    /' <<<"$left" >&2
    failed=1
  fi
  if ((failed)) || ((status != 0)); then
    ((status == 0 || status == 77)) && status=1
    echo "FAIL (the network is torn down; nothing is left behind)" >&2
  else
    ((report_mode)) && echo "All checks passed, and everything made for this network is removed."
    echo "PASS"
  fi
  exit "$status"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# Underlay: eight namespaces, veth links, two masquerading routers, hosts files.

build_underlay() {
  step "Underlay: internet, two public servers, a home NAT and a mobile NAT (namespaces $ns_prefix*)"
  local n
  # One ip batch from the host: it only names namespaces (each link is made inside them).
  ((report_mode)) || echo "+ ip -batch (8 namespaces, 8 veth pairs)" >&2
  {
    for n in "${!ns[@]}"; do echo "netns add ${ns[$n]}"; done
    echo "link add eth0 netns ${ns[ps1]} type veth peer name i-ps1 netns ${ns[internet]}"
    echo "link add eth0 netns ${ns[ps2]} type veth peer name i-ps2 netns ${ns[internet]}"
    echo "link add wan netns ${ns[homenat]} type veth peer name i-home netns ${ns[internet]}"
    echo "link add wan netns ${ns[mobilenat]} type veth peer name i-mobile netns ${ns[internet]}"
    echo "link add eth0 netns ${ns[home]} type veth peer name lan-home netns ${ns[homenat]}"
    echo "link add eth0 netns ${ns[laptop]} type veth peer name lan-laptop netns ${ns[homenat]}"
    echo "link add eth0 netns ${ns[phone]} type veth peer name lan-phone netns ${ns[mobilenat]}"
  } | ip -batch - || fail "could not create the namespaces and links"
  # wg-quick keys its state records by the namespace's inode.
  for n in "${nodes[@]}"; do nsino[$n]=$(stat -L -c %i "/run/netns/${ns[$n]}"); done

  batch internet <<EOF
addr add 192.0.2.254/24 dev i-ps1
addr add 198.51.100.254/24 dev i-ps2
addr add 203.0.113.1/25 dev i-home
addr add 203.0.113.129/25 dev i-mobile
link set i-ps1 up
link set i-ps2 up
link set i-home up
link set i-mobile up
EOF
  uplink ps1 eth0 "${underlay[ps1]}/24" 192.0.2.254
  uplink ps2 eth0 "${underlay[ps2]}/24" 198.51.100.254
  # A router's LAN side: one veth per client, its own address with the client as peer (no
  # bridge module needed in the VM guest).
  uplink homenat wan "$home_wan/25" 203.0.113.1 \
    "addr add 192.168.1.1 peer ${underlay[home]} dev lan-home" "link set lan-home up" \
    "addr add 192.168.1.1 peer ${underlay[laptop]} dev lan-laptop" "link set lan-laptop up"
  uplink mobilenat wan "$mobile_wan/25" 203.0.113.129 \
    "addr add 192.168.2.1 peer ${underlay[phone]} dev lan-phone" "link set lan-phone up"
  for n in home laptop phone; do uplink "$n" eth0 "${underlay[$n]}/24" "${underlay[$n]%.*}.1"; done
  # Forwarding on, and for the routers masquerade out of the WAN link: one process each.
  in_net internet sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward' || fail "ip_forward in the internet namespace"
  for n in homenat mobilenat; do
    in_net "$n" sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward && exec "$0" -f -' "${tool[nft]}" <<EOF ||
table ip nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan" masquerade
  }
}
EOF
      fail "forwarding and masquerade in $n"
  done
  # The endpoint names resolve from each node's hosts file only: `ip netns exec` bind-mounts
  # /etc/netns/NS/* over /etc/*, and nsswitch says files, so no DNS query is ever made.
  for n in "${nodes[@]}"; do
    mkdir -p "/etc/netns/${ns[$n]}"
    printf '%s' "$hosts_file" >"/etc/netns/${ns[$n]}/hosts"
    printf 'hosts: files\n' >"/etc/netns/${ns[$n]}/nsswitch.conf"
  done
  [[ $(ip netns exec "${ns[laptop]}" cat /etc/hosts) == "${hosts_file%$'\n'}" ]] ||
    fail "ip netns exec did not give the laptop its hosts file"
}

# uplink NODE DEV ADDRESS/LEN GATEWAY [BATCH-LINE...]: the address on the link, the link up, the
# default route, and any further lines, in one `ip -batch`.
uplink() {
  local n=$1 dev=$2 addr=$3 gw=$4
  shift 4
  batch "$n" < <(printf 'addr add %s dev %s\nlink set %s up\nroute add default via %s\n' "$addr" "$dev" "$dev" "$gw"
    printf '%s\n' "$@")
}

# batch NODE <<commands: one `ip -batch` inside the node's namespace.
batch() {
  ((report_mode)) || echo "+ [$1] ip -batch" >&2
  ip -n "${ns[$1]}" -batch - || fail "ip -batch in ${ns[$1]} failed"
}

# ---------------------------------------------------------------------------------------------
# Keys and configs, as the guide writes them.

# Which backend wg-quick will use: the kernel module if a wireguard link can be made (in our
# internet namespace: that also loads the module where it is not loaded yet), else wireguard-go.
pick_backend() {
  if ip -n "${ns[internet]}" link add wgprobe type wireguard 2>/dev/null; then
    ip -n "${ns[internet]}" link del wgprobe
    backend=kernel
  else
    command -v wireguard-go >/dev/null || skip "no WireGuard kernel module and no wireguard-go"
    backend=userspace
  fi
  if [[ -n ${WGKIT_E2E_BACKEND:-} && $WGKIT_E2E_BACKEND != "$backend" ]]; then
    fail "WGKIT_E2E_BACKEND=$WGKIT_E2E_BACKEND but this machine gives $backend"
  fi
  local n
  for n in "${nodes[@]}"; do
    # The guide's name, wg0, where interfaces are per namespace; wireguard-go's sockets are not.
    if [[ $backend == kernel ]]; then ifname[$n]=wg0; else ifname[$n]=wg$tag-${n:0:5}; fi
  done
}

declare -A pub=()
make_keys() {
  step "Fresh keys for the five nodes: wg genkey > NODE.key; wg pubkey < NODE.key > NODE.key.pub"
  local n
  for n in "${nodes[@]}"; do
    "$WG" genkey >"$tmp/keys/$n.key" || fail "wg genkey"
    "$WG" pubkey <"$tmp/keys/$n.key" >"$tmp/keys/$n.key.pub" || fail "wg pubkey"
    pub[$n]=$(<"$tmp/keys/$n.key.pub")
    node_of_pub[${pub[$n]}]=$n
  done
}

# The relay's forwarding: the guide's sysctl and iptables lines become one wg-quick key.
relay_lines() {
  echo "IPForward = yes"
}

# The [Peer] block the guide gives for public-server1 on every other node.
relay_peer_block() {
  cat <<EOF

[Peer]
# Name = ${fqdn[ps1]}
Endpoint = ${fqdn[ps1]}:51820
PublicKey = ${pub[ps1]}
# routes traffic to itself and entire subnet of peers as bounce server
AllowedIPs = 10.0.0.1/24
PersistentKeepalive = 25
EOF
}

# Each node's wg0.conf, peers exactly as the guide lists them per node. Left out: the guide's
# "DNS = 1.1.1.1" (it would hand resolvconf a real outside resolver; the names here come from
# hosts files only, and no query may leave the namespaces).
write_configs() {
  step "Configs from the guide (0600, in $tmp)"
  local n priv
  for n in "${nodes[@]}"; do
    priv=$(<"$tmp/keys/$n.key")
    conf[$n]=$tmp/$n/${ifname[$n]}.conf
    mkdir -p "$tmp/$n"
    {
      echo "[Interface]"
      echo "# Name = ${fqdn[$n]}"
      case $n in
        ps1) echo "Address = 10.0.0.1/24" ;;
        *) echo "Address = ${vpn[$n]}/32" ;;
      esac
      case $n in ps1 | ps2 | home) echo "ListenPort = 51820" ;; esac
      echo "PrivateKey = $priv"
      case $n in
        ps1)
          relay_lines
          cat <<EOF

[Peer]
# Name = ${fqdn[ps2]}
Endpoint = ${fqdn[ps2]}:51820
PublicKey = ${pub[ps2]}
AllowedIPs = 10.0.0.2/32

[Peer]
# Name = ${fqdn[home]}
Endpoint = ${fqdn[home]}:51820
PublicKey = ${pub[home]}
AllowedIPs = 10.0.0.3/32

[Peer]
# Name = ${fqdn[laptop]}
PublicKey = ${pub[laptop]}
AllowedIPs = 10.0.0.4/32

[Peer]
# ${fqdn[phone]}
PublicKey = ${pub[phone]}
AllowedIPs = 10.0.0.5/32
EOF
          ;;
        *) relay_peer_block ;;
      esac
    } >"${conf[$n]}"
  done
  unset priv
}

# ---------------------------------------------------------------------------------------------
# wg-quick up, and the checks on what it did.

quick_up() { # NODE
  local n=$1 log=$tmp/$1.up.log
  is_up[$n]=1
  at "$n" timeout 120 "$WG_QUICK" up "${conf[$n]}" >"$log" 2>&1 ||
    { show_file "$log"; fail "wg-quick up on ${title[$n]}"; }
  # The transcript says which backend it took; it must be the one this machine has.
  if [[ $backend == kernel ]]; then
    grep -q "Falling back" "$log" && { show_file "$log"; fail "${title[$n]}: fell back to userspace next to the module"; }
  else
    grep -q "Falling back to slow userspace" "$log" || { show_file "$log"; fail "${title[$n]}: no userspace fallback in the transcript"; }
  fi
  ((report_mode)) || sed 's/^/    /' "$log"
}

quick_down() { # NODE
  local n=$1 log=$tmp/$1.down.log
  at "$n" timeout 120 "$WG_QUICK" down "${conf[$n]}" >"$log" 2>&1 ||
    { show_file "$log"; fail "wg-quick down on ${title[$n]}"; }
  unset 'is_up[$n]'
}

bring_up() {
  step "wg-quick up on every node (wgkit's, $backend backend)"
  local n
  for n in "${nodes[@]}"; do quick_up "$n"; done
  [[ $(in_net ps1 "${tool[sysctl]}" -n net.ipv4.ip_forward) == 1 ]] ||
    fail "public-server1 does not forward after up (IPForward = yes)"
}

# ---------------------------------------------------------------------------------------------
# Pings.

# ping_together DEADLINE PAIR...: every pair "a:b" pings from a to b at once, one probe a
# second, until the first reply or DEADLINE probes. Sets ok[PAIR] and usecs[PAIR] (from its
# first probe to the first reply: traffic is what makes WireGuard re-handshake, and in the
# emulated VM twenty pings take seconds just to start), returns how many failed.
# ping's own stop conditions do not fit: with -w it quits on the first ICMP error, and the kernel
# module answers "host unreachable" while the relay has no endpoint for a peer yet; with -c it
# counts errors as answers. So ping sends DEADLINE probes and a reader stops at the first reply
# (ping then dies of SIGPIPE at its next line).
declare -A ok=() usecs=() ends=()
ping_together() {
  local deadline=$1 pair bad=0
  shift
  mkdir -p "$tmp/ping"
  for pair in "$@"; do
    rm -f "$tmp/ping/$pair.done"
    (
      # ping's own output comes in blocks, so its start is taken here, just before it starts.
      echo "${EPOCHREALTIME/./}" >"$tmp/ping/$pair.start"
      in_net "${pair%:*}" "${tool[ping]}" -n -i 1 -W 1 -c "$deadline" "${vpn[${pair#*:}]}" 2>&1 |
        while IFS= read -r line; do
          printf '%s\n' "$line"
          if [[ $line == *" bytes from "* ]]; then
            echo "0 ${EPOCHREALTIME/./}" >"$tmp/ping/$pair.done"
            break
          fi
        done >"$tmp/ping/$pair"
      [[ -e $tmp/ping/$pair.done ]] || echo "1 ${EPOCHREALTIME/./}" >"$tmp/ping/$pair.done"
    ) &
  done
  wait
  for pair in "$@"; do
    local status end start=
    read -r status end <"$tmp/ping/$pair.done"
    [[ -e $tmp/ping/$pair.start ]] && read -r start <"$tmp/ping/$pair.start"
    ok[$pair]=$((status == 0))
    usecs[$pair]=$((end - ${start:-$end})) ends[$pair]=$end
    ((status == 0)) || bad=$((bad + 1))
  done
  if ((!report_mode)); then
    local line=
    for pair in "$@"; do line+=" $pair=$(slowest "$pair")"; done
    echo "    seconds to the first reply:$line"
  fi
  return $bad
}

# slowest PAIR...: the longest wait among the pairs, in seconds with one decimal.
slowest() {
  local p max=0
  for p in "$@"; do ((usecs[$p] > max)) && max=${usecs[$p]}; done
  printf '%d.%d' $((max / 1000000)) $((max % 1000000 / 100000))
}

report_failed_pings() { # WHAT PAIR...
  local what=$1 pair
  shift
  for pair in "$@"; do
    ((ok[$pair])) && continue
    echo "FAIL: $what: ${title[${pair%:*}]} -> ${title[${pair#*:}]} (${vpn[${pair#*:}]}) got no reply:" >&2
    show_file "$tmp/ping/$pair"
  done
}

# The relay's per-peer counters and endpoints, by node.
read_relay() {
  local dump pubkey psk ep aips hs rx tx ka
  dump=$(in_net "$relay" "$WG" show "${ifname[$relay]}" dump) || fail "wg show dump on the relay"
  R_rx=() R_tx=() R_ep=()
  while IFS=$'\t' read -r pubkey psk ep aips hs rx tx ka; do
    [[ -n $ka ]] || continue # the interface line has four fields
    local n=${node_of_pub[$pubkey]:-}
    [[ -n $n ]] || fail "the relay has an unknown peer $pubkey"
    R_rx[$n]=$rx R_tx[$n]=$tx R_ep[$n]=$ep
  done <<<"$dump"
}

# Bytes each probe carries: 1000 of ICMP payload, so a relayed pair moves thousands of bytes
# through the relay, which keepalives (32 bytes) and handshakes (148 and 92) cannot fake.
probe_size=1000

# Every node behind a NAT (and public-server2) has a PersistentKeepalive, which sends a first
# keepalive, and so a handshake, as soon as its interface is up: wait for the relay to have all four.
wait_for_handshakes() {
  step "The relay's handshakes with its four peers"
  local deadline=$((SECONDS + 30)) out pubkey when missing
  while :; do
    out=$(in_net "$relay" "$WG" show "${ifname[$relay]}" latest-handshakes) || fail "wg show latest-handshakes on the relay"
    missing=
    while IFS=$'\t' read -r pubkey when; do
      ((when > 0)) || missing+=" ${title[${node_of_pub[$pubkey]}]}"
    done <<<"$out"
    [[ -z $missing ]] && return
    ((SECONDS < deadline)) || { echo "$out" >&2; fail "no handshake within 30 s of up with:$missing"; }
    sleep 0.5
  done
}

# The direct pairs first, then the relayed ones back to back, so each relayed pair's counters
# "after" are the next one's "before" (nothing else crosses the relay in between but keepalives).
matrix() {
  step "Ping matrix: 20 ordered pairs, 3 pings of $probe_size bytes each"
  local pair a b n out sent got try ordered=()
  for pair in "${pairs[@]}"; do direct "${pair%:*}" "${pair#*:}" && ordered+=("$pair"); done
  for pair in "${pairs[@]}"; do direct "${pair%:*}" "${pair#*:}" || ordered+=("$pair"); done
  local -A before_rx=() before_tx=()
  local counted=0
  for pair in "${ordered[@]}"; do
    a=${pair%:*} b=${pair#*:}
    if ! direct "$a" "$b"; then
      ((counted)) || read_relay
      before_rx=() before_tx=()
      for n in "$a" "$b"; do before_rx[$n]=${R_rx[$n]} before_tx[$n]=${R_tx[$n]}; done
    fi
    # A first contact may still be handshaking on a slow machine: up to three rounds.
    for try in 1 2 3; do
      out=$(in_net "$a" "${tool[ping]}" -n -q -c 3 -i 0.2 -W 2 -s $probe_size "${vpn[$b]}" 2>&1)
      [[ $out =~ ([0-9]+)\ packets\ transmitted,\ ([0-9]+)\ received ]] ||
        { echo "$out" >&2; fail "ping ${title[$a]} -> ${title[$b]}: no summary"; }
      sent=${BASH_REMATCH[1]} got=${BASH_REMATCH[2]}
      ((got > 0)) && break
    done
    ((got > 0)) || { echo "$out" >&2; fail "ping ${title[$a]} -> ${title[$b]}: no reply in three rounds"; }
    [[ $out =~ =\ [0-9.]+/([0-9.]+)/ ]] && lat[$pair]=${BASH_REMATCH[1]}
    if direct "$a" "$b"; then
      path[$pair]=direct
    else
      read_relay
      counted=1
      # Requests: in from a, out to b; replies: in from b, out to a. Each grows by at least
      # the answered probes' payload.
      local min=$((got * probe_size)) leg d
      for leg in "rx $a" "tx $b" "rx $b" "tx $a"; do
        set -- $leg
        if [[ $1 == rx ]]; then d=$((R_rx[$2] - before_rx[$2])); else d=$((R_tx[$2] - before_tx[$2])); fi
        ((d >= min)) || fail "${title[$a]} -> ${title[$b]}: the relay's $1 counter for ${title[$2]} grew by $d bytes, less than $min: not relayed"
      done
      path[$pair]=relayed
    fi
    note "$(printf '%-15s -> %-15s %s/%s replies, avg %s ms, %s' "${title[$a]}" "${title[$b]}" "$got" "$sent" "${lat[$pair]:-?}" "${path[$pair]}")"
  done
}

# ---------------------------------------------------------------------------------------------
# Roaming: the laptop's cable moves from the home NAT to the mobile NAT and it gets a new LAN
# address (what DHCP would do). Nothing runs on the laptop after that; the others must reach it
# again once its keepalive (every 25 s) has shown the relay its new endpoint.

roam() {
  step "Roaming: the laptop moves from the home NAT to the mobile NAT"
  read_relay
  old_laptop_ep=${R_ep[laptop]}
  [[ $old_laptop_ep == "$home_wan":* ]] || fail "the relay sees the laptop at $old_laptop_ep, not behind the home NAT ($home_wan)"
  at homenat ip link set lan-laptop netns "${ns[mobilenat]}" || fail "moving the laptop's link"
  batch mobilenat <<EOF
addr add 192.168.2.1 peer 192.168.2.3 dev lan-laptop
link set lan-laptop up
EOF
  batch laptop <<EOF
addr flush dev eth0
addr add 192.168.2.3/24 dev eth0
route replace default via 192.168.2.1
EOF
  underlay[laptop]=192.168.2.3
  local to_laptop=(ps1:laptop ps2:laptop home:laptop phone:laptop)
  note "pinging the laptop from the four others (nothing runs on the laptop)"
  ping_together 30 "${to_laptop[@]}" || { report_failed_pings "after roaming" "${to_laptop[@]}"; fail "the laptop was not reachable within 30 s of roaming"; }
  roam_seconds=$(slowest "${to_laptop[@]}")
  read_relay
  new_laptop_ep=${R_ep[laptop]}
  [[ $new_laptop_ep == "$mobile_wan":* ]] || fail "after roaming the relay sees the laptop at $new_laptop_ep, not behind the mobile NAT ($mobile_wan)"
  note "reachable after ${roam_seconds} s; the relay's endpoint for it: $old_laptop_ep -> $new_laptop_ep"
  local from_laptop=(laptop:ps1 laptop:ps2 laptop:home laptop:phone)
  ping_together 10 "${from_laptop[@]}" || { report_failed_pings "after roaming" "${from_laptop[@]}"; fail "the laptop cannot reach the others after roaming"; }
}

# ---------------------------------------------------------------------------------------------
# Relay restart: public-server1 down and up; every pair must come back within 30 s. The NATed
# nodes' stale sessions recover when their unanswered data triggers a new handshake (15 s).

restart_relay() {
  step "Relay restart: wg-quick down and up on public-server1"
  quick_down ps1
  [[ ! -e /var/run/wgkit/quick/${ifname[ps1]}.${nsino[ps1]} ]] || fail "wg-quick down left its state record"
  [[ $backend == kernel || ! -e /var/run/wireguard/${ifname[ps1]}.sock ]] || fail "wg-quick down left ${ifname[ps1]}.sock"
  [[ $(in_net ps1 "${tool[sysctl]}" -n net.ipv4.ip_forward) == 0 ]] ||
    fail "public-server1 still forwards after down (IPForward restores the sysctl)"
  quick_up ps1
  local up=${EPOCHREALTIME/./} p with_relay=() through_relay=()
  for p in "${pairs[@]}"; do
    if direct "${p%:*}" "${p#*:}"; then with_relay+=("$p"); else through_relay+=("$p"); fi
  done
  # The relay's own links first: a NATed node whose session the relay forgot re-handshakes 15 s
  # after its first unanswered packet. Then the pairs through the relay, which need no more.
  ping_together 30 "${with_relay[@]}" ||
    { report_failed_pings "after the relay restart" "${with_relay[@]}"; fail "a node and the relay did not recover within 30 s of its restart"; }
  ping_together 5 "${through_relay[@]}" ||
    { report_failed_pings "after the relay restart" "${through_relay[@]}"; fail "a pair through the relay did not recover with the relay's links"; }
  links_seconds=$(slowest "${with_relay[@]}")
  usecs[restart]=0
  for p in "${through_relay[@]}"; do ((ends[$p] - up > usecs[restart])) && usecs[restart]=$((ends[$p] - up)); done
  restart_seconds=$(slowest restart)
  note "the relay's links answered within ${links_seconds} s of their pings' start; the last pair ${restart_seconds} s after the relay's up"
}

# ---------------------------------------------------------------------------------------------
# The report (the README's first command shows it; the test log has it too).

print_report() {
  local n a b pair cell
  echo
  echo "${bold}The guide's network${plain}: 10.0.0.0/24 over WireGuard, on an underlay of namespaces $ns_prefix*"
  cat <<EOF

                                  internet
       .------------------.-----------+-----------------.---------------------.
  public-server1     public-server2            home NAT                 mobile NAT
  ${underlay[ps1]}          198.51.100.1              $home_wan              $mobile_wan
  wg 10.0.0.1 relay  wg 10.0.0.2             |             |           |            .
                                        home-server   laptop  ~~~~~~> laptop       phone
                                        192.168.1.2   192.168.1.3     192.168.2.3  192.168.2.2
                                        wg 10.0.0.3   wg 10.0.0.4     (roamed)     wg 10.0.0.5

EOF
  printf '%-15s %-12s %-33s %s\n' node "wg address" "underlay (role)" "peers, as the guide lists them"
  local -A where=(
    [ps1]="${underlay[ps1]} (public, the relay)" [ps2]="198.51.100.1 (public)"
    [home]="192.168.1.2 behind $home_wan" [laptop]="192.168.1.3, then 192.168.2.3"
    [phone]="192.168.2.2 behind $mobile_wan")  # the longest fits 33
  for n in "${nodes[@]}"; do
    local addr=${vpn[$n]}/32 peers="${title[ps1]}"
    [[ $n == ps1 ]] && addr=10.0.0.1/24 peers="${title[ps2]}, ${title[home]}, ${title[laptop]}, ${title[phone]}"
    printf '%-15s %-12s %-33s %s\n' "${title[$n]}" "$addr" "${where[$n]}" "$peers"
  done
  echo
  echo "Ping matrix: average round trip of 3 pings in ms, and the path (relayed = through"
  echo "public-server1, as its transfer counters show; no other pair is each other's peer)"
  local row
  row=$(printf '%-16s' "from \\ to"; for b in "${nodes[@]}"; do printf '%-16s' "${title[$b]}"; done)
  echo "${row%"${row##*[! ]}"}"
  for a in "${nodes[@]}"; do
    row=$(printf '%-16s' "${title[$a]}"
      for b in "${nodes[@]}"; do
        if [[ $a == "$b" ]]; then
          cell=-
        else
          pair=$a:$b
          cell="${lat[$pair]:-?}"
          [[ $cell == *.* ]] && cell=$(printf '%.2f' "$cell")
          cell+=" ${path[$pair]:-?}"
        fi
        printf '%-16s' "$cell"
      done)
    echo "${row%"${row##*[! ]}"}"
  done
  echo
  [[ -n $roam_seconds ]] && printf '%s\n' \
    "Roaming: the laptop moved to the mobile NAT; ${roam_seconds} s later it answered again, with nothing" \
    "  run on it (its keepalive showed the relay its new endpoint: $old_laptop_ep -> $new_laptop_ep)."
  [[ -n $restart_seconds ]] && printf '%s\n' \
    "Relay restart: public-server1 went down and up; each node's link to it answered again within" \
    "  ${links_seconds} s (a session the relay forgot is renewed 15 s after the first unanswered packet)," \
    "  and all 20 pairs answered by ${restart_seconds} s after its up."
  echo
  echo "The relay's wg show (wgkit's wg, on public-server1). Its peers' public keys:"
  for n in "${nodes[@]}"; do [[ $n == "$relay" ]] || echo "  ${pub[$n]}  ${title[$n]}"; done
  echo
  local color=never
  [[ -t 1 ]] && color=always
  WG_COLOR_MODE=$color in_net "$relay" "$WG" show "${ifname[$relay]}" || fail "wg show on the relay"
  echo
}

# ---------------------------------------------------------------------------------------------

main() {
  local t0=$SECONDS
  tmp=$(mktemp -d /tmp/wgk-e2e.XXXXXX) || fail "mktemp"
  chmod 700 "$tmp"
  umask 077
  mkdir "$tmp/keys"
  build_underlay
  pick_backend
  make_keys
  write_configs
  bring_up
  wait_for_handshakes
  matrix
  roam
  restart_relay
  print_report
  scenario_done=1
  step "Teardown: wg-quick down on every node, namespaces and files removed"
  teardown
  ((report_mode)) || echo "scenario took $((SECONDS - t0)) s"
}

main
