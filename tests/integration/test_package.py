# SPDX-License-Identifier: BSD-3-Clause
"""The Debian package: built with dpkg-buildpackage (scripts/build-deb.sh, lintian clean),
installed with dpkg -i, the compatibility spec's operator workflow run verbatim against the
installed files (the daemon started as the unit's ExecStart starts it, hugepages and all, with
a device alias standing in for VF 02:08.0), then purged: nothing of it left.
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, log, on_exit, require_env, run, sh, skip, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("VFWD_SOURCE_DIR", os.path.join(HERE, "../.."))
CONF = "/etc/default/virtioforwarder"
LIBEXEC = "/usr/lib/virtio-forwarder"
FILES = ["/usr/bin/virtio-forwarder", "/usr/bin/virtioforwarder_port_control",
         "/usr/bin/virtioforwarder_stats", "/usr/bin/virtioforwarder_config",
         LIBEXEC + "/virtioforwarder_port_control.py", LIBEXEC + "/virtioforwarder_stats.py",
         LIBEXEC + "/virtioforwarder_config.py", CONF, "/lib/systemd/system/virtio-forwarder.service",
         "/usr/share/doc/virtio-forwarder/examples/relay-server-mode.xml"]


def shell(cmd):
    """One line of the operator's workflow, as typed."""
    r = subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=30)
    log("# %s\n%s" % (cmd, r.stdout.rstrip()))
    return r


