# SPDX-License-Identifier: BSD-3-Clause
"""libvirt.py: a private libvirtd for the e2e tests (test-bed recipe: no systemd here) and
guests defined from the operator examples in doc/libvirt/."""
import os
import re
import shutil
import signal
import subprocess
import time

from harness import check, log, on_exit, sh, tmpdir, wait_for
from vm import SRC, Vm

QEMU_CONF = "/etc/libvirt/qemu.conf"
# What libvirtd creates on its first start; removed again when this run created it.
STATE_DIRS = ["/etc/libvirt/qemu", "/etc/libvirt/nwfilter", "/etc/libvirt/secrets",
              "/run/libvirt", "/var/lib/libvirt/qemu", "/var/cache/libvirt"]


def _ensure_account(kind, name):
    """libvirtd refuses to start without libvirt-qemu; create it for the run, remove it after."""
    if sh("getent", "group" if kind == "group" else "passwd", name, ok=False).returncode == 0:
        return
    if kind == "group":
        sh("groupadd", "-r", name)
        on_exit(sh, "groupdel", name, ok=False)
    else:
        sh("useradd", "-r", "-M", "-g", name, "-s", "/usr/sbin/nologin", name)
        on_exit(sh, "userdel", name, ok=False)


class Libvirtd:
    """libvirtd on its own socket directory; QEMU runs as root without a security driver."""

    def __init__(self):
        self.dir = tmpdir("libvirt")
        self.run_dir = os.path.join(self.dir, "run")
        self.pidfile = os.path.join(self.dir, "libvirtd.pid")
        self.uri = "qemu:///system?socket=%s/libvirt-sock" % self.run_dir

    def start(self):
        if not shutil.which("libvirtd") or not shutil.which("virsh"):
            raise AssertionError("libvirtd/virsh missing: run scripts/setup.sh")
        _ensure_account("group", "libvirt-qemu")
        _ensure_account("user", "libvirt-qemu")
        old = open(QEMU_CONF).read() if os.path.exists(QEMU_CONF) else None
        on_exit(self._restore_qemu_conf, old)
        with open(QEMU_CONF, "w") as f:
            f.write('user = "root"\ngroup = "root"\nsecurity_driver = "none"\n'
                    'stdio_handler = "file"\n')
        conf = os.path.join(self.dir, "libvirtd.conf")
        with open(conf, "w") as f:
            f.write('unix_sock_dir = "%s"\nauth_unix_rw = "none"\nauth_unix_ro = "none"\n'
                    'log_outputs = "3:file:%s/libvirtd.log"\n' % (self.run_dir, self.dir))
        if not os.path.isdir("/var/log/libvirt"):  # QEMU's per-domain logs go there
            os.makedirs("/var/log/libvirt/qemu")
            on_exit(shutil.rmtree, "/var/log/libvirt", True)
        os.makedirs(self.run_dir)
        created = [d for d in STATE_DIRS if not os.path.exists(d)]
        on_exit(lambda: [shutil.rmtree(d, True) for d in created])
        sh("timeout", "30", "libvirtd", "-d", "-f", conf, "-p", self.pidfile)
        on_exit(self.stop)
        wait_for(lambda: self.virsh("version", ok=False).returncode == 0, 30, "libvirtd up")
        log("libvirtd up: %s" % "; ".join(
            l.strip() for l in self.virsh("version").stdout.splitlines() if "Running" in l))
        return self

    @staticmethod
    def _restore_qemu_conf(old):
        if old is None:
            os.path.exists(QEMU_CONF) and os.unlink(QEMU_CONF)
        else:
            with open(QEMU_CONF, "w") as f:
                f.write(old)

    def stop(self):
        try:
            pid = int(open(self.pidfile).read())
        except (OSError, ValueError):
            return
        os.kill(pid, signal.SIGTERM)
        end = time.time() + 10
        while time.time() < end and os.path.exists("/proc/%d" % pid):
            time.sleep(0.1)
        if os.path.exists("/proc/%d" % pid):
            os.kill(pid, signal.SIGKILL)

    def virsh(self, *args, ok=True):
        r = subprocess.run(["timeout", "60", "virsh", "-c", self.uri] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if ok and r.returncode:
            raise AssertionError("virsh %s: %s" % (" ".join(args), r.stdout.strip()))
        return r


def example_xml(name):
    with open(os.path.join(SRC, "doc/libvirt", name)) as f:
        return f.read()


class Domain(Vm):
    """A guest defined from an operator example of doc/libvirt/: only its name, paths and
    domain type (qemu: no KVM here) are changed."""

    def __init__(self, lv, example, name, sock, guest_dir, append):
        self.lv = lv
        self.name = name
        self.log = os.path.join(tmpdir("vm-" + name), "serial.log")
        xml = example_xml(example)
        xml = xml.replace("<domain type='kvm'", "<domain type='qemu'")
        xml = re.sub(r"<name>[^<]*</name>", "<name>%s</name>" % name, xml)
        xml = re.sub(r"<kernel>[^<]*</kernel>",
                     "<kernel>%s/vmlinuz</kernel>" % guest_dir, xml)
        xml = re.sub(r"<initrd>[^<]*</initrd>",
                     "<initrd>%s/initramfs.cpio.gz</initrd>" % guest_dir, xml)
        xml = re.sub(r"<cmdline>[^<]*</cmdline>",
                     "<cmdline>console=ttyS0 quiet ipv6.disable=1 %s</cmdline>" % append, xml)
        xml = re.sub(r"(<source type='unix' path=')[^']*'", r"\g<1>%s'" % sock, xml)
        xml = re.sub(r"(<serial type='file'>\s*<source path=')[^']*'", r"\g<1>%s'" % self.log,
                     xml)
        self.xml = os.path.join(os.path.dirname(self.log), name + ".xml")
        with open(self.xml, "w") as f:
            f.write(xml)
        self.proc = None

    def boot(self):
        open(self.log, "w").close()
        self.lv.virsh("define", self.xml)
        on_exit(self._undefine)
        self.lv.virsh("start", self.name)
        log("domain %s started from %s" % (self.name, self.xml))
        return self

    def state(self):
        return self.lv.virsh("domstate", self.name, ok=False).stdout.strip()

    def alive(self):
        return self.state() == "running"

    def wait_off(self, timeout=30):
        wait_for(lambda: self.state() == "shut off", timeout, "%s shut off" % self.name)
        return self.state() == "shut off"

    def _undefine(self):
        self.lv.virsh("destroy", self.name, ok=False)
        self.lv.virsh("undefine", self.name, ok=False)
        for f in ("/var/log/libvirt/qemu/%s.log" % self.name,):
            if os.path.exists(f):
                os.unlink(f)


def check_example_is_used(example):
    """The test boots the shipped file, not a copy: it must exist and carry what it claims."""
    xml = example_xml(example)
    check("<interface type='vhostuser'>" in xml and "<source type='memfd'/>" in xml
          and "<access mode='shared'/>" in xml, "%s: vhost-user NIC, memfd shared memory"
          % example)
