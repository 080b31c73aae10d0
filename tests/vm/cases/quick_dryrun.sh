#!/usr/bin/env bash
# Kernel lab, `wg-quick --dry-run` (issue 6 §3) on the in-kernel module. For up, reload and down
# of a full tunnel (IPv4 and IPv6 default routes: fwmark, rules, nft table, src_valid_mark) with
# DNS and all four hooks: the namespace snapshot after the dry run equals the one before it (no
# link, address, route, rule, firewall, sysctl, DNS record or hook run), and the steps the dry
# run printed equal those the real run then prints. The netns twin is
# tests/netns/quick_dryrun_test.py (wireguard-go, nft and iptables paths).
set -uo pipefail
source "$WGKIT_SOURCE_ROOT/tests/vm/lib.sh"
source "$WGKIT_SOURCE_ROOT/tests/vm/quick_lib.sh"

write_config() { # FILE ADDRESS DNS EXTRA-ALLOWED-IP
  cat >"$1" <<CONF
[Interface]
PrivateKey = $QK_PRIV
Address = $2, fd30::2/64
DNS = $3, example.com
PreUp = echo pre-up %i >> /etc/wgk-hooklog
PostUp = echo post-up %i >> /etc/wgk-hooklog
PreDown = echo pre-down %i >> /etc/wgk-hooklog
PostDown = echo post-down %i >> /etc/wgk-hooklog

[Peer]
PublicKey = $QK_PEER1
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = 127.0.0.1:51999

[Peer]
PublicKey = $QK_PEER2
AllowedIPs = $4
CONF
  chmod 600 "$1"
}

# dry_then_real DIR VERB SNAPSHOT-INTERFACES...: `--dry-run VERB`, the snapshot unchanged, then
# the real VERB, whose printed steps must equal the dry run's.
dry_then_real() {
  local dir=$1 verb=$2 before after ok=1
  shift 2
  before=$(quick_snap "$dir" "$@")
  "$WGKIT_WG_QUICK" --dry-run "$verb" "$dir/wgm0.conf" 2>"$dir/dry-$verb.err" ||
    { cat "$dir/dry-$verb.err" >&2; echo "FAIL: --dry-run $verb exited nonzero" >&2; return 1; }
  after=$(quick_snap "$dir" "$@")
  quick_expect_equal "$before" "$after" "the namespace after --dry-run $verb vs before it" before after || ok=
  "$WGKIT_WG_QUICK" "$verb" "$dir/wgm0.conf" 2>"$dir/$verb.err" ||
    { cat "$dir/$verb.err" >&2; echo "FAIL: $verb exited nonzero" >&2; return 1; }
  [[ -s $dir/$verb.err ]] || { echo "FAIL: $verb printed no steps" >&2; ok=; }
  quick_expect_equal "$(<"$dir/dry-$verb.err")" "$(<"$dir/$verb.err")" \
    "the steps --dry-run $verb printed vs those $verb printed" dry-run real || ok=
  [[ $ok ]] && echo "ok --dry-run $verb"
}

dryrun_side() {
  local dir=$1
  export PATH=$dir/bin:$PATH
  ip link set lo up
  dry_then_real "$dir" up || return 1
  grep -qx '\[#\] ip link add dev wgm0 type wireguard' "$dir/up.err" ||
    { echo "FAIL: no kernel link in the transcript" >&2; cat "$dir/up.err" >&2; return 1; }
  # The file changes: another address, another DNS server, one more allowed IP.
  write_config "$dir/wgm0.conf" 10.30.0.3/24 10.30.0.53 "10.31.0.0/16, 10.32.0.0/16"
  dry_then_real "$dir" reload wgm0 || return 1
  dry_then_real "$dir" down wgm0 || return 1
  [[ ! -e /sys/class/net/wgm0 ]] || { echo "FAIL: wgm0 still there after down" >&2; return 1; }
}

quick_init
QC_RANDOM_PORT=1 QC_SYMLINK="" QC_NO_RESOLVCONF="" QC_SETUP="" QC_STEP="" QC_SIGNAL=""
dir=$(quick_side_dir d)
write_config "$dir/wgm0.conf" 10.30.0.2/24 10.30.0.1 10.31.0.0/16
export QK_PEER1 QK_PEER2
export -f write_config dry_then_real dryrun_side
quick_in_ns d dryrun_side "$dir" || fail "wg-quick --dry-run on the kernel module"
echo "quick dry-run on the kernel: ok"
