/* SPDX-License-Identifier: BSD-3-Clause */
/* options.c: the option table; parsing, --help and the man page option list come from it. */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <strings.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

struct opt;
typedef int (*opt_set_fn)(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
			  size_t len);

struct opt {
	const char *name; /* long name */
	int key;	  /* short letter, or 0 for long-only */
	int has_arg;	  /* no_argument, required_argument, optional_argument */
	const char *arg;  /* argument name in --help */
	opt_set_fn set;
	const char *help;
	size_t off;	  /* field of struct vfwd_config for the generic setters */
	size_t size;	  /* its size (paths) */
	const char *env;  /* key in /etc/default/virtioforwarder, or NULL */
	bool list;	  /* the key takes a list; the option repeats */
	const char *dflt; /* the shipped default file's value (reference defaults) */
};

static int parse_ulong(const char *arg, unsigned long min, unsigned long max, unsigned long *v)
{
	char *end;

	if (!arg || !isdigit((unsigned char)arg[0]))
		return -EINVAL;
	errno = 0;
	*v = strtoul(arg, &end, 0);
	return errno || *end || *v < min || *v > max ? -EINVAL : 0;
}

static int bad(char *err, size_t len, const char *arg, const char *what)
{
	snprintf(err, len, "'%s' %s", arg ? arg : "", what);
	return -EINVAL;
}

/* Generic: an absolute directory path into the field at o->off. */
static int set_path(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
		    size_t len)
{
	if (!arg || arg[0] != '/')
		return bad(err, len, arg, "is not an absolute directory path");
	if (strlen(arg) >= o->size)
		return bad(err, len, arg, "is too long");
	snprintf((char *)cfg + o->off, o->size, "%s", arg);
	return 0;
}

/* --state-dir: an absolute directory, or "" for no persistence. */
static int set_state_dir(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
			 size_t len)
{
	if (arg && !arg[0]) {
		((char *)cfg + o->off)[0] = '\0';
		return 0;
	}
	return set_path(o, cfg, arg, err, len);
}

/* Generic: a flag option sets the bool at o->off. */
static int set_flag(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
		    size_t len)
{
	*(bool *)((char *)cfg + o->off) = true;
	return 0;
}

static int set_cpus(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
		    size_t len)
{
	if (cpuset_parse(arg, &cfg->relay.workers))
		return bad(err, len, arg, "is not a CPU list (e.g. 1,2 or 1-3 or hex 0x6)");
	cfg->cpus_set = true;
	return 0;
}

static int set_main_lcore(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
			  size_t len)
{
	unsigned long v;

	if (parse_ulong(arg, 0, CPUSET_MAX - 1, &v))
		return bad(err, len, arg, "is not a CPU number in 0..255");
	cfg->relay.main_lcore = (unsigned int)v;
	return 0;
}

static int set_loglevel(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
			size_t len)
{
	unsigned long v;

	if (parse_ulong(arg, 0, 7, &v))
		return bad(err, len, arg,
			   "is not a log level in 0..7 (syslog: 3 error, 6 info, 7 debug)");
	cfg->loglevel = (int)v;
	return 0;
}

static int set_vhost_socket(const struct opt *o, struct vfwd_config *cfg, const char *arg,
			    char *err, size_t len)
{
	if (relay_pattern_check(arg) || strlen(arg) >= sizeof(cfg->relay.pattern))
		return bad(err, len, arg,
			   "is not a socket file name with exactly one %u (e.g. "
			   "virtio-forwarder%u.sock)");
	snprintf(cfg->relay.pattern, sizeof(cfg->relay.pattern), "%s", arg);
	return 0;
}

/* -u and -g: a name or a number. */
static int set_owner(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
		     size_t len)
{
	bool user = o->key == 'u';
	struct passwd *pw = user ? getpwnam(arg) : NULL;
	struct group *gr = user ? NULL : getgrnam(arg);
	unsigned long v;

	if (pw || gr)
		v = pw ? pw->pw_uid : gr->gr_gid;
	else if (parse_ulong(arg, 0, 0x7fffffff, &v))
		return bad(err, len, arg, user ? "is not a known user" : "is not a known group");
	if (user)
		cfg->relay.sock_uid = (uid_t)v;
	else
		cfg->relay.sock_gid = (gid_t)v;
	return 0;
}

