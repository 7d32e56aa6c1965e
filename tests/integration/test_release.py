# SPDX-License-Identifier: BSD-3-Clause
"""A release as a packager or an air-gapped site meets it, with no git on the PATH:
scripts/release.sh makes the tarball (and its SHA-256) from the checkout; unpacked, the tree
makes the same tarball again byte for byte, a Debian source package (dpkg-source), the .deb
(scripts/build-deb.sh: dpkg-buildpackage in the unpacked tree, lintian) and the .rpm (the spec
found by rpmbuild -t, scripts/build-rpm.sh: the tarball as Source0); the README's test command
runs from it (unit tests); the .deb installs, the service starts as its unit's ExecStart
starts it and answers, and purging leaves nothing. The packages it made stay in
<build>/packages for integ.package and integ.rpm (a ctest fixture: one build of each).
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import tarfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, log, require_env, run, skip, tmpdir
import test_package as pkg

SRC = os.path.abspath(os.environ.get("VFWD_SOURCE_DIR",
                                     os.path.join(os.path.dirname(__file__), "../..")))
VERSION = open(os.path.join(SRC, "VERSION")).read().strip()
NAME = "virtio-forwarder-" + VERSION
PACKAGES = pkg.PACKAGES


def path_without_git(work):
    """A PATH with every command of the usual directories but git."""
    bindir = os.path.join(work, "bin")
    os.makedirs(bindir)
    for d in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            target, link = os.path.join(d, name), os.path.join(bindir, name)
            if name.startswith("git") or os.path.lexists(link):
                continue
            if os.access(target, os.X_OK) and not os.path.isdir(target):
                os.symlink(target, link)
    check(shutil.which("git", path=bindir) is None and shutil.which("cmake", path=bindir),
          "a PATH without git (cmake, tar, dpkg-buildpackage ... still there)")
    return bindir


def step(env, cwd, *cmd, timeout=900):
    log("$ (cd %s && %s)" % (cwd, " ".join(cmd)))
    r = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    if r.returncode:
        raise AssertionError("%s failed (%d):\n%s" % (" ".join(cmd), r.returncode, r.stdout[-4000:]))
    return r.stdout


def release(env, tree, out):
    tarball = step(env, tree, "bash", "scripts/release.sh", out).strip().splitlines()[-1]
    check(tarball == os.path.join(out, NAME + ".tar.gz"), "release.sh wrote " + tarball)
    step(env, out, "sha256sum", "-c", NAME + ".tar.gz.sha256")
    return tarball


def check_contents(tarball):
    with tarfile.open(tarball) as t:
        names = [m.name for m in t.getmembers() if not m.isdir()]
        manifest = t.extractfile(NAME + "/MANIFEST").read().decode().split()
    files = {n[len(NAME) + 1:] for n in names}
    check(all(n.startswith(NAME + "/") for n in names), "everything under %s/" % NAME)
    bad = [f for f in files if f.startswith(("build/", "build-", "obj-")) or f.endswith(".pcap")
           or "__pycache__" in f or f.startswith(".git/")]
    check(bad == [], "no build output or test leftovers (%s)" % bad[:5])
    check({"VERSION", "README.md", "scripts/test.sh", "scripts/demo.sh", "debian/rules",
           "debian/changelog", "packaging/rpm/virtio-forwarder.spec"} <= files,
          "sources, scripts, debian/ and the RPM spec are in (%d files)" % len(files))
    check(set(manifest) == files - {"MANIFEST"}, "MANIFEST lists exactly what is in the tarball")
    git = shutil.which("git")
    if git and os.path.isdir(os.path.join(SRC, ".git")):
        tracked = set(subprocess.run([git, "-C", SRC, "ls-files", "--cached", "--others",
                                      "--exclude-standard"], stdout=subprocess.PIPE, text=True,
                                     check=True).stdout.split())
        tracked = {f for f in tracked if os.path.lexists(os.path.join(SRC, f))}
        shipped = {f for f in files if not f.startswith("debian/") and f != "MANIFEST"}
        check(shipped == tracked, "without git, release.sh shipped exactly the files git tracks "
              "(extra %s, missing %s)" % (sorted(shipped - tracked)[:5],
                                          sorted(tracked - shipped)[:5]))
    else:
        log("note: no git checkout here to compare the file list with")


def install_and_start(deb):
    pkg.on_exit(pkg.purge)
    r = subprocess.run(["dpkg", "-i", deb], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    check(r.returncode == 0, "dpkg -i " + os.path.basename(deb) + ("" if r.returncode == 0
                                                                   else "\n" + r.stdout[-1500:]))
    with open(pkg.CONF) as f:
        text = f.read()
    with open(pkg.CONF, "w") as f:
        f.write(re.sub(r"(?m)^VIRTIOFWD_CPU_MASK=.*$", "VIRTIOFWD_CPU_MASK=1", text))
    daemon = pkg.start_installed()
    r = pkg.shell(pkg.LIBEXEC + "/virtioforwarder_config.py --version")
    check(r.returncode == 0 and r.stdout.strip().endswith(VERSION), "installed tools say " + VERSION)
    r = pkg.shell("virtioforwarder_stats --include-inactive --delay 0")
    check(r.returncode == 0, "the installed daemon answers the stats tool")
    pid = int(subprocess.run(["pgrep", "-P", str(daemon.pid)], stdout=subprocess.PIPE,
                             text=True).stdout.split()[0])
    os.kill(pid, 15)
    out = daemon.communicate(timeout=10)[0]
    check(daemon.returncode == 0, "it exits 0 on SIGTERM" + ("" if daemon.returncode == 0 else out))
    r = subprocess.run(["dpkg", "--purge", "virtio-forwarder"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    left = [f for f in pkg.FILES + [pkg.LIBEXEC, "/usr/share/doc/virtio-forwarder"]
            if os.path.lexists(f)]
    check(r.returncode == 0 and left == [], "purged: nothing left (%s)" % left)


def main():
    require_env()
    for tool in ("dpkg-buildpackage", "dpkg-source", "rpmbuild", "dh"):
        if not shutil.which(tool):
            skip("%s missing: run scripts/setup.sh" % tool)
    if subprocess.run(["dpkg", "-s", "virtio-forwarder"], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode == 0:
        skip("virtio-forwarder is already installed on this machine; not touching it")
    work = tmpdir("release")
    env = dict(os.environ, PATH=path_without_git(work))
    for var in ("VFWD_BUILD_DIR", "VFWD_BIN", "VFWD_SOURCE_DIR"):
        env.pop(var, None)  # the unpacked tree uses its own

    tarball = release(env, SRC, os.path.join(work, "out1"))
    check_contents(tarball)
    with tarfile.open(tarball) as t:
        t.extractall(work)
    tree = os.path.join(work, NAME)
    again = release(env, tree, os.path.join(work, "out2"))
    same = open(tarball, "rb").read() == open(again, "rb").read()
    check(same, "the unpacked tree makes the same tarball, byte for byte")

    step(env, work, "dpkg-source", "-b", NAME)
    check(os.path.exists(os.path.join(work, "virtio-forwarder_%s.dsc" % VERSION)),
          "a Debian source package: " + ", ".join(
              os.path.basename(p) for p in glob.glob(os.path.join(work, "virtio-forwarder_*"))))

    # rpmbuild -t: the spec found in the tarball, the tarball itself as Source0 (Debian has no
    # rpm database of the build dependencies, nor the _unitdir macro's value); through %prep
    # here, the whole build below with the same spec and tarball (scripts/build-rpm.sh)
    top = os.path.join(work, "rpm")
    step(env, work, "rpmbuild", "-tp", "--nodeps", "--define", "_topdir " + top,
         "--define", "_unitdir /lib/systemd/system", tarball)
    check(os.path.isdir(os.path.join(top, "BUILD", NAME)),
          "rpmbuild -tp found the spec in the tarball and unpacked it as Source0")

    # The README's two commands, from the unpacked tree: the test command (its unit tests: the
    # rest is this suite; clang-tidy, 90 s of the same sources, runs in the suite itself) and
    # the demo.
    out = step(env, tree, "bash", "scripts/test.sh", "-L", "unit", "-E", "clang_tidy")
    check(re.search(r"100% tests passed, 0 tests failed out of \d+", out) is not None,
          "scripts/test.sh runs from the tarball (unit tests passed)")
    out = step(env, tree, "bash", "scripts/demo.sh", timeout=300)
    check(" 0% packet loss" in out and "daemon exited 0" in out,
          "scripts/demo.sh runs from the tarball: pings through the relay, 0% loss")
    shutil.rmtree(os.path.join(tree, "build"))

    # The packages, by the scripts packagers run, in the unpacked tree: dpkg-buildpackage there
    # (and lintian), rpmbuild with the tree's tarball as Source0. integ.package and integ.rpm
    # test what they made (PACKAGES, a ctest fixture), so the suite builds each package once.
    shutil.rmtree(PACKAGES, ignore_errors=True)
    env_deb = dict(env, VFWD_DEB_DIR=os.path.join(PACKAGES, "deb"))
    deb = step(env_deb, tree, "bash", "scripts/build-deb.sh").strip().splitlines()[-1]
    check(re.search(r"/virtio-forwarder_%s_amd64\.deb$" % re.escape(VERSION), deb) is not None,
          "scripts/build-deb.sh (dpkg-buildpackage in the tree, lintian clean) made " + deb)
    env_rpm = dict(env, VFWD_RPM_DIR=os.path.join(PACKAGES, "rpm"))
    rpm = step(env_rpm, tree, "bash", "scripts/build-rpm.sh").strip().splitlines()[-1]
    check(os.path.basename(rpm).startswith(NAME + "-") and rpm.endswith(".rpm"),
          "scripts/build-rpm.sh made " + rpm)
    install_and_start(deb)
    log("PASS")


if __name__ == "__main__":
    run(main)
