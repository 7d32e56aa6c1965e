/* SPDX-License-Identifier: BSD-3-Clause */
/* stats.h: public interface of the statistics component (DPDK telemetry export). */
#ifndef VFWD_STATS_H
#define VFWD_STATS_H

/*
 * Register /virtio_forwarder/relays and /virtio_forwarder/relay,<id> with
 * DPDK telemetry (call after rte_eal_init). Returns 0 or -errno.
 */
int stats_telemetry_register(void);

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "relay.h"

/* Counters of one relay at one instant. */
struct stats_sample {
	bool valid;
	uint64_t t_ns;
	struct relay_counters c[2];
};

/* Rates of one direction: packets and bytes received and sent per second. */
struct stats_rates {
	float rx_pps, rx_bps, tx_pps, tx_bps;
};

/* Take a sample of relay @id at @now_ns (invalid when the relay does not exist). */
void stats_sample_take(unsigned int id, uint64_t now_ns, struct stats_sample *s);
/*
 * Rates from @a to @b (later). All zero when either is invalid, no time passed,
 * or a counter went backwards (the relay was re-created in between). Pure.
 */
void stats_rates_compute(const struct stats_sample *a, const struct stats_sample *b,
			 struct stats_rates out[2]);
/*
 * The rolling window: the control thread samples every relay about once a
 * second; any thread reads the rates between the two latest samples.
 */
void stats_rolling_sample(uint64_t now_ns);
void stats_rolling_rates(unsigned int id, struct stats_rates out[2]);

/* ---- output (format.c): one writer for every format ---- */

enum stats_format {
	STATS_FMT_FLAT = 0,
	STATS_FMT_PROTOBUF,
	STATS_FMT_JSON,
	STATS_FMT_PROMETHEUS,
};

typedef struct Virtioforwarder__StatsResponse Virtioforwarder__StatsResponse;

/* "flat", "protobuf", "json", "prometheus". 0 or -1. */
int stats_format_parse(const char *s, enum stats_format *f);
/*
 * Write @resp as @f (flat: the reference's keys and order, True/False, rates as
 * Python prints floats; -z drops zero counters). Protobuf is written by the caller.
 */
void stats_format_write(FILE *out, const Virtioforwarder__StatsResponse *resp, enum stats_format f,
			bool suppress_zero);
/* @v as Python's repr() prints a float ("0.0", "1234.5", "1e+20"). */
void stats_py_float(double v, char *buf, size_t len);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t stats_now_ns(void);

#endif
