/* SPDX-License-Identifier: BSD-3-Clause */
/* test_relay.c: the relay engine in-process on virtual devices (EAL --no-huge, net_null VFs). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <rte_memzone.h>
#include <pthread.h>

#include "relay_int.h"
#include "unit_eal.h"

static char dir[] = "/tmp/vfwd-relay-XXXXXX";

static void sock_path(unsigned int id, char *buf, size_t len)
{
	ck_assert_int_eq(relay_socket_path(dir, "vf%u.sock", id, buf, len), 0);
}

static bool exists(unsigned int id)
{
	char p[PATH_MAX];

	sock_path(id, p, sizeof(p));
	return access(p, F_OK) == 0;
}

static struct relay_snapshot snap(unsigned int id)
{
	struct relay_snapshot s;

	ck_assert_int_eq(relay_snapshot_get(id, &s), 0);
	return s;
}

START_TEST(pins_outside_workers_refused)
{
	struct relay_params p = unit_params;

	p.pins[2].cpu[RELAY_VM_TO_VF] = 0; /* the main lcore */
	ck_assert_int_eq(relay_engine_start(&p), -EINVAL);
	p = unit_params;
	cpuset_add(&p.workers, 0);
	ck_assert_int_eq(relay_engine_start(&p), -EINVAL);
}
END_TEST

/* Without -d every relay id has its socket from the start; VFs come and go under it. */
START_TEST(add_remove_and_errors)
{
	unsigned int ids[RELAY_MAX];
	uint16_t ports = rte_eth_dev_count_avail();
	struct relay_snapshot s;

	ck_assert_uint_eq(relay_list(ids), relay_max());
	for (unsigned int id = 0; id < relay_max(); id++)
		ck_assert(exists(id));
	ck_assert(!exists(relay_max()));
	s = snap(0);
	ck_assert_str_eq(relay_vf_state_name(s.vf_side, s.vm_side), "DPDK_UNINIT");
	ck_assert_int_eq(s.cpu[RELAY_VF_TO_VM], -1); /* nothing to poll: nothing published */
	ck_assert_int_eq(s.cpu[RELAY_VM_TO_VF], -1);

	ck_assert_int_eq(relay_add(0, "net_null0"), 0);
	s = snap(0);
	ck_assert_str_eq(relay_vf_state_name(s.vf_side, s.vm_side), "DPDK_ADDED");
	ck_assert_str_eq(relay_vm_state_name(s.vm_side), "VIRTIO_UNINIT");
	ck_assert_str_eq(s.dev, "net_null0");
	ck_assert_int_eq(s.cpu[RELAY_VF_TO_VM], 1);
	ck_assert_int_eq(s.cpu[RELAY_VM_TO_VF], 1);
	ck_assert_int_eq(s.vid, -1);

	ck_assert_int_eq(relay_add(0, "net_null1"), -EEXIST);
	ck_assert_int_eq(relay_add(1, "net_null0"), -EBUSY);
	ck_assert_int_eq(relay_add(relay_max(), "net_null1"), -ERANGE);
	ck_assert_ptr_nonnull(strstr(relay_last_error(), "RTE_MAX_ETHPORTS"));
	ck_assert_int_eq(relay_add(1, ""), -EINVAL);
	ck_assert_int_lt(relay_add(2, "net_no_such_driver0"), 0);
	ck_assert_int_lt(relay_add(2, "0000:ff:1f.6"), 0); /* no such PCI device */
	s = snap(2);
	ck_assert_int_eq(s.vf_side, RELAY_SIDE_NONE); /* a failed add leaves the relay as it was */
	ck_assert_str_eq(s.dev, "");
	ck_assert(exists(2));
	ck_assert_uint_eq(rte_eth_dev_count_avail(), ports + 1);

	ck_assert_int_eq(relay_remove(0), 0);
	ck_assert(exists(0)); /* the socket stays */
	ck_assert_int_eq(relay_remove(0), -ENOENT);
	s = snap(0);
	ck_assert_str_eq(relay_vf_state_name(s.vf_side, s.vm_side), "DPDK_UNINIT");
	ck_assert_int_eq(s.cpu[RELAY_VF_TO_VM], -1);
	ck_assert_uint_eq(rte_eth_dev_count_avail(), ports);
	/* The device is free again; the counters of relay 0 were kept. */
	ck_assert_int_eq(relay_add(5, "net_null0"), 0);
	ck_assert_int_eq(relay_remove(5), 0);
}
END_TEST

