/* SPDX-License-Identifier: BSD-3-Clause */
/* stats_tool.c: virtioforwarder_stats: ask the daemon for relay statistics and print them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "stats.h"
#include "virtioforwarder.pb-c.h"

#define PROG "virtioforwarder_stats"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: " PROG " [options]\n"
		"Print relay statistics of a running virtio-forwarder.\n\n"
		"  --stats-ep EP           endpoint (default " CTL_EP_STATS ")\n"
		"  --include-inactive      also relays without a connected VM\n"
		"  --delay MS              measure rates over MS milliseconds (default 200;\n"
		"                          0: the daemon's last one-second window)\n"
		"  --output-format F       flat (default), protobuf, json or prometheus\n"
		"  -z, --suppress-zero     leave out counters that are zero (flat)\n"
		"  --relay N               only relay N (repeatable)\n"
		"  --timeout MS            wait for the answer this long after the delay (default "
		"2000)\n"
		"  -h, --help              this help\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {{"stats-ep", required_argument, NULL, 'e'},
					      {"include-inactive", no_argument, NULL, 'i'},
					      {"delay", required_argument, NULL, 'd'},
					      {"output-format", required_argument, NULL, 'f'},
					      {"suppress-zero", no_argument, NULL, 'z'},
					      {"relay", required_argument, NULL, 'r'},
					      {"timeout", required_argument, NULL, 't'},
					      {"help", no_argument, NULL, 'h'},
					      {NULL, 0, NULL, 0}};
	Virtioforwarder__StatsRequest rq = VIRTIOFORWARDER__STATS_REQUEST__INIT;
	Virtioforwarder__StatsResponse *resp;
	enum stats_format fmt = STATS_FMT_FLAT;
	static uint32_t relays[RELAY_MAX + 1];
	const char *ep = CTL_EP_STATS;
	unsigned long v, timeout = CTL_TIMEOUT_MS;
	bool suppress = false;
	void *reply;
	size_t len;
	int c;

	rq.has_include_inactive = 1, rq.include_inactive = 0;
	rq.has_delay = 1, rq.delay = 200;
	while ((c = getopt_long(argc, argv, "zh", lopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			ep = optarg;
			break;
		case 'i':
			rq.include_inactive = 1;
			break;
		case 'd':
			if (ctl_parse_uint(PROG, "--delay", optarg, CTL_MAX_DELAY_MS, &v))
				return 2;
			rq.delay = (uint32_t)v;
			break;
		case 'f':
			if (stats_format_parse(optarg, &fmt)) {
				fprintf(stderr,
					PROG ": --output-format: '%s' is not flat, protobuf, "
					     "json or prometheus\n",
					optarg);
				return 2;
			}
			break;
		case 'z':
			suppress = true;
			break;
		case 'r':
			/* more than 64 is the daemon's to refuse (E2BIG) */
			if (ctl_parse_uint(PROG, "--relay", optarg, 0xffffffffUL, &v) ||
			    rq.n_relay > RELAY_MAX)
				return 2;
			relays[rq.n_relay++] = (uint32_t)v;
			break;
		case 't':
			if (ctl_parse_uint(PROG, "--timeout", optarg, 3600000, &timeout))
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	rq.relay = relays;
	resp = (Virtioforwarder__StatsResponse *)ctl_call(
		PROG, ep, &rq.base, &virtioforwarder__stats_response__descriptor,
		(int)(timeout + rq.delay), &reply, &len);
	if (!resp)
		return 2;
	if (fmt == STATS_FMT_PROTOBUF)
		fwrite(reply, 1, len, stdout);
	free(reply);
	if (resp->status != VIRTIOFORWARDER__STATS_RESPONSE__STATUS__OK) {
		fprintf(stderr, PROG ": the daemon refused the request: status %d%s\n",
			resp->status,
			resp->status == VIRTIOFORWARDER__STATS_RESPONSE__STATUS__E2BIG
				? " (E2BIG: more than 64 relays asked)"
			: resp->status == VIRTIOFORWARDER__STATS_RESPONSE__STATUS__EBADR
				? " (EBADR: bad request)"
				: "");
		virtioforwarder__stats_response__free_unpacked(resp, NULL);
		return 1;
	}
	stats_format_write(stdout, resp, fmt, suppress);
	virtioforwarder__stats_response__free_unpacked(resp, NULL);
	return 0;
}
