/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_balance.c: the core scheduler's proposal (control/balance.c) on synthetic loads and fake
 * topologies: one node, two nodes with the VF on one, pins, idle directions, sensitivity.
 */
#include "unit.h"
#include <errno.h>

#include "balance.h"

#define D(relay, dir, load, node, cpu)                                                             \
	{                                                                                          \
		relay, dir, load, node, cpu, false, -1                                             \
	}
#define PINNED(relay, dir, load, node, cpu)                                                        \
	{                                                                                          \
		relay, dir, load, node, cpu, true, -1                                              \
	}

static const struct balance_opts dflt = {0.25, false, BALANCE_IDLE_LOAD};

/* Sum of the loads the plan puts on @cpu. */
static double load_on(const struct balance_dir *d, unsigned int n, int cpu)
{
	double l = 0;

	for (unsigned int i = 0; i < n; i++)
		l += d[i].to == cpu ? d[i].load : 0;
	return l;
}

START_TEST(two_loaded_relays_on_one_worker_spread)
{
	struct balance_worker w[] = {{1, 0}, {2, 0}};
	struct balance_dir d[] = {D(0, 0, 0.40, 0, 1), D(0, 1, 0.30, 0, 1), D(1, 0, 0.35, 0, 1),
				  D(1, 1, 0.25, 0, 1)};
	struct balance_result r;

	ck_assert_int_eq(balance_plan(d, 4, w, 2, &dflt, &r), 0);
	ck_assert_uint_eq(r.groups, 1);
	ck_assert_uint_eq(r.applied, 1);
	ck_assert_double_eq_tol(r.before[0], 1.0, 1e-9); /* all on one of two: CV 1 */
	/* largest first: 0.40 stays on 1 (tie: its own), 0.35 -> 2, 0.30 -> 2, 0.25 -> 1 */
	ck_assert_int_eq(d[0].to, 1);
	ck_assert_int_eq(d[2].to, 2);
	ck_assert_int_eq(d[1].to, 2);
	ck_assert_int_eq(d[3].to, 1);
	ck_assert_double_eq_tol(load_on(d, 4, 1), 0.65, 1e-9);
	ck_assert_double_eq_tol(load_on(d, 4, 2), 0.65, 1e-9);
	ck_assert_double_eq_tol(r.after[0], 0.0, 1e-9);
	ck_assert_uint_eq(r.moves, 2);
	/* each moved direction carries its group's scores, for the log */
	ck_assert_double_eq_tol(d[2].spread[0], 1.0, 1e-9);
	ck_assert_double_eq_tol(d[2].spread[1], 0.0, 1e-9);
}
END_TEST

START_TEST(balanced_stays_and_sensitivity_holds_small_gains)
{
	struct balance_worker w[] = {{1, 0}, {2, 0}};
	struct balance_dir even[] = {D(0, 0, 0.5, 0, 1), D(0, 1, 0.5, 0, 2)};
	/* 0.5+0.2 against 0.4: CV 0.27; best is 0.5 against 0.6, CV 0.09: a gain of 0.18 */
	struct balance_dir uneven[] = {D(0, 0, 0.5, 0, 1), D(0, 1, 0.2, 0, 1), D(1, 0, 0.4, 0, 2)};
	struct balance_opts keen = {0.1, false, BALANCE_IDLE_LOAD};
	struct balance_result r;

	ck_assert_int_eq(balance_plan(even, 2, w, 2, &dflt, &r), 0);
	ck_assert_uint_eq(r.applied, 0);
	ck_assert_uint_eq(r.moves, 0);
	ck_assert_int_eq(balance_plan(uneven, 3, w, 2, &dflt, &r), 0);
	ck_assert_uint_eq(r.applied, 0); /* 0.18 is not more than 0.25 */
	ck_assert_uint_eq(r.moves, 0);
	ck_assert_int_eq(uneven[1].to, 1);
	ck_assert_int_eq(balance_plan(uneven, 3, w, 2, &keen, &r), 0);
	ck_assert_uint_eq(r.applied, 1);
	ck_assert_uint_eq(r.moves, 1);
	ck_assert_int_eq(uneven[1].to, 2);
}
END_TEST

START_TEST(pins_and_idle_directions_stay)
{
	struct balance_worker w[] = {{1, 0}, {2, 0}, {3, 0}};
	struct balance_dir d[] = {PINNED(0, 0, 0.9, 0, 1), PINNED(0, 1, 0.8, 0, 1),
				  D(1, 0, 0.0, 0, 1),	   D(1, 1, 0.0005, 0, 1),
				  D(2, 0, 0.3, 0, 1),	   D(2, 1, 0.3, 0, 1)};
	struct balance_result r;

	ck_assert_int_eq(balance_plan(d, 6, w, 3, &dflt, &r), 0);
	ck_assert_uint_eq(r.applied, 1);
	ck_assert_int_eq(d[0].to, 1);
	ck_assert_int_eq(d[1].to, 1);
	ck_assert_int_eq(d[2].to, 1); /* idle: left where it is */
	ck_assert_int_eq(d[3].to, 1);
	/* the loaded ones leave the pinned worker for the two empty ones */
	ck_assert(d[4].to != 1 && d[5].to != 1 && d[4].to != d[5].to);
	ck_assert_uint_eq(r.moves, 2);
	/* no idle threshold (the out-of-process scheduler's): only zero loads stay */
	struct balance_opts all = {0.25, false, 0};

	ck_assert_int_eq(balance_plan(d, 6, w, 3, &all, &r), 0);
	ck_assert_int_eq(d[2].to, 1);
	ck_assert_int_eq(d[3].to, 2);
	ck_assert_uint_eq(r.moves, 3);
}
END_TEST

