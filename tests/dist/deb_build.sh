#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the Debian packages from a copy of the source tree (`dpkg-buildpackage -b -us -uc`),
# runs lintian on them (no errors allowed), and checks each package's control fields and
# file list. With WGKIT_DEB_OUT=DIR the .debs are kept there (tests/dist/deb_chroot.sh uses
# them). Exit 77 (skip) when the packaging tools are missing.
set -uo pipefail
export LC_ALL=C
src=${WGKIT_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
for tool in dpkg-buildpackage dh lintian fakeroot; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed (scripts/bootstrap.sh)"; exit 77; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/wgkit"
# The tracked and new files of the tree, without build directories or anything ignored.
(cd "$src" && git ls-files -co --exclude-standard -z | grep -zv '^build' |
    xargs -0 cp --parents -t "$work/wgkit") || exit 1

pass=0 fail=0
ok() { ((pass++)); }
bad() { ((fail++)); echo "FAIL: $*"; }

echo "dpkg-buildpackage -b -us -uc (output in $work/build.log)"
if (cd "$work/wgkit" && DEB_BUILD_OPTIONS="parallel=2 nocheck" dpkg-buildpackage -b -us -uc) \
    >"$work/build.log" 2>&1; then
    ok
else
    bad "dpkg-buildpackage failed:"
    tail -40 "$work/build.log"
    echo "$pass passed, $fail failed"
    exit 1
fi

changes=$(ls "$work"/wgkit_*.changes)
lintian --tag-display-limit 0 "$changes" >"$work/lintian.txt" 2>&1
echo "lintian:"
sed 's/^/  /' "$work/lintian.txt"
if grep -q '^E: ' "$work/lintian.txt"; then bad "lintian reported errors"; else ok; fi

deb() { ls "$work"/"$1"_*.deb; }
# field PACKAGE FIELD EXPECTED
field() {
    local got
    got=$(dpkg-deb -f "$(deb "$1")" "$2")
    [[ $got == "$3" ]] && ok || bad "$1 $2: '$got', expected '$3'"
}
for f in Conflicts Replaces Provides; do field wgkit-tools "$f" wireguard-tools; done
field libwgkit-dev Depends "libwgkit0 (= $(dpkg-deb -f "$(deb libwgkit0)" Version))"
depends=$(dpkg-deb -f "$(deb wgkit-tools)" Depends)
grep -q 'libwgkit0 (>= ' <<<"$depends" && ok || bad "wgkit-tools does not depend on libwgkit0: $depends"

# contents PACKAGE PATH...: each path is in the package (tar listing, "./" stripped).
contents() {
    local package=$1 listing path
    shift
    listing=$(dpkg-deb -c "$(deb "$package")" | awk '{print $1, $6}')
    for path in "$@"; do
        grep -qE -- " \./${path}/?\$" <<<"$listing" && ok || bad "$package lacks $path"
    done
}
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
contents wgkit-tools usr/bin/wg usr/bin/wg-quick usr/share/man/man8/wg.8.gz \
    usr/share/man/man8/wg-quick.8.gz usr/share/bash-completion/completions/wg \
    usr/share/bash-completion/completions/wg-quick usr/share/zsh/vendor-completions/_wg \
    usr/share/zsh/vendor-completions/_wg-quick usr/share/fish/vendor_completions.d/wg.fish \
    usr/share/fish/vendor_completions.d/wg-quick.fish lib/systemd/system/wg-quick@.service \
    lib/systemd/system/wg-quick.target etc/wireguard
contents libwgkit0 "usr/lib/$multiarch/libwgkit.so.0" "usr/lib/$multiarch/libwgkit.so.0.[0-9.]+"
contents libwgkit-dev usr/include/wgkit/wireguard.h "usr/lib/$multiarch/libwgkit.so" \
    "usr/lib/$multiarch/pkgconfig/wgkit.pc"
# (Listings are captured first: grep -q leaving early would kill dpkg-deb with SIGPIPE.)
listing=$(dpkg-deb -c "$(deb wgkit-tools)")
grep -qE '^drwx------ root/root .* \./etc/wireguard/$' <<<"$listing" && ok ||
    bad "etc/wireguard is not 0700 root: $(grep etc/wireguard <<<"$listing")"
unit=$(dpkg-deb --fsys-tarfile "$(deb wgkit-tools)" | tar -xO ./lib/systemd/system/wg-quick@.service)
grep -q 'ExecStart=/usr/bin/wg-quick up %i' <<<"$unit" && ok || bad "unit does not run /usr/bin/wg-quick"

if [[ -n ${WGKIT_DEB_OUT:-} ]]; then
    mkdir -p "$WGKIT_DEB_OUT" && cp "$work"/*.deb "$WGKIT_DEB_OUT"/ && echo "debs kept in $WGKIT_DEB_OUT"
fi
echo "$pass passed, $fail failed"
((fail == 0))
