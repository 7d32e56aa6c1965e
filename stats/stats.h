/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats.h: the daemon side of statistics: counter samples, rates, the rolling one-second window
 * and the DPDK telemetry export. Used by the control thread (sampling, stats requests) and the
 * telemetry thread (reads). The tools use stats_fmt.h instead: it needs no DPDK.
 */
#ifndef VFWD_STATS_H
#define VFWD_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "relay.h"

/* Counters of one relay at one instant. */
struct stats_sample {
	bool valid;
	uint64_t t_ns;
	struct relay_counters c[2];
};

/*
 * Rates of one direction: packets and bytes received and sent per second, and the worker's
 * TSC cycles per received packet over the same window (0 without packets).
 */
struct stats_rates {
	float rx_pps, rx_bps, tx_pps, tx_bps;
	float cycles_per_pkt;
};

/* A worker's load over the rolling window: the share of its TSC cycles spent in busy passes. */
struct stats_worker {
	unsigned int lcore;
	float load_pct;
	uint64_t busy_cycles; /* since start */
	uint64_t irq_sleeps;  /* sleeps in interrupt mode, since start */
};

/*
 * Register /virtio_forwarder/relays and /virtio_forwarder/relay,<id> with
 * DPDK telemetry (call after rte_eal_init). Returns 0 or -errno.
 */
int stats_telemetry_register(void);

/* Take a sample of relay @id at @now_ns (invalid when the relay does not exist). Any thread. */
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
/* The workers' loads between the two latest samples into @out (up to @max); how many. */
unsigned int stats_rolling_workers(struct stats_worker *out, unsigned int max);

/* What a field of a direction's stats message holds. */
enum stats_field {
	STATS_FIELD_NONE = 0, /* neither (1 active, 2 internal_state, unknown) */
	STATS_FIELD_COUNTER,  /* a whole uint64 counter, into *count */
	STATS_FIELD_RATE,     /* a float (a rate, cycles per packet), into *rate */
};

/*
 * The value of field @id of a direction's stats message (VFtoVM and VMtoVF share their
 * numbers: 3..7 and 9 the counters in struct relay_counters' order (8 and 10, bytes dropped,
 * are never sent, as the reference), 11..14 the rates, 100..101 oversize drops, 102 busy
 * cycles, 103 cycles per packet, 104 retries, 105..106 the bytes of 7 and 9, 107 moves, 108 frames
 * segmented in software). The one map from numbers to values: the stats service and telemetry both
 * go through it. Pure.
 */
enum stats_field stats_field_value(unsigned int id, const struct relay_counters *c,
				   const struct stats_rates *rt, uint64_t *count, float *rate);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t stats_now_ns(void);

#endif