START_TEST(nothing_to_do_without_load)
{
	struct balance_worker w[] = {{1, 0}, {2, 0}};
	struct balance_dir d[] = {D(0, 0, 0, 0, 1), D(0, 1, 0, 0, 1), D(1, 0, 0, 0, 1)};
	struct balance_result r;

	ck_assert_int_eq(balance_plan(d, 3, w, 2, &dflt, &r), 0);
	ck_assert_uint_eq(r.groups, 0);
	ck_assert_uint_eq(r.moves, 0);
	ck_assert_int_eq(balance_plan(d, 0, w, 2, &dflt, &r), 0);
	ck_assert_double_eq(balance_score((double[]){0, 0}, 2), 0);
}
END_TEST

/* Two nodes: workers 1,2 on node 0, 3,4 on node 1; relays with their VF on one node. */
START_TEST(per_node_groups_keep_relays_on_their_node)
{
	struct balance_worker w[] = {{1, 0}, {2, 0}, {3, 1}, {4, 1}};
	struct balance_dir d[] = {
		D(0, 0, 0.6, 0, 1), D(0, 1, 0.6, 0, 1), /* node 0, both on worker 1 */
		D(1, 0, 0.6, 1, 1), D(1, 1, 0.6, 1, 3), /* VF on node 1, one direction on node 0 */
		D(2, 0, 0.2, 1, 3),
	};
	struct balance_result r;

	ck_assert_int_eq(balance_plan(d, 5, w, 4, &dflt, &r), 0);
	ck_assert_uint_eq(r.groups, 2);
	ck_assert_uint_eq(r.applied, 2);
	/* node 0's two loaded directions: one on each of its workers */
	ck_assert((d[0].to == 1 && d[1].to == 2) || (d[0].to == 2 && d[1].to == 1));
	/* relay 1 belongs on node 1: its VF->VM comes home, beside its VM->VF's worker */
	ck_assert(d[2].to == 3 || d[2].to == 4);
	ck_assert(d[3].to == 3 || d[3].to == 4);
	ck_assert(d[2].to != d[3].to);
	ck_assert(d[4].to == 3 || d[4].to == 4);
}
END_TEST

START_TEST(global_numa_is_one_group_and_unknown_node_stays_local)
{
	struct balance_worker w[] = {{1, 0}, {2, 1}};
	struct balance_dir d[] = {D(0, 0, 0.5, 0, 1), D(0, 1, 0.5, 0, 1)};
	struct balance_dir u[] = {D(0, 0, 0.5, -1, 1), D(0, 1, 0.5, 5, 1)};
	struct balance_opts global = {0.25, true, BALANCE_IDLE_LOAD};
	struct balance_result r;

	/* per node: node 0 has one worker, nothing to even */
	ck_assert_int_eq(balance_plan(d, 2, w, 2, &dflt, &r), 0);
	ck_assert_uint_eq(r.moves, 0);
	/* across nodes: one goes to node 1's worker */
	ck_assert_int_eq(balance_plan(d, 2, w, 2, &global, &r), 0);
	ck_assert_uint_eq(r.groups, 1);
	ck_assert_uint_eq(r.moves, 1);
	ck_assert_int_eq(d[1].to, 2);
	/* a node unknown or without workers: the group of the worker it is on */
	ck_assert_int_eq(balance_plan(u, 2, w, 2, &dflt, &r), 0);
	ck_assert_uint_eq(r.moves, 0);
}
END_TEST

START_TEST(rejects_unknown_cpu)
{
	struct balance_worker w[] = {{1, 0}};
	struct balance_dir d[] = {D(0, 0, 0.5, 0, 7)};
	struct balance_result r;

	ck_assert_int_eq(balance_plan(d, 1, w, 1, &dflt, &r), -EINVAL);
	ck_assert_int_eq(balance_plan(d, 1, w, 0, &dflt, &r), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("balance");
	TCase *tc = tcase_create("balance");

	tcase_add_test(tc, two_loaded_relays_on_one_worker_spread);
	tcase_add_test(tc, balanced_stays_and_sensitivity_holds_small_gains);
	tcase_add_test(tc, pins_and_idle_directions_stay);
	tcase_add_test(tc, nothing_to_do_without_load);
	tcase_add_test(tc, per_node_groups_keep_relays_on_their_node);
	tcase_add_test(tc, global_numa_is_one_group_and_unknown_node_stays_local);
	tcase_add_test(tc, rejects_unknown_cpu);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
