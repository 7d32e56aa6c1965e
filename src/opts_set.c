/* SPDX-License-Identifier: BSD-3-Clause */
/* opts_set.c: the setters of the option table: check one value, store it in the configuration. */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "opts_int.h"

static int parse_ulong(const char *arg, unsigned long min, unsigned long max, unsigned long *v)
{
	char *end;

	if (!arg || !isdigit((unsigned char)arg[0]))
		return -EINVAL;
	errno = 0;
	*v = strtoul(arg, &end, 0);
	return errno || *end || *v < min || *v > max ? -EINVAL : 0;
}

/* Refuse c->arg: "'ARG' @what" into c->err. */
static int bad(struct opt_call *c, const char *what)
{
	snprintf(c->err, c->errlen, "'%s' %s", c->arg ? c->arg : "", what);
	return -EINVAL;
}

/* The configuration field the generic setters act on. */
static void *field(const struct opt_call *c)
{
	return (char *)c->cfg + c->o->off;
}

void opts_warn(struct vfwd_config *cfg, const char *fmt, ...)
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

int set_path(struct opt_call *c)
{
	if (!c->arg || c->arg[0] != '/')
		return bad(c, "is not an absolute directory path");
	if (strlen(c->arg) >= c->o->size)
		return bad(c, "is too long");
	snprintf(field(c), c->o->size, "%s", c->arg);
	return 0;
}

int set_state_dir(struct opt_call *c)
{
	if (c->arg && !c->arg[0]) {
		*(char *)field(c) = '\0';
		return 0;
	}
	return set_path(c);
}

int set_flag(struct opt_call *c)
{
	*(bool *)field(c) = true;
	return 0;
}

/* -Z/-z/-Y [EP]: enable a ZeroMQ service, on its default endpoint without a value. */
int set_endpoint(struct opt_call *c)
{
	int key = c->o->key;
	const char *ep = c->arg	      ? c->arg
			 : key == 'Z' ? CTL_EP_PORT_CONTROL
			 : key == 'z' ? CTL_EP_STATS
				      : CTL_EP_CONFIG;

	if (!strstr(ep, "://") || strlen(ep) >= c->o->size) {
		snprintf(
			c->err, c->errlen,
			"'%s' is not a ZeroMQ endpoint (e.g. ipc:///run/x or tcp://127.0.0.1:5555)",
			ep);
		return -EINVAL;
	}
	snprintf(field(c), c->o->size, "%s", ep);
	return 0;
}

int set_cpus(struct opt_call *c)
{
	if (cpuset_parse(c->arg, &c->cfg->relay.workers))
		return bad(c, "is not a CPU list (e.g. 1,2 or 1-3 or hex 0x6)");
	c->cfg->cpus_set = true;
	return 0;
}

int set_main_lcore(struct opt_call *c)
{
	unsigned long v;

	if (parse_ulong(c->arg, 0, CPUSET_MAX - 1, &v))
		return bad(c, "is not a CPU number in 0..255");
	c->cfg->relay.main_lcore = (unsigned int)v;
	return 0;
}

int set_loglevel(struct opt_call *c)
{
	unsigned long v;

	if (parse_ulong(c->arg, 0, 7, &v))
		return bad(c, "is not a log level in 0..7 (syslog: 3 error, 6 info, 7 debug)");
	c->cfg->loglevel = (int)v;
	return 0;
}

int set_vhost_socket(struct opt_call *c)
{
	struct relay_params *p = &c->cfg->relay;

	if (relay_pattern_check(c->arg) || strlen(c->arg) >= sizeof(p->pattern))
		return bad(c, "is not a socket file name with exactly one %u, no digit right "
			      "after it (e.g. virtio-forwarder%u.sock)");
	snprintf(p->pattern, sizeof(p->pattern), "%s", c->arg);
	return 0;
}

/* -u and -g: a name, a number, or nothing (keep the process's); resolved in opts_check. */
int set_owner(struct opt_call *c)
{
	int which = c->o->key == 'g';
	const char *name = c->arg ? c->arg : ""; /* a blank key never gets here: not given */

	if (strlen(name) >= sizeof(c->cfg->owner[which]))
		return bad(c, "is too long for a user or group name");
	snprintf(c->cfg->owner[which], sizeof(c->cfg->owner[which]), "%s", name);
	c->cfg->owner_given[which] = true;
	return 0;
}

