/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * place.c: where a new relay direction goes (relay_pure.h): NUMA node first, then load; and
 * which guest queues each lane of a relay serves.
 */
#include "relay_pure.h"

/* Loads within this many per mille count as equal: then fewer directions win. */
#define LOAD_TIE_PM 50

static bool lighter(const struct relay_worker_view *a, const struct relay_worker_view *b)
{
	if (a->busy_pm + LOAD_TIE_PM < b->busy_pm)
		return true;
	if (b->busy_pm + LOAD_TIE_PM < a->busy_pm)
		return false;
	return a->dirs < b->dirs;
}

int relay_pick_worker(const struct relay_worker_view *w, unsigned int n, int node)
{
	bool local = false;
	int best = -1;

	for (unsigned int i = 0; node >= 0 && i < n; i++)
		local = local || w[i].node == node;
	for (unsigned int i = 0; i < n; i++) {
		if (local && w[i].node != node)
			continue;
		if (best < 0 || lighter(&w[i], &w[best]))
			best = (int)i;
	}
	return best;
}

unsigned int relay_lane_rxqs(uint64_t mask, unsigned int lanes, unsigned int lane, uint8_t out[64])
{
	unsigned int n = 0, all = 0;
	uint8_t every[64];

	for (uint64_t m = mask; m; m &= m - 1) {
		uint8_t q = (uint8_t)__builtin_ctzll(m);

		every[all++] = q;
		if (lanes <= 1 || q % lanes == lane)
			out[n++] = q;
	}
	if (!n && all)
		out[n++] = every[lane % all];
	return n;
}
