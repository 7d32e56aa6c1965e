/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * core_scheduler_tool.c: virtioforwarder_core_scheduler: the core scheduler out of process, with
 * the reference's options (reference-behaviour.md 4.6), over the daemon's stats and
 * core-scheduler services. Each cycle: the worker CPUs (GET_EAL_CORES), the active relays'
 * rates over 200 ms, a load per direction from the reference's formula (packets and bytes per
 * second: it needs nothing the reference daemon lacks), then the daemon's own algorithm
 * (balance.h) and one UPDATE with the relays it moves. Directions the daemon reports pinned
 * (our stats extension) are left alone. Logs to syslog (ident vio4wd_core_scheduler), and to
 * stderr as well with --once (exit status: 0, 1 the daemon refused, 2 no daemon).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "balance.h"
#include "ctl_client.h"
#include "relay_pure.h"
#include "virtioforwarder.pb-c.h"

#define MAX_WORKERS 128
#define MAX_DIRS    (2 * RELAY_MAX)

enum { KEY_SCHED = 256, KEY_INTERVAL, KEY_LEVEL, KEY_SENS, KEY_NUMA, KEY_ONCE, KEY_SYSFS };

static const struct tool_opt opts[] = {
	{"stats-ep", TOOL_KEY_EP, required_argument, "EP", "stats endpoint"},
	{"sched-ep", KEY_SCHED, required_argument, "EP",
	 "core scheduler endpoint (default " CTL_EP_CORE_SCHED ")"},
	{"poll-interval", KEY_INTERVAL, required_argument, "S",
	 "seconds between cycles (default 5)"},
	{"loglevel", KEY_LEVEL, required_argument, "0-7", "syslog level (0 or none: 7)"},
	{"sensitivity", KEY_SENS, required_argument, "X",
	 "move only when the spread of the workers' loads (coefficient of variation) drops by "
	 "more than X (default 0.25; negative: 0.25)"},
	{"global-numa-opt", KEY_NUMA, no_argument, NULL,
	 "balance across NUMA nodes instead of per node"},
	{"once", KEY_ONCE, no_argument, NULL, "one cycle, logged on stderr too, then exit"},
	{"sysfs", KEY_SYSFS, required_argument, "DIR", NULL}, /* tests: a fake topology */
};

struct args {
	const char *sched_ep, *sysfs;
	double interval, sensitivity;
	int level;
	bool global_numa, once;
};

static int on_opt(int key, const char *arg, void *ctx);

static const struct tool tool = {
	.prog = "virtioforwarder_core_scheduler",
	.usage = "[options]",
	.summary =
		"Balance relay directions between the daemon's workers by their packet and byte\n"
		"rates, every --poll-interval seconds (Ctrl-C or SIGTERM: after the cycle).",
	.epilog = "The daemon can do this itself, by measured cycles: VIO4WD_CORE_SCHED_ENABLE.\n",
	.opts = opts,
	.nb_opts = sizeof(opts) / sizeof(opts[0]),
	.ep_default = CTL_EP_STATS,
	.on_opt = on_opt,
};

static int on_opt(int key, const char *arg, void *ctx)
{
	struct args *a = ctx;
	unsigned long v;
	char *end;

	switch (key) {
	case KEY_SCHED:
		a->sched_ep = arg;
		return 0;
	case KEY_SYSFS:
		a->sysfs = arg;
		return 0;
	case KEY_NUMA:
		a->global_numa = true;
		return 0;
	case KEY_ONCE:
		a->once = true;
		return 0;
	case KEY_LEVEL:
		if (ctl_parse_uint(tool.prog, "--loglevel", arg, 7, &v))
			return -1;
		a->level = v ? (int)v : LOG_DEBUG;
		return 0;
	case KEY_INTERVAL:
		return tool_parse_seconds(&tool, "--poll-interval", arg, &a->interval);
	case KEY_SENS:
		a->sensitivity = strtod(arg, &end);
		if (*end || end == arg) {
			tool_err(&tool, "--sensitivity: '%s' is not a number", arg);
			return -1;
		}
		if (a->sensitivity < 0)
			a->sensitivity = 0.25; /* as the reference */
		return 0;
	}
	return -1;
}

static volatile sig_atomic_t stop; /* set by the signal handler, read between cycles */

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

