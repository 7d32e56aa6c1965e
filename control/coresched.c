/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * coresched.c: the core-scheduler service (-s, the reference's CoreSchedRequest): the worker
 * CPUs, and moves of relay directions between workers at run time (relay_move: unpublish,
 * grace period, publish; nothing lost, one worker per queue).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_log.h>

#include "ctl.h"
#include "relay.h"
#include "virtioforwarder.pb-c.h"
#include "vlog.h"

typedef Virtioforwarder__CoreSchedRequest CsReq;
typedef Virtioforwarder__CoreSchedResponse CsResp;

#define SRC_UPDATE "migrate_relay_cpus()"

static ssize_t pack(const CsResp *resp, uint8_t **out)
{
	size_t n = virtioforwarder__core_sched_response__get_packed_size(resp);

	*out = malloc(n ? n : 1);
	if (!*out)
		return -ENOMEM;
	return (ssize_t)virtioforwarder__core_sched_response__pack(resp, *out);
}

static bool is_worker(int cpu, const unsigned int *cpus, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if ((int)cpus[i] == cpu)
			return true;
	return false;
}

/* Check every entry first, then move: a refused request changes nothing. */
static int update(const CsReq *rq, char *why, size_t len)
{
	unsigned int cpus[CPUSET_MAX], n = relay_worker_cpus(cpus, CPUSET_MAX);
	struct relay_snapshot s;

	for (size_t i = 0; i < rq->n_relay_cpu_map; i++) {
		const Virtioforwarder__RelayCPU *e = rq->relay_cpu_map[i];

		if (e->relay_number < 0 || (unsigned int)e->relay_number >= relay_max()) {
			snprintf(why, len, "relay %d out of range 0..%u", e->relay_number,
				 relay_max() - 1);
			return 1;
		}
		if (!is_worker(e->vf2virtio_cpu, cpus, n) ||
		    !is_worker(e->virtio2vf_cpu, cpus, n)) {
			snprintf(why, len, "relay %d: CPUs %d,%d are not both worker CPUs",
				 e->relay_number, e->vf2virtio_cpu, e->virtio2vf_cpu);
			return 2;
		}
	}
	for (size_t i = 0; i < rq->n_relay_cpu_map; i++) {
		const Virtioforwarder__RelayCPU *e = rq->relay_cpu_map[i];
		unsigned int id = (unsigned int)e->relay_number;

		/* As the reference: each side only while it is there, else a word and on. */
		if (relay_snapshot_get(id, &s) ||
		    (s.vf_side != RELAY_SIDE_UP && s.vm_side != RELAY_SIDE_UP)) {
			VLOG(WARNING, "core sched: relay %u has neither VF nor guest; not moved",
			     id);
			continue;
		}
		if (relay_move(id, RELAY_VF_TO_VM, e->vf2virtio_cpu) ||
		    relay_move(id, RELAY_VM_TO_VF, e->virtio2vf_cpu)) {
			snprintf(why, len, "%s", relay_last_error());
			return 3;
		}
	}
	return 0;
}

ssize_t ctl_core_sched(const uint8_t *req, size_t len, uint8_t **out)
{
	CsResp resp = VIRTIOFORWARDER__CORE_SCHED_RESPONSE__INIT;
	unsigned int cpus[CPUSET_MAX];
	CsReq *rq = NULL;
	char why[200] = "";
	ssize_t ret;
	int code;

	resp.status = VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__ERROR;
	if (len <= CTL_MAX_REQUEST)
		rq = virtioforwarder__core_sched_request__unpack(NULL, len, req);
	if (!rq) {
		VLOG(WARNING, "core sched: not a valid CoreSchedRequest (%zu bytes)", len);
		return pack(&resp, out); /* the reference's: ERROR, no code */
	}
	if (rq->op == VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__GET_EAL_CORES) {
		resp.n_eal_cores = relay_worker_cpus(cpus, CPUSET_MAX);
		resp.eal_cores = cpus;
		resp.status = VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__OK;
	} else if (rq->n_relay_cpu_map == 0) {
		VLOG(WARNING, "core sched: UPDATE with an empty map refused");
	} else if ((code = update(rq, why, sizeof(why))) != 0) {
		resp.has_error_code = 1;
		resp.error_code = code;
		resp.error_code_source = SRC_UPDATE;
		VLOG(WARNING, "core sched: UPDATE refused: %s", why);
	} else {
		resp.status = VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__OK;
		VLOG(INFO, "core sched: UPDATE of %zu relay(s) done", rq->n_relay_cpu_map);
	}
	ret = pack(&resp, out);
	virtioforwarder__core_sched_request__free_unpacked(rq, NULL);
	return ret;
}
