#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# setup.sh: install every Debian 12 package the build, the demo and the tests need.
# Idempotent and non-interactive; run as root (or through sudo).
set -euo pipefail

PACKAGES=(
	# build
	gcc make cmake pkg-config help2man
	libdpdk-dev libzmq3-dev libprotobuf-c-dev protobuf-c-compiler libsystemd-dev check
	# run: DPDK runtime with its PMDs (af_packet, pcap, null, tap, vhost, virtio_user); dpdk-dev
	# holds dpdk-testpmd (the test guest) and dpdk-telemetry.py
	dpdk dpdk-dev librte-bus-pci23 librte-bus-vdev23 librte-mempool-ring23
	librte-net-af-packet23 librte-net-pcap23 librte-net-null23 librte-net-tap23 librte-net-virtio23
	# the real-VF test bed's VF driver (net_e1000_igb_vf: the 82576 VF)
	librte-net-e1000-23
	# the benchmark: net_memif (the generator's link), net_vhost (testpmd as the baseline relay)
	librte-net-memif23 librte-net-vhost23
	# tests and demo
	python3 iproute2 iputils-ping procps coreutils systemd man-db
	# control-plane tests: a Python client built from our .proto (as existing clients are),
	# raw ZeroMQ for malformed requests, promtool to validate the Prometheus output
	python3-zmq python3-protobuf protobuf-compiler prometheus
	# real guests: the Debian kernel and busybox for the guest image (QEMU: BACKPORTS below)
	linux-image-amd64 busybox-static cpio ethtool
	# firmware for the backported QEMU, which ships no BIOS of its own
	seabios ipxe-qemu
	# the Debian package: dpkg-buildpackage (its build-essential check), debhelper, lintian;
	# the RPM (rpmbuild)
	build-essential dpkg-dev debhelper fakeroot lintian rpm
	# libvirt-defined guests (test-bed recipe: no systemd, libvirtd started by the test)
	libvirt-daemon libvirt-clients libvirt-daemon-driver-qemu
	# OVSDB port control (-O): a real ovsdb-server on the vswitch schema, driven by ovs-vsctl
	openvswitch-common openvswitch-switch
	# static analysis in the suite (unit.cppcheck, unit.clang_tidy)
	cppcheck clang-tidy
	# the libFuzzer targets (tests/fuzz): clang and its runtimes (libFuzzer, ASan, UBSan)
	clang libclang-rt-14-dev
)

# From bookworm-backports: QEMU 10, the first with an SR-IOV NIC (igb, an 82576 with VFs) for
# the real-VF test bed (tests/e2e/test_realvf.py). Every QEMU test runs on it; Debian 12's own
# QEMU 7.2 has no igb. BACKPORTS_MIN: the version below which we upgrade.
BACKPORTS=(qemu-system-x86 qemu-system-common qemu-system-data)
BACKPORTS_MIN=1:10

if [ "$(id -u)" != 0 ]; then
	exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
updated=
apt_update() { [ -n "$updated" ] || apt-get update -q; updated=1; }

# bookworm-backports beside the machine's own Debian source (same mirror, same key)
backports_source() {
	local list=/etc/apt/sources.list.d/vfwd-backports.sources uri
	grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ && return 0
	# deb822 files (.sources) or the one-line list (debootstrap's); either may be missing
	uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -n 's/^URIs: *\([^ ]*\/debian\)\/*$/\1/p' | head -1 || true)
	[ -n "$uri" ] || uri=$(cat /etc/apt/sources.list 2>/dev/null |
		sed -n 's/^deb \([^ ]*\/debian\)\/* bookworm .*/\1/p' | head -1 || true)
	if [ -z "$uri" ]; then
		echo "setup: no Debian source found in /etc/apt to add bookworm-backports to" >&2
		exit 1
	fi
	printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: %s\n' \
		"$uri" /usr/share/keyrings/debian-archive-keyring.gpg >"$list"
	echo "setup: added bookworm-backports ($list)"
	updated=
}

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} != 0 ]; then
	echo "setup: installing ${missing[*]}"
	apt_update
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
qv=$(dpkg-query -W -f='${Version}' qemu-system-x86 2>/dev/null || true)
if [ -z "$qv" ] || dpkg --compare-versions "$qv" lt "$BACKPORTS_MIN"; then
	backports_source
	apt_update
	echo "setup: installing ${BACKPORTS[*]} from bookworm-backports (had: ${qv:-none})"
	apt-get install -y -q --no-install-recommends -t bookworm-backports "${BACKPORTS[@]}"
fi
echo "setup: all ${#PACKAGES[@]} packages present, QEMU $(dpkg-query -W -f='${Version}' qemu-system-x86)"
