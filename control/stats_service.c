/* SPDX-License-Identifier: BSD-3-Clause */
/* stats_service.c: StatsRequest -> StatsResponse, rates per request window or rolling window. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>

#include "ctl.h"
#include "relay.h"
#include "stats.h"
#include "virtioforwarder.pb-c.h"
#include "vlog.h"

typedef Virtioforwarder__RelayState RelayState;
typedef Virtioforwarder__StatsResponse StatsResponse;

struct ctl_stats_req {
	bool include_inactive;
	unsigned int n;
	unsigned int ids[RELAY_MAX];
	uint32_t delay_ms;
	struct stats_sample start[RELAY_MAX]; /* window start when delay_ms > 0 */
};

/* Storage of one RelayState and everything it points to. */
struct relay_msg {
	RelayState rs;
	Virtioforwarder__RelayState__CPU cpu;
	Virtioforwarder__RelayState__VHOST vhost;
	Virtioforwarder__RelayState__VF vf;
	Virtioforwarder__RelayState__VFtoVM a;
	Virtioforwarder__RelayState__VMtoVF b;
	char path[PATH_MAX];
	char dev[RELAY_DEV_LEN];
	char ident[RELAY_DEV_LEN];
	char guest_mac[18];
	char rx_irq[16];
	char mac_state[16];
};

void ctl_stats_req_free(struct ctl_stats_req *q)
{
	free(q);
}

static ssize_t pack_status(int status, uint8_t **out)
{
	StatsResponse resp = VIRTIOFORWARDER__STATS_RESPONSE__INIT;
	size_t n;

	resp.status = status;
	n = virtioforwarder__stats_response__get_packed_size(&resp);
	*out = malloc(n ? n : 1);
	if (!*out)
		return -ENOMEM;
	return (ssize_t)virtioforwarder__stats_response__pack(&resp, *out);
}

struct ctl_stats_req *ctl_stats_parse(const uint8_t *req, size_t len, uint64_t now_ns,
				      uint32_t *delay_ms, uint8_t **out, ssize_t *out_len)
{
	Virtioforwarder__StatsRequest *rq = NULL;
	struct ctl_stats_req *q = NULL;
	int status = VIRTIOFORWARDER__STATS_RESPONSE__STATUS__EBADR;
	const char *why = "not a valid StatsRequest";

	if (len > CTL_MAX_REQUEST)
		why = "request too large";
	else
		rq = virtioforwarder__stats_request__unpack(NULL, len, req);
	if (!rq)
		goto out_refuse;
	if (rq->n_relay > RELAY_MAX) {
		status = VIRTIOFORWARDER__STATS_RESPONSE__STATUS__E2BIG;
		why = "more than 64 relays asked";
		goto out_refuse;
	}
	why = "relay id out of range 0..63, or delay over 60000 ms";
	for (size_t i = 0; i < rq->n_relay; i++)
		if (rq->relay[i] >= RELAY_MAX)
			goto out_refuse;
	if (rq->delay > CTL_MAX_DELAY_MS)
		goto out_refuse;
	q = calloc(1, sizeof(*q));
	if (!q) {
		status = VIRTIOFORWARDER__STATS_RESPONSE__STATUS__ENOMEM;
		why = "out of memory";
		goto out_refuse;
	}
	q->include_inactive = rq->include_inactive;
	q->delay_ms = rq->delay;
	q->n = (unsigned int)rq->n_relay;
	for (unsigned int i = 0; i < q->n; i++)
		q->ids[i] = rq->relay[i];
	if (q->n == 0)
		for (q->n = 0; q->n < RELAY_MAX; q->n++)
			q->ids[q->n] = q->n;
	if (q->delay_ms)
		for (unsigned int i = 0; i < q->n; i++)
			stats_sample_take(q->ids[i], now_ns, &q->start[q->ids[i]]);
	*delay_ms = q->delay_ms;
	virtioforwarder__stats_request__free_unpacked(rq, NULL);
	return q;

out_refuse:
	VLOG(WARNING, "stats: request of %zu bytes refused: %s", len, why);
	if (rq)
		virtioforwarder__stats_request__free_unpacked(rq, NULL);
	*out_len = pack_status(status, out);
	return NULL;
}

