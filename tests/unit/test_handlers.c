/* SPDX-License-Identifier: BSD-3-Clause */
/* test_handlers.c: control request handlers against a live relay table (net_null VFs). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl.h"
#include "stats.h"
#include "unit_eal.h"
#include "virtioforwarder.pb-c.h"

typedef Virtioforwarder__PortControlRequest PcReq;
typedef Virtioforwarder__PortControlResponse PcResp;

static char dir[] = "/tmp/vfwd-relay-XXXXXX";
static struct ctl_config cfg = {.ipc_gid = (gid_t)-1};

/* Run one port-control request; returns the unpacked reply (caller frees). */
static PcResp *pc(Virtioforwarder__PortControlRequest__Op op, int id, const char *dev,
		  int conditional, const char *path)
{
	PcReq rq = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__INIT;
	char *devs[1] = {(char *)dev};
	uint8_t buf[1024], *out = NULL;
	PcResp *resp;
	ssize_t n;

	rq.op = op;
	if (id >= 0)
		rq.has_virtio_id = 1, rq.virtio_id = (uint32_t)id;
	if (dev)
		rq.n_device = 1, rq.device = devs;
	if (conditional >= 0)
		rq.has_conditional = 1, rq.conditional = conditional;
	rq.vhost_path = (char *)path;
	n = ctl_port_control(&cfg, buf, virtioforwarder__port_control_request__pack(&rq, buf),
			     &out);
	ck_assert_int_gt(n, 0);
	resp = virtioforwarder__port_control_response__unpack(NULL, (size_t)n, out);
	free(out);
	ck_assert_ptr_nonnull(resp);
	return resp;
}

#define NONE	INT_MIN /* an invalid request: no error_code, no error_code_source */
#define ADD_SRC "virtio_forwarder_add_vf2()"
#define RM_SRC	"virtio_forwarder_remove_vf2()"
#define AS_SRC	"virtio_add_sock_dev_pair()"
#define RS_SRC	"virtio_remove_sock_dev_pair()"
#define QP_SRC	"virtio_query_pci()"

/*
 * @r is OK (@code 0) or ERROR with the reference's @code and @source (reference-behaviour.md
 * 4.1), and our reason containing @text.
 */
static void expect_src(PcResp *r, int code, const char *source, const char *text)
{
	if (code == 0) {
		ck_assert_msg(r->status == VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__OK,
			      "expected OK, got %d: %s", r->error_code, r->error_text);
	} else {
		ck_assert_int_eq(r->status, VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__ERROR);
		if (code == NONE) {
			ck_assert_msg(!r->has_error_code && !r->error_code_source,
				      "invalid request answered with code %d, source %s",
				      r->error_code, r->error_code_source);
		} else {
			ck_assert(r->has_error_code);
			ck_assert_int_eq(r->error_code, code);
			ck_assert_str_eq(r->error_code_source, source);
		}
		ck_assert_msg(r->error_text && strstr(r->error_text, text), "'%s' lacks '%s'",
			      r->error_text, text);
	}
	virtioforwarder__port_control_response__free_unpacked(r, NULL);
}

#define expect(r, code, text) expect_src(r, code, NULL, text)

#define OP(x) VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__##x

START_TEST(add_conditional_remove)
{
	char path[PATH_MAX];
	PcResp *r;

	expect(pc(OP(ADD), 3, "net_null0,no-rx=1", -1, NULL), 0, NULL);
	/* an identical pairing: a no-op unless conditional is off */
	expect(pc(OP(ADD), 3, "net_null0,no-rx=1", 1, NULL), 0, NULL);
	expect_src(pc(OP(ADD), 3, "net_null0,no-rx=1", 0, NULL), 8, ADD_SRC, "conditional off");
	expect_src(pc(OP(ADD), 3, "net_null1", 1, NULL), 8, ADD_SRC, "already has VF net_null0");
	expect_src(pc(OP(ADD), 4, "net_null0,no-rx=1", 1, NULL), 8, ADD_SRC, "another relay");
	ck_assert_int_eq(relay_socket_name(3, path, sizeof(path)), 0);
	r = pc(OP(QUERY_PCI), -1, NULL, -1, path);
	ck_assert_str_eq(r->query_string, "net_null0,no-rx=1");
	expect(r, 0, NULL);
	expect_src(pc(OP(REMOVE), 3, "net_null1", 1, NULL), 3, RM_SRC, "not 'net_null1'");
	expect_src(pc(OP(REMOVE), 3, NULL, 0, NULL), 3, RM_SRC, "not ''"); /* no VF named */
	expect(pc(OP(REMOVE), 3, "net_null0,no-rx=1", 1, NULL), 0, NULL);
	/* absent: a no-op unless conditional is off */
	expect(pc(OP(REMOVE), 3, "net_null0,no-rx=1", 1, NULL), 0, NULL);
	expect_src(pc(OP(REMOVE), 3, "net_null0,no-rx=1", 0, NULL), 4, RM_SRC, "has no VF");
	/* The socket stays without its VF: QUERY_PCI answers OK with nothing. */
	r = pc(OP(QUERY_PCI), -1, NULL, -1, path);
	ck_assert(!r->query_string || !r->query_string[0]);
	expect(r, 0, NULL);
	expect_src(pc(OP(QUERY_PCI), -1, NULL, -1, "/no/such.sock"), 2, QP_SRC,
		   "no relay has socket");
	expect(pc(OP(QUERY_PCI), -1, NULL, -1, NULL), NONE, "needs vhost_path");
	/* Failures by step: probe 2 (the reference's table). */
	expect_src(pc(OP(ADD), 2, "net_no_such_pmd0", -1, NULL), 2, ADD_SRC, "DPDK rejected");
}
END_TEST

