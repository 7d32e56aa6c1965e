/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_place.c: where a new relay direction goes (relay/place.c), on fake topologies: the
 * relay's NUMA node first, then measured load, then the number of directions.
 */
#include "unit.h"

#include "relay_pure.h"

/* Two nodes: workers 0 and 1 on node 0, 2 and 3 on node 1. */
static const struct relay_worker_view two_nodes[] = {
	{0, 600, 2}, /* node 0, busy */
	{0, 100, 5}, /* node 0, light but many directions */
	{1, 0, 0},   /* node 1, idle */
	{1, 30, 0},  /* node 1, within the tie margin of the idle one */
};

START_TEST(node_of_the_relay_wins_over_an_idle_remote_worker)
{
	/* a VF on node 0: the lighter node-0 worker, though node 1 has an idle one */
	ck_assert_int_eq(relay_pick_worker(two_nodes, 4, 0), 1);
	/* a VF on node 1: loads 0 and 30 per mille tie; equal directions: the first */
	ck_assert_int_eq(relay_pick_worker(two_nodes, 4, 1), 2);
}
END_TEST

START_TEST(unknown_node_or_no_local_worker_takes_any)
{
	ck_assert_int_eq(relay_pick_worker(two_nodes, 4, -1), 2);
	ck_assert_int_eq(relay_pick_worker(two_nodes, 4, 7), 2);
	ck_assert_int_eq(relay_pick_worker(two_nodes, 0, 0), -1);
}
END_TEST

START_TEST(ties_go_to_fewer_directions)
{
	const struct relay_worker_view w[] = {{0, 300, 4}, {0, 330, 1}, {0, 500, 0}};

	ck_assert_int_eq(relay_pick_worker(w, 3, 0), 1);
	ck_assert_int_eq(relay_pick_worker(w, 1, 0), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("place");
	TCase *tc = tcase_create("place");

	tcase_add_test(tc, node_of_the_relay_wins_over_an_idle_remote_worker);
	tcase_add_test(tc, unknown_node_or_no_local_worker_takes_any);
	tcase_add_test(tc, ties_go_to_fewer_directions);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
