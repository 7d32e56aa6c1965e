/* SPDX-License-Identifier: BSD-3-Clause */
/* place.c: where a new relay direction goes (relay_pure.h): NUMA node first, then load. */
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
