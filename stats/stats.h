/* SPDX-License-Identifier: BSD-3-Clause */
/* stats.h: public interface of the statistics component (DPDK telemetry export). */
#ifndef VFWD_STATS_H
#define VFWD_STATS_H

/*
 * Register /virtio_forwarder/relays and /virtio_forwarder/relay,<id> with
 * DPDK telemetry (call after rte_eal_init). Returns 0 or -errno.
 */
int stats_telemetry_register(void);

#endif
