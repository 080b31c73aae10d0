#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Drives the bash completion functions of completion/wg.bash and completion/wg-quick.bash the
# way readline does (COMP_WORDS, COMP_CWORD, COMP_LINE, COMP_POINT) and compares COMPREPLY
# exactly. The live parts (interface names, peer keys) come from a stub `wg` on PATH: the unit
# under test is the completion script, not wg.
set -uo pipefail
export LC_ALL=C
src=${WGKIT_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
key_a=GBntBowD2XwLoEquI2olWdYRc3Y/bhWWIy1jZ5ddIkc=
key_b=2OX/eODu3UwrwsuCQl2J5jovsD0YaUn1PaY1d+dU7nU=
mkdir -p "$work/bin" "$work/etc" "$work/cwd/keys" "$work/cwd/old.conf.d"
cat >"$work/bin/wg" <<STUB
#!/bin/sh
case "\$*" in
"show interfaces") echo "wg0 wgtest1 office" ;;
"show wg0 peers") printf '%s\n%s\n' "$key_a" "$key_b" ;;
*) exit 1 ;;
esac
STUB
chmod +x "$work/bin/wg"
touch "$work/etc/home.conf" "$work/etc/wg0.conf" "$work/etc/notes.txt"
touch "$work/cwd/private.key" "$work/cwd/psk" "$work/cwd/site.conf" "$work/cwd/readme"
PATH="$work/bin:$PATH"
cd "$work/cwd" || exit 1

_wgkit_wg_quick_confdir="$work/etc"
# shellcheck source=/dev/null
source "$src/completion/wg.bash" || exit 1
# shellcheck source=/dev/null
source "$src/completion/wg-quick.bash" || exit 1

pass=0 fail=0
# check LINE EXPECTED...: completes LINE (cursor at its end) and compares COMPREPLY, in order.
check() {
    local line=$1
    shift
    local -a words
    read -r -a words <<<"$line"
    [[ $line == *" " ]] && words+=("")
    local spec function
    spec=$(complete -p "${words[0]}") || { echo "FAIL: no completion for ${words[0]}"; ((fail++)); return; }
    function=${spec##*-F }
    function=${function%% *}
    COMP_WORDS=("${words[@]}")
    COMP_CWORD=$((${#words[@]} - 1))
    COMP_LINE=$line
    COMP_POINT=${#line}
    COMPREPLY=()
    "$function" "${words[0]}" "${words[COMP_CWORD]}" "${words[COMP_CWORD - 1]}"
    local got expected
    got=$(printf '%s\n' "${COMPREPLY[@]}")
    expected=$(printf '%s\n' "$@")
    if [[ $got == "$expected" ]]; then
        ((pass++))
    else
        ((fail++))
        echo "FAIL: completing '$line'"
        diff <(echo "$expected") <(echo "$got") | sed 's/^/  /'
    fi
}

check "wg " help show showconf set setconf addconf syncconf genkey genpsk pubkey
check "wg s" show showconf set setconf syncconf
check "wg g" genkey genpsk
check "wg show " wg0 wgtest1 office all interfaces
check "wg show w" wg0 wgtest1
check "wg show wg0 " public-key private-key listen-port fwmark peers preshared-keys endpoints \
    allowed-ips latest-handshakes transfer persistent-keepalive dump
check "wg show all p" public-key private-key peers preshared-keys persistent-keepalive
check "wg show interfaces " ""
check "wg showconf o" office
check "wg showconf wg0 " ""
check "wg pubkey " ""
check "wg set " wg0 wgtest1 office
check "wg set wg0 " listen-port fwmark private-key peer
check "wg set wg0 listen-port 51820 f" fwmark
check "wg set wg0 fwmark 0x20 listen-port 1 " private-key peer
check "wg set wg0 listen-port " ""
check "wg set wg0 private-key p" private.key psk
check "wg set wg0 private-key k" keys
check "wg set wg0 peer " "$key_a" "$key_b"
check "wg set wg0 peer 2" "$key_b"
check "wg set wg0 peer $key_a " remove preshared-key endpoint persistent-keepalive allowed-ips peer
check "wg set wg0 peer $key_a endpoint 192.0.2.1:51820 remove " preshared-key \
    persistent-keepalive allowed-ips peer
check "wg set wg0 peer $key_a allowed-ips " ""
check "wg set wg0 peer $key_a preshared-key ps" psk
check "wg set wg0 peer $key_a allowed-ips 10.0.0.0/8 peer $key_b " remove preshared-key \
    endpoint persistent-keepalive allowed-ips peer
check "wg set wg0 listen-port 1 peer $key_a remove peer " "$key_a" "$key_b"
check "wg setconf " wg0 wgtest1 office
check "wg syncconf wg0 s" site.conf
check "wg addconf wg0 site.conf " ""
check "wg-quick " up down save strip reload --dry-run
check "wg-quick s" save strip
check "wg-quick --dry-run " up down reload
check "wg-quick up " home wg0 keys old.conf.d site.conf
check "wg-quick up h" home
check "wg-quick strip s" site.conf
check "wg-quick up w" wg0
check "wg-quick down " wg0 wgtest1 office
check "wg-quick --dry-run reload o" office
check "wg-quick save w" wg0 wgtest1
check "wg-quick down wg0 " ""

# No interfaces (wg fails, as without permission): nothing to offer, no error text.
printf '#!/bin/sh\nexit 1\n' >"$work/bin/wg"
check "wg show " all interfaces
check "wg-quick down " ""

echo "$pass passed, $fail failed"
((fail == 0))
