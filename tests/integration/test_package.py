# SPDX-License-Identifier: BSD-3-Clause
"""The Debian package (built by integ.release with scripts/build-deb.sh, lintian clean),
installed over a stand-in of the reference's package (its file layout and shipped
/etc/default/virtioforwarder, tuned by the operator): the operator's file is kept, the
reference's own files go, the service starts from that file; the compatibility spec's operator
workflow runs verbatim against the installed files and the .py names (the daemon started as the
unit's ExecStart starts it, hugepages and all, with a device alias standing in for VF 02:08.0),
an operator's script imports the reference's Python module; then purged: nothing left.
"""
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, log, on_exit, require_env, run, sh, skip, tmpdir, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("VFWD_SOURCE_DIR", os.path.join(HERE, "../.."))
BUILD = os.environ.get("VFWD_BUILD_DIR", os.path.join(SRC, "build"))
# integ.release builds the packages from the release tarball and leaves them here (ctest fixture
# "packages": ctest -R integ.package runs integ.release first)
PACKAGES = os.path.join(BUILD, "packages")
CONF = "/etc/default/virtioforwarder"
LIBEXEC = "/usr/lib/virtio-forwarder"
FILES = ["/usr/bin/virtio-forwarder", "/usr/bin/virtioforwarder_port_control",
         "/usr/bin/virtioforwarder_stats", "/usr/bin/virtioforwarder_config",
         LIBEXEC + "/virtioforwarder_port_control.py", LIBEXEC + "/virtioforwarder_stats.py",
         LIBEXEC + "/virtioforwarder_config.py", LIBEXEC + "/virtioforwarder_core_pinner.py",
         LIBEXEC + "/virtioforwarder_monitor_load.py",
         LIBEXEC + "/virtioforwarder_core_scheduler.py", CONF, "/lib/systemd/system/virtio-forwarder.service",
         "/lib/systemd/system/vio4wd_core_scheduler.service",
         LIBEXEC + "/protobuf/virtioforwarder/virtioforwarder_pb2.py",
         LIBEXEC + "/protobuf/virtioforwarder/__init__.py", LIBEXEC + "/protobuf/__init__.py",
         "/usr/share/doc/virtio-forwarder/examples/relay-server-mode.xml"]


def built(kind, pattern):
    """The package integ.release made: PACKAGES/@kind/@pattern, exactly one."""
    found = sorted(glob.glob(os.path.join(PACKAGES, kind, pattern)))
    check(len(found) == 1, "integ.release left one %s in %s (found %s): run it first (ctest "
          "does, fixture 'packages')" % (pattern, os.path.join(PACKAGES, kind), found))
    return found[0]


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
        on_exit(sh, "umount", "-l", "/dev/hugepages", ok=False)


def accounts():
    """libvirt's user and group, as on a libvirt host (the workflow chowns to them)."""
    if subprocess.run(["getent", "group", "kvm"], stdout=subprocess.DEVNULL).returncode:
        sh("groupadd", "--system", "kvm")
        on_exit(sh, "groupdel", "kvm", ok=False)
    if subprocess.run(["getent", "passwd", "libvirt-qemu"], stdout=subprocess.DEVNULL).returncode:
        sh("useradd", "--system", "--no-create-home", "libvirt-qemu")
        on_exit(sh, "userdel", "libvirt-qemu", ok=False)


# The reference's shipped /etc/default/virtioforwarder (reference-behaviour.md 6).
REFERENCE_DEFAULTS = """\
VIRTIOFWD_CPU_MASK=1,2
VIRTIOFWD_LOG_LEVEL=6
VIRTIOFWD_IPC_PORT_CONTROL=y
VIRTIOFWD_OVSDB_SOCK_PATH=
VIRTIOFWD_JUMBO=y
VIRTIOFWD_MRGBUF=y
VIRTIOFWD_TSO=
VIRTIOFWD_SOCKET_OWNER=
VIRTIOFWD_SOCKET_GROUP=
VIRTIOFWD_HUGETLBFS_MOUNT_POINT=/dev/hugepages
VIRTIOFWD_STATIC_VFS=
VIRTIOFWD_DYNAMIC_SOCKETS=
VIRTIOFWD_CPU_NIC_SAME_NUMA=
VIRTIOFWD_VFIO_VF_TOKEN=
VIO4WD_CORE_SCHED_ENABLE=true
VIO4WD_CORE_SCHED_SENSITIVITY=
VIO4WD_CORE_SCHED_POLL_INTERVAL=
VIO4WD_CORE_SCHED_LOG_LEVEL=6
VIO4WD_CORE_SCHED_GLOBAL_NUMA_OPT=
VIRTIOFWD_CPU_PINS=
VIRTIOFWD_PID_DIR=/var/run
VIRTIOFWD_ZMQ_CONFIG_EP=
VIRTIOFWD_ZMQ_PORT_CONTROL_EP=ipc:///var/run/virtio-forwarder/port_control
VIRTIOFWD_ZMQ_STATS_EP=ipc:///var/run/virtio-forwarder/stats
VIRTIOFWD_ZMQ_CORE_SCHED_EP=ipc:///var/run/virtio-forwarder/core_sched
VIRTIOFWD_SOCKET_DIR=/tmp/virtio-forwarder
VIRTIOFWD_SOCKET_FNAME_PATTERN=
VIRTIOFWD_BINARY=/usr/bin/virtio-forwarder
VIRTIOFWD_MASTER_LCORE=
VIRTIOFWD_VHOST_CLIENT=y
VIRTIOFWD_ZERO_COPY=
VIRTIOFWD_BIND_VFIO_PCI=
"""


