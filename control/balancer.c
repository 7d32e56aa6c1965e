/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * balancer.c: the core scheduler inside the daemon (VIO4WD_CORE_SCHED_ENABLE, --core-sched).
 * Every interval it measures each published direction's load (the busy TSC cycles its worker
 * spent on it, over the TSC elapsed), asks balance_plan() for an even assignment and applies
 * it with relay_move() (unpublish, grace period, publish: nothing lost). Operator pins (-c,
 * VIRTIOFWD_CPU_PINS) are never moved. Control thread only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "balance.h"
#include "ctl.h"
#include "relay.h"
#include "vlog.h"

#define MAX_WORKERS 128

/* What the previous sample saw of one direction. */
struct seen {
	uint64_t busy;
	bool valid;
};

struct ctl_balancer {
	struct ctl_balance cfg;
	uint64_t next_ns, tsc;
	struct seen seen[RELAY_MAX][RELAY_MAX_LANES][2];
	unsigned int lanes[RELAY_MAX]; /* each relay's queue pairs at the last sample */
};

struct ctl_balancer *ctl_balancer_open(const struct ctl_balance *cfg)
{
	struct ctl_balancer *b;

	if (!cfg->enabled)
		return NULL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->cfg = *cfg;
	VLOG(INFO,
	     "core scheduler: every %.1f s, rebalancing when the spread drops by more than "
	     "%.2f, %s",
	     cfg->interval_s, cfg->sensitivity,
	     cfg->global_numa ? "across NUMA nodes" : "per NUMA node");
	return b;
}

void ctl_balancer_close(struct ctl_balancer *b)
{
	free(b);
}

/* Log at syslog @level when VIO4WD_CORE_SCHED_LOG_LEVEL lets it through. */
#define BLOG(b, level, ...)                                                                        \
	do {                                                                                       \
		if (RTE_LOG_##level - 1 <= (unsigned int)(b)->cfg.log_level)                       \
			VLOG(level, __VA_ARGS__);                                                  \
	} while (0)

/*
 * The directions on workers now, each queue pair's apart, with their loads since the previous
 * sample. One seen for the first time (or whose counters went back: a relay re-created) has
 * no load yet.
 */
static unsigned int sample(struct ctl_balancer *b, struct balance_dir *out, double elapsed)
{
	unsigned int ids[RELAY_MAX], n = relay_list(ids), nd = 0;
	struct relay_snapshot s;

	for (unsigned int i = 0; i < n; i++) {
		bool ok = relay_snapshot_get(ids[i], &s) == 0;

		b->lanes[ids[i]] = ok ? s.nb_lanes : 1;
		for (unsigned int l = 0; l < RELAY_MAX_LANES; l++) {
			for (int d = 0; d < 2; d++) {
				struct seen *p = &b->seen[ids[i]][l][d];
				bool on = ok && l < s.nb_lanes && s.lane[l].cpu[d] >= 0;
				uint64_t busy = on ? s.lane[l].busy_cycles[d] : 0;
				bool had = p->valid && busy >= p->busy;

				p->valid = on;
				if (!on)
					continue;
				out[nd++] = (struct balance_dir){
					.relay = ids[i],
					.dir = d,
					.lane = l,
					.load = had && elapsed > 0
							? (double)(busy - p->busy) / elapsed
							: 0,
					.node = s.socket_id,
					.cpu = s.lane[l].cpu[d],
					.pinned = s.pinned[d],
					.to = s.lane[l].cpu[d],
				};
				p->busy = busy;
			}
		}
	}
	return nd;
}

/* " of queue pair N" when the relay has several, for the logs. */
static const char *lane_text(const struct ctl_balancer *b, const struct balance_dir *d, char *buf,
			     size_t len)
{
	buf[0] = 0;
	if (b->lanes[d->relay] > 1)
		snprintf(buf, len, " of queue pair %u", d->lane);
	return buf;
}

static void apply(struct ctl_balancer *b, const struct balance_dir *d, unsigned int nd)
{
	for (unsigned int i = 0; i < nd; i++) {
		const char *name = d[i].dir == RELAY_VF_TO_VM ? "VF->VM" : "VM->VF";
		char lane[32];

		if (d[i].to == d[i].cpu)
			continue;
		if (relay_move_lane(d[i].relay, (enum relay_dir_id)d[i].dir, (int)d[i].lane,
				    d[i].to)) {
			VLOG(WARNING, "core scheduler: relay %u %s%s not moved to CPU %d: %s",
			     d[i].relay, name, lane_text(b, &d[i], lane, sizeof(lane)), d[i].to,
			     relay_last_error());
			continue;
		}
		BLOG(b, INFO,
		     "core scheduler: relay %u %s%s moved from CPU %d to %d (%.1f %% of a core): "
		     "worker load spread %.2f -> %.2f",
		     d[i].relay, name, lane_text(b, &d[i], lane, sizeof(lane)), d[i].cpu, d[i].to,
		     d[i].load * 100, d[i].spread[0], d[i].spread[1]);
	}
}

void ctl_balancer_tick(struct ctl_balancer *b, uint64_t now_ns)
{
	static struct balance_dir dirs[RELAY_MAX * RELAY_MAX_LANES * 2];
	struct balance_worker w[MAX_WORKERS];
	unsigned int cpus[MAX_WORKERS], nw, nd;
	struct balance_opts o = {b->cfg.sensitivity, b->cfg.global_numa, BALANCE_IDLE_LOAD};
	struct balance_result r;
	uint64_t tsc = rte_rdtsc();
	double elapsed = b->tsc ? (double)(tsc - b->tsc) : 0;

	if (now_ns < b->next_ns)
		return;
	b->next_ns = now_ns + (uint64_t)(b->cfg.interval_s * 1e9);
	b->tsc = tsc;
	nw = relay_worker_cpus(cpus, MAX_WORKERS);
	for (unsigned int i = 0; i < nw; i++)
		w[i] = (struct balance_worker){(int)cpus[i], (int)rte_lcore_to_socket_id(cpus[i])};
	nd = sample(b, dirs, elapsed);
	if (!nd || balance_plan(dirs, nd, w, nw, &o, &r))
		return;
	if (!r.moves) {
		if (r.groups)
			BLOG(b, DEBUG,
			     "core scheduler: %u direction(s), spread %.2f, the best proposal "
			     "%.2f: no move",
			     nd, r.before[0], r.after[0]);
		return;
	}
	apply(b, dirs, nd);
}
