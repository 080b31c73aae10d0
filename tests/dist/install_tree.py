#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`meson install --destdir` of this build yields exactly the expected tree (paths, types,
modes, symlinks, soname), the installed units pass `systemd-analyze verify`, and examples/
builds against the installed library with pkg-config alone and runs. As root with
wireguard-go available, the example also lists a real interface and its peer, inside a
network namespace this test creates and removes.

Expected directories are computed here independently of meson.build: from the build's options
and the shells' and systemd's own pkg-config files.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

BUILD = os.environ.get("WGKIT_BUILD_ROOT") or sys.argv[1]
SOURCE = os.environ.get("WGKIT_SOURCE_ROOT") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
failures = []
passes = 0


def check(ok, what):
    global passes
    if ok:
        passes += 1
    else:
        failures.append(what)
        print("FAIL:", what)


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def pkg_var(package, variable, defines=()):
    argv = ["pkg-config"] + [f"--define-variable={k}={v}" for k, v in defines]
    r = run(argv + ["--variable=" + variable, package])
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else None


def options():
    r = run(["meson", "introspect", "--buildoptions", BUILD], check=True)
    return {o["name"]: o["value"] for o in json.loads(r.stdout)}


def expected_tree(opt):
    """{path: (kind, mode or link target)} for every path under the destdir root."""
    prefix = opt["prefix"]
    absolute = lambda d: d if d.startswith("/") else os.path.join(prefix, d)
    bindir, libdir = absolute(opt["bindir"]), absolute(opt["libdir"])
    includedir, mandir = absolute(opt["includedir"]), absolute(opt["mandir"])
    datadir = absolute(opt["datadir"])
    files = {}

    def f(path, mode=0o644):
        files[path] = ("file", mode)

    f(f"{bindir}/wg", 0o755)
    f(f"{bindir}/wg-quick", 0o755)
    version = run(["meson", "introspect", "--projectinfo", BUILD], check=True)
    version = json.loads(version.stdout)["version"]
    f(f"{libdir}/libwgkit.so.{version}", 0o755)
    files[f"{libdir}/libwgkit.so.0"] = ("link", f"libwgkit.so.{version}")
    files[f"{libdir}/libwgkit.so"] = ("link", "libwgkit.so.0")
    f(f"{libdir}/pkgconfig/wgkit.pc")
    for header in sorted(os.listdir(os.path.join(SOURCE, "lib/include/wgkit"))):
        f(f"{includedir}/wgkit/{header}")
    if opt["man"]:
        f(f"{mandir}/man8/wg.8")
        f(f"{mandir}/man8/wg-quick.8")

    def chosen(option, default):
        value = opt[option]
        return None if value == "no" else (value or default)

    bash = chosen("bashcompletiondir",
                  pkg_var("bash-completion", "completionsdir", [("datadir", datadir)])
                  or f"{datadir}/bash-completion/completions")
    if bash:
        f(f"{bash}/wg")
        f(f"{bash}/wg-quick")
    zsh = chosen("zshcompletiondir", f"{datadir}/zsh/site-functions")
    if zsh:
        f(f"{zsh}/_wg")
        f(f"{zsh}/_wg-quick")
    fish = chosen("fishcompletiondir",
                  pkg_var("fish", "completionsdir", [("datadir", datadir)])
                  or f"{datadir}/fish/vendor_completions.d")
    if fish:
        f(f"{fish}/wg.fish")
        f(f"{fish}/wg-quick.fish")
    systemd_default = f"{prefix}/lib/systemd/system"
    if prefix == "/usr":
        systemd_default = pkg_var("systemd", "systemdsystemunitdir") or systemd_default
    units = chosen("systemdunitdir", systemd_default)
    if units:
        f(f"{units}/wg-quick@.service")
        f(f"{units}/wg-quick.target")
    confdir = chosen("wireguardconfdir", "/etc/wireguard")
    if confdir:
        files[confdir] = ("dir", 0o700)

    tree = dict(files)
    for path in files:  # every parent directory, 0755 as meson creates them
        parent = os.path.dirname(path)
        while parent != "/" and parent not in tree:
            tree[parent] = ("dir", 0o755)
            parent = os.path.dirname(parent)
    return tree, {"bindir": bindir, "libdir": libdir, "includedir": includedir, "units": units,
                  "version": version}


