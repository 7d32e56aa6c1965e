/* SPDX-License-Identifier: BSD-3-Clause */
/* dpdk_compat.h: the DPDK versions we build against, and the one place for API differences. */
#ifndef VFWD_DPDK_COMPAT_H
#define VFWD_DPDK_COMPAT_H

#include <rte_version.h>

/* Debian 12's DPDK 22.11 LTS is the reference; 23.x renamed a few calls we alias here. */
#if RTE_VERSION < RTE_VERSION_NUM(22, 11, 0, 0)
#error "virtio-forwarder needs DPDK 22.11 or newer"
#endif

#if RTE_VERSION >= RTE_VERSION_NUM(23, 3, 0, 0)
#define vfwd_tel_add_dict_u64  rte_tel_data_add_dict_uint
#define vfwd_tel_add_array_u64 rte_tel_data_add_array_uint
#define VFWD_TEL_U64_VAL       RTE_TEL_UINT_VAL
#else
#define vfwd_tel_add_dict_u64  rte_tel_data_add_dict_u64
#define vfwd_tel_add_array_u64 rte_tel_data_add_array_u64
#define VFWD_TEL_U64_VAL       RTE_TEL_U64_VAL
#endif

#endif
