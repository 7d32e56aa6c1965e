/* SPDX-License-Identifier: BSD-3-Clause */
/* rates.c: counter samples and the rates between two of them. */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "stats.h"

uint64_t stats_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void stats_sample_take(unsigned int id, uint64_t now_ns, struct stats_sample *s)
{
	struct relay_snapshot snap;

	memset(s, 0, sizeof(*s));
	if (relay_snapshot_get(id, &snap))
		return;
	s->valid = true;
	s->t_ns = now_ns;
	memcpy(s->c, snap.c, sizeof(s->c));
}

enum stats_field stats_field_value(unsigned int id, const struct relay_counters *c,
				   const struct stats_rates *rt, uint64_t *count, float *rate)
{
	/* 8 and 10 (bytes dropped) are never sent, as the reference: ours are 105 and 106. */
	const uint64_t counters[8] = {c->rx_pkts,   c->rx_bytes, c->tx_pkts,   c->tx_bytes,
				      c->full_pkts, 0,		 c->down_pkts, 0};
	const uint64_t ours[9] = {c->big_pkts,	  c->big_bytes,	 c->busy_cycles, 0,
				  c->retries,	  c->full_bytes, c->down_bytes,	 c->moves,
				  c->sw_segmented};
	const float rates[4] = {rt->rx_pps, rt->rx_bps, rt->tx_pps, rt->tx_bps};

	if (id == 8 || id == 10)
		return STATS_FIELD_NONE;
	if (id >= 3 && id <= 10)
		*count = counters[id - 3];
	else if (id >= 11 && id <= 14)
		*rate = rates[id - 11];
	else if (id == 103)
		*rate = rt->cycles_per_pkt;
	else if (id >= 100 && id <= 108)
		*count = ours[id - 100];
	else
		return STATS_FIELD_NONE;
	return (id >= 11 && id <= 14) || id == 103 ? STATS_FIELD_RATE : STATS_FIELD_COUNTER;
}

static bool went_back(const struct relay_counters *a, const struct relay_counters *b)
{
	return b->rx_pkts < a->rx_pkts || b->rx_bytes < a->rx_bytes || b->tx_pkts < a->tx_pkts ||
	       b->tx_bytes < a->tx_bytes;
}

void stats_rates_compute(const struct stats_sample *a, const struct stats_sample *b,
			 struct stats_rates out[2])
{
	double dt;

	memset(out, 0, 2 * sizeof(*out));
	if (!a->valid || !b->valid || b->t_ns <= a->t_ns)
		return;
	dt = (double)(b->t_ns - a->t_ns) / 1e9;
	for (int d = 0; d < 2; d++) {
		const struct relay_counters *x = &a->c[d], *y = &b->c[d];

		if (went_back(x, y))
			continue;
		out[d].rx_pps = (float)((double)(y->rx_pkts - x->rx_pkts) / dt);
		out[d].rx_bps = (float)((double)(y->rx_bytes - x->rx_bytes) / dt);
		out[d].tx_pps = (float)((double)(y->tx_pkts - x->tx_pkts) / dt);
		out[d].tx_bps = (float)((double)(y->tx_bytes - x->tx_bytes) / dt);
		if (y->rx_pkts > x->rx_pkts && y->busy_cycles >= x->busy_cycles)
			out[d].cycles_per_pkt = (float)((double)(y->busy_cycles - x->busy_cycles) /
							(double)(y->rx_pkts - x->rx_pkts));
	}
}

/* Written by the control thread, read by it and by the telemetry thread. */
static struct {
	pthread_mutex_t lock;
	struct stats_sample prev[RELAY_MAX], cur[RELAY_MAX];
	struct relay_worker_load wprev[CPUSET_MAX], wcur[CPUSET_MAX];
	unsigned int nw_prev, nw_cur;
} rolling = {.lock = PTHREAD_MUTEX_INITIALIZER};

void stats_rolling_sample(uint64_t now_ns)
{
	static struct stats_sample fresh[RELAY_MAX];
	static struct relay_worker_load wfresh[CPUSET_MAX];
	unsigned int nw;

	for (unsigned int id = 0; id < RELAY_MAX; id++)
		stats_sample_take(id, now_ns, &fresh[id]);
	nw = relay_workers_load(wfresh, CPUSET_MAX);
	pthread_mutex_lock(&rolling.lock);
	memcpy(rolling.prev, rolling.cur, sizeof(rolling.prev));
	memcpy(rolling.cur, fresh, sizeof(rolling.cur));
	memcpy(rolling.wprev, rolling.wcur, sizeof(rolling.wprev));
	memcpy(rolling.wcur, wfresh, nw * sizeof(wfresh[0]));
	rolling.nw_prev = rolling.nw_cur;
	rolling.nw_cur = nw;
	pthread_mutex_unlock(&rolling.lock);
}

unsigned int stats_rolling_workers(struct stats_worker *out, unsigned int max)
{
	unsigned int n;

	pthread_mutex_lock(&rolling.lock);
	n = rolling.nw_cur < max ? rolling.nw_cur : max;
	for (unsigned int i = 0; i < n; i++) {
		const struct relay_worker_load *a = &rolling.wprev[i], *b = &rolling.wcur[i];
		bool window = i < rolling.nw_prev && a->lcore == b->lcore && b->tsc > a->tsc &&
			      b->busy_cycles >= a->busy_cycles;

		double pct = window ? 100.0 * (double)(b->busy_cycles - a->busy_cycles) /
					      (double)(b->tsc - a->tsc)
				    : 0.0;

		out[i].lcore = b->lcore;
		out[i].busy_cycles = b->busy_cycles;
		out[i].irq_sleeps = b->irq_sleeps;
		/* A worker's counter runs up to the end of its pass, the TSC beside it is read a
		 * little earlier or later: a busy worker may show a hair over 100. */
		out[i].load_pct = (float)(pct > 100.0 ? 100.0 : pct);
	}
	pthread_mutex_unlock(&rolling.lock);
	return n;
}

void stats_rolling_rates(unsigned int id, struct stats_rates out[2])
{
	memset(out, 0, 2 * sizeof(*out));
	if (id >= RELAY_MAX)
		return;
	pthread_mutex_lock(&rolling.lock);
	stats_rates_compute(&rolling.prev[id], &rolling.cur[id], out);
	pthread_mutex_unlock(&rolling.lock);
}
