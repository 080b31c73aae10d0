#!/usr/bin/env bash
# Installs, from Debian's packages, everything wgkit's build, tests and demo need.
# Idempotent: packages already present are left alone; safe to run on every CI start.
set -euo pipefail

packages=(
  # build
  build-essential meson ninja-build pkg-config
  libmnl-dev libnl-3-dev libnl-route-3-dev libsodium-dev libssl-dev libfmt-dev libnftables-dev catch2
  # fuzzing and sanitizers
  clang libclang-rt-14-dev
  # the oracle and the userspace backend
  wireguard-tools wireguard-go
  # host networking used by the tests (inside namespaces only)
  iproute2 nftables iptables iputils-ping procps kmod
  # the kernel lab
  qemu-system-x86 linux-image-cloud-amd64 busybox-static cpio xz-utils zstd
  # misc test tools
  python3 groff-base
  # distribution pieces (tests/dist): man lint, shells, unit checks, .deb build and lint
  mandoc zsh fish bash-completion systemd make debhelper dpkg-dev fakeroot lintian debootstrap
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