/*
 * VFtoVM and VMtoVF are mirror images with the same field numbers (1 active, 2
 * internal_state, the rest stats_field_value's). One filler walks either message's
 * descriptor; optional fields are present when the relay exists.
 */
static void fill_dir(ProtobufCMessage *msg, bool active, const char *state, bool exists,
		     const struct relay_counters *c, const struct stats_rates *rt)
{
	const ProtobufCMessageDescriptor *desc = msg->descriptor;
	char *base = (char *)msg;
	uint64_t count;
	float rate;

	for (unsigned int i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &desc->fields[i];

		if (f->id == 1)
			*(protobuf_c_boolean *)(base + f->offset) = active;
		else if (f->id == 2)
			*(const char **)(base + f->offset) = state;
		switch (stats_field_value(f->id, c, rt, &count, &rate)) {
		case STATS_FIELD_NONE:
			continue;
		case STATS_FIELD_RATE:
			*(float *)(base + f->offset) = rate;
			break;
		case STATS_FIELD_COUNTER:
			*(uint64_t *)(base + f->offset) = count;
			break;
		}
		if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
			*(protobuf_c_boolean *)(base + f->quantifier_offset) = exists;
	}
}

/*
 * The reference's presence rules: a direction's CPU and counters are sent only while it is
 * active (VF->VM: the VF is there; VM->VF: the guest is), its rates always.
 */
static void fill_dirs(struct relay_msg *m, const struct relay_snapshot *s, bool vf_up, bool vm_up,
		      const struct stats_rates rt[2])
{
	virtioforwarder__relay_state__vfto_vm__init(&m->a);
	fill_dir(&m->a.base, vf_up, relay_vf_state_name(s->vf_side, s->vm_side), vf_up,
		 &s->c[RELAY_VF_TO_VM], &rt[RELAY_VF_TO_VM]);
	virtioforwarder__relay_state__vmto_vf__init(&m->b);
	fill_dir(&m->b.base, vm_up, relay_vm_state_name(s->vm_side), vm_up, &s->c[RELAY_VM_TO_VF],
		 &rt[RELAY_VM_TO_VF]);
}

/* Fill @m for relay @id; false when it is to be left out. */
static bool fill_relay(struct relay_msg *m, unsigned int id, const struct ctl_stats_req *q,
		       uint64_t now_ns)
{
	struct relay_snapshot s = {.vf_side = RELAY_SIDE_NONE, .vm_side = RELAY_SIDE_NONE};
	struct stats_rates rt[2] = {0};
	struct stats_sample end;
	bool exists = relay_snapshot_get(id, &s) == 0;
	bool vf_up = exists && s.vf_side == RELAY_SIDE_UP;
	bool vm_up = exists && s.vm_side == RELAY_SIDE_UP;

	if (id >= relay_max() || (!q->include_inactive && !relay_active(s.vf_side, s.vm_side)))
		return false;
	if (exists && q->delay_ms) {
		stats_sample_take(id, now_ns, &end);
		stats_rates_compute(&q->start[id], &end, rt);
	} else if (exists) {
		stats_rolling_rates(id, rt);
	}
	virtioforwarder__relay_state__init(&m->rs);
	m->rs.id = id;
	m->rs.active = relay_active(s.vf_side, s.vm_side);
	virtioforwarder__relay_state__vhost__init(&m->vhost);
	snprintf(m->path, sizeof(m->path), "%s", s.has_socket ? s.path : "NONE");
	m->vhost.vhost_socket_name = m->path;
	m->vhost.has_mtu = vm_up && s.guest_mtu != 0;
	m->vhost.mtu = s.guest_mtu;
	m->rs.vhost = &m->vhost;
	m->rs.socket_id = vf_up && s.socket_id >= 0 ? (uint32_t)s.socket_id : UINT32_MAX;
	if (vf_up || s.vf_lost) {
		snprintf(m->dev, sizeof(m->dev), "%s", s.dev);
		snprintf(m->ident, sizeof(m->ident), "%s", s.devargs);
		m->rs.ident = m->ident;
		virtioforwarder__relay_state__vf__init(&m->vf);
		m->vf.pci_addr_str = m->dev;
		m->vf.has_link_up = m->vf.has_link_speed = m->vf.has_mtu = vf_up;
		m->vf.link_up = s.link_up;
		m->vf.link_speed = s.link_speed;
		m->vf.mtu = s.vf_mtu;
		m->vf.has_lost = true;
		m->vf.lost = s.vf_lost;
		snprintf(m->rx_irq, sizeof(m->rx_irq), "%s", s.rx_irq);
		m->vf.rx_interrupts = m->rx_irq;
		snprintf(m->guest_mac, sizeof(m->guest_mac), "%s", s.guest_mac);
		snprintf(m->mac_state, sizeof(m->mac_state), "%s", s.mac_state);
		if (m->guest_mac[0]) {
			m->vf.guest_mac = m->guest_mac;
			m->vf.guest_mac_state = m->mac_state[0] ? m->mac_state : "own";
		}
		m->rs.vf = &m->vf;
	}
	virtioforwarder__relay_state__cpu__init(&m->cpu);
	m->cpu.has_vf_to_vm = vf_up && s.cpu[RELAY_VF_TO_VM] >= 0;
	m->cpu.vf_to_vm = s.cpu[RELAY_VF_TO_VM];
	m->cpu.has_vm_to_vf = vm_up && s.cpu[RELAY_VM_TO_VF] >= 0;
	m->cpu.vm_to_vf = s.cpu[RELAY_VM_TO_VF];
	m->cpu.has_vf_to_vm_pinned = m->cpu.vf_to_vm_pinned = s.pinned[RELAY_VF_TO_VM];
	m->cpu.has_vm_to_vf_pinned = m->cpu.vm_to_vf_pinned = s.pinned[RELAY_VM_TO_VF];
	m->rs.cpu = &m->cpu;
	fill_dirs(m, &s, vf_up, vm_up, rt);
	m->rs.vf_to_vm = &m->a;
	m->rs.vm_to_vf = &m->b;
	return true;
}

