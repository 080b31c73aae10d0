#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The zsh and fish completions: both parse (zsh -n, fish -n); fish's answers for a few
# command lines (`complete -C`) and the zsh functions' candidates (driven through
# zsh_harness.zsh) are compared exactly, with a stub `wg` on PATH for the live parts (the unit
# under test is the completion script, not wg).
set -uo pipefail
export LC_ALL=C
src=${WGKIT_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
pass=0 fail=0
ok() { ((pass++)); }
bad() { ((fail++)); echo "FAIL: $*"; }

for f in _wg _wg-quick; do
    if ! command -v zsh >/dev/null; then bad "zsh not installed (scripts/bootstrap.sh)"; break; fi
    if zsh -n "$src/completion/$f"; then ok; else bad "zsh -n completion/$f"; fi
done
for f in wg.fish wg-quick.fish; do
    if ! command -v fish >/dev/null; then bad "fish not installed (scripts/bootstrap.sh)"; break; fi
    if fish -n "$src/completion/$f"; then ok; else bad "fish -n completion/$f"; fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/home"
cat >"$work/bin/wg" <<'STUB'
#!/bin/sh
case "$*" in
"show interfaces") echo "wg0 office" ;;
"show wg0 peers") printf 'GBntBowD2XwLoEquI2olWdYRc3Y/bhWWIy1jZ5ddIkc=\n2OX/eODu3UwrwsuCQl2J5jovsD0YaUn1PaY1d+dU7nU=\n' ;;
*) exit 1 ;;
esac
STUB
chmod +x "$work/bin/wg"

# fish_check LINE EXPECTED: candidates (without descriptions), one per line, as fish sorts them.
fish_check() {
    command -v fish >/dev/null || return
    local got
    got=$(cd "$work" && export _wgkit_wg_quick_confdir && HOME=$work/home XDG_CONFIG_HOME=$work/home PATH="$work/bin:$PATH" \
        fish --no-config -c "source $src/completion/wg.fish; source $src/completion/wg-quick.fish
                             complete -C '$1'" | cut -f1)
    if [[ $got == "$2" ]]; then ok; else bad "fish completing '$1'"; diff <(echo "$2") <(echo "$got"); fi
}
nl=$'\n'
fish_check "wg sh" "show${nl}showconf"
fish_check "wg show " "all${nl}interfaces${nl}office${nl}wg0"
fish_check "wg show wg0 p" "peers${nl}persistent-keepalive${nl}preshared-keys${nl}private-key${nl}public-key"
fish_check "wg show interfaces " ""
fish_check "wg set wg0 fwmark 1 " "listen-port${nl}peer${nl}private-key"
fish_check "wg set wg0 peer " "2OX/eODu3UwrwsuCQl2J5jovsD0YaUn1PaY1d+dU7nU=${nl}GBntBowD2XwLoEquI2olWdYRc3Y/bhWWIy1jZ5ddIkc="
fish_check "wg set wg0 peer X= remove " "allowed-ips${nl}endpoint${nl}peer${nl}persistent-keepalive${nl}preshared-key"
fish_check "wg set wg0 listen-port " ""
fish_check "wg-quick --dry-run " "down${nl}reload${nl}up"
fish_check "wg-quick down " "office${nl}wg0"
mkdir -p "$work/etc" "$work/sub" && touch "$work/etc/home.conf" "$work/etc/wg0.conf" "$work/etc/notes" "$work/site.conf"
_wgkit_wg_quick_confdir=$work/etc fish_check "wg-quick up " "bin/${nl}etc/${nl}home${nl}home/${nl}site.conf${nl}sub/${nl}wg0"

# zsh_check FILE EXPECTED WORD...: what the function in FILE offers for the words (the last one
# being completed), in order, one per line.
zsh_check() {
    command -v zsh >/dev/null || return
    local file=$1 expected=$2 got
    shift 2
    got=$(cd "$work" && export _wgkit_wg_quick_confdir && PATH="$work/bin:$PATH" zsh -f "$src/tests/dist/zsh_harness.zsh" "$src" "$file" "$@")
    if [[ $got == "$expected" ]]; then ok; else bad "zsh completing '$*'"; diff <(echo "$expected") <(echo "$got"); fi
}
zsh_check _wg "help${nl}show${nl}showconf${nl}set${nl}setconf${nl}addconf${nl}syncconf${nl}genkey${nl}genpsk${nl}pubkey" wg ""
zsh_check _wg "wg0${nl}office${nl}all${nl}interfaces" wg show ""
zsh_check _wg "" wg show interfaces ""
zsh_check _wg "fwmark${nl}private-key${nl}peer" wg set wg0 listen-port 1 ""
zsh_check _wg "GBntBowD2XwLoEquI2olWdYRc3Y/bhWWIy1jZ5ddIkc=${nl}2OX/eODu3UwrwsuCQl2J5jovsD0YaUn1PaY1d+dU7nU=" \
    wg set wg0 peer ""
zsh_check _wg "preshared-key${nl}endpoint${nl}persistent-keepalive${nl}allowed-ips${nl}peer" \
    wg set wg0 peer X= remove ""
zsh_check _wg "<files >" wg set wg0 private-key ""
zsh_check _wg "<files >" wg syncconf wg0 ""
zsh_check _wg-quick "up${nl}down${nl}reload" wg-quick --dry-run ""
zsh_check _wg-quick "wg0${nl}office" wg-quick down ""
_wgkit_wg_quick_confdir=$work/etc zsh_check _wg-quick "home${nl}wg0${nl}<files -g *.conf>" wg-quick up ""

echo "$pass passed, $fail failed"
((fail == 0))