/* Without -d: ADD_SOCK 1 on a relay's own path, 2 otherwise; REMOVE_SOCK works. */
START_TEST(sockets_without_dynamic)
{
	char path[PATH_MAX];

	ck_assert_int_eq(relay_socket_name(5, path, sizeof(path)), 0);
	expect_src(pc(OP(ADD_SOCK), -1, "net_null5", -1, path), 1, AS_SRC, "belongs to relay 5");
	expect_src(pc(OP(ADD_SOCK), -1, "net_null5", -1, "/tmp/x.sock"), 2, AS_SRC,
		   "--dynamic-sockets");
	expect(pc(OP(REMOVE_SOCK), -1, NULL, 0, path), 0, NULL);
	ck_assert_int_ne(access(path, F_OK), 0); /* gone until restart */
	expect_src(pc(OP(QUERY_PCI), -1, NULL, -1, path), 2, QP_SRC, "no relay has socket");
}
END_TEST

START_TEST(dynamic_sockets)
{
	struct relay_params p = unit_params;
	char path[PATH_MAX];
	PcResp *r;

	relay_engine_stop();
	p.dynamic = true;
	ck_assert_int_eq(relay_engine_start(&p), 0);
	cfg.dynamic_sockets = true;
	snprintf(path, sizeof(path), "%s/vm-a.sock", dir);
	expect_src(pc(OP(ADD_SOCK), -1, "net_null3,no-rx=1", -1, NULL), -1, AS_SRC,
		   "needs vhost_path");
	expect(pc(OP(ADD_SOCK), -1, NULL, -1, path), NONE, "no VF given");
	expect(pc(OP(ADD_SOCK), 7, "net_null3,no-rx=1", -1, path), 0, NULL);
	ck_assert_int_eq(relay_find_by_path(path), 0); /* lowest free id, virtio_id ignored */
	ck_assert_int_eq(access(path, F_OK), 0);
	expect(pc(OP(ADD_SOCK), -1, "net_null3,no-rx=1", 1, path), 0, NULL); /* identical */
	expect_src(pc(OP(ADD_SOCK), -1, "net_null4", 1, path), 1, AS_SRC,
		   "already belongs to relay 0");
	expect_src(pc(OP(ADD_SOCK), -1, "net_null3,no-rx=1", 0, "/tmp/vfwd-other.sock"), -17,
		   AS_SRC, "already belongs to another relay");
	expect_src(pc(OP(ADD_SOCK), -1, "net_no_such_pmd0", 0, "/tmp/vfwd-other.sock"), 3, AS_SRC,
		   "DPDK rejected");
	ck_assert_int_ne(access("/tmp/vfwd-other.sock", F_OK), 0); /* nothing left */
	r = pc(OP(QUERY_PCI), -1, NULL, -1, path);
	ck_assert_str_eq(r->query_string, "net_null3,no-rx=1");
	expect(r, 0, NULL);
	expect_src(pc(OP(REMOVE_SOCK), -1, "net_null4", 0, path), 2, RS_SRC, "not net_null4");
	expect_src(pc(OP(REMOVE_SOCK), -1, NULL, 0, NULL), -1, RS_SRC, "needs vhost_path");
	expect_src(pc(OP(REMOVE_SOCK), -1, "net_null4", 0, NULL), 1, RS_SRC, "no relay has VF");
	expect(pc(OP(REMOVE_SOCK), -1, "net_null3,no-rx=1", 0, NULL), 0, NULL); /* by its VF */
	ck_assert_int_ne(access(path, F_OK), 0);
	expect_src(pc(OP(REMOVE_SOCK), -1, NULL, 0, path), 1, RS_SRC, "no relay has socket");
	expect(pc(OP(REMOVE_SOCK), -1, NULL, 1, path), 0, NULL);
	cfg.dynamic_sockets = false;
}
END_TEST