static int set_pins(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
		    size_t len)
{
	return pins_parse(arg, cfg->relay.pins, err, len);
}

static int set_static_vf(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
			 size_t len)
{
	struct vfwd_static_vf vf;

	if (devspec_parse(arg, &vf, err, len))
		return -EINVAL;
	for (unsigned int i = 0; i < cfg->nb_static; i++)
		if (cfg->statics[i].id == vf.id)
			return bad(err, len, arg, "uses a relay id given twice");
	if (cfg->nb_static >= RELAY_MAX)
		return bad(err, len, arg, "is one VF too many (at most 64)");
	cfg->statics[cfg->nb_static++] = vf;
	return 0;
}

/* --device-alias PCI=DEVSTRING, split at the first '='. */
static int set_alias(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
		     size_t len)
{
	struct relay_params *p = &cfg->relay;
	const char *eq = strchr(arg, '=');
	char pci[32];

	if (!eq || (size_t)(eq - arg) >= sizeof(pci))
		return bad(err, len, arg, "is not PCI=DEVSTRING (e.g. 02:08.0=net_tap0,iface=vf0)");
	snprintf(pci, sizeof(pci), "%.*s", (int)(eq - arg), arg);
	if (!relay_pci_normalize(pci, p->aliases[p->nb_aliases].pci, sizeof(p->aliases[0].pci)))
		return bad(err, len, arg,
			   "does not start with a PCI address (dddd:bb:ss.f or bb:ss.f)");
	if (!eq[1] || strlen(eq + 1) >= sizeof(p->aliases[0].dev))
		return bad(err, len, arg, "has an empty or too long device string");
	for (unsigned int i = 0; i < p->nb_aliases; i++)
		if (!strcmp(p->aliases[i].pci, p->aliases[p->nb_aliases].pci))
			return bad(err, len, arg, "aliases a PCI address given twice");
	if (p->nb_aliases >= RELAY_MAX)
		return bad(err, len, arg, "is one alias too many (at most 64)");
	snprintf(p->aliases[p->nb_aliases++].dev, sizeof(p->aliases[0].dev), "%s", eq + 1);
	return 0;
}

static int set_mem(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
		   size_t len)
{
	unsigned long v;

	if (parse_ulong(arg, 16, 1024 * 1024, &v))
		return bad(err, len, arg, "is not a memory size in MB (16..1048576)");
	cfg->mem_mb = (unsigned int)v;
	return 0;
}

static int set_vf_mtu(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
		      size_t len)
{
	unsigned long v;

	if (arg && !*arg) { /* an empty config value: the default */
		cfg->relay.vf_mtu = 0;
		return 0;
	}
	if (parse_ulong(arg, 68, 65535, &v))
		return bad(err, len, arg, "is not an MTU in bytes (68..65535)");
	cfg->relay.vf_mtu = (unsigned int)v;
	return 0;
}

static int set_file_prefix(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
			   size_t len)
{
	size_t n = strlen(arg);

	if (n == 0 || n >= sizeof(cfg->file_prefix) ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n)
		return bad(err, len, arg,
			   "is not a file prefix (letters, digits, '_', '.', '-', 1..63)");
	snprintf(cfg->file_prefix, sizeof(cfg->file_prefix), "%s", arg);
	return 0;
}

static int set_later(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
		     size_t len);

/* -Z/-z/-Y [EP]: enable a ZeroMQ service, on its default endpoint without a value. */
static int set_endpoint(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
			size_t len)
{
	const char *def = o->key == 'Z'	  ? CTL_EP_PORT_CONTROL
			  : o->key == 'z' ? CTL_EP_STATS
					  : CTL_EP_CONFIG;

	if (!arg)
		arg = def;
	if (!strstr(arg, "://") || strlen(arg) >= o->size)
		return bad(err, len, arg,
			   "is not a ZeroMQ endpoint (e.g. ipc:///run/x or tcp://127.0.0.1:5555)");
	snprintf((char *)cfg + o->off, o->size, "%s", arg);
	return 0;
}