/* The NUMA node of @cpu from sysfs (cpuN/nodeM), 0 when it has none. */
static int cpu_node(const char *sysfs, unsigned int cpu)
{
	char path[512];

	for (int n = 0; n < 64; n++) {
		snprintf(path, sizeof(path), "%s/devices/system/cpu/cpu%u/node%d", sysfs, cpu, n);
		if (access(path, F_OK) == 0)
			return n;
	}
	return 0;
}

/* The reference's load of one direction from its rates (reference-behaviour.md 4.6). */
static double rate_load(bool vm_to_vf, float rx_pps, float tx_pps, float rx_bps, float tx_bps)
{
	double a = vm_to_vf ? 0.082 : 0.0795, b = vm_to_vf ? 9.3e-5 : 8.2e-5;

	return a * (rx_pps + tx_pps) / 2 / 1e6 + b * (rx_bps + tx_bps) / 2 / 1e6;
}

static unsigned int workers_get(const struct args *a, int timeout_ms, struct balance_worker *w)
{
	Virtioforwarder__CoreSchedRequest rq = VIRTIOFORWARDER__CORE_SCHED_REQUEST__INIT;
	Virtioforwarder__CoreSchedResponse *r;
	unsigned int n = 0;

	rq.op = VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__GET_EAL_CORES;
	r = (Virtioforwarder__CoreSchedResponse *)ctl_call(
		tool.prog, a->sched_ep, &rq.base, &virtioforwarder__core_sched_response__descriptor,
		timeout_ms, NULL, NULL);
	if (!r)
		return 0;
	for (size_t i = 0; i < r->n_eal_cores && n < MAX_WORKERS; i++, n++)
		w[n] = (struct balance_worker){(int)r->eal_cores[i],
					       cpu_node(a->sysfs, r->eal_cores[i])};
	virtioforwarder__core_sched_response__free_unpacked(r, NULL);
	return n;
}

/* The active relays' directions with a worker, and their loads. */
static unsigned int dirs_get(const char *ep, int timeout_ms, struct balance_dir *d)
{
	Virtioforwarder__StatsRequest rq = VIRTIOFORWARDER__STATS_REQUEST__INIT;
	Virtioforwarder__StatsResponse *rs;
	unsigned int n = 0;

	rq.has_include_inactive = 1, rq.include_inactive = 0;
	rq.has_delay = 1, rq.delay = 200;
	rs = (Virtioforwarder__StatsResponse *)ctl_call(
		tool.prog, ep, &rq.base, &virtioforwarder__stats_response__descriptor,
		timeout_ms + (int)rq.delay, NULL, NULL);
	if (!rs)
		return 0;
	for (size_t i = 0; i < rs->n_relay && n + 2 <= MAX_DIRS; i++) {
		const Virtioforwarder__RelayState *r = rs->relay[i];
		const Virtioforwarder__RelayState__CPU *c = r->cpu;
		const Virtioforwarder__RelayState__VFtoVM *f = r->vf_to_vm;
		const Virtioforwarder__RelayState__VMtoVF *m = r->vm_to_vf;

		if (c && c->has_vf_to_vm)
			d[n++] = (struct balance_dir){
				r->id,
				0,
				rate_load(false, f->pkt_rate_rx_from_vf, f->pkt_rate_tx_to_vm,
					  f->byte_rate_rx_from_vf, f->byte_rate_tx_to_vm),
				(int)r->socket_id,
				c->vf_to_vm,
				c->vf_to_vm_pinned,
				c->vf_to_vm};
		if (c && c->has_vm_to_vf)
			d[n++] = (struct balance_dir){
				r->id,
				1,
				rate_load(true, m->pkt_rate_rx_from_vm, m->pkt_rate_tx_to_vf,
					  m->byte_rate_rx_from_vm, m->byte_rate_tx_to_vf),
				(int)r->socket_id,
				c->vm_to_vf,
				c->vm_to_vf_pinned,
				c->vm_to_vf};
	}
	virtioforwarder__stats_response__free_unpacked(rs, NULL);
	return n;
}