/* Interfaces to devices for -I and -O: aliases first, then sysfs (a fake tree here). */
START_TEST(netdev_mapping)
{
	struct relay_alias al = {.pci = "vf0", .dev = "net_null3,size=64"};
	struct ctl_config c = {.aliases = &al, .nb_aliases = 1};
	char root[PATH_MAX], p[PATH_MAX + 64], dev[RELAY_DEV_LEN], why[320];
	int index;

	snprintf(root, sizeof(root), "%s/sys", dir);
	snprintf(c.sysfs, sizeof(c.sysfs), "%s", root);
	const char *dirs[] = {"",
			      "/class",
			      "/class/net",
			      "/class/net/veth0",
			      "/devices",
			      "/devices/pci0000:00",
			      "/devices/pci0000:00/0000:03:00.0",
			      "/devices/pci0000:00/0000:03:10.2"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", root, dirs[i]);
		ck_assert_int_eq(mkdir(p, 0755), 0);
	}
	snprintf(p, sizeof(p), "%s/class/net/eth5", root);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/class/net/eth5/device", root);
	ck_assert_int_eq(symlink("../../../devices/pci0000:00/0000:03:10.2", p), 0);
	snprintf(p, sizeof(p), "%s/devices/pci0000:00/0000:03:10.2/physfn", root);
	ck_assert_int_eq(symlink("../0000:03:00.0", p), 0);
	snprintf(p, sizeof(p), "%s/devices/pci0000:00/0000:03:00.0/virtfn3", root);
	ck_assert_int_eq(symlink("../0000:03:10.2", p), 0);

	ck_assert_int_eq(ctl_netdev_map(&c, "eth5", dev, sizeof(dev), &index, why, sizeof(why)), 0);
	ck_assert_str_eq(dev, "0000:03:10.2");
	ck_assert_int_eq(index, 3); /* the reference's relay id: the VF's number */
	ck_assert_int_eq(ctl_netdev_map(&c, "vf0", dev, sizeof(dev), &index, why, sizeof(why)), 0);
	ck_assert_str_eq(dev, "net_null3,size=64");
	ck_assert_int_eq(index, -1);
	ck_assert_int_eq(ctl_netdev_map(&c, "veth0", dev, sizeof(dev), &index, why, sizeof(why)),
			 -ENODEV);
	ck_assert_ptr_nonnull(strstr(why, "interface veth0 has no PCI device behind it"));
	ck_assert_int_eq(ctl_netdev_map(&c, "../x", dev, sizeof(dev), &index, why, sizeof(why)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "is not an interface name"));
	snprintf(p, sizeof(p), "rm -rf -- '%s'", root);
	ck_assert_int_eq(system(p), 0);
}
END_TEST

START_TEST(pci_addresses_and_aliases)
{
	PcReq rq = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__INIT;
	Virtioforwarder__PciAddress a = VIRTIOFORWARDER__PCI_ADDRESS__INIT, *pa[9];
	uint8_t buf[512], *out = NULL;
	PcResp *resp;
	ssize_t n;

	a.domain = 0, a.bus = 2, a.slot = 8, a.function = 0;
	for (int i = 0; i < 9; i++)
		pa[i] = &a;
	rq.op = OP(ADD);
	rq.has_virtio_id = 1, rq.virtio_id = 6;
	rq.n_pci_addrs = 1, rq.pci_addrs = pa;
	/* 02:08.0 is aliased to net_null6 (engine unit_params) */
	n = ctl_port_control(&cfg, buf, virtioforwarder__port_control_request__pack(&rq, buf),
			     &out);
	resp = virtioforwarder__port_control_response__unpack(NULL, (size_t)n, out);
	free(out);
	expect(resp, 0, NULL);
	expect(pc(OP(REMOVE), 6, "02:08.0", 0, NULL), 0, NULL); /* any spelling matches */

	rq.n_pci_addrs = 9;
	n = ctl_port_control(&cfg, buf, virtioforwarder__port_control_request__pack(&rq, buf),
			     &out);
	resp = virtioforwarder__port_control_response__unpack(NULL, (size_t)n, out);
	free(out);
	expect(resp, NONE, "at most 8");
}
END_TEST

