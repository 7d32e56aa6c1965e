/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * stats_fmt.h: the one output writer of statistics (flat, JSON, Prometheus), from a
 * StatsResponse. No DPDK: the stats tool links it alone (libstats_fmt).
 */
#ifndef VFWD_STATS_FMT_H
#define VFWD_STATS_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

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

#endif
