/* SPDX-License-Identifier: BSD-3-Clause */
/* config_tool.c: virtioforwarder_config: print the daemon's configuration reply. */
#include <stdio.h>
#include <stdlib.h>

#include "ctl_client.h"
#include "virtioforwarder.pb-c.h"

static const struct tool_opt opts[] = {
	{"config-ep", TOOL_KEY_EP, required_argument, "EP", "endpoint"},
	{"zmq_ep", TOOL_KEY_EP, required_argument, "EP", NULL},
};

static const struct tool tool = {
	.prog = "virtioforwarder_config",
	.usage = "[options]",
	.summary = "Print a running virtio-forwarder's configuration: versions, features,\n"
		   "relay to CPU map.",
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
	printf("status: %s\n",
	       resp->status == VIRTIOFORWARDER__CONFIG_RESPONSE__STATUS__OK ? "OK" : "EBADR");
	if (resp->daemon_version)
		printf("daemon_version: %s\n", resp->daemon_version);
	if (resp->dpdk_version)
		printf("dpdk_version: %s\n", resp->dpdk_version);
	if (resp->features)
		printf("features: %s\n", resp->features);
	for (size_t i = 0; i < resp->n_relay_cpu_map; i++)
		printf("relay_cpu_map.%d: vf2virtio_cpu=%d virtio2vf_cpu=%d\n",
		       resp->relay_cpu_map[i]->relay_number, resp->relay_cpu_map[i]->vf2virtio_cpu,
		       resp->relay_cpu_map[i]->virtio2vf_cpu);
	status = resp->status == VIRTIOFORWARDER__CONFIG_RESPONSE__STATUS__OK ? TOOL_OK
									      : TOOL_REFUSED;
	virtioforwarder__config_response__free_unpacked(resp, NULL);
	return status;
}