def purge():
    subprocess.run(["dpkg", "--purge", "virtio-forwarder"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def hugepages():
    before = int(open("/proc/sys/vm/nr_hugepages").read())
    with open("/proc/sys/vm/nr_hugepages", "w") as f:
        f.write(str(before + 128))
    on_exit(lambda: open("/proc/sys/vm/nr_hugepages", "w").write(str(before)))
    if " /dev/hugepages " not in open("/proc/mounts").read():
        os.makedirs("/dev/hugepages", exist_ok=True)
        sh("mount", "-t", "hugetlbfs", "nodev", "/dev/hugepages")
        on_exit(sh, "umount", "/dev/hugepages", ok=False)


def accounts():
    """libvirt's user and group, as on a libvirt host (the workflow chowns to them)."""
    if subprocess.run(["getent", "group", "kvm"], stdout=subprocess.DEVNULL).returncode:
        sh("groupadd", "--system", "kvm")
        on_exit(sh, "groupdel", "kvm", ok=False)
    if subprocess.run(["getent", "passwd", "libvirt-qemu"], stdout=subprocess.DEVNULL).returncode:
        sh("useradd", "--system", "--no-create-home", "libvirt-qemu")
        on_exit(sh, "userdel", "libvirt-qemu", ok=False)


def start_installed():
    """The installed service, started as its unit's ExecStart starts it (no systemd here), with
    hugepages and libvirt's accounts; cleaned up at exit. Returns its Popen."""
    hugepages()
    accounts()
    on_exit(shutil.rmtree, "/var/run/dpdk/virtio-forwarder", True)
    on_exit(shutil.rmtree, "/tmp/virtio-forwarder", True)
    # without systemd's RuntimeDirectory= the daemon made this directory itself
    on_exit(lambda: os.path.isdir("/var/run/virtio-forwarder")
            and not os.listdir("/var/run/virtio-forwarder") and os.rmdir("/var/run/virtio-forwarder"))
    unit = open("/lib/systemd/system/virtio-forwarder.service").read()
    exec_start = re.search(r"(?m)^ExecStart=(.*)$", unit).group(1).split()
    daemon = subprocess.Popen(["timeout", "-s", "KILL", "120"] + exec_start,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    on_exit(lambda: daemon.poll() is None and os.killpg(daemon.pid, 9))
    wait_for(lambda: os.path.exists("/var/run/virtio-forwarder/stats") or daemon.poll() is not None,
             30, "installed daemon up")
    check(daemon.poll() is None, "the service runs as ExecStart starts it: " + " ".join(exec_start))
    return daemon


def main():
    require_env()
    for tool in ("dpkg-buildpackage", "lintian", "dh"):
        if not shutil.which(tool):
            skip("%s missing: run scripts/setup.sh" % tool)
    if subprocess.run(["dpkg", "-s", "virtio-forwarder"], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode == 0:
        skip("virtio-forwarder is already installed on this machine; not touching it")
    r = subprocess.run(["bash", os.path.join(SRC, "scripts/build-deb.sh")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900)
    check(r.returncode == 0, "package built, lintian reports no error:\n" + r.stdout[-1500:])
    deb = r.stdout.strip().splitlines()[-1]
    check(re.search(r"/virtio-forwarder_[0-9.]+_amd64\.deb$", deb) is not None, "built " + deb)

    on_exit(purge)
    r = subprocess.run(["dpkg", "-i", deb], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    check(r.returncode == 0, "dpkg -i " + os.path.basename(deb))
    missing = [f for f in FILES if not os.path.lexists(f)]
    check(missing == [], "installed layout complete (missing: %s)" % missing)
    check(subprocess.run(["man", "-w", "virtioforwarder_stats"], stdout=subprocess.DEVNULL)
          .returncode == 0, "man pages installed")
    wants = "/etc/systemd/system/multi-user.target.wants/virtio-forwarder.service"
    check(os.path.islink(wants), "the unit is enabled on installation (Debian policy)")
    conffiles = open("/var/lib/dpkg/info/virtio-forwarder.conffiles").read().split()
    check(CONF in conffiles, "/etc/default/virtioforwarder is a conffile")
    r = subprocess.run(["virtio-forwarder", "--check-config", CONF], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    check(r.returncode == 0, "the shipped default file checks: " + r.stdout.strip().splitlines()[-1])

    # the operator tunes the file for this host: one worker CPU, 02:08.0 is a virtual device
    with open(CONF) as f:
        text = f.read()
    text = re.sub(r"(?m)^VIRTIOFWD_CPU_MASK=.*$", "VIRTIOFWD_CPU_MASK=1", text)
    text = re.sub(r"(?m)^VIRTIOFWD_DEVICE_ALIASES=.*$",
                  "VIRTIOFWD_DEVICE_ALIASES=(02:08.0=net_null0,no-rx=1)", text)
    with open(CONF, "w") as f:
        f.write(text)
    daemon = start_installed()

    check(shell("chown -R libvirt-qemu:kvm /tmp/virtio-forwarder/").returncode == 0, "chown")
    r = shell(LIBEXEC + "/virtioforwarder_port_control.py add --virtio-id 1 --pci-addr 02:08.0")
    check(r.returncode == 0 and r.stdout == "status: OK\n", "add: status: OK")
    r = shell(LIBEXEC + "/virtioforwarder_stats.py --include-inactive | grep DPDK_ADDED")
    check(r.stdout == "relay_1.vf_to_vm.internal_state=DPDK_ADDED\n", "stats | grep DPDK_ADDED")
    check("1\t" in open("/var/lib/virtio-forwarder/relays").read(),
          "the relay added at run time is kept in /var/lib/virtio-forwarder/relays")
    r = shell(LIBEXEC + "/virtioforwarder_port_control.py remove --virtio-id 1 --pci-addr 02:08.0")
    check(r.returncode == 0 and r.stdout == "status: OK\n", "remove: status: OK")

    pid = int(subprocess.run(["pgrep", "-P", str(daemon.pid)], stdout=subprocess.PIPE,
                             text=True).stdout.split()[0])
    os.kill(pid, 15)
    out = daemon.communicate(timeout=10)[0]
    check(daemon.returncode == 0 and "vfwd: stopped" in out, "installed daemon exits 0 on SIGTERM")
    check(not any(os.path.exists("/var/run/virtio-forwarder/" + e)
                  for e in ("port_control", "stats", "core_sched")), "its endpoints are gone")

    r = subprocess.run(["dpkg", "--purge", "virtio-forwarder"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    left = [f for f in FILES + [LIBEXEC, "/usr/share/doc/virtio-forwarder", "/var/lib/virtio-forwarder",
                                "/etc/systemd/system/multi-user.target.wants/virtio-forwarder.service"]
            if os.path.lexists(f)]
    check(r.returncode == 0 and left == [], "purged: nothing left (%s)" % left)
    log("PASS")


if __name__ == "__main__":
    run(main)