/* -n, -n=log_syslog: the foreground; log_syslog logs to syslog (the journal) instead of stdout. */
int set_nodaemon(struct opt_call *c)
{
	c->cfg->nodaemon = true;
	c->cfg->log_syslog = c->arg && !strcmp(c->arg, "log_syslog");
	return 0;
}

/* --control-group: a group name or number; "" in the file: none. */
int set_control_group(struct opt_call *c)
{
	struct group *gr;
	unsigned long v;

	if (!c->arg[0]) {
		c->cfg->ctl.ipc_gid = (gid_t)-1;
		return 0;
	}
	gr = getgrnam(c->arg);
	if (gr)
		v = gr->gr_gid;
	else if (parse_ulong(c->arg, 0, 0x7fffffff, &v))
		return bad(c, "is not a known group");
	c->cfg->ctl.ipc_gid = (gid_t)v;
	return 0;
}

int set_pins(struct opt_call *c)
{
	return pins_parse(c->arg, c->cfg->relay.pins, c->err, c->errlen);
}

int set_static_vf(struct opt_call *c)
{
	struct vfwd_config *cfg = c->cfg;
	struct vfwd_static_vf vf;

	if (devspec_parse(c->arg, &vf, c->err, c->errlen))
		return -EINVAL;
	for (unsigned int i = 0; i < cfg->nb_static; i++)
		if (cfg->statics[i].id == vf.id)
			return bad(c, "uses a relay id given twice");
	if (cfg->nb_static >= RELAY_MAX)
		return bad(c, "is one VF too many (at most 64)");
	cfg->statics[cfg->nb_static++] = vf;
	return 0;
}

/* --device-alias PCI=DEVSTRING, split at the first '='. */
int set_alias(struct opt_call *c)
{
	struct relay_params *p = &c->cfg->relay;
	const char *eq = strchr(c->arg, '=');
	char pci[32];

	if (!eq || (size_t)(eq - c->arg) >= sizeof(pci))
		return bad(c, "is not PCI=DEVSTRING (e.g. 02:08.0=net_tap0,iface=vf0)");
	snprintf(pci, sizeof(pci), "%.*s", (int)(eq - c->arg), c->arg);
	/* A PCI address, or an interface name (-I, -O map interfaces through aliases too). */
	if (!relay_pci_normalize(pci, p->aliases[p->nb_aliases].pci, sizeof(p->aliases[0].pci))) {
		if (!pci[0] || strlen(pci) >= sizeof(p->aliases[0].pci) || strpbrk(pci, "/: \t") ||
		    pci[0] == '.')
			return bad(c, "does not start with a PCI address (dddd:bb:ss.f or bb:ss.f) "
				      "or an interface name");
		snprintf(p->aliases[p->nb_aliases].pci, sizeof(p->aliases[0].pci), "%s", pci);
	}
	if (!eq[1] || strlen(eq + 1) >= sizeof(p->aliases[0].dev))
		return bad(c, "has an empty or too long device string");
	for (unsigned int i = 0; i < p->nb_aliases; i++)
		if (!strcmp(p->aliases[i].pci, p->aliases[p->nb_aliases].pci))
			return bad(c, "aliases a PCI address given twice");
	if (p->nb_aliases >= RELAY_MAX)
		return bad(c, "is one alias too many (at most 64)");
	snprintf(p->aliases[p->nb_aliases++].dev, sizeof(p->aliases[0].dev), "%s", eq + 1);
	return 0;
}

/* A whole number @lo..@hi into @out, or bad() saying it is not @what. */
static int set_bounded(struct opt_call *c, unsigned long lo, unsigned long hi, const char *what,
		       unsigned int *out)
{
	unsigned long v;

	if (parse_ulong(c->arg, lo, hi, &v))
		return bad(c, what);
	*out = (unsigned int)v;
	return 0;
}

int set_mem(struct opt_call *c)
{
	return set_bounded(c, 16, 1024ul * 1024, "is not a memory size in MB (16..1048576)",
			   &c->cfg->mem_mb);
}

int set_vf_mtu(struct opt_call *c)
{
	if (c->arg && !*c->arg) { /* an empty config value: the default */
		c->cfg->relay.vf_mtu = 0;
		return 0;
	}
	return set_bounded(c, 68, 65535, "is not an MTU in bytes (68..65535)",
			   &c->cfg->relay.vf_mtu);
}

