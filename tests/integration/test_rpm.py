# SPDX-License-Identifier: BSD-3-Clause
"""The RPM (built by integ.release with scripts/build-rpm.sh: rpmbuild, here on Debian without
its dependency check) installs the same files as the Debian package: binaries, .py names,
default file, unit, man pages, examples.
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, log, require_env, run, skip
import test_package as pkg


def files(cmd, pattern):
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, check=True).stdout
    names = set()
    for line in out.splitlines():
        m = re.search(pattern, line)
        if not m:
            continue
        name = m.group(1).lstrip(".")
        # packaging formats differ in these only: compressed docs, build ids, Debian's own
        if name.startswith("/usr/lib/.build-id") or name.endswith(("/changelog.gz", "/copyright")):
            continue
        names.add(re.sub(r"\.gz$", "", name))
    return names


def main():
    require_env()
    if not shutil.which("rpmbuild"):
        skip("rpmbuild missing: run scripts/setup.sh")
    rpm = pkg.built("rpm", "virtio-forwarder-[0-9]*.rpm")
    deb = pkg.built("deb", "virtio-forwarder_*_amd64.deb")
    # RPM distributions keep the tools in lib64, as the reference's packages do
    in_rpm = {f.replace("/usr/lib64/virtio-forwarder", "/usr/lib/virtio-forwarder")
              for f in files(["rpm", "-qlp", rpm], r"^(/.*)$")}
    check(any(f.startswith("/usr/lib64/virtio-forwarder/")
              for f in files(["rpm", "-qlp", rpm], r"^(/.*)$")),
          "the .rpm's tools' directory is /usr/lib64/virtio-forwarder")
    in_deb = {f for f in files(["dpkg", "-c", deb], r" (\./\S+?)/?(?: -> .*)?$")
              if "." in os.path.basename(f) or f.startswith(("/usr/bin/", "/etc/default/"))}
    check(len(in_deb) >= 15 and in_deb <= in_rpm, "all %d files of the .deb are in the .rpm "
          "(missing: %s)" % (len(in_deb), sorted(in_deb - in_rpm)))
    check("/usr/lib/virtio-forwarder/virtioforwarder_stats.py" in in_rpm
          and "/usr/lib/virtio-forwarder/protobuf/virtioforwarder/virtioforwarder_pb2.py" in in_rpm
          and "/etc/default/virtioforwarder" in in_rpm, "the .rpm carries the .py names and config")
    log("PASS")


if __name__ == "__main__":
    run(main)
