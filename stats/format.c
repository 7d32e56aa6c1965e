/* SPDX-License-Identifier: BSD-3-Clause */
/* format.c: the one output writer of stats: flat key=value, JSON, Prometheus text exposition. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_fmt.h"
#include "virtioforwarder.pb-c.h"

typedef Virtioforwarder__StatsResponse StatsResponse;
typedef Virtioforwarder__RelayState RelayState;

/*
 * The reference's 10 values per direction (its bytes-dropped fields are never sent), then ours
 * (oversize drops, busy cycles, cycles per packet, retries, bytes dropped, moves, frames
 * segmented in software).
 */
#define REF_KEYS 10
#define DIR_KEYS 19

/* One direction of a RelayState, as a table: names and values in the reference's order. */
struct dir_view {
	const char *name; /* vf_to_vm / vm_to_vf */
	int active;
	const char *state;
	int has_cpu, cpu;
	char seg[24]; /* ".cpu_C" of the flat keys, "" without a CPU */
	const char *key[DIR_KEYS];
	int is_rate[DIR_KEYS];
	int present[DIR_KEYS]; /* counters only while the direction is active, rates always */
	double val[DIR_KEYS];
};

/*
 * One direction's message (VFtoVM or VMtoVF: mirror images, same field numbers) read
 * through its descriptor in the reference's flat order: counts, rates, then drops.
 */
static void view_dir(const ProtobufCMessage *msg, struct dir_view *v)
{
	static const unsigned int order[DIR_KEYS] = {3,	  4,   5,   6,	 11,  12,  13,	14,  7,	 9,
						     100, 101, 102, 103, 104, 105, 106, 107, 108};
	const char *base = (const char *)msg;

	for (int k = 0; k < DIR_KEYS; k++) {
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field(msg->descriptor, order[k]);

		v->key[k] = f->name;
		v->is_rate[k] = f->type == PROTOBUF_C_TYPE_FLOAT;
		v->present[k] = f->label != PROTOBUF_C_LABEL_OPTIONAL ||
				*(const protobuf_c_boolean *)(base + f->quantifier_offset);
		v->val[k] = v->is_rate[k] ? *(const float *)(base + f->offset)
					  : (double)*(const uint64_t *)(base + f->offset);
	}
}

static void view_dirs(const RelayState *r, struct dir_view v[2])
{
	v[0] = (struct dir_view){"vf_to_vm", r->vf_to_vm->active, r->vf_to_vm->internal_state,
				 r->cpu && r->cpu->has_vf_to_vm, r->cpu ? r->cpu->vf_to_vm : 0};
	v[1] = (struct dir_view){"vm_to_vf", r->vm_to_vf->active, r->vm_to_vf->internal_state,
				 r->cpu && r->cpu->has_vm_to_vf, r->cpu ? r->cpu->vm_to_vf : 0};
	view_dir(&r->vf_to_vm->base, &v[0]);
	view_dir(&r->vm_to_vf->base, &v[1]);
	for (int d = 0; d < 2; d++) {
		v[d].seg[0] = '\0';
		if (v[d].has_cpu)
			snprintf(v[d].seg, sizeof(v[d].seg), ".cpu_%d", v[d].cpu);
	}
}

/*
 * Python's repr() of a float: the shortest digits that read back the same, in positional
 * notation when the decimal exponent is -4..15 ("10.0", "0.0001", "1234.5677490234375"),
 * else scientific with a two-digit exponent at least ("1e+16", "1.5e-05").
 */
