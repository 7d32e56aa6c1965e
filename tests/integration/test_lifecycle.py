# SPDX-License-Identifier: BSD-3-Clause
"""Process life: command line errors, pid lock, bad static VF, socket ownership, stale files
after a crash, daemonizing, and clean shutdown (SIGTERM and SIGINT) with a guest connected:
exit 0 within 2 s, nothing left behind.
"""
import grp
import os
import pwd
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (BIN, Daemon, Guest, check, dpdk_dir, log, require_env, run, tmpdir,
                     wait_for)


def cli(*args):
    return subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=20)


def command_line():
    r = cli("--help")
    check(r.returncode == 0 and "Usage: virtio-forwarder" in r.stdout and "--add-pci-vf" in r.stdout,
          "--help prints usage, exit 0")
    r = cli("-v")
    check(r.returncode == 0 and re.fullmatch(r"Virtio-forwarder version \S+ \(DPDK 22\.11\S*\)\n",
                                             r.stdout) is not None,
          "-v in the reference's words: " + r.stdout.strip())
    # Exit codes as the reference: 1 for usage and bad values, 255 for set-up failures.
    r = cli("-C", "1", "--bogus")
    check(r.returncode == 1 and "unknown option '--bogus'" in r.stderr, "unknown option: exit 1")
    r = cli("-n")
    check(r.returncode == 1 and "-C/--cpus" in r.stderr, "missing -C named, exit 1")
    r = cli("-C", "1", "-S", "nopattern.sock")
    check(r.returncode == 1 and "exactly one %u" in r.stderr, "bad socket pattern named")
    # VIRTIOFWD_BINARY: the file names the executable to run, with the same arguments, once.
    tmp = tmpdir("binary")
    wrapper = os.path.join(tmp, "other-forwarder")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\necho \"other binary ran: $*\"\n")
    os.chmod(wrapper, 0o755)
    conf = os.path.join(tmp, "virtioforwarder")
    with open(conf, "w") as f:
        f.write("VIRTIOFWD_CPU_MASK=1\nVIRTIOFWD_BINARY=%s\n" % wrapper)
    r = cli("--config", conf, "-n")
    check(r.returncode == 0 and r.stdout == "other binary ran: --config %s -n\n" % conf,
          "VIRTIOFWD_BINARY runs the executable the file names: " + r.stdout.strip())
    with open(conf, "w") as f:
        f.write("VIRTIOFWD_CPU_MASK=1\nVIRTIOFWD_BINARY=%s\n" % BIN)
    r = cli("--config", conf, "--check-config", conf)
    check(r.returncode == 0 and r.stdout.endswith(": OK\n"), "naming ourselves runs ourselves")
    r = cli("-C", "1", "-n", "-u", "nobody")
    check(r.returncode == 1 and "unexpected argument 'nobody'" in r.stderr,
          "-u NAME (space) is a stray argument, as getopt reads optional values")


def leftovers(d):
    left = []
    if os.path.exists(d.sock(0)):
        left.append(d.sock(0))
    if os.path.exists(os.path.join(d.pid_dir, "virtio-forwarder.pid")):
        left.append("pid file")
    if os.path.exists(dpdk_dir(d.prefix)):
        left.append(dpdk_dir(d.prefix))
    return left


def shutdown_clean(sig, name):
    d = Daemon("life-" + name, ["-P", "net_null0,no-rx=1=0"]).start()
    guest = Guest("life-" + name, ["virtio_user0,path=%s" % d.sock(0)], fwd="rxonly").start()
    d.wait_state(0, "DPDK_READY")
    pid = d.pid()
    rc, secs = d.stop(sig)
    check(rc == 0 and secs < 2.0, "%s with a guest connected: exit 0 in %.2fs" % (name, secs))
    check(subprocess.run(["kill", "-0", str(pid)], stderr=subprocess.DEVNULL).returncode != 0,
          "no daemon process left")
    check(leftovers(d) == [], "no socket, pid file or /var/run/dpdk/%s left" % d.prefix)
    guest.stop()