def reference_standin(workdir):
    """A package laid out as the reference's 2.x packages are: same name, its files, its
    conffile. The programs are stubs: only the layout and the upgrade matter here."""
    root = os.path.join(workdir, "ref")
    for d in ("DEBIAN", "usr/bin", "usr/lib/virtio-forwarder", "etc/default",
              "lib/systemd/system"):
        os.makedirs(os.path.join(root, d))
    files = {"usr/bin/virtio-forwarder": "#!/bin/sh\necho reference stub\n",
             "etc/default/virtioforwarder": REFERENCE_DEFAULTS,
             "lib/systemd/system/virtio-forwarder.service":
                 "[Service]\nExecStart=/usr/lib/virtio-forwarder/vio4wd-start.sh\n",
             "lib/systemd/system/vio4wd_core_scheduler.service": "[Service]\nExecStart=/bin/true\n"}
    for tool in ("port_control", "stats", "config", "core_pinner", "core_scheduler",
                 "monitor_load"):
        files["usr/lib/virtio-forwarder/virtioforwarder_%s.py" % tool] = "#!/usr/bin/python3\n"
    for script in ("vio4wd-pre-start.sh", "vio4wd-start.sh", "vio4wd-post-stop.sh"):
        files["usr/lib/virtio-forwarder/" + script] = "#!/bin/sh\n"
    files["DEBIAN/control"] = ("Package: virtio-forwarder\nVersion: 2.1.0-1\nArchitecture: amd64\n"
                               "Maintainer: stand-in <x@y.invalid>\nDescription: stand-in of the "
                               "reference's package\n")
    files["DEBIAN/conffiles"] = CONF + "\n"
    for name, text in files.items():
        path = os.path.join(root, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755 if not name.startswith(("DEBIAN", "etc", "lib")) else 0o644)
    deb = os.path.join(workdir, "virtio-forwarder_2.1.0-1_amd64.deb")
    sh("dpkg-deb", "--root-owner-group", "--build", root, deb)
    return deb


def unit_command(unit, key, env):
    """Run @unit's @key= line (ExecCondition, ExecStart) as systemd would: continuation lines
    joined, $$ a dollar for the shell, variables from @env (its EnvironmentFile). At most 3 s."""
    text = open("/lib/systemd/system/" + unit).read().replace("\\\n", " ")
    line = re.search(r"(?m)^%s=(.*)$" % key, text).group(1).replace("$$", "$")
    argv = shlex.split(line)
    try:
        r = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=3)
        return r.returncode, r.stdout
    except subprocess.TimeoutExpired:
        return "running", ""


