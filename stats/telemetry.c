/* SPDX-License-Identifier: BSD-3-Clause */
/* telemetry.c: relay states and counters exported through DPDK telemetry (dpdk-telemetry.py). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_telemetry.h>

#include "dpdk_compat.h"
#include "relay.h"
#include "stats.h"

static int tel_relays(const char *cmd, const char *params, struct rte_tel_data *d)
{
	unsigned int ids[RELAY_MAX], n = relay_list(ids);
	struct relay_snapshot s;
	char key[16];

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	rte_tel_data_start_dict(d);
	for (unsigned int i = 0; i < n; i++) {
		if (relay_snapshot_get(ids[i], &s))
			continue;
		snprintf(key, sizeof(key), "%u", s.id);
		rte_tel_data_add_dict_string(d, key, relay_vf_state_name(s.state));
	}
	return 0;
}

static void dir_add(struct rte_tel_data *d, const char *name, const struct relay_counters *c,
		    const struct stats_rates *rt, const char *const keys[12])
{
	struct rte_tel_data *sub = rte_tel_data_alloc();
	const double rates[4] = {rt->rx_pps, rt->rx_bps, rt->tx_pps, rt->tx_bps};
	const uint64_t v[8] = {c->rx_pkts,   c->rx_bytes,   c->tx_pkts,	  c->tx_bytes,
			       c->full_pkts, c->full_bytes, c->down_pkts, c->down_bytes};

	if (!sub)
		return;
	rte_tel_data_start_dict(sub);
	for (int i = 0; i < 8; i++)
		vfwd_tel_add_dict_u64(sub, keys[i], v[i]);
	for (int i = 0; i < 4; i++)
		vfwd_tel_add_dict_u64(sub, keys[8 + i], (uint64_t)rates[i]); /* 22.11: no doubles */
	vfwd_tel_add_dict_u64(sub, "pkts_dropped_oversize", c->big_pkts);
	vfwd_tel_add_dict_u64(sub, "bytes_dropped_oversize", c->big_bytes);
	rte_tel_data_add_dict_container(d, name, sub, 0);
}

static int tel_relay(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const vf2vm[12] = {"pkts_rx_from_vf",
					      "bytes_rx_from_vf",
					      "pkts_tx_to_vm",
					      "bytes_tx_to_vm",
					      "pkts_dropped_vm_queue_full",
					      "bytes_dropped_vm_queue_full",
					      "pkts_dropped_vm_not_connected",
					      "bytes_dropped_vm_not_connected",
					      "pkt_rate_rx_from_vf",
					      "byte_rate_rx_from_vf",
					      "pkt_rate_tx_to_vm",
					      "byte_rate_tx_to_vm"};
	static const char *const vm2vf[12] = {"pkts_rx_from_vm",
					      "bytes_rx_from_vm",
					      "pkts_tx_to_vf",
					      "bytes_tx_to_vf",
					      "pkts_dropped_vf_queue_full",
					      "bytes_dropped_vf_queue_full",
					      "pkts_dropped_vf_not_connected",
					      "bytes_dropped_vf_not_connected",
					      "pkt_rate_rx_from_vm",
					      "byte_rate_rx_from_vm",
					      "pkt_rate_tx_to_vf",
					      "byte_rate_tx_to_vf"};
	struct stats_rates rt[2];
	struct relay_snapshot s;
	unsigned long id;
	char *end;

	RTE_SET_USED(cmd);
	if (!params || !*params)
		return -EINVAL;
	id = strtoul(params, &end, 10);
	if (*end || id >= RELAY_MAX || relay_snapshot_get((unsigned int)id, &s))
		return -EINVAL;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_int(d, "id", (int)s.id);
	rte_tel_data_add_dict_string(d, "vf", s.dev);
	rte_tel_data_add_dict_string(d, "vhost_socket", s.path);
	rte_tel_data_add_dict_string(d, "vf_state", relay_vf_state_name(s.state));
	rte_tel_data_add_dict_string(d, "vm_state", relay_vm_state_name(s.state));
	rte_tel_data_add_dict_int(d, "port", s.port);
	rte_tel_data_add_dict_int(d, "socket_id", s.socket_id);
	rte_tel_data_add_dict_int(d, "vid", s.vid);
	rte_tel_data_add_dict_int(d, "queue_pairs", (int)(s.nr_vring / 2));
	rte_tel_data_add_dict_int(d, "mbufs", (int)s.mbufs);
	rte_tel_data_add_dict_int(d, "mbufs_in_use", (int)s.mbufs_in_use);
	rte_tel_data_add_dict_int(d, "cpu_vf_to_vm", s.cpu[RELAY_VF_TO_VM]);
	rte_tel_data_add_dict_int(d, "cpu_vm_to_vf", s.cpu[RELAY_VM_TO_VF]);
	rte_tel_data_add_dict_int(d, "vf_link_up", s.link_up);
	rte_tel_data_add_dict_int(d, "vf_link_speed", (int)s.link_speed);
	rte_tel_data_add_dict_int(d, "vf_mtu", (int)s.vf_mtu);
	rte_tel_data_add_dict_int(d, "guest_mtu", (int)s.guest_mtu);
	stats_rolling_rates(s.id, rt);
	dir_add(d, "vf_to_vm", &s.c[RELAY_VF_TO_VM], &rt[RELAY_VF_TO_VM], vf2vm);
	dir_add(d, "vm_to_vf", &s.c[RELAY_VM_TO_VF], &rt[RELAY_VM_TO_VF], vm2vf);
	return 0;
}

int stats_telemetry_register(void)
{
	int ret;

	ret = rte_telemetry_register_cmd("/virtio_forwarder/relays", tel_relays,
					 "Relay ids and their states. No parameters");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/virtio_forwarder/relay", tel_relay,
						 "One relay's states, CPUs and counters. "
						 "Parameters: int relay_id");
	return ret;
}