void stats_py_float(double v, char *buf, size_t len)
{
	char e[40], digits[24];
	int exp = 0, nd = 0;
	const char *p;

	if (v != v || v == HUGE_VAL || v == -HUGE_VAL) {
		snprintf(buf, len, "%s", v != v ? "nan" : v > 0 ? "inf" : "-inf");
		return;
	}
	if (v == 0) {
		snprintf(buf, len, "%s", signbit(v) ? "-0.0" : "0.0");
		return;
	}
	for (int prec = 0; prec < 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec, v);
		if (strtod(e, NULL) == v)
			break;
	}
	/* e: [-]d[.ddd]e[+-]XX -> its digits (trailing zeros dropped) and exponent */
	for (p = e + (e[0] == '-'); *p && *p != 'e'; p++)
		if (*p != '.')
			digits[nd++] = *p;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	exp = atoi(p + 1);
	if (exp >= -4 && exp < 16) {
		char out[48];
		size_t o = 0;

		if (v < 0)
			out[o++] = '-';
		if (exp < 0) { /* 0.000ddd */
			out[o++] = '0';
			out[o++] = '.';
			for (int i = 0; i < -exp - 1; i++)
				out[o++] = '0';
			for (int i = 0; i < nd; i++)
				out[o++] = digits[i];
		} else { /* ddd[000].ddd or ddd.0 */
			for (int i = 0; i <= exp; i++)
				out[o++] = i < nd ? digits[i] : '0';
			out[o++] = '.';
			for (int i = exp + 1; i < nd; i++)
				out[o++] = digits[i];
			if (nd <= exp + 1)
				out[o++] = '0';
		}
		out[o] = '\0';
		snprintf(buf, len, "%s", out);
		return;
	}
	snprintf(buf, len, "%s%c%s%se%c%02d", v < 0 ? "-" : "", digits[0], nd > 1 ? "." : "",
		 digits + 1, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
}

static void print_value(FILE *out, double v, int is_rate)
{
	char buf[40];

	if (is_rate) {
		stats_py_float(v, buf, sizeof(buf));
		fputs(buf, out);
	} else {
		fprintf(out, "%.0f", v);
	}
}

static const char *py_bool(int b)
{
	return b ? "True" : "False";
}

/* One flat "relay_N.DIR[.cpu_C].KEY=value" line; -z leaves out counters at 0, never rates. */
static void flat_value(FILE *out, unsigned int id, const struct dir_view *v, int k,
		       bool suppress_zero)
{
	if (!v->present[k] || (suppress_zero && !v->is_rate[k] && v->val[k] == 0))
		return;
	fprintf(out, "relay_%u.%s%s.%s=", id, v->name, v->seg, v->key[k]);
	print_value(out, v->val[k], v->is_rate[k]);
	fputc('\n', out);
}

/*
 * Our additions after the reference's keys: VF link and MTU, guest MTU, oversize drops, busy
 * cycles (and per packet); then each worker's load.
 */
static void write_flat_ext(FILE *out, const RelayState *r, const struct dir_view v[2],
			   bool suppress_zero)
{
	if (r->vf && r->vf->has_link_up) {
		fprintf(out, "relay_%u.vf.link_up=%s\n", r->id, py_bool(r->vf->link_up));
		fprintf(out, "relay_%u.vf.link_speed=%u\n", r->id, r->vf->link_speed);
		fprintf(out, "relay_%u.vf.mtu=%u\n", r->id, r->vf->mtu);
	}
	if (r->vf && r->vf->has_lost)
		fprintf(out, "relay_%u.vf.lost=%s\n", r->id, py_bool(r->vf->lost));
	if (r->vf && r->vf->rx_interrupts)
		fprintf(out, "relay_%u.vf.rx_interrupts=%s\n", r->id, r->vf->rx_interrupts);
	if (r->vf && r->vf->guest_mac)
		fprintf(out, "relay_%u.vf.guest_mac=%s\nrelay_%u.vf.guest_mac_state=%s\n", r->id,
			r->vf->guest_mac, r->id,
			r->vf->guest_mac_state ? r->vf->guest_mac_state : "");
	if (r->vhost->has_mtu)
		fprintf(out, "relay_%u.vhost.mtu=%u\n", r->id, r->vhost->mtu);
	for (int d = 0; d < 2; d++)
		for (int k = REF_KEYS; k < DIR_KEYS; k++)
			flat_value(out, r->id, &v[d], k, suppress_zero);
}

