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
	# the benchmark: net_memif (the generator's link), net_vhost (testpmd as the baseline relay)
	librte-net-memif23 librte-net-vhost23
	# tests and demo
	python3 iproute2 iputils-ping procps coreutils systemd man-db
	# control-plane tests: a Python client built from our .proto (as existing clients are),
	# raw ZeroMQ for malformed requests, promtool to validate the Prometheus output
	python3-zmq python3-protobuf protobuf-compiler prometheus
	# real guests: QEMU, the Debian kernel and busybox for the guest image
	qemu-system-x86 linux-image-amd64 busybox-static cpio ethtool
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

if [ "$(id -u)" != 0 ]; then
	exec sudo "$0" "$@"
fi
missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} = 0 ]; then
	echo "setup: all ${#PACKAGES[@]} packages present"
	exit 0
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
