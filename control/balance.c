/* SPDX-License-Identifier: BSD-3-Clause */
/* balance.c: the core scheduler's proposal (balance.h): greedy, largest load first, per node. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "balance.h"

#define LOAD_EPS 1e-9

double balance_score(const double *load, unsigned int n)
{
	double sum = 0, sq = 0, mean;

	for (unsigned int i = 0; i < n; i++)
		sum += load[i];
	if (!n || sum <= 0)
		return 0;
	mean = sum / n;
	for (unsigned int i = 0; i < n; i++)
		sq += (load[i] - mean) * (load[i] - mean);
	return sqrt(sq / n) / mean;
}

static int worker_of(const struct balance_worker *w, unsigned int nw, int cpu)
{
	for (unsigned int i = 0; i < nw; i++)
		if (w[i].cpu == cpu)
			return (int)i;
	return -1;
}

/* The group (a node; 0 when global) of direction @d, on worker index @cur. */
static int group_of(const struct balance_worker *w, unsigned int nw, const struct balance_opts *o,
		    const struct balance_dir *d, int cur)
{
	if (o->global_numa)
		return 0;
	for (unsigned int i = 0; d->node >= 0 && i < nw; i++)
		if (w[i].node == d->node)
			return d->node;
	return w[cur].node;
}

static bool in_group(const struct balance_worker *w, const struct balance_opts *o, unsigned int i,
		     int g)
{
	return o->global_numa || w[i].node == g;
}

/* Largest load first; then by relay and direction, so that a plan is reproducible. */
static int by_load(const void *a, const void *b)
{
	const struct balance_dir *x = *(const struct balance_dir *const *)a;
	const struct balance_dir *y = *(const struct balance_dir *const *)b;

	if (x->load != y->load)
		return x->load > y->load ? -1 : 1;
	if (x->relay != y->relay)
		return x->relay < y->relay ? -1 : 1;
	return x->dir - y->dir;
}

/* One run of balance_plan(): its inputs and working arrays. */
struct plan {
	struct balance_dir *d;
	unsigned int nd;
	const struct balance_worker *w;
	unsigned int nw;
	const struct balance_opts *o;
	int *cur;		    /* worker index of each direction */
	double *before, *after;	    /* per worker */
	double *scratch;	    /* 2 x nw: the group's loads before and after */
	struct balance_dir **order; /* the group's movable directions */
	int *to;		    /* proposed worker index, per direction */
};

static bool movable(const struct plan *p, unsigned int i, int g)
{
	return !p->d[i].pinned && p->d[i].load > 0 && p->d[i].load >= p->o->idle_load &&
	       group_of(p->w, p->nw, p->o, &p->d[i], p->cur[i]) == g;
}

/* Plan group @g: sets .to of its movable directions when the proposal is worth it. */
static void plan_group(struct plan *p, int g, struct balance_result *res)
{
	double *bl = p->scratch, *al = p->scratch + p->nw, load = 0;
	unsigned int n = 0, k = 0;
	double before, after;

	for (unsigned int i = 0; i < p->nw; i++)
		p->before[i] = p->after[i] = 0;
	for (unsigned int i = 0; i < p->nd; i++) {
		p->before[p->cur[i]] += p->d[i].load;
		if (movable(p, i, g)) {
			p->order[n++] = &p->d[i];
			load += p->d[i].load;
		} else {
			p->after[p->cur[i]] += p->d[i].load;
		}
	}
	if (!n || load <= 0)
		return;
	qsort(p->order, n, sizeof(p->order[0]), by_load);
	for (unsigned int j = 0; j < n; j++) {
		unsigned int i = (unsigned int)(p->order[j] - p->d);
		int best = -1;

		for (unsigned int c = 0; c < p->nw; c++) {
			if (!in_group(p->w, p->o, c, g))
				continue;
			if (best < 0 || p->after[c] < p->after[best] - LOAD_EPS ||
			    (p->after[c] < p->after[best] + LOAD_EPS && (int)c == p->cur[i]))
				best = (int)c;
		}
		p->to[i] = best;
		p->after[best] += p->d[i].load;
	}
	for (unsigned int c = 0; c < p->nw; c++)
		if (in_group(p->w, p->o, c, g)) {
			bl[k] = p->before[c];
			al[k++] = p->after[c];
		}
	before = balance_score(bl, k);
	after = balance_score(al, k);
	if (res->groups < sizeof(res->before) / sizeof(res->before[0])) {
		res->before[res->groups] = before;
		res->after[res->groups] = after;
	}
	res->groups++;
	if (before - after > p->o->sensitivity) {
		res->applied++;
		for (unsigned int j = 0; j < n; j++) {
			unsigned int i = (unsigned int)(p->order[j] - p->d);

			p->d[i].to = p->w[p->to[i]].cpu;
			p->d[i].spread[0] = before;
			p->d[i].spread[1] = after;
		}
	}
}

int balance_plan(struct balance_dir *d, unsigned int nd, const struct balance_worker *w,
		 unsigned int nw, const struct balance_opts *o, struct balance_result *res)
{
	struct plan p = {d, nd, w, nw, o, NULL, NULL, NULL, NULL, NULL, NULL};
	int ret = -ENOMEM;

	memset(res, 0, sizeof(*res));
	if (!nw)
		return -EINVAL;
	p.cur = calloc(nd + 1, sizeof(*p.cur));
	p.to = calloc(nd + 1, sizeof(*p.to));
	p.order = calloc(nd + 1, sizeof(*p.order));
	p.before = calloc(nw, sizeof(*p.before));
	p.after = calloc(nw, sizeof(*p.after));
	p.scratch = calloc(2 * (size_t)nw, sizeof(*p.scratch));
	if (!p.cur || !p.to || !p.order || !p.before || !p.after || !p.scratch)
		goto out_free;
	ret = -EINVAL;
	for (unsigned int i = 0; i < nd; i++) {
		p.cur[i] = worker_of(w, nw, d[i].cpu);
		if (p.cur[i] < 0)
			goto out_free;
		d[i].to = d[i].cpu;
	}
	/* One pass per group: the nodes of the workers, in their order, each once. */
	for (unsigned int i = 0; i < nw; i++) {
		int g = o->global_numa ? 0 : w[i].node;
		bool seen = false;

		for (unsigned int j = 0; j < i; j++)
			seen = seen || o->global_numa || w[j].node == g;
		if (!seen)
			plan_group(&p, g, res);
	}
	for (unsigned int i = 0; i < nd; i++)
		res->moves += d[i].to != d[i].cpu;
	ret = 0;
out_free:
	free(p.cur);
	free(p.to);
	free(p.order);
	free(p.before);
	free(p.after);
	free(p.scratch);
	return ret;
}