int set_idle_sleep(struct opt_call *c)
{
	return set_bounded(c, 0, RELAY_IDLE_SLEEP_MAX_US,
			   "is not a time in microseconds (0..100000; 0: never sleep)",
			   &c->cfg->relay.idle_sleep_max_us);
}

int set_vf_queues(struct opt_call *c)
{
	return set_bounded(c, 1, RELAY_MAX_LANES, "is not a number of queue pairs (1..8)",
			   &c->cfg->relay.vf_queues);
}

int set_vf_ring_size(struct opt_call *c)
{
	return set_bounded(c, RELAY_RING_MIN, RELAY_RING_MAX,
			   "is not a number of descriptors (64..4096)",
			   &c->cfg->relay.vf_ring_size);
}

int set_file_prefix(struct opt_call *c)
{
	size_t n = strlen(c->arg);

	if (n == 0 || n >= sizeof(c->cfg->file_prefix) ||
	    strspn(c->arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
		    n)
		return bad(c, "is not a file prefix (letters, digits, '_', '.', '-', 1..63)");
	snprintf(c->cfg->file_prefix, sizeof(c->cfg->file_prefix), "%s", c->arg);
	return 0;
}

/* -t UUID, or 0 for the well-known default token (DPDK's documented example). */
int set_token(struct opt_call *c)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	const char *uuid = strcmp(c->arg, "0") ? c->arg : "14d63f20-8445-11ea-8900-1f9ce7d5650d";

	if (strlen(uuid) != 36)
		goto out_bad;
	for (int i = 0; i < 36; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? uuid[i] != '-'
							      : !strchr(hex, uuid[i]))
			goto out_bad;
	snprintf(c->cfg->vf_token, sizeof(c->cfg->vf_token), "%s", uuid);
	return 0;
out_bad:
	return bad(c, "is not a UUID (8-4-4-4-12 hex digits) or 0 for the default");
}

/* VIRTIOFWD_BIND_VFIO_PCI entries, bound before EAL starts. */
/*
 * VIRTIOFWD_BIND_VFIO_PCI: one comma-separated string as the reference's start script takes it
 * ("0000:01:02.3, 01:02.4,eth5:2"), or a bash array of such items; blanks around items are
 * trimmed, PCI addresses lower-cased with their domain, duplicates dropped.
 */
int set_bind(struct opt_call *c)
{
	struct vfwd_config *cfg = c->cfg;
	const char *p = c->arg;

	while (*p) {
		size_t n = strcspn(p, ",");
		char item[64], pci[32];
		const char *colon;
		size_t b = 0, e = n;

		while (b < e && isspace((unsigned char)p[b]))
			b++;
		while (e > b && isspace((unsigned char)p[e - 1]))
			e--;
		if (e - b >= sizeof(item))
			return bad(c, "has an item longer than 63 characters");
		snprintf(item, sizeof(item), "%.*s", (int)(e - b), p + b);
		p += n + (p[n] == ',');
		if (!item[0])
			continue;
		colon = strchr(item, ':');
		if (relay_pci_normalize(item, pci, sizeof(pci)))
			snprintf(item, sizeof(item), "%s", pci);
		else if (colon &&
			 (!colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1)))
			return bad(
				c,
				"is not a list of 0000:01:02.3, 01:02.3, netdev or netdev:count");
		for (unsigned int i = 0; i < cfg->nb_bind; i++)
			if (!strcmp(cfg->bind[i], item))
				goto next;
		if (cfg->nb_bind >= RELAY_MAX)
			return bad(c, "names more than 64 devices");
		snprintf(cfg->bind[cfg->nb_bind++], sizeof(cfg->bind[0]), "%s", item);
	next:;
	}
	return 0;
}

/* VIRTIOFWD_BINARY: an absolute path; main() runs it instead when it is another file. */
int set_binary(struct opt_call *c)
{
	if (c->arg[0] != '/' || strlen(c->arg) >= sizeof(c->cfg->binary))
		return bad(c, "is not an absolute path to an executable");
	snprintf(c->cfg->binary, sizeof(c->cfg->binary), "%s", c->arg);
	return 0;
}

/* --config / --check-config: read before the other options (opts_parse's first pass). */
int set_config(struct opt_call *c)
{
	(void)c;
	return 0;
}

int set_zero_copy(struct opt_call *c)
{
	opts_warn(c->cfg, "%s='%s' ignored: DPDK no longer has vhost dequeue zero-copy", c->o->env,
		  c->arg);
	return 0;
}

