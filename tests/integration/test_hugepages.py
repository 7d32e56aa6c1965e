# SPDX-License-Identifier: BSD-3-Clause
"""Hugepage mode: the daemon on a hugetlbfs of its own (-H), memory taken on demand (a few pages,
not the reference's 1375), guest traffic through it, and every page given back at exit
(--huge-unlink: no hugepage file outlives the daemon). The test reserves and releases its pages.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Daemon, Guest, check, dpdk_dir, log, on_exit, require_env, run, sh, skip,
                     tmpdir, wait_for)

PAGES = 128  # 256 MB of 2M pages


def meminfo(key):
    for line in open("/proc/meminfo"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def set_pages(n):
    with open("/proc/sys/vm/nr_hugepages", "w") as f:
        f.write(str(n))


def main():
    require_env()
    before = int(open("/proc/sys/vm/nr_hugepages").read())
    on_exit(set_pages, before)
    mnt = tmpdir("huge")

    # not a hugetlbfs: refused with the mount command to run
    bad = Daemon("huge-nofs", ["-P", "net_null0,no-rx=1=0"], huge_dir=mnt)
    r = subprocess.run(bad.cmd(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=30)
    check(r.returncode != 0 and "is not a hugetlbfs mount: mount -t hugetlbfs nodev " + mnt
          in r.stdout, "not a hugetlbfs: " + r.stdout.strip())
    sh("mount", "-t", "hugetlbfs", "-o", "pagesize=2M", "nodev", mnt)
    on_exit(sh, "umount", "-l", mnt, ok=False)  # lazy: a killed daemon may still hold it

    # too few pages for 64 static relays: how much, where, how to reserve it. The shortage is
    # made here, whatever the host has: every page not in use by others given back but one.
    set_pages(meminfo("HugePages_Total") - meminfo("HugePages_Free") + 1)
    check(meminfo("HugePages_Free") * 2 < 328, "shortage made: %d free hugepage(s)"
          % meminfo("HugePages_Free"))
    many = []
    for i in range(64):
        many += ["-P", "net_null%d,no-rx=1=%d" % (i, i)]
    short = Daemon("huge-short", many, huge_dir=mnt)
    on_exit(__import__("shutil").rmtree, dpdk_dir(short.prefix), True)
    r = subprocess.run(short.cmd(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=30)
    check(r.returncode == 1 and "about 328 MB needed in %s for 64 relay(s)" % mnt in r.stdout
          and "nr_hugepages" in r.stdout, "too few pages: exit 1, " + r.stdout.strip())
    check(not os.path.exists(dpdk_dir(short.prefix)), "refused before DPDK started")

    set_pages(before + PAGES)
    if meminfo("HugePages_Total") < before + PAGES:
        skip("cannot reserve %d hugepages (got %d)" % (PAGES, meminfo("HugePages_Total")))
    free0 = meminfo("HugePages_Free")

    d = Daemon("huge", ["-P", "net_null0,size=64=0", "-P", "net_null1,no-rx=1=1"], huge_dir=mnt)
    d.start()
    smaps = open("/proc/%d/smaps" % d.pid()).read()
    check("KernelPageSize:     2048 kB" in smaps, "the daemon's memory is on 2M pages from %s" % mnt)
    used = free0 - meminfo("HugePages_Free")
    # doc/architecture.md says 5 pages for two relays; one more for the allocator's rounding
    check(0 < used <= 6, "daemon with 2 relays uses %d hugepages (%d MB; documented: 5)"
          % (used, used * 2))
    check(os.listdir(mnt) == [], "no hugepage files left in %s while running (--huge-unlink)" % mnt)
    guest = Guest("huge", ["virtio_user0,path=%s" % d.sock(0)], fwd="macswap").start()
    d.wait_state(0, "DPDK_READY")
    time.sleep(0.5)
    r = d.relay(0)
    check(r["vf_to_vm"]["pkts_tx_to_vm"] > 0 and r["vm_to_vf"]["pkts_tx_to_vf"] > 0,
          "traffic both ways through a hugepage-backed relay")
    guest.stop()
    rc, _ = d.stop()
    check(rc == 0, "daemon exits 0")
    check(wait_for(lambda: meminfo("HugePages_Free") == free0, 5, "hugepages returned"),
          "all %d hugepages free again after exit" % free0)
    log("PASS")


if __name__ == "__main__":
    run(main)
