# SPDX-License-Identifier: MIT
# Kernel lab, wg-quick matrix and faults (issue 5): the bash twin of tests/netns/quick_lib.py for
# the guest, which has no python. Sourced by cases/quick_matrix*.sh and cases/quick_fault_kernel.sh
# after tests/vm/lib.sh.
#
# Each side (o: Debian's wg-quick, q: ours) runs in its own fresh network namespace, one after the
# other, with its own config directory and its own resolvconf stub (the same script as the netns
# tests' stub, recording into the side's directory). Both sides use the same interface names (the
# namespaces differ), so no name needs normalising. Every program start costs a few tenths of a
# second under TCG: a snapshot is three programs (four with wg showconf) plus one awk. No
# iptables-save/ip6tables-save: the guest's iptables is iptables-nft, whose rules are nftables
# rules that `nft list ruleset` already shows (the netns snapshot has both).

QUICK_CONFIGS=$WGKIT_SOURCE_ROOT/tests/quick-configs
QM=/tmp/qm
# shellcheck source=../quick-configs/setup.sh
source "$QUICK_CONFIGS/setup.sh"

# Keys for the run (the configs hold placeholders), the named table and resolvconf's
# interface-order (its `tun*` line gives the original's `tun.` prefix), as the netns Host does.
quick_init() {
  QK_PRIV=$(wg genkey)
  QK_PEER1=$(wg genkey | wg pubkey)
  QK_PEER2=$(wg genkey | wg pubkey)
  mkdir -p /etc/iproute2/rt_tables.d /etc/resolvconf /etc/wireguard "$QM"
  printf '4242\twgktest\n' >/etc/iproute2/rt_tables.d/wgk.conf
  printf 'lo.inet6\nlo.inet\nlo.@(dnsmasq|pdnsd)\nlo.!(pdns|pdns-recursor)\nlo\ntun*\ntap*\nhso*\n' \
    >/etc/resolvconf/interface-order
}

# quick_load CASE_FILE: sets QC_CONFIG (keys filled in, directives dropped), QC_SETUP,
# QC_MTU ("OLD NEW" or empty), QC_SYMLINK (1 or empty), QC_SAVED (1 when SaveConfig = true),
# QC_RANDOM_PORT (1 without ListenPort), QC_STEP, QC_SIGNAL and QC_NO_RESOLVCONF (fault cases).
quick_load() {
  local line key value
  QC_RANDOM_PORT=1 QC_CONFIG="" QC_SETUP="" QC_MTU="" QC_SYMLINK="" QC_SAVED="" QC_STEP="" QC_SIGNAL="" QC_NO_RESOLVCONF=""
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line != "#@ "* ]]; then
      QC_CONFIG+=$line$'\n'
      [[ $line == "SaveConfig = true" ]] && QC_SAVED=1
    [[ $line == "ListenPort = "* ]] && QC_RANDOM_PORT=""
      continue
    fi
    key=${line#"#@ "} value=${key#* }
    key=${key%% *}
    case $key in
    setup) QC_SETUP+=${QC_SETUP:+ && }$value ;;
    target-mtu) QC_MTU=$value ;;
    symlink-resolvconf) QC_SYMLINK=1 ;;
    fails-at) QC_STEP=$value ;;
    signal) QC_SIGNAL=$value ;;
    no-resolvconf) QC_NO_RESOLVCONF=1 ;;
    *) fail "$1: unknown directive $key" ;;
    esac
  done <"$1"
  QC_CONFIG=${QC_CONFIG//@PRIV@/$QK_PRIV}
  QC_CONFIG=${QC_CONFIG//@PEER1@/$QK_PEER1}
  QC_CONFIG=${QC_CONFIG//@PEER2@/$QK_PEER2}
}

# quick_side_dir SIDE: a fresh directory with bin/resolvconf (the stub) and rc/ (its records).
quick_side_dir() {
  local dir=$QM/$1
  rm -rf "$dir" /etc/wgk-hooklog /etc/wgk-postup
  mkdir -p "$dir/bin" "$dir/rc"
  cat >"$dir/bin/resolvconf" <<EOF
#!/bin/sh
# Test stand-in for resolvconf(8): keeps what wg-quick asks for under $dir/rc.
dir=$dir/rc
case "\$1" in
-a) cat > "\$dir/\$2"; exit 0 ;;
-d) [ -e "\$dir/\$2" ] || exit 1; rm -f "\$dir/\$2"; exit 0 ;;
-l) cat "\$dir/\$2" ;;
*) exit 2 ;;
esac
EOF
  chmod 755 "$dir/bin/resolvconf"
  if [[ $QC_SYMLINK ]]; then
    mv "$dir/bin/resolvconf" "$dir/resolvconf.real"
    ln -s "$dir/resolvconf.real" "$dir/bin/resolvconf"
  fi
  [[ $QC_NO_RESOLVCONF ]] && rm -f "$dir/bin/resolvconf"
  echo "$dir"
}