static void write_flat_workers(FILE *out, const StatsResponse *resp)
{
	char buf[40];

	for (size_t i = 0; i < resp->n_worker; i++) {
		stats_py_float(resp->worker[i]->load_pct, buf, sizeof(buf));
		fprintf(out,
			"worker_%u.load_pct=%s\nworker_%u.busy_cycles=%" PRIu64
			"\nworker_%u.irq_sleeps=%" PRIu64 "\n",
			resp->worker[i]->lcore, buf, resp->worker[i]->lcore,
			resp->worker[i]->busy_cycles, resp->worker[i]->lcore,
			resp->worker[i]->irq_sleeps);
	}
}

static void write_flat(FILE *out, const StatsResponse *resp, bool suppress_zero)
{
	for (size_t i = 0; i < resp->n_relay; i++) {
		const RelayState *r = resp->relay[i];
		struct dir_view v[2];

		view_dirs(r, v);
		fprintf(out, "relay_%u.active=%s\n", r->id, py_bool(r->active));
		/* -z drops integer zeros, CPU numbers included */
		if (v[0].has_cpu && !(suppress_zero && v[0].cpu == 0))
			fprintf(out, "relay_%u.cpu.vf_to_vm=%d\n", r->id, v[0].cpu);
		if (v[1].has_cpu && !(suppress_zero && v[1].cpu == 0))
			fprintf(out, "relay_%u.cpu.vm_to_vf=%d\n", r->id, v[1].cpu);
		if (r->vf && r->vf->pci_addr_str)
			fprintf(out, "relay_%u.vf.pci_addr_str=%s\n", r->id, r->vf->pci_addr_str);
		fprintf(out, "relay_%u.vhost.vhost_socket_name=%s\n", r->id,
			r->vhost->vhost_socket_name);
		for (int d = 0; d < 2; d++) {
			fprintf(out, "relay_%u.%s.active=%s\n", r->id, v[d].name,
				py_bool(v[d].active));
			fprintf(out, "relay_%u.%s.internal_state=%s\n", r->id, v[d].name,
				v[d].state);
			for (int k = 0; k < REF_KEYS; k++)
				flat_value(out, r->id, &v[d], k, suppress_zero);
		}
		write_flat_ext(out, r, v, suppress_zero);
	}
	if (resp->n_relay)
		write_flat_workers(out, resp);
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* Our VF additions to JSON: lost, RX interrupts, the guest's MAC. */
static void write_json_vf_ext(FILE *out, const Virtioforwarder__RelayState__VF *vf)
{
	if (vf && vf->has_lost)
		fprintf(out, ", \"lost\": %s", vf->lost ? "true" : "false");
	if (vf && vf->rx_interrupts) {
		fputs(", \"rx_interrupts\": ", out);
		json_string(out, vf->rx_interrupts);
	}
	if (vf && vf->guest_mac) {
		fputs(", \"guest_mac\": ", out);
		json_string(out, vf->guest_mac);
		fputs(", \"guest_mac_state\": ", out);
		json_string(out, vf->guest_mac_state ? vf->guest_mac_state : "");
	}
}

static void write_json(FILE *out, const StatsResponse *resp)
{
	fprintf(out, "{\"status\": %d, \"relay\": [", resp->status);
	for (size_t i = 0; i < resp->n_relay; i++) {
		const RelayState *r = resp->relay[i];
		struct dir_view v[2];

		view_dirs(r, v);
		fprintf(out, "%s\n  {\"id\": %u, \"active\": %s, \"ident\": ", i ? "," : "", r->id,
			r->active ? "true" : "false");
		json_string(out, r->ident);
		fprintf(out,
			", \"socket_id\": %u, \"vhost\": {\"vhost_socket_name\": ", r->socket_id);
		json_string(out, r->vhost->vhost_socket_name);
		if (r->vhost->has_mtu)
			fprintf(out, ", \"mtu\": %u", r->vhost->mtu);
		fprintf(out, "}, \"vf\": {\"pci_addr_str\": ");
		json_string(out, r->vf ? r->vf->pci_addr_str : "");
		if (r->vf && r->vf->has_link_up)
			fprintf(out, ", \"link_up\": %s, \"link_speed\": %u, \"mtu\": %u",
				r->vf->link_up ? "true" : "false", r->vf->link_speed, r->vf->mtu);
		write_json_vf_ext(out, r->vf);
		fprintf(out, "}, \"cpu\": {");
		for (int d = 0; d < 2; d++)
			if (v[d].has_cpu)
				fprintf(out, "%s\"%s\": %d", d && v[0].has_cpu ? ", " : "",
					v[d].name, v[d].cpu);
		fputc('}', out);
		for (int d = 0; d < 2; d++) {
			fprintf(out, ", \"%s\": {\"active\": %s, \"internal_state\": \"%s\"",
				v[d].name, v[d].active ? "true" : "false", v[d].state);
			for (int k = 0; k < DIR_KEYS; k++) {
				if (!v[d].present[k]) /* not sent: the direction is inactive */
					continue;
				fprintf(out, ", \"%s\": ", v[d].key[k]);
				print_value(out, v[d].val[k], v[d].is_rate[k]);
			}
			fputc('}', out);
		}
		fputc('}', out);
	}
	fprintf(out, "%s], \"worker\": [", resp->n_relay ? "\n" : "");
	for (size_t i = 0; i < resp->n_worker; i++) {
		fprintf(out, "%s{\"lcore\": %u, \"load_pct\": ", i ? ", " : "",
			resp->worker[i]->lcore);
		print_value(out, resp->worker[i]->load_pct, 1);
		fprintf(out, ", \"busy_cycles\": %" PRIu64 ", \"irq_sleeps\": %" PRIu64 "}",
			resp->worker[i]->busy_cycles, resp->worker[i]->irq_sleeps);
	}
	fputs("]}\n", out);
}

static void prom_label(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(out, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

/* Counter families, one sample per relay and active direction; indexes into dir_view. */
static const struct {
	const char *name, *type, *help;
	int k;
} families[] = {
	{"virtioforwarder_received_packets_total", "counter",
	 "Packets a relay direction received (from the VF for vf_to_vm, from the VM for vm_to_vf).",
	 0},
	{"virtioforwarder_received_bytes_total", "counter", "Bytes a relay direction received.", 1},
	{"virtioforwarder_sent_packets_total", "counter",
	 "Packets a relay direction delivered to the far side.", 2},
	{"virtioforwarder_sent_bytes_total", "counter", "Bytes a relay direction delivered.", 3},
	{"virtioforwarder_receive_packet_rate", "gauge", "Packets received per second.", 4},
	{"virtioforwarder_receive_byte_rate", "gauge", "Bytes received per second.", 5},
	{"virtioforwarder_send_packet_rate", "gauge", "Packets delivered per second.", 6},
	{"virtioforwarder_send_byte_rate", "gauge", "Bytes delivered per second.", 7},
	{"virtioforwarder_dropped_queue_full_packets_total", "counter",
	 "Packets dropped because the far side's queue was full.", 8},
	{"virtioforwarder_dropped_queue_full_bytes_total", "counter",
	 "Bytes dropped because the far side's queue was full.", 15},
	{"virtioforwarder_dropped_not_connected_packets_total", "counter",
	 "Packets dropped because the far side was not connected.", 9},
	{"virtioforwarder_dropped_not_connected_bytes_total", "counter",
	 "Bytes dropped because the far side was not connected.", 16},
	{"virtioforwarder_dropped_oversize_packets_total", "counter",
	 "Packets dropped because they were longer than the far side's MTU allows.", 10},
	{"virtioforwarder_dropped_oversize_bytes_total", "counter",
	 "Bytes dropped because their frames were longer than the far side's MTU allows.", 11},
	{"virtioforwarder_busy_cycles_total", "counter",
	 "TSC cycles the worker spent on the direction in passes that moved frames.", 12},
	{"virtioforwarder_cycles_per_packet", "gauge",
	 "TSC cycles per received packet over the rate window.", 13},
	{"virtioforwarder_retries_total", "counter",
	 "Extra enqueue or transmit attempts for frames the far side refused.", 14},
	{"virtioforwarder_moves_total", "counter",
	 "Times the direction was moved between workers (core scheduler or core-sched UPDATE).",
	 17},
	{"virtioforwarder_segmented_packets_total", "counter",
	 "TSO frames the relay segmented in software for a VF without TSO (vm_to_vf).", 18},
};

static uint64_t worker_busy(const Virtioforwarder__WorkerLoad *w)
{
	return w->busy_cycles;
}

static uint64_t worker_irq_sleeps(const Virtioforwarder__WorkerLoad *w)
{
	return w->irq_sleeps;
}

/* One counter family, a sample per worker: @get's value. */
static void prom_worker_counter(FILE *out, const StatsResponse *resp, const char *name,
				const char *help,
				uint64_t (*get)(const Virtioforwarder__WorkerLoad *))
{
	fprintf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
	for (size_t i = 0; i < resp->n_worker; i++)
		fprintf(out, "%s{lcore=\"%u\"} %" PRIu64 "\n", name, resp->worker[i]->lcore,
			get(resp->worker[i]));
}

/* Each worker's load, busy cycles and sleeps in interrupt mode. */
static void write_prometheus_workers(FILE *out, const StatsResponse *resp)
{
	fputs("# HELP virtioforwarder_worker_load_ratio Share of a worker's cycles in passes that "
	      "moved frames, over the last second.\n"
	      "# TYPE virtioforwarder_worker_load_ratio gauge\n",
	      out);
	for (size_t i = 0; i < resp->n_worker; i++) {
		fprintf(out, "virtioforwarder_worker_load_ratio{lcore=\"%u\"} ",
			resp->worker[i]->lcore);
		print_value(out, resp->worker[i]->load_pct / 100.0, 1);
		fputc('\n', out);
	}
	prom_worker_counter(out, resp, "virtioforwarder_worker_busy_cycles_total",
			    "TSC cycles of a worker's passes that moved frames.", worker_busy);
	prom_worker_counter(out, resp, "virtioforwarder_worker_irq_sleeps_total",
			    "Sleeps of an idle worker until a VF interrupt or a guest kick.",
			    worker_irq_sleeps);
}

/* VF link, speed and MTUs: one gauge family each, one sample per relay that has them. */
static void write_prometheus_vf(FILE *out, const StatsResponse *resp)
{
	static const struct {
		const char *name, *help;
		int which;
	} g[] = {
		{"virtioforwarder_vf_link_up",
		 "Whether the relay's VF has its link (1) or not (0).", 0},
		{"virtioforwarder_vf_link_speed_mbps",
		 "VF link speed in Mb/s (0: down or unknown).", 1},
		{"virtioforwarder_vf_mtu", "The VF's MTU now.", 2},
		{"virtioforwarder_guest_mtu", "MTU the guest announced (vhost-user NET_MTU).", 3},
	};

	for (size_t f = 0; f < sizeof(g) / sizeof(g[0]); f++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", g[f].name, g[f].help, g[f].name);
		for (size_t i = 0; i < resp->n_relay; i++) {
			const RelayState *r = resp->relay[i];
			const uint32_t val[4] = {r->vf ? r->vf->link_up : 0,
						 r->vf ? r->vf->link_speed : 0,
						 r->vf ? r->vf->mtu : 0, r->vhost->mtu};

			if (g[f].which < 3 ? !(r->vf && r->vf->has_link_up) : !r->vhost->has_mtu)
				continue;
			fprintf(out, "%s{relay=\"%u\"} %u\n", g[f].name, r->id, val[g[f].which]);
		}
	}
}

/* What real VFs do: one 0/1 gauge family each, a sample per relay with a VF (or a lost one). */
static void write_prometheus_vf_state(FILE *out, const StatsResponse *resp)
{
	static const char *const g[][2] = {
		{"virtioforwarder_vf_lost",
		 "Whether the relay's VF was taken away and is waited for (1) or not (0)."},
		{"virtioforwarder_vf_rx_interrupts_not_firing",
		 "Whether the VF's RX interrupt was found not to fire (1): timed sleeps serve it."},
		{"virtioforwarder_vf_guest_mac_mismatch",
		 "Whether the guest's MAC differs from the VF's administrative MAC (1): no unicast "
		 "reaches the guest."},
	};

	for (size_t f = 0; f < sizeof(g) / sizeof(g[0]); f++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s gauge\n", g[f][0], g[f][1], g[f][0]);
		for (size_t i = 0; i < resp->n_relay; i++) {
			const Virtioforwarder__RelayState__VF *vf = resp->relay[i]->vf;
			int val[3];

			if (!vf || !vf->has_lost)
				continue;
			val[0] = vf->lost;
			val[1] = vf->rx_interrupts && !strcmp(vf->rx_interrupts, "not_firing");
			val[2] = vf->guest_mac_state && !strcmp(vf->guest_mac_state, "mismatch");
			fprintf(out, "%s{relay=\"%u\"} %d\n", g[f][0], resp->relay[i]->id, val[f]);
		}
	}
}

static void write_prometheus(FILE *out, const StatsResponse *resp)
{
	fputs("# HELP virtioforwarder_relay_active Whether a VM is connected to the relay.\n"
	      "# TYPE virtioforwarder_relay_active gauge\n",
	      out);
	for (size_t i = 0; i < resp->n_relay; i++)
		fprintf(out, "virtioforwarder_relay_active{relay=\"%u\"} %d\n", resp->relay[i]->id,
			resp->relay[i]->active);
	fputs("# HELP virtioforwarder_relay_info Relay identity and states (value always 1).\n"
	      "# TYPE virtioforwarder_relay_info gauge\n",
	      out);
	for (size_t i = 0; i < resp->n_relay; i++) {
		const RelayState *r = resp->relay[i];

		fprintf(out, "virtioforwarder_relay_info{relay=\"%u\",vf=\"", r->id);
		prom_label(out, r->vf ? r->vf->pci_addr_str : "");
		fputs("\",vhost_socket=\"", out);
		prom_label(out, r->vhost->vhost_socket_name);
		fprintf(out, "\",vf_state=\"%s\",vm_state=\"%s\"} 1\n", r->vf_to_vm->internal_state,
			r->vm_to_vf->internal_state);
	}
	write_prometheus_vf(out, resp);
	write_prometheus_vf_state(out, resp);
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", families[f].name, families[f].help,
			families[f].name, families[f].type);
		for (size_t i = 0; i < resp->n_relay; i++) {
			struct dir_view v[2];

			view_dirs(resp->relay[i], v);
			for (int d = 0; d < 2; d++) {
				if (!v[d].present[families[f].k])
					continue; /* inactive direction: no sample */
				fprintf(out, "%s{relay=\"%u\",direction=\"%s\"} ", families[f].name,
					resp->relay[i]->id, v[d].name);
				print_value(out, v[d].val[families[f].k],
					    v[d].is_rate[families[f].k]);
				fputc('\n', out);
			}
		}
	}
	write_prometheus_workers(out, resp);
}

int stats_format_parse(const char *s, enum stats_format *f)
{
	static const char *const names[] = {"flat", "protobuf", "json", "prometheus",
					    "protobuf-binary"};

	for (int i = 0; i < 5; i++)
		if (!strcmp(s, names[i])) {
			*f = (enum stats_format)i;
			return 0;
		}
	return -1;
}

void stats_format_write(FILE *out, const StatsResponse *resp, enum stats_format f,
			bool suppress_zero)
{
	switch (f) {
	case STATS_FMT_FLAT:
		write_flat(out, resp, suppress_zero);
		break;
	case STATS_FMT_JSON:
		write_json(out, resp);
		break;
	case STATS_FMT_PROMETHEUS:
		write_prometheus(out, resp);
		break;
	case STATS_FMT_PROTOBUF:
		stats_write_text_pb(out, &resp->base);
		fputc('\n', out);
		break;
	case STATS_FMT_PROTOBUF_BINARY:
		break; /* the caller writes the raw reply */
	}
}
