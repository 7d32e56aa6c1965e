/* SPDX-License-Identifier: BSD-3-Clause */
/* stats_tool.c: virtioforwarder_stats: ask the daemon for relay statistics and print them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"
#include "relay_pure.h"
#include "stats_fmt.h"
#include "virtioforwarder.pb-c.h"

enum { KEY_INACTIVE = 256, KEY_DELAY, KEY_FORMAT, KEY_RELAY, KEY_ZERO = 'z' };

static const struct tool_opt opts[] = {
	{"stats-ep", TOOL_KEY_EP, required_argument, "EP", "endpoint"},
	{"include-inactive", KEY_INACTIVE, no_argument, NULL, "also relays without a connected VM"},
	{"delay", KEY_DELAY, required_argument, "MS",
	 "measure rates over MS milliseconds (default 200;\n0: the daemon's last one-second "
	 "window); added to --timeout"},
	{"output-format", KEY_FORMAT, required_argument, "F",
	 "flat (default), protobuf (text format), json, prometheus\nor protobuf-binary"},
	{"suppress-zero", KEY_ZERO, no_argument, NULL, "leave out counters that are zero (flat)"},
	{"relay", KEY_RELAY, required_argument, "N", "only relay N (repeatable)"},
};

struct args {
	Virtioforwarder__StatsRequest rq;
	uint32_t relays[RELAY_MAX + 1];
	enum stats_format fmt;
	bool suppress;
};

static int on_opt(int key, const char *arg, void *ctx);

static const struct tool tool = {
	.prog = "virtioforwarder_stats",
	.usage = "[options]",
	.summary = "Print relay statistics of a running virtio-forwarder.",
	.opts = opts,
	.nb_opts = sizeof(opts) / sizeof(opts[0]),
	.ep_default = CTL_EP_STATS,
	.on_opt = on_opt,
};

static int on_opt(int key, const char *arg, void *ctx)
{
	struct args *a = ctx;
	unsigned long v;

	switch (key) {
	case KEY_INACTIVE:
		a->rq.include_inactive = 1;
		return 0;
	case KEY_DELAY:
		if (ctl_parse_uint(tool.prog, "--delay", arg, CTL_MAX_DELAY_MS, &v))
			return -1;
		a->rq.delay = (uint32_t)v;
		return 0;
	case KEY_FORMAT:
		if (stats_format_parse(arg, &a->fmt) == 0)
			return 0;
		tool_err(&tool,
			 "--output-format: '%s' is not flat, protobuf, json, prometheus or "
			 "protobuf-binary",
			 arg);
		return -1;
	case KEY_ZERO:
		a->suppress = true;
		return 0;
	case KEY_RELAY:
		/* more than 64 is the daemon's to refuse (E2BIG) */
		if (ctl_parse_uint(tool.prog, "--relay", arg, 0xffffffffUL, &v) ||
		    a->rq.n_relay > RELAY_MAX)
			return -1;
		a->relays[a->rq.n_relay++] = (uint32_t)v;
		return 0;
	}
	return -1;
}

static const char *status_why(Virtioforwarder__StatsResponse__Status s)
{
	switch (s) {
	case VIRTIOFORWARDER__STATS_RESPONSE__STATUS__E2BIG:
		return " (E2BIG: more than 64 relays asked)";
	case VIRTIOFORWARDER__STATS_RESPONSE__STATUS__EBADR:
		return " (EBADR: bad request)";
	default:
		return "";
	}
}

int main(int argc, char **argv)
{
	Virtioforwarder__StatsResponse *resp;
	struct tool_common common;
	static struct args a;
	void *reply;
	size_t len;
	int status;

	virtioforwarder__stats_request__init(&a.rq);
	a.rq.has_include_inactive = 1, a.rq.include_inactive = 0;
	a.rq.has_delay = 1, a.rq.delay = 200;
	a.rq.relay = a.relays;
	a.fmt = STATS_FMT_FLAT;
	status = tool_parse(&tool, argc, argv, &common, &a);
	if (status >= 0)
		return status;
	resp = (Virtioforwarder__StatsResponse *)ctl_call(
		tool.prog, common.ep, &a.rq.base, &virtioforwarder__stats_response__descriptor,
		common.timeout_ms + (int)a.rq.delay, &reply, &len);
	if (!resp)
		return TOOL_USAGE;
	if (a.fmt == STATS_FMT_PROTOBUF_BINARY)
		fwrite(reply, 1, len, stdout);
	free(reply);
	/* The reference's tool prints the text format whatever the status, and exits 0. */
	if (resp->status != VIRTIOFORWARDER__STATS_RESPONSE__STATUS__OK &&
	    a.fmt != STATS_FMT_PROTOBUF) {
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
			&virtioforwarder__stats_response__status__descriptor, resp->status);

		/* The reference's line first (scripts match it), then ours. */
		fprintf(stderr, "ERROR:virtioforwarder_stats.py:StatsResponse: %s\n",
			ev ? ev->name : "?");
		tool_err(&tool, "the daemon refused the request: status %d%s", resp->status,
			 status_why(resp->status));
		virtioforwarder__stats_response__free_unpacked(resp, NULL);
		return TOOL_REFUSED;
	}
	stats_format_write(stdout, resp, a.fmt, a.suppress);
	virtioforwarder__stats_response__free_unpacked(resp, NULL);
	return TOOL_OK;
}
