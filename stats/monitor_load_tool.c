/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * monitor_load_tool.c: virtioforwarder_monitor_load: each worker's load (busy share of its
 * cycles, the daemon's own measure) as a bar, and each active relay direction's worker, packet
 * rate and cycles per packet; refreshed in place on a terminal every --poll-interval seconds,
 * or printed once (--once) for scripts.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"
#include "relay_pure.h"
#include "virtioforwarder.pb-c.h"

#define BAR 60 /* the reference's bar: 60 dashes for a full CPU */

enum { KEY_SCHED = 256, KEY_INTERVAL, KEY_ONCE };

static const struct tool_opt opts[] = {
	{"stats-ep", TOOL_KEY_EP, required_argument, "EP", "stats endpoint"},
	{"sched-ep", KEY_SCHED, required_argument, "EP",
	 "accepted for the reference's scripts (not needed)"},
	{"poll-interval", KEY_INTERVAL, required_argument, "S",
	 "seconds between refreshes (default 2.0)"},
	{"once", KEY_ONCE, no_argument, NULL, "print once and exit"},
};

struct args {
	double interval;
	bool once;
};

static int on_opt(int key, const char *arg, void *ctx);

static const struct tool tool = {
	.prog = "virtioforwarder_monitor_load",
	.usage = "[options]",
	.summary = "Show each worker's load and what each active relay direction costs it,\n"
		   "refreshed in place (Ctrl-C to stop), or once.",
	.opts = opts,
	.nb_opts = sizeof(opts) / sizeof(opts[0]),
	.ep_default = CTL_EP_STATS,
	.on_opt = on_opt,
};

static int on_opt(int key, const char *arg, void *ctx)
{
	struct args *a = ctx;

	switch (key) {
	case KEY_SCHED:
		return 0;
	case KEY_ONCE:
		a->once = true;
		return 0;
	case KEY_INTERVAL:
		return tool_parse_seconds(&tool, "--poll-interval", arg, &a->interval);
	}
	return -1;
}

static void print_dir(unsigned int id, const char *name, bool has_cpu, int cpu, float pps,
		      bool has_cpp, float cpp)
{
	if (!has_cpu)
		return;
	printf("relay %u %s: CPU%d, %.0f pps", id, name, cpu, pps);
	if (has_cpp)
		printf(", %.0f cycles/pkt", cpp);
	putchar('\n');
}

static void print_loads(const Virtioforwarder__StatsResponse *rs)
{
	char bar[BAR + 1];

	puts("CPU loads");
	for (size_t i = 0; i < rs->n_worker; i++) {
		float pct = rs->worker[i]->load_pct;
		int n = (int)lroundf(BAR * (pct < 0 ? 0 : pct > 100 ? 100 : pct) / 100.0f);

		memset(bar, '-', (size_t)n);
		bar[n] = '\0';
		printf("CPU%u: %-*s %5.1f%%\n", rs->worker[i]->lcore, BAR, bar, pct);
	}
	for (size_t i = 0; i < rs->n_relay; i++) {
		const Virtioforwarder__RelayState *r = rs->relay[i];
		const Virtioforwarder__RelayState__CPU *c = r->cpu;

		if (!c)
			continue;
		print_dir(r->id, "vf_to_vm", c->has_vf_to_vm, c->vf_to_vm,
			  r->vf_to_vm->pkt_rate_rx_from_vf, r->vf_to_vm->has_cycles_per_pkt,
			  r->vf_to_vm->cycles_per_pkt);
		print_dir(r->id, "vm_to_vf", c->has_vm_to_vf, c->vm_to_vf,
			  r->vm_to_vf->pkt_rate_rx_from_vm, r->vm_to_vf->has_cycles_per_pkt,
			  r->vm_to_vf->cycles_per_pkt);
	}
}

int main(int argc, char **argv)
{
	Virtioforwarder__StatsRequest rq = VIRTIOFORWARDER__STATS_REQUEST__INIT;
	struct args a = {.interval = 2.0};
	struct tool_common common;
	int status = tool_parse(&tool, argc, argv, &common, &a);
	bool tty = isatty(STDOUT_FILENO);

	if (status >= 0)
		return status;
	/* the reference's request: active relays, rates over 200 ms */
	rq.has_include_inactive = 1, rq.include_inactive = 0;
	rq.has_delay = 1, rq.delay = 200;
	for (;;) {
		Virtioforwarder__StatsResponse *rs = (Virtioforwarder__StatsResponse *)ctl_call(
			tool.prog, common.ep, &rq.base,
			&virtioforwarder__stats_response__descriptor,
			common.timeout_ms + (int)rq.delay, NULL, NULL);

		if (!rs)
			return TOOL_USAGE;
		if (tty && !a.once)
			fputs("\033[H\033[2J", stdout); /* in place, as the reference's `clear` */
		print_loads(rs);
		fflush(stdout);
		virtioforwarder__stats_response__free_unpacked(rs, NULL);
		if (a.once)
			return TOOL_OK;
		usleep((useconds_t)(a.interval * 1e6));
	}
}
