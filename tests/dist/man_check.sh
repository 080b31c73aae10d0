#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The built man pages (argument: the build's man/ directory) render with no warnings under
# groff -ww and mandoc's linter, and name every command, option, field, config key and
# environment variable they must document, with wgkit's extensions marked as extensions.
set -uo pipefail
export LC_ALL=C
dir=$1
pass=0 fail=0
ok() { ((pass++)); }
bad() { ((fail++)); echo "FAIL: $*"; }

for page in wg.8 wg-quick.8; do
    f=$dir/$page
    out=$(groff -man -ww -z "$f" 2>&1)
    if [[ $? -eq 0 && -z $out ]]; then ok; else bad "groff -man -ww -z $page: $out"; fi
    if command -v mandoc >/dev/null; then
        out=$(mandoc -T lint "$f" 2>&1)
        if [[ $? -eq 0 && -z $out ]]; then ok; else bad "mandoc -T lint $page:"; echo "$out"; fi
    else
        bad "mandoc not installed (scripts/bootstrap.sh)"
    fi
    grep -q '@[A-Z_]*@' "$f" && bad "$page has an unsubstituted @VARIABLE@" || ok
done

# render PAGE: the page as plain text, one long line per paragraph, hyphenation off.
render() { groff -man -Tutf8 -rLL=1000n -rHY=0 -P-cbou "$dir/$1" 2>/dev/null | sed 's/\xe2\x80\x90/-/g'; }
wg_text=$(render wg.8)
quick_text=$(render wg-quick.8)

# mentions PAGE TEXT WORD...: each WORD appears in the page as a whole word.
mentions() {
    local page=$1 text=$2 word
    shift 2
    for word in "$@"; do
        if grep -qE -- "(^|[^A-Za-z_-])${word}([^A-Za-z_-]|$)" <<<"$text"; then ok; else bad "$page does not mention $word"; fi
    done
}
mentions wg.8 "$wg_text" show showconf set setconf addconf syncconf genkey genpsk pubkey help \
    version --help --version all interfaces \
    public-key private-key listen-port fwmark peers preshared-keys endpoints allowed-ips \
    latest-handshakes transfer persistent-keepalive dump \
    peer remove preshared-key endpoint \
    PrivateKey ListenPort FwMark PublicKey PresharedKey AllowedIPs Endpoint PersistentKeepalive \
    WG_COLOR_MODE WG_HIDE_KEYS WG_ENDPOINT_RESOLUTION_RETRIES LOG_LEVEL WGKIT_RUNSTATEDIR
mentions wg-quick.8 "$quick_text" up down save strip reload --dry-run --help \
    Address DNS MTU Table PreUp PostUp PreDown PostDown SaveConfig IPForward IPMasquerade \
    WG_QUICK_USERSPACE_IMPLEMENTATION WG_ENDPOINT_RESOLUTION_RETRIES /etc/wireguard/interface.conf \
    WGKIT_QUICK_STATE_DIR WGKIT_QUICK_FIREWALL WGKIT_RUNSTATEDIR

# Extensions are marked, decided behaviour is stated.
for want in 'reload (extension)' '--dry-run (extension)' 'IPForward (extension)' \
    'IPMasquerade (extension)' 'Fixed: the original removes every suppress_prefixlength 0'; do
    grep -qF -- "$want" <<<"$quick_text" && ok || bad "wg-quick.8 lacks: $want"
done
for want in 'wgkit v' 'wireguard-tools v1.0.20260223 compatible' 'file:line:' '(an extension)' \
    'Fixed: configuration errors start with file:line:' \
    'Fixed: a PrivateKey that differs from the interface'; do
    grep -qF -- "$want" <<<"$wg_text" && ok || bad "wg.8 lacks: $want"
done
# Every quirk of the original is given a verdict (12 in wg.8, 4 in wg-quick.8).
n=$(grep -cE '^ *(Kept|Fixed|Changed):' <<<"$wg_text")
((n == 12)) && ok || bad "wg.8 has $n quirk verdicts, expected 12"
n=$(grep -cE '^ *(Kept|Fixed|Changed):' <<<"$quick_text")
((n == 4)) && ok || bad "wg-quick.8 has $n quirk verdicts, expected 4"

echo "$pass passed, $fail failed"
((fail == 0))
