/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vlog.h: the daemon's one log type (engine, control plane, service), through DPDK's log.
 * Workers never log (the data path stays free of syscalls).
 */
#ifndef VFWD_VLOG_H
#define VFWD_VLOG_H

#include <rte_log.h>

/* Log type shared by the engine and the daemon. */
extern int vfwd_logtype;
#define VLOG(level, fmt, ...)                                                                      \
	rte_log(RTE_LOG_##level, vfwd_logtype, "vfwd: " fmt "\n", ##__VA_ARGS__)

#endif