def actual_tree(root):
    tree = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            path = "/" + os.path.relpath(full, root)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                tree[path] = ("link", os.readlink(full))
            elif stat.S_ISDIR(st.st_mode):
                tree[path] = ("dir", stat.S_IMODE(st.st_mode))
            else:
                tree[path] = ("file", stat.S_IMODE(st.st_mode))
    return tree


def describe(entry):
    kind, value = entry
    return f"{kind} {value:o}" if isinstance(value, int) else f"{kind} -> {value}"


def check_tree(root, want):
    got = actual_tree(root)
    for path in sorted(set(want) | set(got)):
        if path not in got:
            check(False, f"missing from install: {path} ({describe(want[path])})")
        elif path not in want:
            check(False, f"unexpected in install: {path} ({describe(got[path])})")
        else:
            check(got[path] == want[path],
                  f"{path}: {describe(got[path])}, expected {describe(want[path])}")


def check_library(root, dirs):
    lib = f"{root}{dirs['libdir']}/libwgkit.so.{dirs['version']}"
    r = run(["readelf", "-d", lib])
    check("Library soname: [libwgkit.so.0]" in r.stdout, f"soname of {lib}: {r.stdout}")
    env = dict(os.environ, LD_LIBRARY_PATH=root + dirs["libdir"])
    r = run([f"{root}{dirs['bindir']}/wg", "--version"], env=env)
    want = (f"wgkit v{dirs['version']} (wireguard-tools v1.0.20260223 compatible)\n")
    check(r.returncode == 0 and r.stdout == want,
          f"installed wg --version: {r.returncode} {r.stdout!r} {r.stderr!r}, expected {want!r}")


UNIT = {  # (section, key) -> value, as the target version's unit plus our ExecReload
    ("Unit", "Description"): "WireGuard via wg-quick(8) for %I",
    ("Unit", "After"): "network-online.target nss-lookup.target",
    ("Unit", "Wants"): "network-online.target nss-lookup.target",
    ("Unit", "Before"): "wg-quick.target",
    ("Unit", "PartOf"): "wg-quick.target",
    ("Unit", "Documentation"): "man:wg-quick(8) man:wg(8)",
    ("Service", "Type"): "oneshot",
    ("Service", "RemainAfterExit"): "yes",
    ("Service", "ExecStart"): "{bindir}/wg-quick up %i",
    ("Service", "ExecStop"): "{bindir}/wg-quick down %i",
    ("Service", "ExecReload"): "{bindir}/wg-quick reload %i",
    ("Service", "Environment"): "WG_ENDPOINT_RESOLUTION_RETRIES=infinity",
    ("Install", "WantedBy"): "multi-user.target wg-quick.target",
}


def parse_unit(path):
    entries, section = {}, None
    for line in open(path):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        check((section, key) not in entries, f"{path}: {key} given twice")
        entries[(section, key)] = value
    return entries


def check_units(root, dirs):
    units = dirs["units"]
    if not units:
        return
    service = f"{root}{units}/wg-quick@.service"
    want = {k: v.format(bindir=dirs["bindir"]) for k, v in UNIT.items()}
    check(parse_unit(service) == want, f"{service}: {parse_unit(service)} != {want}")
    target = parse_unit(f"{root}{units}/wg-quick.target")
    check(set(target) == {("Unit", "Description"), ("Unit", "Documentation")},
          f"wg-quick.target has {sorted(target)}")

    if shutil.which("systemd-analyze") is None:
        check(False, "systemd-analyze not installed")
        return
    # verify --root resolves dependencies (sysinit.target, network-online.target...) and the
    # Exec paths inside that root: a copy of the install plus the host's own unit files.
    with tempfile.TemporaryDirectory() as verify_root:
        shutil.copytree(root, verify_root, symlinks=True, dirs_exist_ok=True)
        host_units = "/usr/lib/systemd/system"
        os.makedirs(f"{verify_root}/usr/lib/systemd", exist_ok=True)
        if not os.path.exists(f"{verify_root}{host_units}"):
            shutil.copytree(host_units, f"{verify_root}{host_units}", symlinks=True)
        if not os.path.lexists(f"{verify_root}/lib"):
            os.symlink("usr/lib", f"{verify_root}/lib")
        r = run(["systemd-analyze", "verify", f"--root={verify_root}",
                 f"{verify_root}{units}/wg-quick@wg0.service",
                 f"{verify_root}{units}/wg-quick.target"])
        check(r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(),
              f"systemd-analyze verify: exit {r.returncode}\n{r.stdout}{r.stderr}")