START_TEST(malformed_requests)
{
	uint8_t garbage[] = {0xff, 0xfe, 0x01}, unknown_op[] = {0x08, 0x07}, *out = NULL;
	PcResp *r;
	ssize_t n;

	n = ctl_port_control(&cfg, garbage, sizeof(garbage), &out);
	r = virtioforwarder__port_control_response__unpack(NULL, (size_t)n, out);
	free(out);
	expect(r, NONE, "not a valid PortControlRequest");
	n = ctl_port_control(&cfg, unknown_op, sizeof(unknown_op), &out);
	r = virtioforwarder__port_control_response__unpack(NULL, (size_t)n, out);
	free(out);
	expect(r, NONE, "unknown op 7");
	n = ctl_port_control(&cfg, garbage, 0, &out);
	r = virtioforwarder__port_control_response__unpack(NULL, (size_t)n, out);
	free(out);
	expect(r, NONE, "empty message");
	expect_src(pc(OP(ADD), 64, "net_null2", -1, NULL), 1, ADD_SRC, "out of range");
	expect_src(pc(OP(REMOVE), 32, "net_null2", -1, NULL), 1, RM_SRC, "RTE_MAX_ETHPORTS");
	expect(pc(OP(ADD), -1, "net_null2", -1, NULL), NONE, "virtio_id missing");
	expect(pc(OP(REMOVE), -1, "net_null2", -1, NULL), NONE, "virtio_id missing");
	expect(pc(OP(ADD), 2, NULL, -1, NULL), NONE, "no VF given");
}
END_TEST

static Virtioforwarder__StatsResponse *stats(const uint32_t *ids, size_t n, int inactive,
					     uint32_t delay)
{
	Virtioforwarder__StatsRequest rq = VIRTIOFORWARDER__STATS_REQUEST__INIT;
	Virtioforwarder__StatsResponse *resp;
	struct ctl_stats_req *q;
	uint8_t buf[1024], *out = NULL;
	uint32_t d;
	ssize_t len = 0;

	rq.relay = (uint32_t *)ids, rq.n_relay = n;
	if (inactive >= 0)
		rq.has_include_inactive = 1, rq.include_inactive = inactive;
	rq.has_delay = 1, rq.delay = delay;
	q = ctl_stats_parse(buf, virtioforwarder__stats_request__pack(&rq, buf), stats_now_ns(), &d,
			    &out, &len);
	if (q) {
		ck_assert_uint_eq(d, delay);
		usleep(delay *
		       1000); /* the window, for real: the daemon's loop waits the same way */
		len = ctl_stats_answer(q, stats_now_ns(), &out);
	}
	ck_assert_int_gt(len, 0);
	resp = virtioforwarder__stats_response__unpack(NULL, (size_t)len, out);
	free(out);
	ck_assert_ptr_nonnull(resp);
	return resp;
}