/* -d: sockets come and go with ADD_SOCK / REMOVE_SOCK. */
static int set_dynamic(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
		       size_t len)
{
	cfg->ctl.dynamic_sockets = true;
	return 0;
}

/* Options of later releases: accepted, named in a start-up warning, not acted on. */

static int set_help(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
		    size_t len);
static int set_version(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
		       size_t len);

static void warn(struct vfwd_config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warn(struct vfwd_config *cfg, const char *fmt, ...)
{
	size_t n = strlen(cfg->warnings);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cfg->warnings + n, sizeof(cfg->warnings) - n, fmt, ap);
	va_end(ap);
	n = strlen(cfg->warnings);
	if (n + 1 < sizeof(cfg->warnings))
		cfg->warnings[n] = '\n', cfg->warnings[n + 1] = '\0';
}

/* --config / --check-config: read before the other options (see opts_parse). */
static int set_config(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
		      size_t len)
{
	return 0;
}

static int set_zero_copy(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
			 size_t len)
{
	warn(cfg, "%s='%s' ignored: DPDK no longer has vhost dequeue zero-copy", o->env, arg);
	return 0;
}

/* File keys of features still to come: named in the start-up warning. */
static int set_later_key(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
			 size_t len)
{
	size_t n = strlen(cfg->later);

	if (!strstr(cfg->later, o->env))
		snprintf(cfg->later + n, sizeof(cfg->later) - n, "%s%s", n ? ", " : "", o->env);
	return 0;
}

/* -t UUID, or 0 for the well-known default token (DPDK's documented example). */
static int set_token(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
		     size_t len)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	const char *uuid = strcmp(arg, "0") ? arg : "14d63f20-8445-11ea-8900-1f9ce7d5650d";

	if (strlen(uuid) != 36)
		goto out_bad;
	for (int i = 0; i < 36; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? uuid[i] != '-'
							      : !strchr(hex, uuid[i]))
			goto out_bad;
	snprintf(cfg->vf_token, sizeof(cfg->vf_token), "%s", uuid);
	return 0;
out_bad:
	return bad(err, len, arg, "is not a UUID (8-4-4-4-12 hex digits) or 0 for the default");
}

/* VIRTIOFWD_BIND_VFIO_PCI entries, bound before EAL starts. */
static int set_bind(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
		    size_t len)
{
	char pci[32];
	const char *colon = strchr(arg, ':');

	if (!relay_pci_normalize(arg, pci, sizeof(pci)) &&
	    (strlen(arg) >= sizeof(cfg->bind[0]) ||
	     (colon && strspn(colon + 1, "0123456789") != strlen(colon + 1))))
		return bad(err, len, arg, "is not 0000:01:02.3, 01:02.3, netdev or netdev:count");
	if (cfg->nb_bind >= RELAY_MAX)
		return bad(err, len, arg, "is one device too many (at most 64)");
	snprintf(cfg->bind[cfg->nb_bind++], sizeof(cfg->bind[0]), "%s", arg);
	return 0;
}

/* VIO4WD_*: the core scheduler's keys; enabling it is noted as not supported yet. */
static int set_core_sched(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
			  size_t len)
{
	if (!strcmp(o->env, "VIO4WD_CORE_SCHED_ENABLE") && strcasecmp(arg, "false") &&
	    strcmp(arg, "0"))
		return set_later_key(o, cfg, arg, err, len);
	return 0;
}

/* Generic setters bound to a field of struct vfwd_config. */
#define CFG_BOOL(f) .set = set_flag, .off = offsetof(struct vfwd_config, f)
#define CFG_EP(f)                                                                                  \
	.set = set_endpoint, .off = offsetof(struct vfwd_config, f),                               \
	.size = sizeof(((struct vfwd_config *)0)->f)
