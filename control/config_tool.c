/* SPDX-License-Identifier: BSD-3-Clause */
/* config_tool.c: virtioforwarder_config: print the daemon's configuration reply. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "ctl.h"
#include "virtioforwarder.pb-c.h"

#define PROG "virtioforwarder_config"

int main(int argc, char **argv)
{
	static const struct option lopts[] = {{"config-ep", required_argument, NULL, 'e'},
					      {"zmq_ep", required_argument, NULL, 'e'},
					      {"timeout", required_argument, NULL, 't'},
					      {"help", no_argument, NULL, 'h'},
					      {NULL, 0, NULL, 0}};
	Virtioforwarder__ConfigRequest rq = VIRTIOFORWARDER__CONFIG_REQUEST__INIT;
	Virtioforwarder__ConfigResponse *resp;
	const char *ep = CTL_EP_CONFIG;
	int c, timeout = CTL_TIMEOUT_MS;
	unsigned long v;

	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		if (c == 'e') {
			ep = optarg;
		} else if (c == 't') {
			if (ctl_parse_uint(PROG, "--timeout", optarg, 3600000, &v))
				return 2;
			timeout = (int)v;
		} else {
			fprintf(c == 'h' ? stdout : stderr,
				"Usage: " PROG " [--config-ep EP] [--timeout MS]\n"
				"Print a running virtio-forwarder's configuration: versions, "
				"features,\nrelay to CPU map. Default endpoint " CTL_EP_CONFIG
				".\n");
			return c == 'h' ? 0 : 2;
		}
	}
	resp = (Virtioforwarder__ConfigResponse *)ctl_call(
		PROG, ep, &rq.base, &virtioforwarder__config_response__descriptor, timeout, NULL,
		NULL);
	if (!resp)
		return 2;
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
	c = resp->status == VIRTIOFORWARDER__CONFIG_RESPONSE__STATUS__OK ? 0 : 1;
	virtioforwarder__config_response__free_unpacked(resp, NULL);
	return c;
}