/*
 * A relay's pool holds what its rings, bursts and lcore caches can hold, no more (not the next
 * 2^n - 1); without hugepages its mbufs may straddle pages, so with IO addresses that are
 * virtual addresses each mbuf's IO address is its virtual one (a device could DMA into it).
 */
START_TEST(pool_sized_exactly_with_io_addresses)
{
	struct rte_mempool *mp;
	struct rte_mbuf *m;

	ck_assert_int_eq(relay_add(3, "net_null3"), 0);
	mp = rte_mempool_lookup("relay3");
	ck_assert_ptr_nonnull(mp);
	ck_assert_uint_eq(mp->size, 512 + 512 + 2 * 32 + rte_lcore_count() * 32 * 3 / 2);
	m = rte_pktmbuf_alloc(mp);
	ck_assert_ptr_nonnull(m);
	if (rte_eal_iova_mode() == RTE_IOVA_VA)
		ck_assert(rte_mbuf_iova_get(m) == (rte_iova_t)(uintptr_t)m->buf_addr);
	else
		ck_assert(rte_mbuf_iova_get(m) != RTE_BAD_IOVA);
	rte_pktmbuf_free(m);
	ck_assert_int_eq(relay_remove(3), 0);
}
END_TEST

/* --vf-ring-size: the pool that fills the VF's rings follows it (net_null tells no ring size). */
START_TEST(pool_follows_ring_size)
{
	struct relay_params p = unit_params;
	struct rte_mempool *mp;

	relay_engine_stop();
	p.vf_ring_size = 128;
	ck_assert_int_eq(relay_engine_start(&p), 0);
	ck_assert_int_eq(relay_add(3, "net_null3"), 0);
	mp = rte_mempool_lookup("relay3");
	ck_assert_ptr_nonnull(mp);
	ck_assert_uint_eq(mp->size, 128 + 128 + 2 * 32 + rte_lcore_count() * 32 * 3 / 2);
	ck_assert_int_eq(relay_remove(3), 0);
}
END_TEST

/* All @n mbufs of @mp taken from this thread, in bulks of 32, then of 1; how many. */
static unsigned int take_all(struct rte_mempool *mp, struct rte_mbuf **m, unsigned int n)
{
	unsigned int got = 0;

	while (got + 32 <= n && !rte_pktmbuf_alloc_bulk(mp, &m[got], 32))
		got += 32;
	while (got < n && (m[got] = rte_pktmbuf_alloc(mp)))
		got++;
	return got;
}

static void *other_thread(void *arg)
{
	struct rte_mbuf *m[10];

	ck_assert_int_eq(rte_pktmbuf_alloc_bulk(arg, m, 10), 0);
	rte_pktmbuf_free_bulk(m, 10);
	return NULL;
}

/*
 * The relays' pools carry caches for the lcores that exist, not DPDK's 128 (1 MB a pool): the
 * pool's header stays small; every mbuf can be taken from one lcore and comes back; a bulk
 * is all or nothing; what sits in a cache counts as available.
 */