#define CFG_STATE(f)                                                                               \
	.set = set_state_dir, .off = offsetof(struct vfwd_config, f),                              \
	.size = sizeof(((struct vfwd_config *)0)->f)
#define CFG_PATH(f)                                                                                \
	.set = set_path, .off = offsetof(struct vfwd_config, f),                                   \
	.size = sizeof(((struct vfwd_config *)0)->f)

/* clang-format off */
static const struct opt opts[] = {
	{"cpus", 'C', required_argument, "LIST", set_cpus,
	 "worker CPUs: list 1,2 / ranges 1-3 / hex 0x6 (required)",
	 .env = "VIRTIOFWD_CPU_MASK", .dflt = "1,2"},
	{"master-lcore", 'M', required_argument, "CPU", set_main_lcore,
	 "control (main) lcore, never a worker (default 0)",
	 .env = "VIRTIOFWD_MASTER_LCORE", .dflt = ""},
	{"nodaemon", 'n', no_argument, NULL, CFG_BOOL(nodaemon),
	 .help = "stay in the foreground, log to stdout"},
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
	{"vhost-username", 'u', required_argument, "USER", set_owner,
	 "owner of server-mode sockets",
	 .env = "VIRTIOFWD_SOCKET_OWNER", .dflt = ""},
	{"vhost-groupname", 'g', required_argument, "GROUP", set_owner,
	 "group of server-mode sockets",
	 .env = "VIRTIOFWD_SOCKET_GROUP", .dflt = ""},
	{"vhostuser-client", 'i', no_argument, NULL, CFG_BOOL(relay.client_mode),
	 .help = "vhost-user client mode: connect to sockets QEMU serves, reconnect",
	 .env = "VIRTIOFWD_VHOST_CLIENT", .dflt = "y"},
	{"virtio-cpu", 'c', required_argument, "R:C[,C];...", set_pins,
	 "pin relay R: first CPU serves VF->VM, second VM->VF (repeatable)",
	 .env = "VIRTIOFWD_CPU_PINS", .list = true, .dflt = ""},
	{"add-pci-vf", 'P', required_argument, "DEV=ID", set_static_vf,
	 "relay ID over DEV: PCI address or DPDK device string (repeatable)",
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
	 .help = "offer TSO and checksum offloads to guests",
	 .env = "VIRTIOFWD_TSO", .dflt = ""},
	{"device-alias", 0, required_argument, "PCI=DEV", set_alias,
	 "requests naming PCI use DPDK device string DEV instead (repeatable)",
	 .env = "VIRTIOFWD_DEVICE_ALIASES", .list = true, .dflt = ""},
	{"no-huge", 0, no_argument, NULL, CFG_BOOL(no_huge),
	 .help = "run DPDK without hugepages (memfd memory)"},
	{"mem", 0, required_argument, "MB", set_mem,
	 "memory to reserve (default 256 with --no-huge, else on demand)"},
	{"file-prefix", 0, required_argument, "NAME", set_file_prefix,
	 "DPDK runtime prefix, /var/run/dpdk/NAME (default virtio-forwarder)"},
	{"zmq-port-control-ep", 'Z', optional_argument, "EP", CFG_EP(ctl.port_control_ep),
	 .help = "port control service (default " CTL_EP_PORT_CONTROL ")",
	 .env = "VIRTIOFWD_ZMQ_PORT_CONTROL_EP", .dflt = CTL_EP_PORT_CONTROL},
	{"zmq-stats-ep", 'z', optional_argument, "EP", CFG_EP(ctl.stats_ep),
	 .help = "stats service (default " CTL_EP_STATS ")",
	 .env = "VIRTIOFWD_ZMQ_STATS_EP", .dflt = CTL_EP_STATS},
	{"zmq-core-sched-ep", 's', optional_argument, "EP", set_later,
	 "core scheduler endpoint (not supported yet)",
	 .env = "VIRTIOFWD_ZMQ_CORE_SCHED_EP", .dflt = CTL_EP_CORE_SCHED},
	{"zmq-config-ep", 'Y', optional_argument, "EP", CFG_EP(ctl.config_ep),
	 .help = "config service (default " CTL_EP_CONFIG ")",
	 .env = "VIRTIOFWD_ZMQ_CONFIG_EP", .dflt = ""},
	{"vfio-vf-token", 't', required_argument, "UUID", set_token,
	 "VFIO VF token for VFs of a PF bound to vfio-pci (0: the default token)",
	 .env = "VIRTIOFWD_VFIO_VF_TOKEN", .dflt = ""},
	{"dynamic-sockets", 'd', no_argument, NULL, set_dynamic,
	 "no sockets at start: ADD_SOCK/REMOVE_SOCK pair any socket path with a VF",
	 .env = "VIRTIOFWD_DYNAMIC_SOCKETS", .dflt = ""},
	{"same-numa", 'a', no_argument, NULL, CFG_BOOL(same_numa),
	 .help = "reserve DPDK memory only on the NUMA nodes of the worker CPUs",
	 .env = "VIRTIOFWD_CPU_NIC_SAME_NUMA", .dflt = ""},
	{"state-dir", 0, required_argument, "DIR", CFG_STATE(ctl.state_dir),
	 .help = "keep relays added at run time here, restore them at start (default "
		 "/var/lib/virtio-forwarder; '' keeps none)",
	 .env = "VIRTIOFWD_STATE_DIR", .dflt = "/var/lib/virtio-forwarder"},
	{"config", 0, required_argument, "FILE", set_config,
	 "read /etc/default/virtioforwarder-style FILE first; options override it"},
	{"check-config", 0, required_argument, "FILE", set_config,
	 "check FILE (with the other options), say what is wrong, exit"},
	/* keys of the file only */
	{NULL, 0, required_argument, NULL, set_zero_copy,
	 "accepted for compatibility: DPDK no longer has dequeue zero-copy",
	 .env = "VIRTIOFWD_ZERO_COPY", .dflt = ""},
	{NULL, 0, required_argument, NULL, set_bind,
	 "devices to bind to vfio-pci at start: 0000:01:02.3, 01:02.3, netdev, netdev:count",
	 .env = "VIRTIOFWD_BIND_VFIO_PCI", .list = true, .dflt = ""},
	{NULL, 0, required_argument, NULL, set_core_sched,
	 "run the core scheduler (load balancer)", .env = "VIO4WD_CORE_SCHED_ENABLE",
	 .dflt = "true"},
	{NULL, 0, required_argument, NULL, set_core_sched,
	 "core scheduler: rebalance when the spread improves by more than this",
	 .env = "VIO4WD_CORE_SCHED_SENSITIVITY", .dflt = "0.25"},
	{NULL, 0, required_argument, NULL, set_core_sched,
	 "core scheduler: seconds between load samples", .env = "VIO4WD_CORE_SCHED_POLL_INTERVAL",
	 .dflt = "5"},
	{NULL, 0, required_argument, NULL, set_core_sched, "core scheduler: log level",
	 .env = "VIO4WD_CORE_SCHED_LOG_LEVEL", .dflt = "6"},
	{NULL, 0, required_argument, NULL, set_core_sched,
	 "core scheduler: balance across NUMA nodes instead of per node",
	 .env = "VIO4WD_CORE_SCHED_GLOBAL_NUMA_OPT", .dflt = ""},
	{"version", 'v', no_argument, NULL, set_version, "print the version and exit"},
	{"help", 'h', no_argument, NULL, set_help, "print this help and exit"},
};
/* clang-format on */

