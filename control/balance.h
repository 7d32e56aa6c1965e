/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * balance.h: the core scheduler's algorithm, pure (no DPDK, no ZeroMQ): given each relay
 * direction's measured load, its worker and NUMA node, propose an assignment that evens the
 * workers' loads, and say whether it is worth the moves. The daemon runs it (balancer.c) when
 * VIO4WD_CORE_SCHED_ENABLE is on; unit-tested on synthetic loads and fake topologies.
 */
#ifndef VFWD_BALANCE_H
#define VFWD_BALANCE_H

#include <stdbool.h>

/* Below this share of a core a direction is idle: it is left where it is (the daemon's). */
#define BALANCE_IDLE_LOAD 0.001

struct balance_dir {
	unsigned int relay;
	int dir;	   /* 0 VF->VM, 1 VM->VF (relay_pure.h's enum relay_dir_id) */
	double load;	   /* share of a core it took over the last interval, 0..1 */
	int node;	   /* NUMA node of its relay (the VF's), -1 unknown */
	int cpu;	   /* the worker CPU it is on */
	bool pinned;	   /* an operator's pin (-c, VIRTIOFWD_CPU_PINS): never moved */
	int to;		   /* out: where the proposal puts it (= cpu when it stays) */
	double spread[2];  /* out, when it moves: its group's score now and proposed */
	unsigned int lane; /* VF queue pair (--vf-queues), each placed on its own; the caller's */
};

struct balance_worker {
	int cpu;
	int node; /* NUMA node of the CPU */
};

struct balance_opts {
	double sensitivity; /* apply only when the score drops by more than this */
	bool global_numa;   /* one group of every worker, not one per node */
	double idle_load; /* directions below this load stay (BALANCE_IDLE_LOAD: 0.1 % of a core) */
};

/* What balance_plan() found, over every group. */
struct balance_result {
	unsigned int groups;	    /* groups with load */
	unsigned int applied;	    /* groups whose proposal is worth it */
	unsigned int moves;	    /* directions whose .to differs from .cpu */
	double before[8], after[8]; /* score of each of the first 8 groups, now and proposed */
};

/*
 * Balance @nd directions over @nw workers. Workers are grouped by NUMA node (one group with
 * every worker when @o->global_numa); a direction belongs to the group of its relay's node, or
 * when no worker is on that node (or it is unknown) to the group of the worker it is on now.
 * In each group: pinned and idle (no load, or below @o->idle_load) directions stay and count on
 * their worker; the others, the
 * largest load first, each go to the least loaded worker (its own on a tie). The score of a
 * group is the coefficient of variation of its workers' loads (standard deviation over mean);
 * the proposal is taken when it lowers the score by more than @o->sensitivity, else every
 * direction of the group stays. Sets each .to; returns 0, or -EINVAL (a direction on a CPU
 * that is no worker, @nw == 0).
 */
int balance_plan(struct balance_dir *d, unsigned int nd, const struct balance_worker *w,
		 unsigned int nw, const struct balance_opts *o, struct balance_result *res);

/* Coefficient of variation of @n loads (0 when their mean is 0). */
double balance_score(const double *load, unsigned int n);

#endif