def build_example(root, dirs, scratch):
    """Builds examples/ with nothing but the installed tree and pkg-config; returns its path."""
    example = os.path.join(scratch, "examples")
    shutil.copytree(os.path.join(SOURCE, "examples"), example)
    pcdir = f"{root}{dirs['libdir']}/pkgconfig"
    env = dict(os.environ, PKG_CONFIG_PATH=pcdir, PKG_CONFIG_LIBDIR=pcdir,
               PKG_CONFIG_SYSROOT_DIR=root)
    r = run(["pkg-config", "--cflags", "--libs", "wgkit"], env=env)
    want = f"-I{root}{dirs['includedir']} -L{root}{dirs['libdir']} -lwgkit"
    check(r.returncode == 0 and r.stdout.split() == want.split(),
          f"pkg-config --cflags --libs wgkit: {r.stdout!r} {r.stderr!r}, expected {want!r}")
    r = run(["make", "-C", example], env=env)
    check(r.returncode == 0, f"make -C examples: {r.stdout}{r.stderr}")
    return os.path.join(example, "wg-list")


SNIPPET_WRAPPER = """#include <netinet/in.h>
#include <string>
#include <wgkit/config.h>
#include <wgkit/wireguard.h>
void snippet(const std::string& text) {
%s
}
"""


def compile_doc_snippets(root, dirs, scratch):
    """Every ```cpp block of docs/library.md compiles against the installed headers (a
    fragment inside a function taking `text`), so the documentation cannot rot."""
    doc = open(os.path.join(SOURCE, "docs/library.md")).read()
    blocks = [b.split("```", 1)[0] for b in doc.split("```cpp\n")[1:]]
    check(len(blocks) >= 3, f"docs/library.md has {len(blocks)} cpp blocks")
    for i, block in enumerate(blocks):
        source = os.path.join(scratch, f"snippet{i}.cc")
        with open(source, "w") as out:
            out.write(block if "int main" in block else SNIPPET_WRAPPER % block)
        r = run(["c++", "-std=c++20", "-fsyntax-only", f"-I{root}{dirs['includedir']}", source])
        check(r.returncode == 0, f"docs/library.md block {i + 1} does not compile:\n{r.stderr}")


def run_example(root, dirs, program):
    env = dict(os.environ, LD_LIBRARY_PATH=root + dirs["libdir"])
    r = run([program], env=env)
    print("example, in this namespace:", r.stdout.strip(), r.stderr.strip())
    check(r.returncode == 0 and r.stdout.split("\n")[0].endswith(("interface", "interfaces")),
          f"wg-list: exit {r.returncode} {r.stdout!r} {r.stderr!r}")
    if os.geteuid() != 0 or not shutil.which("wireguard-go") or not os.environ.get("WGKIT_WG"):
        print("(not root, no wireguard-go or no WGKIT_WG: the example saw no real interface)")
        return
    sys.path.insert(0, os.path.join(SOURCE, "tests/netns"))
    import nslib
    with nslib.Lab("dist") as lab:
        ns = lab.netns("a")
        ifname = lab.wireguard_go(ns, f"wgdist{os.getpid() % 100000}")
        peer = run(["wg", "genkey"], check=True).stdout.strip()
        peer = run(["wg", "pubkey"], input=peer, check=True).stdout.strip()
        lab.run(ns, [os.environ["WGKIT_WG"], "set", ifname, "listen-port", "51999", "peer", peer,
                     "endpoint", "127.0.0.1:51820", "allowed-ips", "10.9.0.0/24"])
        r = lab.run(ns, ["env", f"LD_LIBRARY_PATH={root}{dirs['libdir']}", program], check=False)
        out = r.stdout.decode()
        print("example, in a namespace with one wireguard-go interface:\n" + out)
        # Other tests may run wireguard-go at the same time: /var/run/wireguard is shared, so
        # check our interface's lines rather than the count.
        lines = out.splitlines()
        mine = [i for i, line in enumerate(lines) if line.startswith(f"interface {ifname} ")]
        check(len(mine) == 1 and lines[mine[0]].endswith("port 51999, 1 peer")
              and lines[mine[0] + 1] == f"  peer {peer} endpoint 127.0.0.1:51820 10.9.0.0/24 rx 0 tx 0",
              f"example output for {ifname}: {out!r} {r.stderr.decode()!r}")