def core_scheduler_unit():
    """The reference's vio4wd_core_scheduler.service, ours: enabled as the reference's is; with
    the shipped VIO4WD_CORE_SCHED_ENABLE=true it is skipped (the daemon balances itself);
    otherwise it runs the tool with the endpoints and options of the default file."""
    check(os.path.islink("/etc/systemd/system/multi-user.target.wants/vio4wd_core_scheduler."
                         "service"), "vio4wd_core_scheduler.service is enabled on installation")
    shipped = {}
    for line in open(CONF + ".dpkg-dist" if os.path.exists(CONF + ".dpkg-dist") else CONF):
        m = re.match(r"^([A-Z0-9_]+)=(.*)$", line.strip())
        if m:  # systemd's EnvironmentFile: one assignment a line, quotes removed
            shipped[m.group(1)] = m.group(2).strip("\"'")
    env = dict(PATH="/usr/bin:/bin", **shipped)
    rc, _ = unit_command("vio4wd_core_scheduler.service", "ExecCondition", env)
    check(shipped.get("VIO4WD_CORE_SCHED_ENABLE") == "true" and rc == 1,
          "shipped file (VIO4WD_CORE_SCHED_ENABLE=true): the service is skipped (condition %s)"
          % rc)
    env["VIO4WD_CORE_SCHED_ENABLE"] = "false"
    cond = unit_command("vio4wd_core_scheduler.service", "ExecCondition", env)[0]
    started = unit_command("vio4wd_core_scheduler.service", "ExecStart", env)
    check(cond == 0 and started[0] == "running",
          "VIO4WD_CORE_SCHED_ENABLE=false: it runs the scheduler with the file's options "
          "(condition %s, still running after 3 s: %s %s)" % (cond, started[0], started[1]))


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
    deb = built("deb", "virtio-forwarder_*_amd64.deb")
    check(re.search(r"/virtio-forwarder_[0-9.]+_amd64\.deb$", deb) is not None, "built " + deb)

    on_exit(purge)
    # The reference's package first, its file tuned by the operator for this host: one worker
    # CPU, and 02:08.0 a virtual device here.
    ref = reference_standin(tmpdir("refpkg"))
    r = subprocess.run(["dpkg", "-i", ref], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    check(r.returncode == 0, "the reference's stand-in installed (2.1.0-1)")
    tuned = REFERENCE_DEFAULTS.replace("VIRTIOFWD_CPU_MASK=1,2", "VIRTIOFWD_CPU_MASK=1") + \
        "VIRTIOFWD_DEVICE_ALIASES=(02:08.0=net_null0,no-rx=1)\n"
    with open(CONF, "w") as f:
        f.write(tuned)

    # Ours over it, as an upgrade: the operator's file stays (dpkg keeps a changed conffile).
    r = subprocess.run(["dpkg", "-i", "--force-confold", deb], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    check(r.returncode == 0, "dpkg -i " + os.path.basename(deb) + " over it")
    version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "virtio-forwarder"],
                             stdout=subprocess.PIPE, text=True).stdout
    check(version.startswith("1:") and subprocess.run(
        ["dpkg", "--compare-versions", version, "gt", "2.1.0-1"]).returncode == 0,
          "an upgrade: %s replaced 2.1.0-1" % version)
    check(open(CONF).read() == tuned, "the operator's /etc/default/virtioforwarder is kept")
    gone = [f for f in ("/usr/lib/virtio-forwarder/vio4wd-start.sh",) if os.path.lexists(f)]
    check(os.path.islink(LIBEXEC + "/virtioforwarder_core_scheduler.py"),
          "virtioforwarder_core_scheduler.py is ours now (a link to the C tool)")
    check(gone == [], "the reference's own files went with its package (left: %s)" % gone)
    missing = [f for f in FILES if not os.path.lexists(f)]
    check(missing == [], "installed layout complete (missing: %s)" % missing)
    check(subprocess.run(["man", "-w", "virtioforwarder_stats"], stdout=subprocess.DEVNULL)
          .returncode == 0, "man pages installed")
    wants = "/etc/systemd/system/multi-user.target.wants/virtio-forwarder.service"
    check(os.path.islink(wants), "the unit is enabled on installation (Debian policy)")
    core_scheduler_unit()
    conffiles = open("/var/lib/dpkg/info/virtio-forwarder.conffiles").read().split()
    check(CONF in conffiles, "/etc/default/virtioforwarder is a conffile")
    for path, what in ((CONF + ".dpkg-dist", "our shipped default file"),
                       (CONF, "the operator's file from the reference")):
        r = subprocess.run(["virtio-forwarder", "--check-config", path], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
        check(r.returncode == 0, "%s checks: %s" % (what, r.stdout.strip().splitlines()[-1]))
    daemon = start_installed()

    check(shell("chown -R libvirt-qemu:kvm /tmp/virtio-forwarder/").returncode == 0, "chown")
    r = shell(LIBEXEC + "/virtioforwarder_port_control.py add --virtio-id 1 --pci-addr 02:08.0")
    check(r.returncode == 0 and r.stdout == "status: OK\n", "add: status: OK")
    r = shell(LIBEXEC + "/virtioforwarder_stats.py --include-inactive | grep DPDK_ADDED")
    check(r.stdout == "relay_1.vf_to_vm.internal_state=DPDK_ADDED\n", "stats | grep DPDK_ADDED")
    check("1\t" in open("/var/lib/virtio-forwarder/relays").read(),
          "the relay added at run time is kept in /var/lib/virtio-forwarder/relays")
    # An operator's own script, as written against the reference: its protobuf module from the
    # tools' directory, a raw ZeroMQ request.
    script = ("import sys, zmq; sys.path.insert(0, '%s')\n"
              "from protobuf.virtioforwarder import virtioforwarder_pb2 as pb\n"
              "s = zmq.Context().socket(zmq.REQ); s.setsockopt(zmq.RCVTIMEO, 5000)\n"
              "s.connect('ipc:///var/run/virtio-forwarder/port_control')\n"
              "s.send(pb.PortControlRequest(op=pb.PortControlRequest.QUERY_PCI, vhost_path="
              "'/tmp/virtio-forwarder/virtio-forwarder1.sock').SerializeToString())\n"
              "r = pb.PortControlResponse(); r.ParseFromString(s.recv())\n"
              "print(pb.PortControlResponse.Status.Name(r.status), r.query_string)\n" % LIBEXEC)
    r = subprocess.run([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=30)
    check(r.returncode == 0 and r.stdout == "OK 0000:02:08.0\n",
          "a script importing protobuf.virtioforwarder.virtioforwarder_pb2 from the tools' "
          "directory talks to the daemon: " + r.stdout.strip())
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
                                "/etc/systemd/system/multi-user.target.wants/virtio-forwarder.service",
                                "/etc/systemd/system/multi-user.target.wants/vio4wd_core_scheduler.service"]
            if os.path.lexists(f)]
    check(r.returncode == 0 and left == [], "purged: nothing left (%s)" % left)
    log("PASS")


if __name__ == "__main__":
    run(main)
