#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The zsh and fish completions: both parse (zsh -n, fish -n), and fish's answers for a few
# command lines (`complete -C`) are compared exactly, with a stub `wg` on PATH for the live
# parts (the unit under test is the completion script, not wg).
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
    got=$(cd "$work" && HOME=$work/home XDG_CONFIG_HOME=$work/home PATH="$work/bin:$PATH" \
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

echo "$pass passed, $fail failed"
((fail == 0))