#define NB_OPTS	       (sizeof(opts) / sizeof(opts[0]))
#define LONG_ONLY_BASE 256

static FILE *help_out;

static int set_later(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
		     size_t len)
{
	size_t n = strlen(cfg->later);

	if (!strstr(cfg->later, o->name))
		snprintf(cfg->later + n, sizeof(cfg->later) - n, "%s--%s", n ? ", " : "", o->name);
	return 0;
}

static int set_help(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
		    size_t len)
{
	opts_usage(help_out);
	return OPTS_EXIT;
}

static int set_version(const struct opt *o, struct vfwd_config *cfg, const char *arg, char *err,
		       size_t len)
{
	fprintf(help_out, "virtio-forwarder %s\n", VFWD_VERSION);
	return OPTS_EXIT;
}

void opts_usage(FILE *out)
{
	fprintf(out, "Usage: virtio-forwarder -C CPUS [options]\n"
		     "Relays packets between VFs (DPDK ports) and VMs (vhost-user sockets).\n\n");
	for (size_t i = 0; i < NB_OPTS; i++) {
		const struct opt *o = &opts[i];
		char left[64];

		if (!o->name)
			continue;
		int n = 0;

		if (o->key)
			n = snprintf(left, sizeof(left), "-%c, ", o->key);
		else
			n = snprintf(left, sizeof(left), "    ");
		snprintf(left + n, sizeof(left) - (size_t)n, "--%s%s%s%s", o->name,
			 o->has_arg == optional_argument ? "[="
			 : o->has_arg			 ? " "
							 : "",
			 o->arg ? o->arg : "", o->has_arg == optional_argument ? "]" : "");
		fprintf(out, "  %-34s %s\n", left, o->help);
	}
}

