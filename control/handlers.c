/* SPDX-License-Identifier: BSD-3-Clause */
/* handlers.c: port-control and config requests: validate, act on the relay table, reply. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>
#include <rte_version.h>

#include "ctl.h"
#include "relay.h"
#include "stats.h"
#include "virtioforwarder.pb-c.h"
#include "vlog.h"

#define MAX_BOND_MEMBERS 8

typedef Virtioforwarder__PortControlRequest PcReq;
typedef Virtioforwarder__PortControlResponse PcResp;

/*
 * Outcome of one request: OK, or ERROR with the reference's error_code and error_code_source
 * (reference-behaviour.md 4.1: scripts match them) and, ours, the reason in words. A request
 * the reference calls invalid gets no code and no source.
 */
#define NO_CODE INT_MIN

struct outcome {
	bool failed;
	bool changed; /* the relay table changed: save it */
	int code;     /* NO_CODE: none */
	const char *source;
	char why[320];
};

/* The reference's error_code_source of each operation. */
#define SRC_ADD		"virtio_forwarder_add_vf2()"
#define SRC_REMOVE	"virtio_forwarder_remove_vf2()"
#define SRC_BOND	"virtio_forwarder_bond_add()"
#define SRC_ADD_SOCK	"virtio_add_sock_dev_pair()"
#define SRC_REMOVE_SOCK "virtio_remove_sock_dev_pair()"
#define SRC_QUERY_PCI	"virtio_query_pci()"

