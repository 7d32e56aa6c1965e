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
#include "virtioforwarder.pb-c.h"

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
		rte_tel_data_add_dict_string(d, key, relay_vf_state_name(s.vf_side, s.vm_side));
	}
	return 0;
}

/*
 * One direction as a telemetry dict, keyed by the field names of its stats message (VFtoVM or
 * VMtoVF) and valued by stats_field_value(), so telemetry and the stats service name and
 * fill every value alike. 22.11 telemetry has no doubles: rates are whole numbers.
 */
static void dir_add(struct rte_tel_data *d, const char *name, const struct relay_counters *c,
		    const struct stats_rates *rt, const ProtobufCMessageDescriptor *desc)
{
	struct rte_tel_data *sub = rte_tel_data_alloc();
	enum stats_field kind;
	uint64_t count;
	float rate;

	if (!sub)
		return;
	rte_tel_data_start_dict(sub);
	for (unsigned int i = 0; i < desc->n_fields; i++) {
		kind = stats_field_value(desc->fields[i].id, c, rt, &count, &rate);
		if (kind != STATS_FIELD_NONE)
			vfwd_tel_add_dict_u64(sub, desc->fields[i].name,
					      kind == STATS_FIELD_RATE ? (uint64_t)rate : count);
	}
	rte_tel_data_add_dict_container(d, name, sub, 0);
}

/*
 * Per queue pair of the VF (--vf-queues), one array each: the worker CPU of each direction and
 * the frames it took in (lanes_vf_to_vm_cpu[i] serves VF RX queue i).
 */
static void lanes_add(struct rte_tel_data *d, const struct relay_snapshot *s)
{
	static const char *const dname[2] = {"vf_to_vm", "vm_to_vf"};
	char key[40];

	for (int dir = 0; dir < 2; dir++) {
		struct rte_tel_data *cpu = rte_tel_data_alloc(), *rx = rte_tel_data_alloc();

		if (!cpu || !rx) {
			rte_tel_data_free(cpu);
			rte_tel_data_free(rx);
			return;
		}
		rte_tel_data_start_array(cpu, RTE_TEL_INT_VAL);
		rte_tel_data_start_array(rx, VFWD_TEL_U64_VAL);
		for (unsigned int l = 0; l < s->nb_lanes; l++) {
			rte_tel_data_add_array_int(cpu, s->lane[l].cpu[dir]);
			vfwd_tel_add_array_u64(rx, s->lane[l].rx_pkts[dir]);
		}
		snprintf(key, sizeof(key), "lanes_%s_cpu", dname[dir]);
		rte_tel_data_add_dict_container(d, key, cpu, 0);
		snprintf(key, sizeof(key), "lanes_%s_rx_pkts", dname[dir]);
		rte_tel_data_add_dict_container(d, key, rx, 0);
	}
}

static int tel_relay(const char *cmd, const char *params, struct rte_tel_data *d)
{
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
	rte_tel_data_add_dict_string(d, "vhost_socket", s.has_socket ? s.path : "NONE");
	rte_tel_data_add_dict_string(d, "vf_state", relay_vf_state_name(s.vf_side, s.vm_side));
	rte_tel_data_add_dict_string(d, "vm_state", relay_vm_state_name(s.vm_side));
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
	rte_tel_data_add_dict_int(d, "vf_lost", s.vf_lost);
	rte_tel_data_add_dict_string(d, "vf_rx_interrupts", s.rx_irq ? s.rx_irq : "off");
	rte_tel_data_add_dict_string(d, "guest_mac", s.guest_mac);
	rte_tel_data_add_dict_string(d, "guest_mac_state", s.mac_state ? s.mac_state : "");
	rte_tel_data_add_dict_int(d, "guest_mtu", (int)s.guest_mtu);
	rte_tel_data_add_dict_int(d, "vf_queue_pairs", (int)s.nb_lanes);
	lanes_add(d, &s);
	stats_rolling_rates(s.id, rt);
	dir_add(d, "vf_to_vm", &s.c[RELAY_VF_TO_VM], &rt[RELAY_VF_TO_VM],
		&virtioforwarder__relay_state__vfto_vm__descriptor);
	dir_add(d, "vm_to_vf", &s.c[RELAY_VM_TO_VF], &rt[RELAY_VM_TO_VF],
		&virtioforwarder__relay_state__vmto_vf__descriptor);
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