# The normalisations of quick_lib.py's NORMALISATIONS (each names a value random by nature),
# and sort_link_local_runs: adjacent routes to random link-locals / veth multicast routes sorted.
quick_normalise() {
  awk -v random_port="$QC_RANDOM_PORT" '
    function flush(   i, j, t) {
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (run[j] < run[i]) { t = run[i]; run[i] = run[j]; run[j] = t }
      for (i = 1; i <= n; i++) print run[i]
      n = 0
    }
    /^# .*(Generated|Completed)/ { $0 = "# <comment>" }
    random_port && /^ListenPort = [0-9]+$/ { $0 = "ListenPort = <random>" }
    {
      gsub(/fe80::[0-9a-f:]+\//, "fe80::<ll>/"); gsub(/fe80::[0-9a-f:]+ /, "fe80::<ll> ")
      sub(/fe80::[0-9a-f:]+$/, "fe80::<ll>")
      sub(/^[0-9]+: /, "<idx>: ")
      gsub(/valid_lft [^ ]+/, "valid_lft <t>"); gsub(/preferred_lft [^ ]+/, "preferred_lft <t>")
      gsub(/ tentative /, " ")
    }
    /^local fe80::<ll> / || /^multicast ff00::\/8 / { run[++n] = $0; next }
    { flush(); print }
    END { flush() }'
}

# quick_snap DIR [IFNAME...]: the namespace state wg-quick may touch (run inside the side's
# namespace): ip -d link/addr/route (all tables)/rule for both families, nft, src_valid_mark, the resolvconf records, the hook log, and `wg showconf` of the
# interfaces named (ListenPort made neutral when the config leaves it random).
quick_snap() {
  local dir=$1 f ifname
  shift
  {
    echo "## ip -4"
    ip -4 -d -batch - <<<$'link show\naddr show\nroute show table all\nrule show'
    echo "## ip -6"
    ip -6 -d -batch - <<<$'addr show\nroute show table all\nrule show'
    echo "## nft list ruleset"
    nft list ruleset
    echo "## resolvconf records"
    for f in "$dir"/rc/*; do
      [[ -e $f ]] && printf '# %s\n%s\n' "${f##*/}" "$(<"$f")"
    done
    for ifname; do
      echo "## wg showconf $ifname"
      # The key itself never goes to a log (issue 10): only whether it is the config's.
      f=$(wg showconf "$ifname")
      printf '%s\n' "${f//"$QK_PRIV"/<the config\'s private key>}"
    done
    echo "## sysctl net.ipv4.conf.all.src_valid_mark $(</proc/sys/net/ipv4/conf/all/src_valid_mark)"
    [[ -e /etc/wgk-hooklog ]] && printf '## hook log\n%s\n' "$(</etc/wgk-hooklog)"
  } 2>&1 | quick_normalise
}

