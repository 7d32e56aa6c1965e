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
	STATS_FMT_PROTOBUF_BINARY, /* the reply as received */
};

typedef struct Virtioforwarder__StatsResponse Virtioforwarder__StatsResponse;
typedef struct ProtobufCMessage ProtobufCMessage;

/* "flat", "protobuf" (text), "json", "prometheus", "protobuf-binary". 0 or -1. */
int stats_format_parse(const char *s, enum stats_format *f);
/*
 * Write @resp as @f (flat: the reference's keys and order, True/False, rates as
 * Python prints floats; -z drops zero counters; protobuf: the text format plus an empty
 * line, as the reference's tool prints). Binary protobuf is written by the caller.
 */
void stats_format_write(FILE *out, const Virtioforwarder__StatsResponse *resp, enum stats_format f,
			bool suppress_zero);
/* @m in the protobuf text format, as Python's text_format prints it (textpb.c). */
void stats_write_text_pb(FILE *out, const ProtobufCMessage *m);
/* @v as Python's repr() prints a float ("0.0", "1234.5", "1e+20"). */
void stats_py_float(double v, char *buf, size_t len);

#endif