static int fail(struct outcome *o, int code, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct outcome *o, int code, const char *source, const char *fmt, ...)
{
	va_list ap;

	o->failed = true;
	o->code = code;
	o->source = source;
	va_start(ap, fmt);
	vsnprintf(o->why, sizeof(o->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* An invalid request: ERROR without error_code or error_code_source. */
#define invalid(o, ...) fail(o, NO_CODE, NULL, __VA_ARGS__)

/* "DDDD:BB:SS.F" of a PciAddress: the reference's spelling, upper-case hex. */
static void pci_format(uint32_t domain, uint32_t bus, uint32_t slot, uint32_t fn, char *buf,
		       size_t len)
{
	snprintf(buf, len, "%04X:%02X:%02X.%X", domain, bus, slot, fn);
}

/*
 * The VFs a request names: PCI addresses, else device strings (ours); 2..8 make a bond, which
 * needs a name, as in the reference. @need: ADD and ADD_SOCK need at least one.
 */
static int req_devices(const PcReq *rq, char devs[MAX_BOND_MEMBERS][RELAY_DEV_LEN], unsigned int *n,
		       bool need, struct outcome *o)
{
	size_t k = rq->n_pci_addrs ? rq->n_pci_addrs : rq->n_device;
	bool named = rq->name && rq->name[0];

	*n = 0;
	if (k > MAX_BOND_MEMBERS)
		return invalid(o, "%zu addresses given; a bond has at most %d", k,
			       MAX_BOND_MEMBERS);
	if (need && k == 0)
		return invalid(o, "no VF given: set pci_addrs (or device)");
	if (need && named && k < 2)
		return invalid(o, "a bond (name %s) needs 2 or more VFs", rq->name);
	if (need && !named && k > 1)
		return invalid(o, "%zu VFs without a bond name", k);
	for (size_t i = 0; i < k; i++) {
		if (rq->n_pci_addrs) {
			const Virtioforwarder__PciAddress *a = rq->pci_addrs[i];

			if (a->domain > 0xffff || a->bus > 0xff || a->slot > 0x1f ||
			    a->function > 7)
				return invalid(
					o,
					"PCI address %x:%x:%x.%x out of range (dddd:bb:ss.f, "
					"slot <= 1f, function <= 7)",
					a->domain, a->bus, a->slot, a->function);
			pci_format(a->domain, a->bus, a->slot, a->function, devs[i], RELAY_DEV_LEN);
		} else {
			if (!rq->device[i][0] || strlen(rq->device[i]) >= RELAY_DEV_LEN)
				return invalid(o, "device string empty or longer than %d",
					       RELAY_DEV_LEN - 1);
			snprintf(devs[i], RELAY_DEV_LEN, "%s", rq->device[i]);
		}
	}
	*n = (unsigned int)k;
	return 0;
}

/* The relay id of ADD/REMOVE: missing is invalid, past the cap is code 1. */
static int req_relay_id(const PcReq *rq, const char *source, struct outcome *o)
{
	if (!rq->has_virtio_id)
		return invalid(o, "virtio_id missing");
	if (rq->virtio_id >= relay_max())
		return fail(o, 1, source, "virtio_id %u out of range 0..%u%s", rq->virtio_id,
			    relay_max() - 1,
			    relay_max() < RELAY_MAX ? " (the linked DPDK's ethdev ports: "
						      "RTE_MAX_ETHPORTS)"
						    : "");
	return 0;
}

static bool same_dev(const char *a, const char *b)
{
	char na[RELAY_DEV_LEN], nb[RELAY_DEV_LEN];

	if (relay_pci_normalize(a, na, sizeof(na)) && relay_pci_normalize(b, nb, sizeof(nb)))
		return !strcmp(na, nb);
	return !strcmp(a, b);
}

/* Does relay @id consist of exactly the VFs @devs? */
static bool same_members(unsigned int id, char devs[MAX_BOND_MEMBERS][RELAY_DEV_LEN],
			 unsigned int n)
{
	char have[RELAY_BOND_MAX][RELAY_DEV_LEN];
	unsigned int k = relay_members(id, have);

	if (k != n)
		return false;
	for (unsigned int i = 0; i < n; i++)
		if (!same_dev(have[i], devs[i]))
			return false;
	return true;
}

/* Relay @id has VF @dev (for a bond: as a member)? */
static bool has_member(unsigned int id, const char *dev)
{
	return relay_find_by_dev(dev) == (int)id;
}

/* The reference's code for the step where relay_add*() failed (its table in 4.1). */
static int add_code(bool bond, int ret)
{
	switch (relay_last_step()) {
	case RELAY_STEP_CHECK:
		return ret == -ERANGE ? 1 : bond && ret == -EBUSY ? 3 : 8;
	case RELAY_STEP_SOCKET:
		return 5;
	case RELAY_STEP_PROBE:
		return 2;
	case RELAY_STEP_MEMBER:
		return ret == -EBUSY ? 3 : 5;
	case RELAY_STEP_CONFIGURE:
		return 4;
	case RELAY_STEP_POOL:
		return -1;
	case RELAY_STEP_RXQ:
		return bond ? 4 : 5;
	case RELAY_STEP_TXQ:
		return bond ? 4 : 6;
	case RELAY_STEP_START:
		return bond ? 6 : 1;
	case RELAY_STEP_WORKER:
		return 1;
	}
	return -1;
}

static int op_add(const PcReq *rq, struct outcome *o)
{
	char devs[MAX_BOND_MEMBERS][RELAY_DEV_LEN];
	const char *ptrs[MAX_BOND_MEMBERS];
	struct relay_snapshot s;
	const char *src;
	unsigned int n;
	int ret;

	if (req_devices(rq, devs, &n, true, o))
		return -1;
	src = n > 1 ? SRC_BOND : SRC_ADD;
	if (req_relay_id(rq, src, o))
		return -1;
	if (rq->has_mode && rq->mode > 6)
		return invalid(o, "bond mode %u out of range 0..6", rq->mode);
	if (relay_snapshot_get(rq->virtio_id, &s) == 0 && s.vf_side != RELAY_SIDE_NONE) {
		if (rq->conditional && same_members(rq->virtio_id, devs, n))
			return 0; /* identical pairing: nothing to do */
		return fail(o, 8, src, "relay %u already has VF %s%s", rq->virtio_id, s.dev,
			    rq->conditional ? "" : " (conditional off)");
	}
	for (unsigned int i = 0; i < n; i++)
		ptrs[i] = devs[i];
	ret = relay_add_bond(rq->virtio_id, ptrs, n, rq->has_mode ? rq->mode : 1,
			     rq->name && rq->name[0] ? rq->name : NULL);
	if (ret)
		return fail(o, add_code(n > 1, ret), src, "%s", relay_last_error());
	ctl_persist_mark(rq->virtio_id, true);
	o->changed = true;
	return 0;
}

/* REMOVE names the relay's VF (for a bond: any of its members); none compares as "". */
static int op_remove(const PcReq *rq, struct outcome *o)
{
	char devs[MAX_BOND_MEMBERS][RELAY_DEV_LEN] = {""};
	struct relay_snapshot s;
	unsigned int n;
	int ret;

	if (req_relay_id(rq, SRC_REMOVE, o) || req_devices(rq, devs, &n, false, o))
		return -1;
	if (relay_snapshot_get(rq->virtio_id, &s) || (s.vf_side == RELAY_SIDE_NONE && !s.vf_lost)) {
		if (rq->conditional)
			return 0; /* already gone */
		return fail(o, 4, SRC_REMOVE, "relay %u has no VF", rq->virtio_id);
	}
	if (!has_member(rq->virtio_id, devs[0]))
		return fail(o, 3, SRC_REMOVE, "relay %u has VF %s, not '%s'", rq->virtio_id, s.dev,
			    devs[0]);
	ret = relay_remove(rq->virtio_id);
	if (ret)
		return fail(o, 5, SRC_REMOVE, "%s", relay_last_error());
	ctl_persist_mark(rq->virtio_id, false);
	o->changed = true;
	return 0;
}

/*
 * ADD_SOCK: the lowest relay id with neither socket nor VF gets vhost_path and the VF(s). The
 * reference ignores virtio_id here. Without --dynamic-sockets every id has its socket: 2 (1
 * when the path is one of them).
 */
static int op_add_sock(const struct ctl_config *cfg, const PcReq *rq, struct outcome *o)
{
	char devs[MAX_BOND_MEMBERS][RELAY_DEV_LEN];
	const char *ptrs[MAX_BOND_MEMBERS];
	unsigned int n;
	int id, ret;

	if (req_devices(rq, devs, &n, true, o))
		return -1;
	if (!rq->vhost_path || !rq->vhost_path[0])
		return fail(o, -1, SRC_ADD_SOCK, "ADD_SOCK needs vhost_path");
	id = relay_find_by_path(rq->vhost_path);
	if (id >= 0) {
		if (same_members((unsigned int)id, devs, n) && rq->conditional)
			return 0;
		return fail(o, 1, SRC_ADD_SOCK, "socket %s already belongs to relay %d",
			    rq->vhost_path, id);
	}
	if (!cfg->dynamic_sockets)
		return fail(o, 2, SRC_ADD_SOCK,
			    "every relay has its socket already (ADD_SOCK needs the daemon started "
			    "with --dynamic-sockets)");
	if (rq->has_virtio_id)
		VLOG(WARNING,
		     "port control ADD_SOCK: virtio_id %u ignored; the lowest free relay "
		     "is used",
		     rq->virtio_id);
	if ((id = relay_free_id()) < 0)
		return fail(o, 2, SRC_ADD_SOCK, "all %u relays are in use", relay_max());
	for (unsigned int i = 0; i < n; i++)
		ptrs[i] = devs[i];
	ret = relay_add_at((unsigned int)id, ptrs, n, rq->has_mode ? rq->mode : 1,
			   rq->name && rq->name[0] ? rq->name : NULL, rq->vhost_path);
	if (ret) {
		int code = relay_last_step() == RELAY_STEP_SOCKET		    ? 5
			   : relay_last_step() == RELAY_STEP_CHECK && ret == -EBUSY ? -17
			   : n > 1						    ? 4
										    : 3;

		return fail(o, code, SRC_ADD_SOCK, "%s", relay_last_error());
	}
	ctl_persist_mark((unsigned int)id, true);
	o->changed = true;
	return 0;
}

/* REMOVE_SOCK: the relay whose socket is vhost_path, or whose VF is named. */
static int op_remove_sock(const PcReq *rq, struct outcome *o)
{
	char devs[MAX_BOND_MEMBERS][RELAY_DEV_LEN];
	unsigned int n = 0;
	bool path = rq->vhost_path && rq->vhost_path[0], had_vf;
	struct relay_snapshot s;
	int id = -1, ret;

	if (req_devices(rq, devs, &n, false, o))
		return -1;
	if (!path && !n)
		return fail(o, -1, SRC_REMOVE_SOCK, "REMOVE_SOCK needs vhost_path or pci_addrs");
	if (path)
		id = relay_find_by_path(rq->vhost_path);
	if (!path)
		id = relay_find_by_dev(devs[0]);
	if (id < 0) {
		if (rq->conditional)
			return 0;
		return fail(o, 1, SRC_REMOVE_SOCK, "no relay has %s %s", path ? "socket" : "VF",
			    path ? rq->vhost_path : devs[0]);
	}
	if (n && !has_member((unsigned int)id, devs[0]))
		return fail(o, 2, SRC_REMOVE_SOCK, "socket %s is relay %d's, not %s's",
			    rq->vhost_path, id, devs[0]);
	had_vf = relay_snapshot_get((unsigned int)id, &s) == 0 && s.vf_side != RELAY_SIDE_NONE;
	ret = relay_remove_sock((unsigned int)id);
	if (ret)
		return fail(o, had_vf ? 4 : 3, SRC_REMOVE_SOCK, "%s", relay_last_error());
	ctl_persist_mark((unsigned int)id, false);
	o->changed = true;
	return 0;
}

/* The VF of the relay whose socket is vhost_path; "" (and OK) while it has none. */
static int op_query_pci(const PcReq *rq, struct outcome *o, char *answer, size_t len)
{
	struct relay_snapshot s;
	int id;

	if (!rq->vhost_path || !rq->vhost_path[0])
		return invalid(o, "QUERY_PCI needs vhost_path");
	id = relay_find_by_path(rq->vhost_path);
	if (id < 0 || relay_snapshot_get((unsigned int)id, &s))
		return fail(o, 2, SRC_QUERY_PCI, "no relay has socket %s", rq->vhost_path);
	if (s.vf_side == RELAY_SIDE_NONE)
		return 0;
	snprintf(answer, len, "%s", s.dev);
	return 0;
}

static void dispatch(const struct ctl_config *cfg, const PcReq *rq, struct outcome *o, char *answer,
		     size_t len)
{
	switch (rq->op) {
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD:
		op_add(rq, o);
		break;
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__REMOVE:
		op_remove(rq, o);
		break;
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD_SOCK:
		op_add_sock(cfg, rq, o);
		break;
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__REMOVE_SOCK:
		op_remove_sock(rq, o);
		break;
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__QUERY_PCI:
		op_query_pci(rq, o, answer, len);
		break;
	default:
		invalid(o,
			"unknown op %d (0 ADD, 1 REMOVE, 2 ADD_SOCK, 3 REMOVE_SOCK, 4 QUERY_PCI)",
			(int)rq->op);
	}
}

/*
 * Clients choose what we log: at most 10 refusals a second reach the log, the
 * rest are counted and summed up in the next line that gets through.
 */
static bool refusal_log_allowed(unsigned int *suppressed)
{
	static uint64_t window;
	static unsigned int logged, dropped;
	uint64_t now = stats_now_ns() / 1000000000ull;

	if (now != window) {
		window = now;
		logged = 0;
	}
	if (logged >= 10) {
		dropped++;
		*suppressed = UINT_MAX; /* this one is not logged either */
		return false;
	}
	logged++;
	*suppressed = dropped;
	dropped = 0;
	return true;
}

static const char *op_name(int op)
{
	static const char *const names[] = {"ADD", "REMOVE", "ADD_SOCK", "REMOVE_SOCK",
					    "QUERY_PCI"};

	return op >= 0 && op < 5 ? names[op] : "unknown op";
}

static ssize_t pack_reply(const ProtobufCMessage *m, uint8_t **out)
{
	size_t n = protobuf_c_message_get_packed_size(m);

	*out = malloc(n ? n : 1);
	if (!*out)
		return -ENOMEM;
	return (ssize_t)protobuf_c_message_pack(m, *out);
}

ssize_t ctl_port_control(const struct ctl_config *cfg, const uint8_t *req, size_t len,
			 uint8_t **out)
{
	PcResp resp = VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__INIT;
	struct outcome o = {0};
	char answer[RELAY_DEV_LEN] = "";
	PcReq *rq = NULL;
	ssize_t n;

	if (len == 0)
		invalid(&o, "empty message");
	else if (len > CTL_MAX_REQUEST)
		invalid(&o, "request of %zu bytes exceeds %zu", len, CTL_MAX_REQUEST);
	else if (!(rq = virtioforwarder__port_control_request__unpack(NULL, len, req)))
		invalid(&o, "not a valid PortControlRequest (%zu bytes)", len);
	else
		dispatch(cfg, rq, &o, answer, sizeof(answer));

	if (o.failed) {
		unsigned int suppressed;

		resp.status = VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__ERROR;
		resp.has_error_code = o.code != NO_CODE;
		resp.error_code = o.code != NO_CODE ? o.code : 0;
		resp.error_code_source = (char *)o.source;
		resp.error_text = o.why;
		if (refusal_log_allowed(&suppressed) && suppressed)
			VLOG(WARNING, "port control: %u refusals not logged (over 10 a second)",
			     suppressed);
		if (suppressed != UINT_MAX)
			VLOG(WARNING, "port control %s refused (error_code %s%d): %s",
			     rq ? op_name(rq->op) : "request", o.code != NO_CODE ? "" : "none, ",
			     o.code != NO_CODE ? o.code : 0, o.why);
	} else if (rq) { /* nothing failed: the request was parsed */
		resp.status = VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__OK;
		if (o.changed)
			ctl_persist_save(cfg);
		if (answer[0])
			resp.query_string = answer;
		if (rq->has_virtio_id)
			VLOG(INFO, "port control %s relay %u: OK", op_name(rq->op), rq->virtio_id);
		else
			VLOG(INFO, "port control %s %s: OK", op_name(rq->op),
			     rq->vhost_path ? rq->vhost_path : "");
	}
	n = pack_reply(&resp.base, out);
	if (rq)
		virtioforwarder__port_control_request__free_unpacked(rq, NULL);
	return n;
}

ssize_t ctl_config_handle(const uint8_t *req, size_t len, uint8_t **out)
{
	Virtioforwarder__ConfigResponse resp = VIRTIOFORWARDER__CONFIG_RESPONSE__INIT;
	Virtioforwarder__RelayCPU cpus[RELAY_MAX], *ptrs[RELAY_MAX];
	Virtioforwarder__ConfigRequest *rq = NULL;
	unsigned int ids[RELAY_MAX], n = 0;
	char features[160];
	struct relay_snapshot s;
	ssize_t ret;

	if (len <= CTL_MAX_REQUEST)
		rq = virtioforwarder__config_request__unpack(NULL, len, req);
	if (!rq) {
		resp.status = VIRTIOFORWARDER__CONFIG_RESPONSE__STATUS__EBADR;
		VLOG(WARNING, "config: bad request of %zu bytes", len);
		return pack_reply(&resp.base, out);
	}
	virtioforwarder__config_request__free_unpacked(rq, NULL);
	resp.status = VIRTIOFORWARDER__CONFIG_RESPONSE__STATUS__OK;
	resp.daemon_version = "virtio-forwarder " VFWD_VERSION;
	resp.dpdk_version = (char *)rte_version();
	/* What this daemon does beyond the reference, and how many relays it can have. */
	snprintf(features, sizeof(features),
		 "device-strings,device-aliases,telemetry,stats-json,stats-prometheus,"
		 "rolling-rates,ovsdb,ipc-file,relays=%u",
		 relay_max());
	resp.features = features;
	for (unsigned int i = 0, k = relay_list(ids); i < k; i++) {
		/* Live assignments: relays whose directions are on a worker now. */
		if (relay_snapshot_get(ids[i], &s) ||
		    (s.cpu[RELAY_VF_TO_VM] < 0 && s.cpu[RELAY_VM_TO_VF] < 0))
			continue;
		virtioforwarder__relay_cpu__init(&cpus[n]);
		cpus[n].relay_number = (int32_t)s.id;
		cpus[n].vf2virtio_cpu = s.cpu[RELAY_VF_TO_VM];
		cpus[n].virtio2vf_cpu = s.cpu[RELAY_VM_TO_VF];
		ptrs[n] = &cpus[n];
		n++;
	}
	resp.n_relay_cpu_map = n;
	resp.relay_cpu_map = ptrs;
	ret = pack_reply(&resp.base, out);
	return ret;
}