/* Options and keys of later releases: named once in the start-up warning (--name, or KEY). */
int set_later(struct opt_call *c)
{
	char *later = c->cfg->later;
	size_t n = strlen(later);
	char what[64];

	if (c->o->name)
		snprintf(what, sizeof(what), "--%s", c->o->name);
	else
		snprintf(what, sizeof(what), "%s", c->o->env);
	if (!strstr(later, what))
		snprintf(later + n, sizeof(c->cfg->later) - n, "%s%s", n ? ", " : "", what);
	return 0;
}

static int parse_double(const char *arg, double min, double max, double *v)
{
	char *end;

	if (!arg || !(isdigit((unsigned char)arg[0]) || arg[0] == '.'))
		return -EINVAL;
	errno = 0;
	*v = strtod(arg, &end);
	return errno || *end || !(*v >= min && *v <= max) ? -EINVAL : 0;
}

/* true/yes/y/1 or false/no/n/0, in any case; no value (a flag given alone): true. */
static int parse_bool(const char *arg, bool *v)
{
	static const char *const words[] = {"false", "no", "n", "0", "true", "yes", "y", "1"};

	for (unsigned int i = 0; arg && i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcasecmp(arg, words[i]))
			return *v = i >= 4, 0;
	return arg ? -EINVAL : (*v = true, 0);
}

/* --idle-interrupts[=BOOL]; an empty file value: the default, on. */
int set_idle_irq(struct opt_call *c)
{
	if (c->arg && !c->arg[0]) {
		c->cfg->relay.idle_irq = true;
		return 0;
	}
	return parse_bool(c->arg, &c->cfg->relay.idle_irq) ? bad(c, "is not true or false") : 0;
}

/* --core-sched[=BOOL] and the VIO4WD_CORE_SCHED_* keys: the balancer in the daemon. */
int set_core_sched(struct opt_call *c)
{
	struct ctl_balance *b = &c->cfg->ctl.balance;
	const char *key = c->o->env;
	unsigned long v;

	if (!strcmp(key, "VIO4WD_CORE_SCHED_ENABLE")) {
		if (parse_bool(c->arg, &b->enabled))
			return bad(c, "is not true or false");
	} else if (!strcmp(key, "VIO4WD_CORE_SCHED_SENSITIVITY")) {
		if (parse_double(c->arg, 0, 100, &b->sensitivity))
			return bad(c, "is not a number from 0 to 100 (a drop of the load spread)");
	} else if (!strcmp(key, "VIO4WD_CORE_SCHED_POLL_INTERVAL")) {
		if (parse_double(c->arg, 0.1, 3600, &b->interval_s))
			return bad(c, "is not a number of seconds from 0.1 to 3600");
	} else if (!strcmp(key, "VIO4WD_CORE_SCHED_LOG_LEVEL")) {
		if (parse_ulong(c->arg, 0, 7, &v))
			return bad(c, "is not a syslog level 0-7");
		b->log_level = v ? (int)v : 7; /* 0: everything, as the reference's scheduler */
	} else {
		b->global_numa = true; /* VIO4WD_CORE_SCHED_GLOBAL_NUMA_OPT: non-blank */
	}
	return 0;
}

/* -s: the core scheduler's endpoint; as in the reference it turns stats on too. */
int set_core_sched_ep(struct opt_call *c)
{
	const char *ep = c->arg && c->arg[0] ? c->arg : CTL_EP_CORE_SCHED;

	if (!strstr(ep, "://") || strlen(ep) >= sizeof(c->cfg->ctl.core_sched_ep))
		return bad(c,
			   "is not a ZeroMQ endpoint (e.g. ipc:///run/x or tcp://127.0.0.1:5555)");
	snprintf(c->cfg->ctl.core_sched_ep, sizeof(c->cfg->ctl.core_sched_ep), "%s", ep);
	if (!c->cfg->ctl.stats_ep[0])
		snprintf(c->cfg->ctl.stats_ep, sizeof(c->cfg->ctl.stats_ep), "%s", CTL_EP_STATS);
	return 0;
}

int set_help(struct opt_call *c)
{
	opts_usage(c->out);
	return OPTS_EXIT;
}

int set_version(struct opt_call *c)
{
	/* The reference's words: scripts parse them. */
	fprintf(c->out, "Virtio-forwarder version %s (%s)\n", VFWD_VERSION, VFWD_DPDK_VERSION);
	return OPTS_EXIT;
}
