/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * core_pinner_tool.c: virtioforwarder_core_pinner: show which worker serves which relay, or move
 * relays at run time, with the reference tool's options and output (reference-behaviour.md 4.4):
 * --virtio-cpu=N:C1,C2 puts relay N's VM->VF on C1 and VF->VM on C2 (the reverse of -c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"
#include "relay_pure.h"
#include "virtioforwarder.pb-c.h"

#define MAX_MAP 64

enum { KEY_STATS = 256, KEY_CPU, KEY_PRINT };

static const struct tool_opt opts[] = {
	{"sched-ep", TOOL_KEY_EP, required_argument, "EP", "core scheduler endpoint"},
	{"stats-ep", KEY_STATS, required_argument, "EP",
	 "stats endpoint (default " CTL_EP_STATS ")"},
	{"virtio-cpu", KEY_CPU, required_argument, "N:C1,C2",
	 "relay N: VM->VF on CPU C1, VF->VM on C2 (repeatable)"},
	{"print-core-map", KEY_PRINT, no_argument, NULL, "print the map (the default)"},
};

struct args {
	const char *stats_ep;
	Virtioforwarder__RelayCPU map[MAX_MAP];
	Virtioforwarder__RelayCPU *ptrs[MAX_MAP];
	unsigned int n;
	bool invalid;
};

static int on_opt(int key, const char *arg, void *ctx);

static const struct tool tool = {
	.prog = "virtioforwarder_core_pinner",
	.usage = "[options]",
	.summary = "Show the worker CPUs and the relays each serves, or move relays between\n"
		   "them at run time (nothing is lost: the daemon moves them live).",
	.epilog =
		"Output and exit status as the reference's tool: 0 whenever the daemon answers.\n",
	.opts = opts,
	.nb_opts = sizeof(opts) / sizeof(opts[0]),
	.ep_default = CTL_EP_CORE_SCHED,
	.on_opt = on_opt,
};

/* "N:C1,C2" with three whole numbers, or false. */
static bool parse_map(const char *s, int v[3])
{
	char *end;

	for (int i = 0; i < 3; i++) {
		long x = strtol(s, &end, 10);

		if (end == s || x < 0 || x > 0xffff || *end != (i == 0 ? ':' : i == 1 ? ',' : '\0'))
			return false;
		v[i] = (int)x;
		s = end + 1;
	}
	return true;
}

static int on_opt(int key, const char *arg, void *ctx)
{
	struct args *a = ctx;
	int v[3];

	switch (key) {
	case KEY_STATS:
		a->stats_ep = arg;
		return 0;
	case KEY_PRINT:
		return 0;
	case KEY_CPU:
		if (!parse_map(arg, v)) {
			a->invalid = true;
			return 0;
		}
		if (a->n >= MAX_MAP) {
			tool_err(&tool, "at most %d --virtio-cpu", MAX_MAP);
			return -1;
		}
		virtioforwarder__relay_cpu__init(&a->map[a->n]);
		a->map[a->n].relay_number = v[0];
		a->map[a->n].virtio2vf_cpu = v[1]; /* the reference tool's order: VM->VF first */
		a->map[a->n].vf2virtio_cpu = v[2];
		a->ptrs[a->n] = &a->map[a->n];
		a->n++;
		return 0;
	}
	return -1;
}

/* Relays in @rs with their direction @vm_to_vf on CPU @cpu, ascending, into @out. */
static unsigned int on_cpu(const Virtioforwarder__StatsResponse *rs, unsigned int cpu,
			   bool vm_to_vf, int *out)
{
	unsigned int n = 0;

	for (size_t i = 0; i < rs->n_relay; i++) {
		const Virtioforwarder__RelayState__CPU *c = rs->relay[i]->cpu;

		if (c && (vm_to_vf ? c->has_vm_to_vf && c->vm_to_vf == (int)cpu
				   : c->has_vf_to_vm && c->vf_to_vm == (int)cpu))
			out[n++] = (int)rs->relay[i]->id;
	}
	return n;
}

/* A line without its trailing blanks. */
static void put_line(char *line)
{
	size_t n = strlen(line);

	while (n && line[n - 1] == ' ')
		line[--n] = '\0';
	puts(line);
}

