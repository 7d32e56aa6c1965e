/* SPDX-License-Identifier: BSD-3-Clause */
/* snapshot.c: what other threads read of the relay table: lists, snapshots, members, a log. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "relay_int.h"

unsigned int relay_members(unsigned int id, char out[RELAY_BOND_MAX][RELAY_DEV_LEN])
{
	unsigned int n = 0;

	engine_lock();
	if (id < RELAY_MAX && engine_relay(id))
		for (n = 0; n < engine_relay(id)->nb_members; n++)
			snprintf(out[n], RELAY_DEV_LEN, "%s", engine_relay(id)->member[n].dev);
	engine_unlock();
	return n;
}

int relay_socket_name(unsigned int id, char *buf, size_t len)
{
	if (id >= RELAY_MAX)
		return -ERANGE;
	return relay_socket_path(engine_params()->vhost_dir, engine_params()->pattern, id, buf,
				 len);
}

int relay_find_by_path(const char *path)
{
	const struct relay *r;
	int id;

	engine_lock();
	r = engine_find_by_path(path);
	id = r ? (int)r->id : -ENOENT;
	engine_unlock();
	return id;
}

unsigned int relay_list(unsigned int out[RELAY_MAX])
{
	unsigned int n = 0;

	engine_lock();
	for (unsigned int i = 0; i < RELAY_MAX; i++)
		if (engine_relay(i))
			out[n++] = i;
	engine_unlock();
	return n;
}

/* Add @c (read with relaxed loads: another thread writes it) to @out. */
static void counters_add(const struct relay_counters *c, struct relay_counters *out)
{
	const uint64_t *src = (const uint64_t *)c;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*c) / sizeof(uint64_t); i++)
		dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

int relay_snapshot_get(unsigned int id, struct relay_snapshot *out)
{
	const struct relay *r;

	if (id >= RELAY_MAX)
		return -ENOENT;
	engine_lock();
	r = engine_relay(id);
	if (!r) {
		engine_unlock();
		return -ENOENT;
	}
	memset(out, 0, sizeof(*out));
	out->id = id;
	out->vf_side = (enum relay_side)__atomic_load_n(&r->vf_side, __ATOMIC_ACQUIRE);
	out->vm_side = (enum relay_side)__atomic_load_n(&r->vm_side, __ATOMIC_ACQUIRE);
	out->has_socket = r->sock_open;
	snprintf(out->dev, sizeof(out->dev), "%s", r->dev);
	snprintf(out->devargs, sizeof(out->devargs), "%s", r->devargs);
	snprintf(out->path, sizeof(out->path), "%s", r->path);
	out->port = r->port;
	out->socket_id = r->socket_id;
	out->vid = __atomic_load_n(&r->vid, __ATOMIC_ACQUIRE);
	out->nr_vring = __atomic_load_n(&r->nr_vring, __ATOMIC_RELAXED);
	out->nb_members = r->nb_members;
	out->bond_mode = r->bond_mode;
	snprintf(out->bond_name, sizeof(out->bond_name), "%s", r->bond_name);
	out->link_up = __atomic_load_n(&r->link_up, __ATOMIC_RELAXED);
	out->link_speed = __atomic_load_n(&r->link_speed, __ATOMIC_RELAXED);
	out->vf_mtu = __atomic_load_n(&r->vf_mtu, __ATOMIC_RELAXED);
	out->guest_mtu = __atomic_load_n(&r->guest_mtu, __ATOMIC_RELAXED);
	vf_watch_snapshot(r, out);
	if (r->pool) {
		out->mbufs = r->pool->size;
		out->mbufs_in_use = rte_mempool_in_use_count(r->pool);
	}
	out->nb_lanes = r->nb_lanes;
	for (int d = 0; d < 2; d++) {
		out->cpu[d] = r->lane[0][d].cpu;
		out->pinned[d] = engine_params()->pins[r->id].cpu[d] >= 0;
		/* Counters stay when the lanes change: every lane's, ever used or not, add up. */
		for (unsigned int l = 0; l < RELAY_MAX_LANES; l++) {
			const struct relay_dir *dir = &r->lane[l][d];
			struct relay_counters one = {0};

			counters_add(&dir->c, &one);
			counters_add(&one, &out->c[d]);
			if (l < r->nb_lanes) {
				out->lane[l].cpu[d] = dir->cpu;
				out->lane[l].rx_pkts[d] = one.rx_pkts;
				out->lane[l].busy_cycles[d] = one.busy_cycles;
			}
		}
	}
	engine_unlock();
	return 0;
}

void relay_log_all(void)
{
	unsigned int ids[RELAY_MAX], n = relay_list(ids), busy = 0;
	struct relay_snapshot s;

	for (unsigned int i = 0; i < n; i++)
		busy += relay_snapshot_get(ids[i], &s) == 0 &&
			(s.vf_side != RELAY_SIDE_NONE || s.vm_side != RELAY_SIDE_NONE);
	VLOG(NOTICE, "%u relay(s) with a VF or a guest, of %u sockets", busy, n);
	for (unsigned int i = 0; i < n; i++) {
		/* The idle sockets of every relay id say nothing worth a line each. */
		if (relay_snapshot_get(ids[i], &s) ||
		    (s.vf_side == RELAY_SIDE_NONE && s.vm_side == RELAY_SIDE_NONE))
			continue;
		for (int d = 0; d < 2; d++) {
			const struct relay_counters *c = &s.c[d];

			VLOG(NOTICE,
			     "relay %u %s %s/%s: rx %" PRIu64 " pkts %" PRIu64 " bytes, tx %" PRIu64
			     " pkts %" PRIu64 " bytes, dropped full %" PRIu64
			     ", not connected %" PRIu64 ", oversize %" PRIu64,
			     s.id, d == RELAY_VF_TO_VM ? "vf_to_vm" : "vm_to_vf",
			     relay_vf_state_name(s.vf_side, s.vm_side),
			     relay_vm_state_name(s.vm_side), c->rx_pkts, c->rx_bytes, c->tx_pkts,
			     c->tx_bytes, c->full_pkts, c->down_pkts, c->big_pkts);
		}
	}
}