/* Every worker's load over the rolling window. */
static size_t workers_fill(Virtioforwarder__WorkerLoad *msgs, Virtioforwarder__WorkerLoad **ptrs)
{
	static struct stats_worker w[CPUSET_MAX];
	unsigned int n = stats_rolling_workers(w, CPUSET_MAX);

	for (unsigned int i = 0; i < n; i++) {
		virtioforwarder__worker_load__init(&msgs[i]);
		msgs[i].lcore = w[i].lcore;
		msgs[i].load_pct = w[i].load_pct;
		msgs[i].busy_cycles = w[i].busy_cycles;
		msgs[i].has_irq_sleeps = true;
		msgs[i].irq_sleeps = w[i].irq_sleeps;
		ptrs[i] = &msgs[i];
	}
	return n;
}

ssize_t ctl_stats_answer(struct ctl_stats_req *q, uint64_t now_ns, uint8_t **out)
{
	StatsResponse resp = VIRTIOFORWARDER__STATS_RESPONSE__INIT;
	struct relay_msg *msgs = calloc(RELAY_MAX, sizeof(*msgs));
	RelayState *ptrs[RELAY_MAX];
	static Virtioforwarder__WorkerLoad wmsgs[CPUSET_MAX], *wptrs[CPUSET_MAX];
	ssize_t ret = -ENOMEM;
	size_t n = 0, len;

	if (!msgs) {
		ret = pack_status(VIRTIOFORWARDER__STATS_RESPONSE__STATUS__ENOMEM, out);
		goto out_free;
	}
	for (unsigned int i = 0; i < q->n; i++)
		if (fill_relay(&msgs[n], q->ids[i], q, now_ns)) {
			ptrs[n] = &msgs[n].rs;
			n++;
		}
	resp.status = VIRTIOFORWARDER__STATS_RESPONSE__STATUS__OK;
	resp.n_relay = n;
	resp.relay = ptrs;
	resp.n_worker = workers_fill(wmsgs, wptrs);
	resp.worker = wptrs;
	len = virtioforwarder__stats_response__get_packed_size(&resp);
	*out = malloc(len ? len : 1);
	if (*out)
		ret = (ssize_t)virtioforwarder__stats_response__pack(&resp, *out);
out_free:
	free(msgs);
	ctl_stats_req_free(q);
	return ret;
}
