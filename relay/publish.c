/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * publish.c: what the workers are given of the relay table: a relay's two directions published
 * while it has a VF or a guest (relay_sync), taken back with or without what they held, moved
 * live between workers (relay_move), and the workers' own state for the control plane.
 * Control thread.
 */
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>

#include <rte_vhost.h>

#include "relay_int.h"

/* The relay's NUMA node: its VF's, else its guest memory's; -1 when neither is known. */
static int relay_node(const struct relay *r)
{
	int vid = __atomic_load_n(&r->vid, __ATOMIC_ACQUIRE);

	if (r->vf_open)
		return r->socket_id;
	return vid >= 0 ? rte_vhost_get_numa_node(vid) : -1;
}

/* Publish both directions while the relay has a VF or a guest, neither otherwise. */
int relay_sync(struct relay *r)
{
	bool want = r->vf_open || __atomic_load_n(&r->vid, __ATOMIC_ACQUIRE) >= 0;
	int ret = 0, node = relay_node(r);

	if (want == r->published)
		return 0;
	if (!want) {
		relay_unpublish(r);
		return 0;
	}
	if (!r->vf_open)
		ret = dir_drop_pool(); /* a guest first: what it sends is dropped */
	/*
	 * One unit at a time, to the least loaded worker then: with equal loads, a direction's
	 * queue pairs go to different workers, and the two directions of one queue pair together.
	 */
	for (int d = 0; d < 2 && !ret; d++)
		for (unsigned int l = 0; l < r->nb_lanes && !ret; l++)
			ret = worker_attach(&r->lane[l][d], engine_params()->pins[r->id].cpu[d],
					    node);
	if (ret) {
		RERR("relay %u: cannot give its directions to a worker: %s", r->id, strerror(-ret));
		relay_unpublish(r);
		return ret;
	}
	r->published = true;
	return 0;
}

/* Every lane of @r, unpublished lanes too (a no-op for them), whatever nb_lanes says now. */
void relay_pause(struct relay *r)
{
	for (unsigned int l = 0; l < RELAY_MAX_LANES; l++)
		for (int d = 0; d < 2; d++)
			worker_unpublish(&r->lane[l][d]);
	r->published = false;
}

void relay_unpublish(struct relay *r)
{
	for (unsigned int l = 0; l < RELAY_MAX_LANES; l++)
		for (int d = 0; d < 2; d++)
			worker_detach(&r->lane[l][d]);
	r->published = false;
}

void relay_events_handle(void)
{
	eventfd_t v;

	if (relay_event_fd() >= 0)
		(void)eventfd_read(relay_event_fd(), &v);
	for (unsigned int i = 0; i < RELAY_MAX; i++)
		if (engine_relay(i)) {
			vf_requests_handle(engine_relay(i));
			relay_sync(engine_relay(i));
		}
}

/* Move one published lane's direction @dir to @cpu (a worker CPU). */
static int lane_move(struct relay *r, struct relay_dir *dir, int cpu)
{
	const char *name = dir->id == RELAY_VF_TO_VM ? "VF->VM" : "VM->VF";
	int from = dir->cpu, ret;
	char lane[24] = "";

	if (from == cpu)
		return 0;
	worker_unpublish(dir);
	/* Counted while no worker has the direction (its counters' line stays the worker's). */
	__atomic_store_n(&dir->c.moves, dir->c.moves + 1, __ATOMIC_RELAXED);
	ret = worker_attach(dir, cpu, -1);
	if (ret)
		__atomic_store_n(&dir->c.moves, dir->c.moves - 1, __ATOMIC_RELAXED);
	if (ret && worker_attach(dir, from, -1)) {
		RERR("relay %u: %s on no worker: %s", r->id, name, strerror(-ret));
		return ret;
	}
	if (r->nb_lanes > 1)
		snprintf(lane, sizeof(lane), " of queue pair %u", dir->lane);
	VLOG(INFO, "relay %u: %s%s moved from CPU %d to %d", r->id, name, lane, from,
	     ret ? from : cpu);
	return ret;
}

int relay_move_lane(unsigned int id, enum relay_dir_id d, int lane, int cpu)
{
	struct relay *r = engine_relay(id);
	int ret = 0;

	relay_error_clear();
	if (cpu < 0 || !cpuset_has(&engine_params()->workers, (unsigned int)cpu)) {
		RERR("CPU %d is not a worker CPU", cpu);
		return -EINVAL;
	}
	if (!r || !r->published) {
		RERR("relay %u is on no worker (no VF, no guest)", id);
		return -ENOENT;
	}
	if (lane >= (int)r->nb_lanes) {
		RERR("relay %u has %u queue pair(s), no %d", id, r->nb_lanes, lane);
		return -ENOENT;
	}
	for (unsigned int l = 0; l < r->nb_lanes && !ret; l++)
		if (lane < 0 || (unsigned int)lane == l)
			ret = lane_move(r, &r->lane[l][d], cpu);
	return ret;
}

int relay_move(unsigned int id, enum relay_dir_id d, int cpu)
{
	return relay_move_lane(id, d, -1, cpu);
}

unsigned int relay_worker_cpus(unsigned int *out, unsigned int max)
{
	unsigned int n = 0;

	for (int c = cpuset_next(&engine_params()->workers, 0); c >= 0 && n < max;
	     c = cpuset_next(&engine_params()->workers, (unsigned int)c + 1))
		out[n++] = (unsigned int)c;
	return n;
}

int relay_workers_check(void)
{
	return engine_started() ? workers_progressed() : -1;
}

void relay_test_stall_worker(void)
{
	workers_stall_one();
}

unsigned int relay_workers_load(struct relay_worker_load *out, unsigned int max)
{
	return engine_started() ? workers_load(out, max) : 0;
}

void relay_test_slow_grace(unsigned int us)
{
	workers_slow_grace(us);
}

void relay_test_irq_sleep(unsigned int ms)
{
	workers_irq_sleep(ms);
}
