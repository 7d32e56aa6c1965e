/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_place.c: where a new relay direction goes (relay/place.c), on fake topologies: the
 * relay's NUMA node first, then measured load, then the number of directions; and the guest
 * RX queues each lane of a relay serves.
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

START_TEST(lanes_share_out_the_guest_queues)
{
	uint8_t q[64];

	/* one lane: every enabled queue */
	ck_assert_uint_eq(relay_lane_rxqs(0xb, 1, 0, q), 3);
	ck_assert(q[0] == 0 && q[1] == 1 && q[2] == 3);
	/* 2 lanes, 4 queues: 0 and 2 for lane 0, 1 and 3 for lane 1 */
	ck_assert_uint_eq(relay_lane_rxqs(0xf, 2, 0, q), 2);
	ck_assert(q[0] == 0 && q[1] == 2);
	ck_assert_uint_eq(relay_lane_rxqs(0xf, 2, 1, q), 2);
	ck_assert(q[0] == 1 && q[1] == 3);
	/* 4 lanes, a 1-queue guest: every lane shares queue 0 */
	for (unsigned int l = 0; l < 4; l++) {
		ck_assert_uint_eq(relay_lane_rxqs(0x1, 4, l, q), 1);
		ck_assert_uint_eq(q[0], 0);
	}
	/* 4 lanes, queues 0 and 1 enabled: lanes 2 and 3 share them in turn */
	ck_assert_uint_eq(relay_lane_rxqs(0x3, 4, 2, q), 1);
	ck_assert_uint_eq(q[0], 0);
	ck_assert_uint_eq(relay_lane_rxqs(0x3, 4, 3, q), 1);
	ck_assert_uint_eq(q[0], 1);
	/* nothing enabled: nothing to serve; queue 63 is reachable */
	ck_assert_uint_eq(relay_lane_rxqs(0, 2, 0, q), 0);
	ck_assert_uint_eq(relay_lane_rxqs(1ull << 63, 2, 1, q), 1);
	ck_assert_uint_eq(q[0], 63);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("place");
	TCase *tc = tcase_create("place");

	tcase_add_test(tc, node_of_the_relay_wins_over_an_idle_remote_worker);
	tcase_add_test(tc, unknown_node_or_no_local_worker_takes_any);
	tcase_add_test(tc, ties_go_to_fewer_directions);
	tcase_add_test(tc, lanes_share_out_the_guest_queues);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