/* Man page text around the generated option list (roff). */
static const char man_head[] =
	".TH VIRTIO-FORWARDER 8 \"\" \"virtio-forwarder " VFWD_VERSION
	"\" \"System Administration\"\n"
	".SH NAME\nvirtio-forwarder \\- relay packets between SR-IOV VFs and VMs' vhost-user "
	"sockets\n"
	".SH SYNOPSIS\n.B virtio-forwarder\n.B \\-C\n.I CPUS\n[\\fIOPTIONS\\fR]\n"
	".SH DESCRIPTION\n"
	"Each relay pairs one VF (a DPDK port: a PCI address probed by hot-plug, or any DPDK\n"
	"device string) with one vhost-user socket that a VM's virtio-net connects to.\n"
	"Relay \\fIN\\fR uses the socket \\fIvhost-path\\fR/\\fIpattern\\fR with %u replaced by\n"
	"\\fIN\\fR (default /tmp/virtio-forwarder/virtio-forwarderN.sock). Worker threads, one "
	"per\n"
	"CPU of \\fB\\-C\\fR, move packets both ways; the main lcore runs the control loop.\n"
	"Without \\fB\\-n\\fR the daemon forks and the parent exits once relays are set up.\n"
	".SH OPTIONS\n";
static const char man_tail[] =
	".SH SIGNALS\n"
	".TP\n.B SIGTERM, SIGINT\nStop workers, close VFs, remove server sockets and the pid file, "
	"exit 0.\n"
	".TP\n.B SIGUSR1\nLog every relay's state and counters.\n"
	".SH FILES\n"
	".TP\n.I /var/run/virtio-forwarder.pid\nLocked pid file: one daemon per pid directory.\n"
	".TP\n.I /var/run/dpdk/<file-prefix>/dpdk_telemetry.v2\n"
	"DPDK telemetry: \\fB/virtio_forwarder/relays\\fR and \\fB/virtio_forwarder/relay,N\\fR\n"
	"(try \\fBdpdk-telemetry.py -f virtio-forwarder\\fR).\n"
	".SH EXAMPLE\n"
	".nf\nvirtio-forwarder -C 1,2 -P 0000:02:08.0=1 -u libvirt-qemu -g kvm\n"
	"virtio-forwarder -n -C 1 --no-huge -P net_tap0,iface=vf0=0\n.fi\n"
	".SH SEE ALSO\n.BR dpdk-testpmd (1)\n";

