/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * opts_table.c: the daemon's options, one entry each: command line, /etc/default key, --help,
 * the man page and the shipped default file all come from this table.
 */
#include <getopt.h>

#include <rte_build_config.h> /* RTE_MAX_ETHPORTS only: the parser links no DPDK */

#include "opts_int.h"

/* Relays this build can have: 64, capped by the DPDK's ethdev ports (Debian 12's: 32). */
#if RTE_MAX_ETHPORTS < RELAY_MAX
#define RELAYS_HERE RTE_MAX_ETHPORTS
#else
#define RELAYS_HERE RELAY_MAX
#endif
#define STR_(x) #x
#define STR(x)	STR_(x)

/* clang-format off */
const struct opt opts[] = {
	{"cpus", 'C', required_argument, "LIST", set_cpus,
	 "worker CPUs: list 1,2 / ranges 1-3 / hex 0x6 (required)",
	 .env = "VIRTIOFWD_CPU_MASK", .dflt = "1,2"},
	{"master-lcore", 'M', required_argument, "CPU", set_main_lcore,
	 "control (main) lcore, never a worker (default 0)",
	 .env = "VIRTIOFWD_MASTER_LCORE", .dflt = ""},
	{"nodaemon", 'n', optional_argument, "log_syslog", set_nodaemon,
	 "stay in the foreground, log to stdout (=log_syslog: to syslog / the journal)"},
	{"loglevel", 'l', required_argument, "0-7", set_loglevel,
	 "syslog level: 3 errors ... 6 info (default) ... 7 debug",
	 .env = "VIRTIOFWD_LOG_LEVEL", .dflt = "6"},
	{"pid-path", 'p', required_argument, "DIR", CFG_PATH(pid_dir),
	 .help = "directory of virtio-forwarder.pid (default /var/run)",
	 .env = "VIRTIOFWD_PID_DIR", .dflt = "/var/run"},
	{"huge-dir", 'H', required_argument, "DIR", CFG_PATH(huge_dir),
	 .help = "hugetlbfs mount point for DPDK memory (default: EAL's choice)",
	 .env = "VIRTIOFWD_HUGETLBFS_MOUNT_POINT", .dflt = "/dev/hugepages"},
	{"vhost-path", 'V', required_argument, "DIR", CFG_PATH(relay.vhost_dir),
	 .help = "vhost-user socket directory (default /tmp/virtio-forwarder)",
	 .env = "VIRTIOFWD_SOCKET_DIR", .dflt = "/tmp/virtio-forwarder"},
	{"vhost-socket", 'S', required_argument, "PATTERN", set_vhost_socket,
	 "socket file name, one %u for the relay id (default virtio-forwarder%u.sock)",
	 .env = "VIRTIOFWD_SOCKET_FNAME_PATTERN", .dflt = "virtio-forwarder%u.sock"},
	{"vhost-username", 'u', optional_argument, "USER", set_owner,
	 "owner of server-mode sockets (default libvirt-qemu; -u alone: this process's); "
	 "the value attached: -uUSER",
	 .env = "VIRTIOFWD_SOCKET_OWNER", .dflt = ""},
	{"vhost-groupname", 'g', optional_argument, "GROUP", set_owner,
	 "group of server-mode sockets (default kvm; -g alone: this process's); "
	 "the value attached: -gGROUP",
	 .env = "VIRTIOFWD_SOCKET_GROUP", .dflt = ""},
	{"vhostuser-client", 'i', no_argument, NULL, CFG_BOOL(relay.client_mode),
	 .help = "vhost-user client mode: connect to sockets QEMU serves, reconnect",
	 .env = "VIRTIOFWD_VHOST_CLIENT", .dflt = "y"},
	{"virtio-cpu", 'c', required_argument, "R:C[,C];...", set_pins,
	 "pin relay R: first CPU serves VF->VM, second VM->VF (repeatable)",
	 .env = "VIRTIOFWD_CPU_PINS", .list = true, .dflt = ""},
	{"add-pci-vf", 'P', required_argument, "DEV=ID", set_static_vf,
	 "relay ID over DEV: PCI address or DPDK device string (repeatable); ID below "
	 STR(RELAYS_HERE) " (64 at most, capped by the DPDK's ethdev ports, RTE_MAX_ETHPORTS)",
	 .env = "VIRTIOFWD_STATIC_VFS", .list = true, .dflt = ""},
	{"enable-jumbo", 'J', no_argument, NULL, CFG_BOOL(relay.jumbo),
	 .help = "jumbo frames: VF MTU 9000",
	 .env = "VIRTIOFWD_JUMBO", .dflt = "y"},
	{"vf-mtu", 0, required_argument, "BYTES", set_vf_mtu,
	 "VF MTU (default 1500, 9000 with -J); buffers are sized for it and a guest's own MTU "
	 "(vhost-user NET_MTU) is applied to the VF up to it",
	 .env = "VIRTIOFWD_VF_MTU", .dflt = ""},
	{"enable-mrgbuf", 'R', no_argument, NULL, CFG_BOOL(relay.mrgbuf),
	 .help = "offer mergeable RX buffers to guests",
	 .env = "VIRTIOFWD_MRGBUF", .dflt = "y"},
	{"enable-tso", 'T', no_argument, NULL, CFG_BOOL(relay.tso),
	 .help = "offer TSO and checksum offloads to guests (in software where the VF lacks them)",
	 .env = "VIRTIOFWD_TSO", .dflt = ""},
	{"idle-sleep-max-us", 0, required_argument, "US", set_idle_sleep,
	 "idle workers sleep, longer each pass up to US; full polling from the first frame "
	 "(default 500, 0: never sleep)",
	 .env = "VIRTIOFWD_IDLE_SLEEP_MAX_US", .dflt = "500"},
	{"idle-interrupts", 0, optional_argument, "BOOL", set_idle_irq,
	 "after the longest idle sleep, a worker sleeps until a VF RX interrupt or a guest kick "
	 "where every relay it serves has them (true/false, default true)",
	 .env = "VIRTIOFWD_IDLE_INTERRUPTS", .dflt = "true"},
	{"vf-queues", 0, required_argument, "N", set_vf_queues,
	 "queue pairs each VF is given (1..8, default 1; fewer when the VF has fewer): queue pair "
	 "i and the guest's queues i, i+N, ... are served together, possibly by another worker than "
	 "the others, so one relay may use several cores",
	 .env = "VIRTIOFWD_VF_QUEUES", .dflt = "1"},
	{"vf-ring-size", 0, required_argument, "N", set_vf_ring_size,
	 "descriptors of each VF RX and TX ring (64..4096, default 512; the VF may round it): "
	 "each relay's mbuf pool holds what its rings hold, so smaller rings take less memory and "
	 "absorb shorter bursts",
	 .env = "VIRTIOFWD_VF_RING_SIZE", .dflt = "512"},
	{"device-alias", 0, required_argument, "PCI=DEV", set_alias,
	 "requests naming PCI (or, for -I and -O, interface NETDEV) use DPDK device string DEV "
	 "instead (repeatable)",
	 .env = "VIRTIOFWD_DEVICE_ALIASES", .list = true, .dflt = ""},
	{"no-huge", 0, no_argument, NULL, CFG_BOOL(no_huge),
	 .help = "run DPDK without hugepages (memfd memory)"},
	{"mem", 0, required_argument, "MB", set_mem,
	 "memory to reserve (default 256 with --no-huge, else on demand)"},
	{"file-prefix", 0, required_argument, "NAME", set_file_prefix,
	 "DPDK runtime prefix, /var/run/dpdk/NAME (default virtio-forwarder)"},
	{"control-group", 0, required_argument, "GROUP", set_control_group,
	 "the group that may use the ZeroMQ IPC endpoints too (mode 0660); default: none, "
	 "owner only (0600)",
	 .env = "VIRTIOFWD_CONTROL_GROUP", .dflt = ""},
	{"zmq-port-control-ep", 'Z', optional_argument, "EP", CFG_EP(ctl.port_control_ep),
	 .help = "port control service (default " CTL_EP_PORT_CONTROL ")",
	 .env = "VIRTIOFWD_ZMQ_PORT_CONTROL_EP", .dflt = CTL_EP_PORT_CONTROL},
	{"zmq-stats-ep", 'z', optional_argument, "EP", CFG_EP(ctl.stats_ep),
	 .help = "stats service (default " CTL_EP_STATS ")",
	 .env = "VIRTIOFWD_ZMQ_STATS_EP", .dflt = CTL_EP_STATS},
	{"zmq-core-sched-ep", 's', optional_argument, "EP", set_core_sched_ep,
	 "core scheduler service: the worker CPUs, relays moved between them at run time; turns "
	 "the stats service on (default " CTL_EP_CORE_SCHED ")",
	 .env = "VIRTIOFWD_ZMQ_CORE_SCHED_EP", .dflt = CTL_EP_CORE_SCHED},
	{"zmq-config-ep", 'Y', optional_argument, "EP", CFG_EP(ctl.config_ep),
	 .help = "config service (default " CTL_EP_CONFIG ")",
	 .env = "VIRTIOFWD_ZMQ_CONFIG_EP", .dflt = ""},
	{"vfio-vf-token", 't', required_argument, "UUID", set_token,
	 "VFIO VF token for VFs of a PF bound to vfio-pci (0: the default token)",
	 .env = "VIRTIOFWD_VFIO_VF_TOKEN", .dflt = ""},
	{"dynamic-sockets", 'd', no_argument, NULL, CFG_BOOL(relay.dynamic),
	 .help = "no sockets at start: ADD_SOCK/REMOVE_SOCK pair any socket path with a VF",
	 .env = "VIRTIOFWD_DYNAMIC_SOCKETS", .dflt = ""},
	{"same-numa", 'a', no_argument, NULL, CFG_BOOL(same_numa),
	 .help = "reserve DPDK memory only on the NUMA nodes of the worker CPUs",
	 .env = "VIRTIOFWD_CPU_NIC_SAME_NUMA", .dflt = ""},
	{"ipc", 'I', no_argument, NULL, CFG_BOOL(ipc),
	 .help = "port control through a command file, 'add_port NETDEV' or 'del_port NETDEV' "
		 "(ignored when -Z is on, as in the reference)",
	 .env = "VIRTIOFWD_IPC_PORT_CONTROL", .dflt = "y"},
	{"ipc-file", 0, required_argument, "FILE", CFG_PATH(ipc_file),
	 .help = "the command file of -I (default /tmp/vio_cmd)"},
	{"ovsdb-sock", 'O', required_argument, "PATH", CFG_PATH(ovsdb_sock),
	 .help = "port control following Open vSwitch's database: Interface rows with "
		 "external_ids:virtio_forwarder=N (used without -Z and -I, as in the reference; "
		 "default " VFWD_OVSDB_SOCK ")",
	 .env = "VIRTIOFWD_OVSDB_SOCK_PATH", .dflt = ""},
	{"state-dir", 0, required_argument, "DIR", CFG_STATE(ctl.state_dir),
	 .help = "keep relays added at run time here, restore them at start (default "
		 "/var/lib/virtio-forwarder; '' keeps none)",
	 .env = "VIRTIOFWD_STATE_DIR", .dflt = "/var/lib/virtio-forwarder"},
	{"config", 0, required_argument, "FILE", set_config,
	 "read /etc/default/virtioforwarder-style FILE first; options override it"},
	{"check-config", 0, required_argument, "FILE", set_config,
	 "check FILE (with the other options), say what is wrong, exit"},
	/* keys of the file only */
	{NULL, 0, required_argument, NULL, set_binary,
	 "the executable the service runs (default: this one)", .env = "VIRTIOFWD_BINARY",
	 .dflt = "/usr/bin/virtio-forwarder"},
	{NULL, 0, required_argument, NULL, set_zero_copy,
	 "accepted for compatibility: DPDK no longer has dequeue zero-copy",
	 .env = "VIRTIOFWD_ZERO_COPY", .dflt = ""},
	{NULL, 0, required_argument, NULL, set_bind,
	 "devices to bind to vfio-pci at start: 0000:01:02.3, 01:02.3, netdev, netdev:count",
	 .env = "VIRTIOFWD_BIND_VFIO_PCI", .list = true, .dflt = ""},
	{"core-sched", 0, optional_argument, "BOOL", set_core_sched,
	 "run the core scheduler: every interval, move unpinned relay directions between "
	 "workers to even their measured loads (true/false; default off, on in the shipped file)",
	 .env = "VIO4WD_CORE_SCHED_ENABLE", .dflt = "true"},
	{"core-sched-sensitivity", 0, required_argument, "X", set_core_sched,
	 "core scheduler: rebalance only when the spread of the workers' loads (coefficient of "
	 "variation) drops by more than X (default 0.25)",
	 .env = "VIO4WD_CORE_SCHED_SENSITIVITY", .dflt = "0.25"},
	{"core-sched-interval", 0, required_argument, "S", set_core_sched,
	 "core scheduler: seconds between load samples (default 5)",
	 .env = "VIO4WD_CORE_SCHED_POLL_INTERVAL", .dflt = "5"},
	{"core-sched-loglevel", 0, required_argument, "0-7", set_core_sched,
	 "core scheduler: its messages up to this syslog level (moves: 6; 0: all; default 6)",
	 .env = "VIO4WD_CORE_SCHED_LOG_LEVEL", .dflt = "6"},
	{"core-sched-global-numa", 0, no_argument, NULL, set_core_sched,
	 "core scheduler: balance across NUMA nodes instead of per node",
	 .env = "VIO4WD_CORE_SCHED_GLOBAL_NUMA_OPT", .dflt = ""},
	{"version", 'v', no_argument, NULL, set_version, "print the version and exit"},
	{"help", 'h', no_argument, NULL, set_help, "print this help and exit"},
};
/* clang-format on */

const size_t opts_count = sizeof(opts) / sizeof(opts[0]);
_Static_assert(sizeof(opts) / sizeof(opts[0]) <= OPTS_MAX, "raise OPTS_MAX");