START_TEST(pool_caches_for_lcores_that_exist)
{
	const unsigned int n = 200;
	struct rte_mbuf *m[200];
	const struct rte_memzone *mz;
	struct rte_mempool *mp;
	pthread_t t;

	mp = relay_pool_create("cachetest", n, RTE_MBUF_DEFAULT_DATAROOM, SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(mp);
	ck_assert_str_eq(rte_mempool_get_ops(mp->ops_index)->name, "vfwd_lcore");
	mz = rte_memzone_lookup("MP_cachetest");
	ck_assert_ptr_nonnull(mz);
	ck_assert_uint_lt(mz->len, 64 * 1024); /* with DPDK's cache: 1 MB and more */
	ck_assert_uint_eq(rte_mempool_avail_count(mp), n);

	ck_assert_uint_eq(take_all(mp, m, n), n);
	ck_assert_uint_eq(rte_mempool_avail_count(mp), 0);
	ck_assert_ptr_null(rte_pktmbuf_alloc(mp));
	rte_pktmbuf_free_bulk(m, 100); /* most of it to the ring, a cache's worth kept */
	for (unsigned int i = 100; i < n; i++)
		rte_pktmbuf_free(m[i]);
	ck_assert_uint_eq(rte_mempool_avail_count(mp), n);
	ck_assert_uint_eq(rte_mempool_in_use_count(mp), 0);

	ck_assert_uint_eq(take_all(mp, m, n - 10), n - 10);
	ck_assert_int_lt(rte_pktmbuf_alloc_bulk(mp, &m[n - 10], 32), 0);
	ck_assert_uint_eq(rte_mempool_avail_count(mp), 10); /* the failed bulk took nothing */
	rte_pktmbuf_free_bulk(m, n - 10);
	/* A thread that is no lcore goes to the ring. */
	ck_assert_int_eq(pthread_create(&t, NULL, other_thread, mp), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_uint_eq(take_all(mp, m, n), n);
	rte_pktmbuf_free_bulk(m, n);
	ck_assert_uint_eq(rte_mempool_avail_count(mp), n);
	rte_mempool_free(mp);
	ck_assert_ptr_null(rte_memzone_lookup("MP_cachetest"));
}
END_TEST

/* At start a stale socket is replaced; any other file at a socket path stops the start. */
START_TEST(stale_socket_replaced_other_files_kept)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char p[PATH_MAX];
	int fd;

	relay_engine_stop();
	sock_path(3, sa.sun_path, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd); /* a stale socket file, nobody listening */
	ck_assert_int_eq(relay_engine_start(&unit_params), 0);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0); /* ours now */
	close(fd);
	relay_engine_stop();
	ck_assert(!exists(3)); /* a clean stop takes its sockets away */

	sock_path(4, p, sizeof(p));
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(relay_engine_start(&unit_params), -EEXIST);
	ck_assert_ptr_nonnull(strstr(relay_last_error(), "not a socket"));
	ck_assert_int_eq(access(p, F_OK), 0); /* not ours: left alone */
	ck_assert(!exists(3));		      /* and the others were taken back */
	unlink(p);
}
END_TEST

/* -d: no socket at start; ADD_SOCK's path comes with its VF and goes with REMOVE_SOCK. */
START_TEST(dynamic_sockets)
{
	struct relay_params p = unit_params;
	const char *dev = "net_null2";
	unsigned int ids[RELAY_MAX];
	char path[PATH_MAX];

	relay_engine_stop();
	p.dynamic = true;
	ck_assert_int_eq(relay_engine_start(&p), 0);
	ck_assert_uint_eq(relay_list(ids), 0);
	ck_assert(!exists(0));
	snprintf(path, sizeof(path), "%s/vm-a.sock", dir);
	ck_assert_int_eq(relay_add_at(4, &dev, 1, 1, NULL, path), 0);
	ck_assert_int_eq(access(path, F_OK), 0);
	ck_assert_int_eq(relay_find_by_path(path), 4);
	ck_assert_int_eq(relay_add_at(5, &dev, 1, 1, NULL, path), -EBUSY);
	ck_assert_int_eq(relay_remove_sock(4), 0);
	ck_assert_int_ne(access(path, F_OK), 0);
	ck_assert_uint_eq(relay_list(ids), 0);
	ck_assert_int_eq(relay_remove_sock(4), -ENOENT);
	/* A VF without a socket (plain ADD in -d): the relay goes when its VF does. */
	ck_assert_int_eq(relay_add(6, dev), 0);
	ck_assert(!snap(6).has_socket);
	ck_assert_int_eq(relay_remove(6), 0);
	ck_assert_uint_eq(relay_list(ids), 0);
}
END_TEST

/* Every received frame is counted once: sent, dropped full, or dropped not connected. */
START_TEST(counts_not_connected_drops)
{
	struct relay_snapshot s;

	ck_assert_int_eq(relay_add(6, "net_null6,size=100"), 0);
	rte_delay_us_sleep(100 * 1000);
	s = snap(6);
	ck_assert_uint_gt(s.c[RELAY_VF_TO_VM].rx_pkts, 0);
	ck_assert_uint_le(s.c[RELAY_VF_TO_VM].down_pkts, s.c[RELAY_VF_TO_VM].rx_pkts);
	ck_assert_uint_ge(s.c[RELAY_VF_TO_VM].down_pkts + RELAY_BURST, s.c[RELAY_VF_TO_VM].rx_pkts);
	ck_assert_uint_eq(s.c[RELAY_VF_TO_VM].tx_pkts, 0);
	ck_assert_uint_eq(s.c[RELAY_VF_TO_VM].full_pkts, 0);
	ck_assert_uint_eq(s.c[RELAY_VM_TO_VF].rx_pkts, 0);
	ck_assert_int_eq(relay_remove(6), 0);
}
END_TEST