void opts_manpage(FILE *out)
{
	fputs(man_head, out);
	for (size_t i = 0; i < NB_OPTS; i++) {
		const struct opt *o = &opts[i];

		if (!o->name)
			continue;
		fputs(".TP\n", out);
		if (o->key)
			fprintf(out, "\\fB\\-%c\\fR, ", o->key);
		fprintf(out, "\\fB\\-\\-%s\\fR", o->name);
		if (o->arg)
			fprintf(out,
				o->has_arg == optional_argument ? "[=\\fI%s\\fR]" : " \\fI%s\\fR",
				o->arg);
		fprintf(out, "\n%s%s%s%s\n", o->help, o->env ? " (file key \\fB" : "",
			o->env ? o->env : "", o->env ? "\\fR)" : "");
	}
	fputs(".SH CONFIGURATION FILE\n"
	      "With \\fB\\-\\-config\\fR \\fIFILE\\fR (the service uses "
	      "/etc/default/virtioforwarder) the daemon reads KEY=value lines first; "
	      "options override them. Keys of the file only:\n",
	      out);
	for (size_t i = 0; i < NB_OPTS; i++)
		if (!opts[i].name && opts[i].env)
			fprintf(out, ".TP\n\\fB%s\\fR\n%s\n", opts[i].env, opts[i].help);
	fputs(man_tail, out);
}

void opts_default_file(FILE *out)
{
	fputs("# /etc/default/virtioforwarder: configuration of the virtio-forwarder service.\n"
	      "# KEY=value; lists also as KEY=(a b c); flags: any non-blank value enables.\n"
	      "# Command-line options override these. Check a file with\n"
	      "#   virtio-forwarder --check-config /etc/default/virtioforwarder\n",
	      out);
	for (size_t i = 0; i < NB_OPTS; i++) {
		const struct opt *o = &opts[i];

		if (!o->env)
			continue;
		fprintf(out, "\n# %s", o->help);
		if (o->name)
			fprintf(out, " (option --%s)", o->name);
		fprintf(out, "%s\n%s=%s\n", o->list ? "\n# A list: KEY=(a b c)." : "", o->env,
			o->dflt ? o->dflt : "");
	}
}

void vfwd_config_default(struct vfwd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	relay_params_default(&cfg->relay);
	cfg->ctl.ipc_gid = (gid_t)-1;
	snprintf(cfg->ctl.state_dir, sizeof(cfg->ctl.state_dir), "/var/lib/virtio-forwarder");
	cfg->loglevel = 6;
	snprintf(cfg->pid_dir, sizeof(cfg->pid_dir), "/var/run");
	snprintf(cfg->file_prefix, sizeof(cfg->file_prefix), "virtio-forwarder");
}

static int getopt_tables(struct option *lopts, char *shorts)
{
	size_t s = 0, l = 0;

	for (size_t i = 0; i < NB_OPTS; i++) {
		if (!opts[i].name) /* a file key only */
			continue;
		lopts[l++] = (struct option){opts[i].name, opts[i].has_arg, NULL,
					     opts[i].key ? opts[i].key : LONG_ONLY_BASE + (int)i};
		if (!opts[i].key)
			continue;
		shorts[s++] = (char)opts[i].key;
		if (opts[i].has_arg == required_argument)
			shorts[s++] = ':';
		else if (opts[i].has_arg == optional_argument)
			shorts[s++] = ':', shorts[s++] = ':';
	}
	shorts[s] = '\0';
	lopts[l] = (struct option){0};
	return 0;
}

static const struct opt *opt_find(int key)
{
	if (key >= LONG_ONLY_BASE && key < LONG_ONLY_BASE + (int)NB_OPTS)
		return &opts[key - LONG_ONLY_BASE];
	for (size_t i = 0; i < NB_OPTS; i++)
		if (opts[i].key == key)
			return &opts[i];
	return NULL;
}

/* A list option given on the command line replaces what the file listed. */
static void list_clear(const struct opt *o, struct vfwd_config *cfg)
{
	if (o->key == 'P')
		cfg->nb_static = 0;
	else if (o->key == 'c')
		for (unsigned int r = 0; r < RELAY_MAX; r++)
			cfg->relay.pins[r].cpu[0] = cfg->relay.pins[r].cpu[1] = -1;
	else if (o->set == set_alias)
		cfg->relay.nb_aliases = 0;
}