/* One UPDATE with every relay that has a direction to move; 0 or -1 (logged). */
static int update(const struct args *a, int timeout_ms, const struct balance_dir *d,
		  unsigned int nd)
{
	Virtioforwarder__CoreSchedRequest rq = VIRTIOFORWARDER__CORE_SCHED_REQUEST__INIT;
	Virtioforwarder__RelayCPU map[MAX_DIRS], *ptrs[MAX_DIRS];
	Virtioforwarder__CoreSchedResponse *r;
	int ret = -1;

	rq.op = VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__UPDATE;
	for (unsigned int i = 0; i < nd; i++) {
		size_t k;

		if (d[i].to == d[i].cpu)
			continue;
		for (k = 0; k < rq.n_relay_cpu_map; k++)
			if (map[k].relay_number == (int)d[i].relay)
				break;
		if (k == rq.n_relay_cpu_map) {
			virtioforwarder__relay_cpu__init(&map[k]);
			map[k].relay_number = (int)d[i].relay;
			map[k].vf2virtio_cpu = map[k].virtio2vf_cpu = -1;
			for (unsigned int j = 0; j < nd; j++) /* where its directions end up */
				if (d[j].relay == d[i].relay)
					*(d[j].dir ? &map[k].virtio2vf_cpu
						   : &map[k].vf2virtio_cpu) = d[j].to;
			/*
			 * A direction stats do not show (no guest, or no VF: idle) goes with the
			 * other: a CPU of -1 would have the daemon refuse the whole UPDATE.
			 */
			if (map[k].vf2virtio_cpu < 0)
				map[k].vf2virtio_cpu = map[k].virtio2vf_cpu;
			if (map[k].virtio2vf_cpu < 0)
				map[k].virtio2vf_cpu = map[k].vf2virtio_cpu;
			ptrs[k] = &map[k];
			rq.n_relay_cpu_map++;
		}
		syslog(LOG_INFO, "relay %u %s: CPU %d -> %d (load %.4f, spread %.2f -> %.2f)",
		       d[i].relay, d[i].dir ? "VM->VF" : "VF->VM", d[i].cpu, d[i].to, d[i].load,
		       d[i].spread[0], d[i].spread[1]);
	}
	rq.relay_cpu_map = ptrs;
	r = (Virtioforwarder__CoreSchedResponse *)ctl_call(
		tool.prog, a->sched_ep, &rq.base, &virtioforwarder__core_sched_response__descriptor,
		timeout_ms, NULL, NULL);
	if (!r)
		return -1;
	if (r->status == VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__OK)
		ret = 0;
	else
		syslog(LOG_ERR, "the daemon refused the moves: error %d from %s", r->error_code,
		       r->error_code_source ? r->error_code_source : "?");
	virtioforwarder__core_sched_response__free_unpacked(r, NULL);
	return ret;
}

/* One cycle: TOOL_OK (also when nothing moved), TOOL_REFUSED, or TOOL_USAGE (no daemon). */
static int cycle(const struct args *a, const struct tool_common *c)
{
	static struct balance_dir d[MAX_DIRS];
	struct balance_worker w[MAX_WORKERS];
	struct balance_opts o = {a->sensitivity, a->global_numa, 0};
	struct balance_result r;
	unsigned int nw = workers_get(a, c->timeout_ms, w), nd;

	if (!nw)
		return TOOL_USAGE;
	nd = dirs_get(c->ep, c->timeout_ms, d);
	if (balance_plan(d, nd, w, nw, &o, &r)) {
		syslog(LOG_WARNING, "a relay is on a CPU that is not a worker: no plan this cycle");
		return TOOL_REFUSED;
	}
	if (!r.groups) {
		syslog(LOG_DEBUG, "%u direction(s), no load: nothing to do", nd);
		return TOOL_OK;
	}
	syslog(r.moves ? LOG_NOTICE : LOG_DEBUG,
	       "%u direction(s) on %u worker(s): spread %.2f, proposed %.2f: %u move(s)", nd, nw,
	       r.before[0], r.after[0], r.moves);
	return r.moves && update(a, c->timeout_ms, d, nd) ? TOOL_REFUSED : TOOL_OK;
}

int main(int argc, char **argv)
{
	struct args a = {CTL_EP_CORE_SCHED, "/sys", 5, 0.25, LOG_DEBUG, false, false};
	struct tool_common common;
	int status = tool_parse(&tool, argc, argv, &common, &a);

	if (status >= 0)
		return status;
	openlog("vio4wd_core_scheduler", LOG_PID | (a.once ? LOG_PERROR : 0), LOG_USER);
	setlogmask(LOG_UPTO(a.level));
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	signal(SIGHUP, SIG_IGN);
	syslog(LOG_INFO, "every %.1f s, sensitivity %.2f, %s", a.interval, a.sensitivity,
	       a.global_numa ? "across NUMA nodes" : "per NUMA node");
	while (!stop) {
		status = cycle(&a, &common);
		if (a.once)
			break;
		usleep((useconds_t)(a.interval * 1e6));
	}
	closelog();
	return a.once ? status : TOOL_OK;
}