# What `down` must restore: the snapshot without the hook log, and src_valid_mark neutral
# (neither tool resets it: another tunnel may rely on it).
quick_restorable() {
  local s=${1%%## hook log*}
  printf '%s' "${s/src_valid_mark [01]/src_valid_mark <x>}"
}

quick_expect_equal() { # A B WHAT [LABEL-A LABEL-B]
  [[ $1 == "$2" ]] && return 0
  echo "FAIL: $3: differs" >&2
  diff -u -L "${4:-original}" -L "${5:-ours}" <(printf '%s\n' "$1") <(printf '%s\n' "$2") >&2 || true
  return 1
}

# quick_side DIR TOOL WANT_BEFORE IFNAME...: inside a fresh namespace, run the setup, take the
# snapshots before (when WANT_BEFORE is 1), after `TOOL up` and after `TOOL down` of each config
# DIR/IFNAME.conf in turn (down in reverse order), into DIR/{before,up,down}; the tools'
# stderr into DIR/up.err and DIR/down.err. Returns nonzero (after printing) when a tool failed.
quick_side() {
  local dir=$1 tool=$2 want_before=$3 ifname i
  shift 3
  export PATH=$dir/bin:$PATH
  ip link set lo up
  [[ -z $QC_SETUP ]] || eval "$QC_SETUP"
  [[ $want_before != 1 ]] || quick_snap "$dir" >"$dir/before"
  for ifname; do
    "$tool" up "$dir/$ifname.conf" 2>>"$dir/up.err" || { cat "$dir/up.err" >&2; echo "FAIL: $tool up $ifname" >&2; return 1; }
  done
  quick_snap "$dir" "$@" >"$dir/up"
  for ((i = $#; i >= 1; i--)); do
    "$tool" down "$dir/${!i}.conf" 2>>"$dir/down.err" || { cat "$dir/down.err" >&2; echo "FAIL: $tool down ${!i}" >&2; return 1; }
  done
  quick_snap "$dir" >"$dir/down"
}

# quick_run_side SIDE TOOL WANT_BEFORE CONFIG-FILE...: quick_side in a new namespace qm-SIDE
# (the configs loaded with quick_load, written as DIR/IFNAME.conf where IFNAME is wgm0, wgm1...).
quick_run_side() {
  local side=$1 tool=$2 want_before=$3 dir n=0 names=() texts=() conf
  shift 3
  for conf; do
    quick_load "$conf"
    texts+=("$QC_CONFIG")
  done
  dir=$(quick_side_dir "$side")
  for conf in "${texts[@]}"; do
    printf '%s' "$conf" >"$dir/wgm$n.conf"
    chmod 600 "$dir/wgm$n.conf"
    names+=("wgm$n")
    ((++n))
  done
  quick_in_ns "$side" quick_side "$dir" "$tool" "$want_before" "${names[@]}"
}

# quick_matrix_case LABEL CONFIG-FILE...: Debian's wg-quick and ours bring the configs up (all at
# once), the snapshots must match (the original's rewritten where the target differs: QC_MTU,
# QC_SYMLINK), SaveConfig files must match, and after down each namespace must be as before.
# On the kernel module: ours must not fall back to userspace and must narrate the kernel link.
quick_matrix_case() {
  local label=$1 o q ok=1 old new f
  shift
  quick_run_side o "$ORIGINAL_WG_QUICK" 0 "$@" || return 1
  quick_run_side q "$WGKIT_WG_QUICK" 1 "$@" || return 1
  o=$(<"$QM/o/up") q=$(<"$QM/q/up")
  [[ -z ${WGKIT_QUICK_SHOW:-} ]] || printf '%s\n' "--- our snapshot after up:" "$q"  # for debugging
  if [[ $QC_MTU ]]; then
    read -r old new <<<"$QC_MTU"
    o=${o//"<POINTOPOINT,NOARP,UP,LOWER_UP> mtu $old "/"<POINTOPOINT,NOARP,UP,LOWER_UP> mtu $new "}
  fi
  [[ -z $QC_SYMLINK ]] || o=${o//"# tun.wgm"/"# wgm"}
  quick_expect_equal "$o" "$q" "$label: state after up" || ok=
  ! grep -q "Falling back" "$QM/q/up.err" || { echo "FAIL: $label: ours fell back to userspace" >&2; ok=; }
  grep -qx '\[#\] ip link add dev wgm0 type wireguard' "$QM/q/up.err" ||
    { echo "FAIL: $label: no kernel link in our transcript" >&2; cat "$QM/q/up.err" >&2; ok=; }
  quick_expect_equal "$(<"$QM/o/down")" "$(<"$QM/q/down")" "$label: state after down" || ok=
  quick_expect_equal "$(quick_restorable "$(<"$QM/q/before")")" "$(quick_restorable "$(<"$QM/q/down")")" \
    "$label: ours after down vs before up" before after || ok=
  if [[ $QC_SAVED ]]; then
    o=$(<"$QM/o/wgm0.conf") q=$(<"$QM/q/wgm0.conf")
    quick_expect_equal "${o//"$QK_PRIV"/<key>}" "${q//"$QK_PRIV"/<key>}" "$label: file written by SaveConfig" || ok=
    f=$(stat -c %a "$QM/q/wgm0.conf")
    [[ $f == 600 ]] || { echo "FAIL: $label: saved file mode $f, want 600" >&2; ok=; }
  fi
  [[ $ok ]] && echo "ok $label"
}

# quick_records IFNAME: our wg-quick's state records of IFNAME (runstatedir /var/run unless
# the build chose /run); fails when there is none.
quick_records() {
  compgen -G "/var/run/wgkit/quick/$1.*" || compgen -G "/run/wgkit/quick/$1.*"
}

# quick_fault_side DIR: inside a fresh namespace, our `up` of DIR/wgm0.conf must fail at
# QC_STEP (after QC_SIGNAL, when set, once PostUp has made /etc/wgk-postup): exit 1, the last
# line naming the step, no link, no state record, the snapshot as before (src_valid_mark aside).
quick_fault_side() {
  local dir=$1 before after pid status=0 n last records
  export PATH=$dir/bin:$PATH
  ip link set lo up
  [[ -z $QC_SETUP ]] || eval "$QC_SETUP"
  before=$(quick_snap "$dir")
  if [[ $QC_SIGNAL ]]; then
    "$WGKIT_WG_QUICK" up "$dir/wgm0.conf" 2>"$dir/up.err" &
    pid=$!
    for ((n = 0; n < 600; n++)); do
      [[ -e /etc/wgk-postup ]] && break
      sleep 0.1
    done
    kill -"$QC_SIGNAL" "$pid"
    wait "$pid" || status=$?
  else
    "$WGKIT_WG_QUICK" up "$dir/wgm0.conf" 2>"$dir/up.err" || status=$?
  fi
  ((status == 1)) || { cat "$dir/up.err" >&2; echo "FAIL: exit status $status, want 1" >&2; return 1; }
  last=$(<"$dir/up.err")
  last=${last##*$'\n'}
  [[ $last == *"$QC_STEP"* ]] ||
    { cat "$dir/up.err" >&2; echo "FAIL: the last line does not name the step '$QC_STEP'" >&2; return 1; }
  [[ ! -e /sys/class/net/wgm0 ]] || { echo "FAIL: wgm0 still exists" >&2; return 1; }
  records=$(quick_records wgm0) && { echo "FAIL: state record left: $records" >&2; return 1; }
  after=$(quick_snap "$dir")
  quick_expect_equal "$(quick_restorable "$before")" "$(quick_restorable "$after")" \
    "state after the failed up vs before" before after || { cat "$dir/up.err" >&2; return 1; }
}

# quick_in_ns SIDE FUNCTION ARGS...: FUNCTION (of this file) in a new namespace qm-SIDE.
quick_in_ns() {
  local ns=qm-$1 status=0
  shift
  ip netns add "$ns"
  export QC_SETUP QC_RANDOM_PORT QC_STEP QC_SIGNAL QK_PRIV WGKIT_SOURCE_ROOT
  ip netns exec "$ns" bash -c 'source "$WGKIT_SOURCE_ROOT/tests/vm/lib.sh"
    source "$WGKIT_SOURCE_ROOT/tests/vm/quick_lib.sh"; "$@"' _ "$@" || status=$?
  ip netns delete "$ns"
  return $status
}

# quick_fault_case LABEL CONFIG-FILE
quick_fault_case() {
  local dir
  quick_load "$2"
  dir=$(quick_side_dir f)
  printf '%s' "$QC_CONFIG" >"$dir/wgm0.conf"
  chmod 600 "$dir/wgm0.conf"
  quick_in_ns f quick_fault_side "$dir" && echo "ok $1"
}

# quick_race_side DIR ROUNDS: inside a namespace, two of our `up`s of DIR/wgm0.conf at once,
# ROUNDS times: one exits 0, the other 1 saying the interface is busy or exists; the
# state equals a lone up's, the record is there, and down restores the pre-up state.
quick_race_side() {
  local dir=$1 rounds=$2 before lone n pa pb sa sb loser
  export PATH=$dir/bin:$PATH
  ip link set lo up
  before=$(quick_restorable "$(quick_snap "$dir")")
  "$WGKIT_WG_QUICK" up "$dir/wgm0.conf" 2>/dev/null
  lone=$(quick_restorable "$(quick_snap "$dir")")
  "$WGKIT_WG_QUICK" down "$dir/wgm0.conf" 2>/dev/null
  for ((n = 1; n <= rounds; n++)); do
    # Started back to back: each spends far longer loading than the other takes to start, so
    # they overlap (a spin-wait start flag would only steal the guest's one CPU).
    "$WGKIT_WG_QUICK" up "$dir/wgm0.conf" 2>"$dir/a.err" &
    pa=$!
    "$WGKIT_WG_QUICK" up "$dir/wgm0.conf" 2>"$dir/b.err" &
    pb=$!
    sa=0 sb=0
    wait "$pa" || sa=$?
    wait "$pb" || sb=$?
    if ((sa + sb != 1 || sa * sb != 0)); then
      echo "FAIL: round $n: exit statuses $sa and $sb, want one 0 and one 1" >&2
      cat "$dir/a.err" "$dir/b.err" >&2
      return 1
    fi
    loser=$dir/a.err
    ((sb == 1)) && loser=$dir/b.err
    loser=$(<"$loser")
    loser=${loser##*$'\n'}
    [[ $loser == "wg-quick: \`wgm0' is busy: another wg-quick is bringing it up or down" ||
       $loser == "wg-quick: \`wgm0' already exists" ]] ||
      { echo "FAIL: round $n: the loser's message is not a clear one: $loser" >&2; return 1; }
    echo "round $n: $loser"
    quick_expect_equal "$lone" "$(quick_restorable "$(quick_snap "$dir")")" "round $n: state after the race" lone race ||
      return 1
    [[ $(quick_records wgm0) == */wgm0.$(stat -L -c %i /proc/self/ns/net) ]] ||
      { echo "FAIL: round $n: the winner's state record is gone" >&2; return 1; }
    "$WGKIT_WG_QUICK" down "$dir/wgm0.conf" 2>/dev/null || { echo "FAIL: round $n: down failed" >&2; return 1; }
    quick_expect_equal "$before" "$(quick_restorable "$(quick_snap "$dir")")" "round $n: after down" before after ||
      return 1
  done
}

# quick_matrix_main CASE...: the body of cases/quick_matrix*.sh. Runs each named case (or those
# in WGKIT_QUICK_CASES) with its time; two_full is full4 and full46 up at once.
quick_matrix_main() {
  local name failed=() confs
  trap 'ip netns delete qm-o 2>/dev/null; ip netns delete qm-q 2>/dev/null' EXIT
  quick_init
  for name in ${WGKIT_QUICK_CASES:-$*}; do
    SECONDS=0
    confs=("$QUICK_CONFIGS/$name.conf")
    [[ $name != two_full ]] || confs=("$QUICK_CONFIGS/full4.conf" "$QUICK_CONFIGS/full46.conf")
    quick_matrix_case "$name" "${confs[@]}" || failed+=("$name")
    echo "($name: ${SECONDS}s)"
  done
  ((${#failed[@]} == 0)) || fail "cases failed: ${failed[*]}"
}
