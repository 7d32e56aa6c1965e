#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# build-vf-guest.sh: the real-VF test bed's machine (doc/real-vfs.md): a guest with an emulated
# SR-IOV NIC (QEMU's igb) behind a vIOMMU that runs this host's own programs (the built daemon,
# Debian's DPDK) from the host root, shared read-only over 9p.
#
# Its /init loads the 9p modules, mounts the host root (tag "host") and a writable exchange
# folder (tag "xchg"), chroots into the host root with tmpfs over the folders programs write to,
# loads igb and vfio-pci (vfwd.keep=PATH,...: host paths under those tmpfs to keep), and then
# serves commands: the host writes xchg/cmd.N (a shell script),
# the guest runs it and writes xchg/out.N (stdout and stderr) and then xchg/rc.N (exit code).
# xchg/halt powers it off. Prints VFWD-VFGUEST-UP on its console when ready.
# Output: build/vfguest/vmlinuz, build/vfguest/initramfs.cpio.gz.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${VFWD_GUEST_DIR:-$root/build/vfguest}
kver=$(ls /lib/modules | sort -V | tail -1)
work=$(mktemp -d /tmp/vfwd-vfguest-XXXXXX)
trap 'rm -rf "$work"' EXIT

# The 9p chain, in load order; everything else comes from the host root through modprobe.
MODS="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache
	9pnet 9pnet_virtio 9p"
mkdir -p "$out" "$work"/{bin,proc,sys,dev,host,lib/modules}
cp /bin/busybox "$work/bin/busybox"
for m in $MODS; do
	f=$(find "/lib/modules/$kver" -name "$m.ko" | head -1)
	[ -n "$f" ] || { echo "build-vf-guest: module $m missing for $kver" >&2; exit 1; }
	cp "$f" "$work/lib/modules/"
done
cat >"$work/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(echo $MODS); do insmod /lib/modules/\$m.ko || echo "VFWD-VFGUEST-FAIL insmod \$m"; done
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=none host /host ||
	echo "VFWD-VFGUEST-FAIL host root"
h=/host
# tmpfs where programs write; host paths below them named in vfwd.keep= (the build tree, e.g.
# a clone under /tmp) stay visible, bound back from a view of the host's taken first.
mount -t tmpfs run \$h/run
for d in tmp var/log var/tmp var/lib; do
	mkdir -p \$h/run/.host/\$d
	mount --bind \$h/\$d \$h/run/.host/\$d
	mount -t tmpfs tmpfs \$h/\$d
done
for p in \$(sed -n 's/.*vfwd\.keep=\([^ ]*\).*/\1/p' /proc/cmdline | tr , ' '); do
	for d in tmp var/log var/tmp var/lib; do
		case "\$p/" in
		/\$d/*) mkdir -p \$h\$p && mount --bind \$h/run/.host\$p \$h\$p ||
				echo "VFWD-VFGUEST-FAIL keep \$p" ;;
		esac
	done
done
mount -t proc proc \$h/proc
mount -t sysfs sys \$h/sys
mount -t devtmpfs dev \$h/dev
mkdir -p \$h/dev/hugepages \$h/run/xchg
mount -t hugetlbfs none \$h/dev/hugepages
mount -t 9p -o trans=virtio,version=9p2000.L,cache=none xchg \$h/run/xchg ||
	echo "VFWD-VFGUEST-FAIL exchange folder"
exec chroot \$h /bin/sh -c '
	hostname vfguest
	ip link set lo up
	modprobe igb && modprobe vfio-pci || echo "VFWD-VFGUEST-FAIL modprobe"
	echo "VFWD-VFGUEST-UP \$(uname -r)"
	cd /run/xchg
	n=0
	while [ ! -e halt ]; do
		if [ -e cmd.\$n ]; then
			sh cmd.\$n >out.\$n 2>&1 </dev/null
			echo \$? >rc.tmp && mv rc.tmp rc.\$n
			n=\$((n + 1))
		else
			sleep 0.1
		fi
	done
	echo VFWD-VFGUEST-HALT
	sync
	echo o >/proc/sysrq-trigger
'
INIT
chmod +x "$work/init"
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initramfs.cpio.gz"
cp "/boot/vmlinuz-$kver" "$out/vmlinuz"
echo "$out"