/* One KEY=value of the file, through the option that KEY stands for. */
static int apply_key(void *ctx, const char *key, const char *const *vals, unsigned int n,
		     bool array, char *err, size_t len)
{
	struct vfwd_config *cfg = ctx;
	const struct opt *o = NULL;
	int ret;

	for (size_t i = 0; i < NB_OPTS && !o; i++)
		if (opts[i].env && !strcmp(opts[i].env, key))
			o = &opts[i];
	if (!o) {
		warn(cfg, "unknown key %s ignored", key);
		return 0;
	}
	if (n > 1 && !o->list) {
		snprintf(err, len, "takes one value, not a list of %u", n);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (!vals[i][0])
			continue; /* blank: the option is off (flags: "non-blank enables") */
		ret = o->set(o, cfg, o->has_arg == no_argument ? NULL : vals[i], err, len);
		if (ret < 0)
			return ret;
		if (o->has_arg == no_argument)
			break;
	}
	(void)array;
	return 0;
}

/* First pass: only --config / --check-config, so that the file comes before the options. */
static void config_prescan(int argc, char **argv, const struct option *lopts, const char *shorts,
			   struct vfwd_config *cfg)
{
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		const struct opt *o = opt_find(c);

		if (o && o->set == set_config && optarg) {
			snprintf(cfg->config_path, sizeof(cfg->config_path), "%s", optarg);
			cfg->check_only = !strcmp(o->name, "check-config");
		}
	}
}

int opts_parse(int argc, char **argv, struct vfwd_config *cfg, FILE *out, char *err, size_t errlen)
{
	struct option lopts[NB_OPTS + 1];
	char shorts[3 * NB_OPTS + 2], why[VFWD_ERR_LEN];
	bool cli_seen[NB_OPTS] = {false};
	int c, ret;

	vfwd_config_default(cfg);
	getopt_tables(lopts, shorts);
	help_out = out;
	opterr = 0;
	config_prescan(argc, argv, lopts, shorts, cfg);
	if (cfg->config_path[0]) {
		ret = cfgfile_parse(cfg->config_path, apply_key, cfg, err, errlen);
		if (ret)
			return ret;
	}
	optind = 0; /* full reset: parse may run more than once (tests) */
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		const struct opt *o = opt_find(c);

		if (!o) {
			snprintf(err, errlen, "unknown option '%s' (see --help)",
				 argv[optind - 1] ? argv[optind - 1] : "?");
			if (optopt && c == '?' && optopt < 128 && opt_find(optopt))
				snprintf(err, errlen, "option -%c needs an argument", optopt);
			return -EINVAL;
		}
		if (o->list && !cli_seen[o - opts])
			list_clear(o, cfg);
		cli_seen[o - opts] = true;
		ret = o->set(o, cfg, optarg, why, sizeof(why));
		if (ret < 0) {
			snprintf(err, errlen, "option --%s: %s", o->name, why);
			return ret;
		}
		if (ret == OPTS_EXIT)
			return OPTS_EXIT;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
		return -EINVAL;
	}
	if (!cfg->cpus_set) {
		snprintf(err, errlen,
			 "no worker CPUs: give -C/--cpus (e.g. -C 1) or VIRTIOFWD_CPU_MASK");
		return -EINVAL;
	}
	if (cfg->ctl.dynamic_sockets && cfg->nb_static) {
		snprintf(err, errlen,
			 "option --add-pci-vf: no relays at start with "
			 "--dynamic-sockets; add them with ADD_SOCK");
		return -EINVAL;
	}
	if (cpuset_has(&cfg->relay.workers, cfg->relay.main_lcore)) {
		snprintf(err, errlen, "option --master-lcore: CPU %u is also a worker in --cpus",
			 cfg->relay.main_lcore);
		return -EINVAL;
	}
	return OPTS_RUN;
}
