/* SPDX-License-Identifier: BSD-3-Clause */
/* config_tool.c: virtioforwarder_config: print the daemon's configuration reply. */
#include <stdio.h>
#include <stdlib.h>

#include "ctl_client.h"
#include "stats_fmt.h"
#include "virtioforwarder.pb-c.h"

static const struct tool_opt opts[] = {
	{"config-ep", TOOL_KEY_EP, required_argument, "EP", "endpoint"},
	{"zmq_ep", TOOL_KEY_EP, required_argument, "EP", NULL},
};

static const struct tool tool = {
	.prog = "virtioforwarder_config",
	.usage = "[options]",
	.summary = "Print a running virtio-forwarder's configuration: versions, features,\n"
		   "relay to CPU map (the relays on a worker now), in the protobuf text format\n"
		   "as the reference's tool prints it.",
	.epilog = "Exits 0 whenever the daemon answers, as the reference's tool (2: bad usage or\n"
		  "no daemon).\n",
	.opts = opts,
	.nb_opts = sizeof(opts) / sizeof(opts[0]),
	.ep_default = CTL_EP_CONFIG,
};

int main(int argc, char **argv)
{
	Virtioforwarder__ConfigRequest rq = VIRTIOFORWARDER__CONFIG_REQUEST__INIT;
	Virtioforwarder__ConfigResponse *resp;
	struct tool_common common;
	int status;

	status = tool_parse(&tool, argc, argv, &common, NULL);
	if (status >= 0)
		return status;
	resp = (Virtioforwarder__ConfigResponse *)ctl_call(
		tool.prog, common.ep, &rq.base, &virtioforwarder__config_response__descriptor,
		common.timeout_ms, NULL, NULL);
	if (!resp)
		return TOOL_USAGE;
	/* The reference prints the whole reply in the text format, then an empty line. */
	stats_write_text_pb(stdout, &resp->base);
	printf("\n");
	status = TOOL_OK;
	virtioforwarder__config_response__free_unpacked(resp, NULL);
	return status;
}