/* The reference's table: a column per worker, VM->VF and VF->VM relays side by side. */
static void print_map(const Virtioforwarder__StatsResponse *rs, const uint32_t *cpus,
		      unsigned int w)
{
	static int rel[CPUSET_MAX][2][RELAY_MAX];
	unsigned int cnt[CPUSET_MAX][2], rows = 0;
	char line[CPUSET_MAX * 11 + 1];
	size_t len = 8 * w + 3 * (w ? w - 1 : 0), off;

	for (unsigned int k = 0; k < w; k++)
		for (int d = 0; d < 2; d++) {
			cnt[k][d] = on_cpu(rs, cpus[k], d == 0, rel[k][d]);
			rows = cnt[k][d] > rows ? cnt[k][d] : rows;
		}
	memset(line, '=', len);
	line[len] = '\0';
	puts(line);
	off = 0;
	for (unsigned int k = 0; k < w; k++)
		off += (size_t)snprintf(line + off, sizeof(line) - off,
					"%s== %02u ==", k ? "   " : "", cpus[k]);
	put_line(line);
	for (unsigned int r = 0; r < rows; r++) {
		off = 0;
		for (unsigned int k = 0; k < w; k++)
			for (int d = 0; d < 2; d++) {
				char cell[8] = "  ";

				if (r < cnt[k][d])
					snprintf(cell, sizeof(cell), "%02d", rel[k][d][r]);
				off += (size_t)snprintf(line + off, sizeof(line) - off, "%s%s",
							d   ? "    "
							: k ? "   "
							    : "",
							cell);
			}
		put_line(line);
	}
	memset(line, '=', len);
	line[len] = '\0';
	puts(line);
}

/* Active relays (delay 0, the reference's request) and the worker CPUs; 0 or an exit code. */
static int fetch(const struct args *a, const struct tool_common *common,
		 Virtioforwarder__StatsResponse **rs, Virtioforwarder__CoreSchedResponse **cores)
{
	Virtioforwarder__StatsRequest sq = VIRTIOFORWARDER__STATS_REQUEST__INIT;
	Virtioforwarder__CoreSchedRequest cq = VIRTIOFORWARDER__CORE_SCHED_REQUEST__INIT;

	sq.has_include_inactive = 1, sq.include_inactive = 0;
	sq.has_delay = 1, sq.delay = 0;
	*rs = (Virtioforwarder__StatsResponse *)ctl_call(
		tool.prog, a->stats_ep, &sq.base, &virtioforwarder__stats_response__descriptor,
		common->timeout_ms, NULL, NULL);
	if (!*rs)
		return TOOL_USAGE;
	cq.op = VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__GET_EAL_CORES;
	*cores = (Virtioforwarder__CoreSchedResponse *)ctl_call(
		tool.prog, common->ep, &cq.base, &virtioforwarder__core_sched_response__descriptor,
		common->timeout_ms, NULL, NULL);
	if (!*cores) {
		virtioforwarder__stats_response__free_unpacked(*rs, NULL);
		return TOOL_USAGE;
	}
	return 0;
}

static int show(const struct args *a, const struct tool_common *common, const char *title)
{
	Virtioforwarder__CoreSchedResponse *cores;
	Virtioforwarder__StatsResponse *rs;
	int ret = fetch(a, common, &rs, &cores);

	if (ret)
		return ret;
	puts(title);
	print_map(rs, cores->eal_cores,
		  cores->n_eal_cores < CPUSET_MAX ? (unsigned int)cores->n_eal_cores : CPUSET_MAX);
	virtioforwarder__stats_response__free_unpacked(rs, NULL);
	virtioforwarder__core_sched_response__free_unpacked(cores, NULL);
	return TOOL_OK;
}

int main(int argc, char **argv)
{
	Virtioforwarder__CoreSchedRequest rq = VIRTIOFORWARDER__CORE_SCHED_REQUEST__INIT;
	Virtioforwarder__CoreSchedResponse *resp;
	struct tool_common common;
	static struct args a = {.stats_ep = CTL_EP_STATS};
	int status = tool_parse(&tool, argc, argv, &common, &a);

	if (status >= 0)
		return status;
	if (a.invalid) {
		puts("Invalid virtio-cpu command line format. Usage: virtio-cpu=n:c1,c2");
		return TOOL_OK;
	}
	if (a.n == 0)
		return show(&a, &common, "Worker cores affinities:");
	for (unsigned int i = 0; i < a.n; i++)
		printf("Setting relay %d=%d,%d\n", a.map[i].relay_number, a.map[i].virtio2vf_cpu,
		       a.map[i].vf2virtio_cpu);
	rq.op = VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__UPDATE;
	rq.n_relay_cpu_map = a.n;
	rq.relay_cpu_map = a.ptrs;
	resp = (Virtioforwarder__CoreSchedResponse *)ctl_call(
		tool.prog, common.ep, &rq.base, &virtioforwarder__core_sched_response__descriptor,
		common.timeout_ms, NULL, NULL);
	if (!resp)
		return TOOL_USAGE;
	printf("Scheduler response: %s\n",
	       resp->status == VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__OK ? "OK" : "ERROR");
	virtioforwarder__core_sched_response__free_unpacked(resp, NULL);
	return show(&a, &common, "New worker core mapping:");
}