def configured_install(scratch, name, args):
    """The install paths of a fresh configuration (no build needed) with these options."""
    build = os.path.join(scratch, name)
    r = run(["meson", "setup", "-Dtests=false"] + args + [build, SOURCE])
    if r.returncode != 0:
        check(False, f"meson setup {args}: {r.stdout}{r.stderr}")
        return set()
    r = run(["meson", "introspect", "--installed", build], check=True)
    return set(json.loads(r.stdout).values())


def check_options(scratch):
    """--prefix=/usr puts each piece where its owner's pkg-config file says; every directory
    option can move or disable its piece."""
    core = {"/usr/bin/wg", "/usr/bin/wg-quick", "/usr/include/wgkit"}
    got = configured_install(scratch, "usr", ["--prefix=/usr"])
    multiarch = run(["meson", "introspect", "--buildoptions", os.path.join(scratch, "usr")])
    libdir = next(o["value"] for o in json.loads(multiarch.stdout) if o["name"] == "libdir")
    libdir = "/usr/" + libdir
    core |= {f"{libdir}/{n}" for n in ("libwgkit.so", "libwgkit.so.0", "pkgconfig/wgkit.pc")}
    core |= {p for p in got if p.startswith(f"{libdir}/libwgkit.so.0.")}
    bash = pkg_var("bash-completion", "completionsdir") or "/usr/share/bash-completion/completions"
    fish = pkg_var("fish", "completionsdir") or "/usr/share/fish/vendor_completions.d"
    units = pkg_var("systemd", "systemdsystemunitdir") or "/usr/lib/systemd/system"
    want = core | {f"{bash}/wg", f"{bash}/wg-quick", "/usr/share/zsh/site-functions/_wg",
                   "/usr/share/zsh/site-functions/_wg-quick", f"{fish}/wg.fish",
                   f"{fish}/wg-quick.fish", f"{units}/wg-quick@.service",
                   f"{units}/wg-quick.target", "/usr/share/man/man8/wg.8",
                   "/usr/share/man/man8/wg-quick.8"}
    check(got == want, f"--prefix=/usr installs {sorted(got ^ want)} differently")
    got = configured_install(scratch, "off", [
        "--prefix=/usr", "-Dman=false", "-Dbashcompletiondir=no", "-Dzshcompletiondir=/opt/z",
        "-Dfishcompletiondir=no", "-Dsystemdunitdir=no", "-Dwireguardconfdir=no"])
    want = core | {"/opt/z/_wg", "/opt/z/_wg-quick"}
    check(got == want, f"with pieces disabled or moved: differs in {sorted(got ^ want)}")


def main():
    opt = options()
    want, dirs = expected_tree(opt)
    with tempfile.TemporaryDirectory() as scratch:
        root = os.path.join(scratch, "destdir")
        r = run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet", "--destdir", root])
        check(r.returncode == 0, f"meson install: {r.stdout}{r.stderr}")
        if r.returncode == 0:
            check_tree(root, want)
            check_library(root, dirs)
            check_units(root, dirs)
            run_example(root, dirs, build_example(root, dirs, scratch))
            compile_doc_snippets(root, dirs, scratch)
        check_options(scratch)
    print(f"{passes} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
