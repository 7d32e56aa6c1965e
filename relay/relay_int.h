/* SPDX-License-Identifier: BSD-3-Clause */
/* relay_int.h: engine-private structures shared by relay.c, worker.c, vf.c and vhost.c. */
#ifndef VFWD_RELAY_INT_H
#define VFWD_RELAY_INT_H

#include <rte_common.h>
#include <rte_log.h>
#include <rte_mempool.h>

#include "dpdk_compat.h"
#include "relay.h"
#include "vlog.h"

struct relay;

/*
 * One direction of one relay: the unit of work a worker polls. Its counters
 * have exactly one writer, the worker that serves it; readers snapshot them.
 */
struct relay_dir {
	struct relay_counters c;
	struct relay *relay;
	enum relay_dir_id id;
	int cpu; /* serving worker's lcore, -1 when unpublished (control thread) */
	/* VF->VM only, the serving worker's own cache of the guest's enabled RX queues. */
	uint64_t qmask;		    /* relay.rxq_mask it was built from */
	uint8_t nq;		    /* enabled RX queues */
	uint8_t qmap[RELAY_MAX_QP]; /* their queue numbers, ascending */
} __rte_cache_aligned;

struct relay {
	struct relay_dir dir[2];
	/* Written by vhost callbacks (release), read by workers (acquire). */
	int vid;	   /* -1: no guest */
	uint32_t nr_vring; /* vrings of the connected guest */
	/* Guest RX queues enabled (bit q: vring 2q), for vhost device rxq_vid. vhost thread. */
	uint64_t rxq_mask;
	int rxq_vid;
	/* VF link and MTU: written by the control thread, read by workers (relaxed). */
	bool link_up;
	uint32_t link_speed;	  /* control thread */
	uint32_t max_frame;	  /* longest frame the VF takes: MTU + L2 header, VLAN tag */
	uint16_t vf_mtu;	  /* VF MTU now */
	uint16_t mtu_cap;	  /* most the VF's buffers hold (control thread) */
	uint16_t mtu_base;	  /* configured MTU, restored when a guest without one connects */
	uint16_t guest_mtu;	  /* guest's NET_MTU, 0: none (vhost thread writes) */
	uint32_t guest_max_frame; /* longest frame for the guest by its MTU, 0: no limit */
	uint16_t guest_mtu_done;  /* the guest MTU last acted on (control thread) */
	int state;		  /* enum relay_state, changed only through relay_apply() */
	/* Control thread only after relay_add() returns. */
	unsigned int id;
	uint16_t port;
	int socket_id;
	bool vf_open;
	bool sock_open;
	bool is_pci;
	struct rte_mempool *pool;
	char dev[RELAY_DEV_LEN];     /* as requested (PCI addresses normalised) */
	char devargs[RELAY_DEV_LEN]; /* what is probed: dev, or its alias */
	char name[RELAY_DEV_LEN];    /* ethdev / bus device name */
	char path[PATH_MAX];	     /* vhost-user socket */
	/* The VFs behind the port: one, or 2..RELAY_BOND_MAX under a bonding device. */
	unsigned int nb_members;
	unsigned int bond_mode;
	char bond_name[32];
	struct relay_member {
		char dev[RELAY_DEV_LEN];  /* as requested (PCI normalised) */
		char name[RELAY_DEV_LEN]; /* probed device name */
		bool is_pci;
		bool probed;
		uint16_t port;
	} member[RELAY_BOND_MAX];
};

/* Log an error and keep it as this thread's relay_last_error(). */
void relay_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define RERR(fmt, ...) relay_error(fmt, ##__VA_ARGS__)

/* engine (relay.c) */
const struct relay_params *engine_params(void);
void engine_lock(void);
void engine_unlock(void);
/* Relay whose socket is @path, or NULL. Caller holds the engine lock. */
struct relay *engine_find_by_path(const char *path);
/* Move @r along @ev; -EINVAL (logged) when not allowed. Any thread. */
int relay_apply(struct relay *r, enum relay_event ev);

/* workers (worker.c) */
int workers_start(const struct relay_params *p);
void workers_stop(void);
/* Publish @d on the worker of lcore @cpu (-1: least loaded). 0 or -errno. */
int worker_attach(struct relay_dir *d, int cpu);
/* Unpublish @d and wait until no worker can still see it. */
void worker_detach(struct relay_dir *d);
/* -1 when every worker made progress since the last call, else the lcore of one that did not. */
int workers_progressed(void);
/* Test hook: make the first worker stop making progress. */
void workers_stall_one(void);
/* Wait until every worker has finished the iteration it was in. */
void workers_synchronize(void);

/* VF glue (vf.c) */
int vf_open(struct relay *r, const struct relay_params *p);
void vf_close(struct relay *r);
/* Active-backup bond whose active member lost its link: make an up member primary. */
void vf_bond_check(struct relay *r);
/* Poll the VF link; publish and log changes. */
void vf_link_check(struct relay *r);
/* Apply a newly announced guest MTU to the VF, or log why not. */
void vf_mtu_follow(struct relay *r);

/* vhost-user glue (vhost.c) */
int vhost_open(struct relay *r, const struct relay_params *p);
void vhost_close(struct relay *r, const struct relay_params *p);

#endif