def pid_lock():
    d1 = Daemon("lock1", []).start()
    d2 = Daemon("lock2", [])
    d2.pid_dir = d1.pid_dir
    r = subprocess.run(d2.cmd(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=20)
    check(r.returncode != 0 and "another virtio-forwarder (pid %d)" % d1.pid() in r.stdout,
          "second instance on the same pid path refused: " + r.stdout.strip().splitlines()[-1])
    check(not os.path.exists(dpdk_dir(d2.prefix)), "refused instance created no DPDK state")
    check(d1.proc.poll() is None, "first instance unharmed")
    rc, _ = d1.stop()
    check(rc == 0, "first instance stops cleanly")


def bad_static_vf_and_ownership():
    user, group = "nobody", "nogroup"
    d = Daemon("own", ["-P", "net_no_such_pmd0=1", "-P", "net_null0,no-rx=1=0", "-u" + user,
                       "-g" + group]).start()
    check("ready: 1 relay(s) (2 static)" in d.log(), "daemon up with the good relay")
    check("static VF net_no_such_pmd0=1 not added" in d.log(), "bad static VF named in the log")
    check(d.relay(0)["vf_state"] == "DPDK_ADDED", "good relay in DPDK_ADDED")
    ports = d.telemetry("/ethdev/list")["/ethdev/list"]
    check(ports == [d.relay(0)["port"]],
          "EAL probed nothing by itself: the only ethdev is the relay's VF (%s)" % ports)
    st = os.stat(d.sock(0))
    check(st.st_uid == pwd.getpwnam(user).pw_uid and st.st_gid == grp.getgrnam(group).gr_gid,
          "server socket owned by %s:%s" % (user, group))
    return d


def crash_then_restart():
    d = Daemon("crash", ["-P", "net_null0,no-rx=1=0"]).start()
    os.kill(d.pid(), signal.SIGKILL)
    d.proc.wait(10)
    check(os.path.exists(d.sock(0)), "SIGKILL leaves a stale socket (as any crash would)")
    d2 = Daemon("crash2", ["-P", "net_null0,no-rx=1=0"])
    d2.sock_dir, d2.pid_dir = d.sock_dir, d.pid_dir
    d2.start()
    guest = Guest("crash", ["virtio_user0,path=%s" % d2.sock(0)], fwd="rxonly").start()
    d2.wait_state(0, "DPDK_READY")
    check("replaced stale socket" in d2.log(), "restart replaced the stale socket, guest connected")
    guest.stop()
    rc, _ = d2.stop()
    check(rc == 0, "restarted daemon stops cleanly")


def daemonized():
    d = Daemon("bg", ["-P", "net_null0,no-rx=1=0"])
    cmd = [a for a in d.cmd() if a != "-n"]
    t0 = time.time()
    r = subprocess.run(["timeout", "30"] + cmd, timeout=40)
    check(r.returncode == 0, "daemonizing parent exits 0 once ready (%.2fs)" % (time.time() - t0))
    pidfile = os.path.join(d.pid_dir, "virtio-forwarder.pid")
    pid = int(open(pidfile).read())
    check(os.path.exists(d.sock(0)) and os.path.exists("/proc/%d" % pid),
          "background daemon %d runs, socket exists" % pid)
    os.kill(pid, signal.SIGTERM)
    wait_for(lambda: not os.path.exists("/proc/%d" % pid), 3, "background daemon exit")
    check(leftovers(d) == [], "background daemon left nothing behind")


def main():
    require_env()
    command_line()
    pid_lock()
    d = bad_static_vf_and_ownership()
    d.stop()
    crash_then_restart()
    daemonized()
    shutdown_clean(signal.SIGTERM, "SIGTERM")
    shutdown_clean(signal.SIGINT, "SIGINT")
    log("PASS")


if __name__ == "__main__":
    run(main)