START_TEST(stats_requests)
{
	uint32_t ids[65], one = 8;
	Virtioforwarder__StatsResponse *r;

	for (int i = 0; i < 65; i++)
		ids[i] = (uint32_t)i % 64;
	ck_assert_int_eq(relay_add(8, "net_null8,size=64"), 0);
	r = stats(NULL, 0, -1, 0); /* defaults: every relay, inactive included */
	ck_assert_int_eq(r->status, VIRTIOFORWARDER__STATS_RESPONSE__STATUS__OK);
	ck_assert_uint_eq(r->n_relay, relay_max());
	virtioforwarder__stats_response__free_unpacked(r, NULL);
	r = stats(NULL, 0, 0, 0); /* no guest anywhere: nothing active */
	ck_assert_uint_eq(r->n_relay, 0);
	virtioforwarder__stats_response__free_unpacked(r, NULL);
	r = stats(&one, 1, 1, 0);
	ck_assert_uint_eq(r->n_relay, 1);
	ck_assert_uint_eq(r->relay[0]->id, 8);
	ck_assert(!r->relay[0]->active);
	ck_assert_str_eq(r->relay[0]->vf_to_vm->internal_state, "DPDK_ADDED");
	ck_assert_str_eq(r->relay[0]->vm_to_vf->internal_state, "VIRTIO_UNINIT");
	ck_assert_str_eq(r->relay[0]->vf->pci_addr_str, "net_null8,size=64");
	ck_assert_int_eq(r->relay[0]->cpu->vf_to_vm, 1);
	/* The reference's presence: counters of an active direction, never its bytes dropped
	 * (ours carry them); an inactive direction only its rates. */
	ck_assert(r->relay[0]->vf_to_vm->has_pkts_dropped_vm_not_connected);
	ck_assert(!r->relay[0]->vf_to_vm->has_bytes_dropped_vm_not_connected);
	ck_assert(r->relay[0]->vf_to_vm->has_bytes_dropped_not_connected);
	ck_assert(!r->relay[0]->vm_to_vf->has_pkts_rx_from_vm);
	ck_assert(!r->relay[0]->cpu->has_vm_to_vf);
	virtioforwarder__stats_response__free_unpacked(r, NULL);
	/* a 100 ms window over a flooding VF: rates > 0, no guest: all not-connected drops */
	r = stats(&one, 1, 1, 100);
	ck_assert(r->relay[0]->vf_to_vm->pkt_rate_rx_from_vf > 0);
	ck_assert(r->relay[0]->vf_to_vm->pkts_dropped_vm_not_connected > 0);
	ck_assert(r->relay[0]->vf_to_vm->bytes_dropped_not_connected >=
		  64 * r->relay[0]->vf_to_vm->pkts_dropped_vm_not_connected / 2);
	virtioforwarder__stats_response__free_unpacked(r, NULL);
	r = stats(ids, 65, 1, 0);
	ck_assert_int_eq(r->status, VIRTIOFORWARDER__STATS_RESPONSE__STATUS__E2BIG);
	virtioforwarder__stats_response__free_unpacked(r, NULL);
	ids[0] = 64;
	r = stats(ids, 1, 1, 0);
	ck_assert_int_eq(r->status, VIRTIOFORWARDER__STATS_RESPONSE__STATUS__EBADR);
	virtioforwarder__stats_response__free_unpacked(r, NULL);
	ck_assert_int_eq(relay_remove(8), 0);
}
END_TEST

START_TEST(rates_math)
{
	struct stats_sample a = {.valid = true, .t_ns = 1000000000}, b = a;
	struct stats_rates r[2];

	b.t_ns += 500000000; /* half a second */
	b.c[0].rx_pkts = 1000, b.c[0].rx_bytes = 64000, b.c[1].tx_pkts = 10;
	b.c[0].busy_cycles = 150000, b.c[1].busy_cycles = 999;
	stats_rates_compute(&a, &b, r);
	ck_assert(r[0].rx_pps == 2000.0f && r[0].rx_bps == 128000.0f && r[1].tx_pps == 20.0f);
	ck_assert(r[0].cycles_per_pkt == 150.0f); /* 150000 cycles over 1000 packets */
	ck_assert(r[1].cycles_per_pkt == 0.0f);	  /* no packet received: none per packet */
	stats_rates_compute(&b, &a, r);		  /* time went backwards */
	ck_assert(r[0].rx_pps == 0.0f);
	a.t_ns = 0, a.c[0].rx_pkts = 5000; /* counters went backwards: re-created relay */
	stats_rates_compute(&a, &b, r);
	ck_assert(r[0].rx_pps == 0.0f && r[1].tx_pps > 0);
	b.valid = false;
	stats_rates_compute(&a, &b, r);
	ck_assert(r[1].tx_pps == 0.0f);
}
END_TEST

