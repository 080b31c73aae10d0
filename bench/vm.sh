#!/usr/bin/env bash
# The kernel half of the benchmark, run inside the kernel lab's guest by bench/run.sh:
#   tests/vm/run-in-vm.sh BUILD_DIR bench/vm.sh REPS DOWN_PEERS [--skip=WORKLOAD,...] N...
# Prints one line per measured run, "BENCH vm WORKLOAD N TOOL REP WALL USER SYS RSS_KB", for
# bench/report.py, and per repetition "BENCH transfer WORKLOAD N REP SECONDS" (see transfer).
# Rep 0 is a warm-up whose time is not used; its peak RSS (GNU time %M) is the one reported.
# Original and ours alternate, and which goes first alternates too.
set -euo pipefail
reps=$1 down_peers=$2
shift 2
skip=,  # --skip=W1,W2: workloads not to run (for a shorter run at one size)
if [[ ${1:-} == --skip=* ]]; then skip=,${1#--skip=},; shift; fi
sizes=("$@")
orig=$ORIGINAL_WG ours=$WGKIT_WG
tmp=$(mktemp -d)
dev=wgb
cleanup() {
  "$orig" setconf "$dev" "$tmp/empty.conf" 2>/dev/null || true
  ip link del "$dev" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
printf '[Interface]\n' >"$tmp/empty.conf"
printf 'BENCH info kernel %s\n' "$(uname -r)"

# gen FIRST COUNT WITH_KEY CHANGED_ENDPOINT_EVERY DROP_EVERY: peers FIRST..FIRST+COUNT-1, each
# with its own public key and /32, an endpoint, a preshared key on every second one.
gen() {
  awk -v first="$1" -v count="$2" -v with_key="$3" -v move="$4" -v drop="$5" '
    function b64(n,   s, k) { s = ""; for (k = 0; k < 5; k++) { s = substr(A, n % 64 + 1, 1) s; n = int(n / 64) } return s }
    function key(n, salt) { return "Q" salt b64(n) "mK3xv9TqLw2ZbR7pYc5NfJ8dHs4Gu6Ve1Ao" "A=" }
    BEGIN {
      A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
      print "[Interface]"
      if (with_key) print "PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
      print "ListenPort = 51820"
      for (i = first; i < first + count; i++) {
        if (drop && i % drop == 0) continue
        print "[Peer]"
        print "PublicKey = " key(i, "p")
        if (i % 2) print "PresharedKey = " key(i, "s")
        port = 1024 + i % 60000
        if (move && i % move == 1) port = port + 1
        print "Endpoint = 10." (i % 250) "." (int(i / 250) % 250) ".1:" port
        print "AllowedIPs = 10." (100 + int(i / 65536)) "." (int(i / 256) % 256) "." (i % 256) "/32"
      }
    }'
}
# One peer holding COUNT allowed IPs: a /16 and a /128 in turn.
gen_ips() {
  awk -v count="$1" 'BEGIN {
    print "[Interface]\n[Peer]\nPublicKey = Qpq2mK3xv9TqLw2ZbR7pYc5NfJ8dHs4Gu6Ve1AoiAAA="
    for (i = 0; i < count; i++) {
      a = 1 + int(i / 512); b = int(i / 2) % 256
      if (i % 2 == 0) printf "AllowedIPs = %d.%d.0.0/16\n", a, b
      else printf "AllowedIPs = %x::%x/128\n", a, b
    }
  }'
}

clear_peers() { "$orig" setconf "$dev" "$tmp/empty.conf"; }

# transfer WORKLOAD N REP FILE: the same setconf's netlink transfer alone, on the empty device
# each tool's turn leaves (and leaves it empty again): wgkit_genl_tool (tests/vm) parses FILE,
# then times the library's set_device inside the process (encoding, sending, the kernel
# applying each message before its acknowledgement). What a setconf costs beyond it and
# start-up is the tool's own: reading and parsing the file.
transfer_tool=${WGKIT_BIN:-}/wgkit_genl_tool
transfer() {
  local workload=$1 n=$2 rep=$3 file=$4 out
  [[ $skip != *",$workload,"* && -x $transfer_tool ]] || return 0
  out=$("$transfer_tool" setconf "$dev" "$file" 2>&1 >/dev/null) || {
    echo "BENCH error transfer $workload $n: $(head -c 300 <<<"$out")"
    return 1
  }
  # "set: M messages, B bytes, S s"
  echo "BENCH transfer $workload $n $rep $(awk '{ print $(NF - 1) }' <<<"$out")"
  clear_peers
}

# measure WORKLOAD N TOOL REP COMMAND...: one timed run (bash's time, milliseconds) of the
# command under GNU time for its peak RSS; output to /dev/null.
measure() {
  local workload=$1 n=$2 tool=$3 rep=$4 t rss
  shift 4
  [[ $skip != *",$workload,"* ]] || return 0
  TIMEFORMAT='%3R %3U %3S'
  t=$( { time /usr/bin/time -f %M -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/err"; } 2>&1 ) || {
    echo "BENCH error $workload $n $tool: $* failed: $(head -c 300 "$tmp/err")"
    return 1
  }
  rss=$(tail -n 1 "$tmp/rss")
  echo "BENCH vm $workload $n $tool $rep $t $rss"
}

tool_order() { # REP: the tools in this repetition's order
  if (($1 % 2)); then echo "ours orig"; else echo "orig ours"; fi
}
bin_of() { if [[ $1 == ours ]]; then echo "$ours"; else echo "$orig"; fi }

ip link add "$dev" type wireguard
ip link set "$dev" up
measure startup 0 orig 0 "$orig" --version
# Runs that take a few hundredths of a second vary by more than the difference between the
# tools; five times the repetitions (cheap at that size) keep the medians' ratios from moving.
small_reps=$((reps * 5))
for r in $(seq 0 "$small_reps"); do
  for t in $(tool_order "$r"); do
    measure startup 0 "$t" "$r" "$(bin_of "$t")" show "$dev" dump
  done
done

for n in "${sizes[@]}"; do
  gen 0 "$n" 1 0 0 >"$tmp/key.conf"
  gen 0 "$n" 0 0 0 >"$tmp/nokey.conf"
  # 1%: every 200th peer dropped, every 200th (another one) with a new endpoint port, and n/200
  # new peers.
  { gen 0 "$n" 0 200 200; gen "$n" $((n / 200)) 0 0 0 | sed 1,2d; } >"$tmp/sync.conf"
  gen_ips "$n" >"$tmp/ips.conf"
  n_reps=$reps
  ((n > 1000)) || n_reps=$small_reps
  # Above N = 1,000, every workload but setconf with a key (half a minute a run at 100,000)
  # gets as many repetitions again: those runs take seconds, and in five of them two outliers
  # on one side (single runs of either tool jump by half on a shared machine) move the median.
  last_rep=$n_reps
  ((n <= 1000)) || last_rep=$((n_reps * 2))
  for r in $(seq 0 "$last_rep"); do
    for t in $(tool_order "$r"); do
      wg=$(bin_of "$t")
      if ((r <= n_reps)); then
        measure setconf-key "$n" "$t" "$r" "$wg" setconf "$dev" "$tmp/key.conf"
      fi
      # Not timed: the device still needs its peers for the reads (without a private key:
      # quick; the reads then differ only in the device's one line).
      if ((r > n_reps)) || [[ $skip == *,setconf-key,* ]]; then
        "$ours" setconf "$dev" "$tmp/nokey.conf"
      fi
      measure dump "$n" "$t" "$r" "$wg" show "$dev" dump
      measure pretty "$n" "$t" "$r" "$wg" show "$dev"
      measure showconf "$n" "$t" "$r" "$wg" showconf "$dev"
      clear_peers
      measure setconf-nokey "$n" "$t" "$r" "$wg" setconf "$dev" "$tmp/nokey.conf"
      measure syncconf-1pct "$n" "$t" "$r" "$wg" syncconf "$dev" "$tmp/sync.conf"
      clear_peers
      measure ips-set "$n" "$t" "$r" "$wg" setconf "$dev" "$tmp/ips.conf"
      measure ips-list "$n" "$t" "$r" "$wg" show "$dev" allowed-ips
      clear_peers
    done
    transfer setconf-nokey "$n" "$r" "$tmp/nokey.conf"
    transfer ips-set "$n" "$r" "$tmp/ips.conf"
  done
done
ip link del "$dev"

# wg-quick down of an interface holding DOWN_PEERS peers (set up by hand: the original's up
# forks ip once per route, which would take most of the run).
if ((down_peers > 0)); then
  # The file wg-quick reads names no peers: the original parses a config in bash, a second
  # per ten peers here, and this measures taking the interface down, not parsing.
  mkdir -p /etc/wireguard
  printf '[Interface]\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\nAddress = 10.99.0.1/24\n' \
    >/etc/wireguard/wgd.conf
  chmod 600 /etc/wireguard/wgd.conf
  gen 0 "$down_peers" 1 0 0 >"$tmp/down.conf"
  for r in $(seq 1 "$reps"); do
    for t in $(tool_order "$r"); do
      ip link add wgd type wireguard
      "$ours" setconf wgd "$tmp/down.conf"
      ip address add 10.99.0.1/24 dev wgd
      ip link set wgd up
      if [[ $t == ours ]]; then q=$WGKIT_WG_QUICK; else q=$ORIGINAL_WG_QUICK; fi
      measure quick-down "$down_peers" "$t" "$r" "$q" down wgd
      ! ip link show wgd >/dev/null 2>&1 || { echo "BENCH error wgd still exists"; exit 1; }
    done
  done
fi
echo "BENCH done"