/* Relays come and go while another carries traffic: its counters keep moving. */
START_TEST(churn_does_not_disturb_others)
{
	uint64_t before, after;

	ck_assert_int_eq(relay_add(10, "net_null10"), 0);
	rte_delay_us_sleep(20 * 1000);
	before = snap(10).c[RELAY_VF_TO_VM].rx_pkts;
	for (unsigned int i = 0; i < 20; i++) {
		ck_assert_int_eq(relay_add(11 + i % 3, "net_null11"), 0);
		after = snap(10).c[RELAY_VF_TO_VM].rx_pkts;
		ck_assert_uint_gt(after, before);
		before = after;
		ck_assert_int_eq(relay_remove(11 + i % 3), 0);
	}
	ck_assert_str_eq(relay_vf_state_name(snap(10).vf_side, snap(10).vm_side), "DPDK_ADDED");
	ck_assert_int_eq(relay_remove(10), 0);
}
END_TEST

/* Two workers (lcores 1 and 2): directions go to the least-loaded one unless pinned. */
START_TEST(placement_least_loaded_and_pins)
{
	struct relay_params p = unit_params;
	struct relay_snapshot s;

	relay_engine_stop();
	cpuset_add(&p.workers, 2);
	p.pins[9].cpu[RELAY_VF_TO_VM] = 2;
	p.pins[9].cpu[RELAY_VM_TO_VF] = 2;
	ck_assert_int_eq(relay_engine_start(&p), 0);
	ck_assert_int_eq(relay_add(7, "net_null7,no-rx=1"), 0);
	s = snap(7);
	ck_assert_int_ne(s.cpu[RELAY_VF_TO_VM], s.cpu[RELAY_VM_TO_VF]);
	ck_assert_int_eq(relay_add(8, "net_null8,no-rx=1"), 0);
	s = snap(8);
	ck_assert_int_ne(s.cpu[RELAY_VF_TO_VM], s.cpu[RELAY_VM_TO_VF]);
	ck_assert_int_eq(relay_add(9, "net_null9,no-rx=1"), 0);
	s = snap(9);
	ck_assert_int_eq(s.cpu[RELAY_VF_TO_VM], 2);
	ck_assert_int_eq(s.cpu[RELAY_VM_TO_VF], 2);
	/* Lcore 1 now serves 2 directions, lcore 2 serves 4: the next two go to 1. */
	ck_assert_int_eq(relay_add(10, "net_null10,no-rx=1"), 0);
	s = snap(10);
	ck_assert_int_eq(s.cpu[RELAY_VF_TO_VM], 1);
	ck_assert_int_eq(s.cpu[RELAY_VM_TO_VF], 1);
	for (unsigned int id = 7; id <= 10; id++)
		ck_assert_int_eq(relay_remove(id), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("relay");
	TCase *start = tcase_create("engine_start"), *tc = tcase_create("engine");

	if (unit_eal_init("test_relay", dir, &unit_params))
		return EXIT_FAILURE;
	tcase_add_test(start, pins_outside_workers_refused);
	tcase_add_checked_fixture(tc, unit_engine_start, unit_engine_stop);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, add_remove_and_errors);
	tcase_add_test(tc, pool_sized_exactly_with_io_addresses);
	tcase_add_test(tc, pool_caches_for_lcores_that_exist);
	tcase_add_test(tc, pool_follows_ring_size);
	tcase_add_test(tc, stale_socket_replaced_other_files_kept);
	tcase_add_test(tc, dynamic_sockets);
	tcase_add_test(tc, counts_not_connected_drops);
	tcase_add_test(tc, churn_does_not_disturb_others);
	tcase_add_test(tc, placement_least_loaded_and_pins);
	suite_add_tcase(s, start);
	suite_add_tcase(s, tc);
	return unit_eal_run(s, dir);
}