/* Field numbers to values: one map for the stats service and telemetry; counters stay exact. */
START_TEST(field_values)
{
	struct relay_counters c = {.rx_pkts = 7,
				   .down_bytes = 8,
				   .big_pkts = 9,
				   .busy_cycles = (1ULL << 60) + 1,
				   .retries = 11,
				   .moves = 12,
				   .sw_segmented = 13};
	struct stats_rates rt = {.rx_pps = 1.5f, .tx_bps = 2.5f, .cycles_per_pkt = 3.5f};
	uint64_t n = 0;
	float f = 0;

	ck_assert_int_eq(stats_field_value(1, &c, &rt, &n, &f), STATS_FIELD_NONE);
	ck_assert_int_eq(stats_field_value(2, &c, &rt, &n, &f), STATS_FIELD_NONE);
	ck_assert_int_eq(stats_field_value(3, &c, &rt, &n, &f), STATS_FIELD_COUNTER);
	ck_assert_uint_eq(n, 7);
	ck_assert_int_eq(stats_field_value(10, &c, &rt, &n, &f), STATS_FIELD_NONE);
	ck_assert_int_eq(stats_field_value(8, &c, &rt, &n, &f), STATS_FIELD_NONE);
	ck_assert_int_eq(stats_field_value(106, &c, &rt, &n, &f), STATS_FIELD_COUNTER);
	ck_assert_uint_eq(n, 8);
	ck_assert_int_eq(stats_field_value(11, &c, &rt, &n, &f), STATS_FIELD_RATE);
	ck_assert(f == 1.5f);
	ck_assert_int_eq(stats_field_value(14, &c, &rt, &n, &f), STATS_FIELD_RATE);
	ck_assert(f == 2.5f);
	ck_assert_int_eq(stats_field_value(100, &c, &rt, &n, &f), STATS_FIELD_COUNTER);
	ck_assert_uint_eq(n, 9);
	ck_assert_int_eq(stats_field_value(102, &c, &rt, &n, &f), STATS_FIELD_COUNTER);
	ck_assert_uint_eq(n, (1ULL << 60) + 1); /* no trip through a double */
	ck_assert_int_eq(stats_field_value(103, &c, &rt, &n, &f), STATS_FIELD_RATE);
	ck_assert(f == 3.5f);
	ck_assert_int_eq(stats_field_value(104, &c, &rt, &n, &f), STATS_FIELD_COUNTER);
	ck_assert_uint_eq(n, 11);
	ck_assert_int_eq(stats_field_value(107, &c, &rt, &n, &f), STATS_FIELD_COUNTER);
	ck_assert_uint_eq(n, 12);
	ck_assert_int_eq(stats_field_value(108, &c, &rt, &n, &f), STATS_FIELD_COUNTER);
	ck_assert_uint_eq(n, 13);
	ck_assert_int_eq(stats_field_value(109, &c, &rt, &n, &f), STATS_FIELD_NONE);
}
END_TEST

START_TEST(config_reply)
{
	Virtioforwarder__ConfigResponse *r;
	uint8_t *out = NULL, garbage[] = {0xff, 0xff};
	ssize_t n;

	ck_assert_int_eq(relay_add(9, "net_null9,no-rx=1"), 0);
	n = ctl_config_handle(garbage, 0, &out); /* empty: a valid ConfigRequest */
	r = virtioforwarder__config_response__unpack(NULL, (size_t)n, out);
	free(out);
	ck_assert_int_eq(r->status, VIRTIOFORWARDER__CONFIG_RESPONSE__STATUS__OK);
	ck_assert_uint_eq(r->n_relay_cpu_map, 1);
	ck_assert_int_eq(r->relay_cpu_map[0]->relay_number, 9);
	ck_assert_int_eq(r->relay_cpu_map[0]->vf2virtio_cpu, 1);
	ck_assert_ptr_nonnull(strstr(r->dpdk_version, "DPDK"));
	virtioforwarder__config_response__free_unpacked(r, NULL);
	n = ctl_config_handle(garbage, sizeof(garbage), &out);
	r = virtioforwarder__config_response__unpack(NULL, (size_t)n, out);
	free(out);
	ck_assert_int_eq(r->status, VIRTIOFORWARDER__CONFIG_RESPONSE__STATUS__EBADR);
	virtioforwarder__config_response__free_unpacked(r, NULL);
	ck_assert_int_eq(relay_remove(9), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("handlers");
	TCase *tc = tcase_create("handlers");

	if (unit_eal_init("test_handlers", dir, &unit_params))
		return EXIT_FAILURE;
	snprintf(unit_params.aliases[0].pci, sizeof(unit_params.aliases[0].pci), "0000:02:08.0");
	snprintf(unit_params.aliases[0].dev, sizeof(unit_params.aliases[0].dev),
		 "net_null6,no-rx=1");
	unit_params.nb_aliases = 1;
	tcase_add_checked_fixture(tc, unit_engine_start, unit_engine_stop);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, add_conditional_remove);
	tcase_add_test(tc, pci_addresses_and_aliases);
	tcase_add_test(tc, netdev_mapping);
	tcase_add_test(tc, sockets_without_dynamic);
	tcase_add_test(tc, dynamic_sockets);
	tcase_add_test(tc, malformed_requests);
	tcase_add_test(tc, stats_requests);
	tcase_add_test(tc, rates_math);
	tcase_add_test(tc, field_values);
	tcase_add_test(tc, config_reply);
	suite_add_tcase(s, tc);
	return unit_eal_run(s, dir);
}
