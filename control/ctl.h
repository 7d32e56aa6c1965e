/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl.h: the control plane's server side, for the daemon: the ZeroMQ service loop, the request
 * handlers and the persistence of run-time relays. Everything here runs on the control thread.
 * Clients (the tools) use ctl_client.h.
 */
#ifndef VFWD_CTL_H
#define VFWD_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl_client.h"
#include "relay_pure.h"

/* The core scheduler in the daemon (balancer.c), from VIO4WD_CORE_SCHED_* or --core-sched. */
struct ctl_balance {
	bool enabled;
	double sensitivity; /* rebalance when the spread (coefficient of variation) drops more */
	double interval_s;  /* between load samples */
	int log_level;	    /* its messages up to this syslog level (moves: 6) */
	bool global_numa;   /* one group of every worker instead of one per NUMA node */
};

struct ctl_config {
	char port_control_ep[CTL_EP_LEN]; /* "" = service off */
	char stats_ep[CTL_EP_LEN];
	char config_ep[CTL_EP_LEN];
	char core_sched_ep[CTL_EP_LEN]; /* -s: moves of relay directions between workers */
	gid_t ipc_gid;		    /* --control-group: IPC endpoints 0660 to it; (gid_t)-1: 0600 */
	bool dynamic_sockets;	    /* ADD_SOCK / REMOVE_SOCK allowed */
	char state_dir[CTL_EP_LEN]; /* relays added at run time are kept here ("" = not kept) */
	/* Other port-control sources (portsrc.c): used only while port_control_ep is "". */
	char ipc_path[PATH_MAX];	   /* -I: the command file ("" = off) */
	char ovsdb_sock[PATH_MAX];	   /* -O: ovsdb-server's socket ("" = off) */
	char sysfs[PATH_MAX];		   /* where sysfs is mounted (tests: a fake one) */
	const struct relay_alias *aliases; /* --device-alias NETDEV=DEV maps interfaces too */
	unsigned int nb_aliases;
	struct ctl_balance balance;
};

/* ---- other port-control sources (portsrc.c, ipcfile.c) ------------------------- */

/*
 * The device a relay probes for network interface @netdev: its --device-alias, else its PCI
 * address from sysfs, with in *index its number under its PF (-1: not a VF). 0, or -errno
 * with the reason in @why.
 */
int ctl_netdev_map(const struct ctl_config *cfg, const char *netdev, char *dev, size_t len,
		   int *index, char *why, size_t wlen);
/*
 * Give VF @dev to relay @id (-1: the lowest without a VF); nothing when it has it already.
 * Outcomes are logged with @origin. 0 or -errno.
 */
int ctl_vf_attach(const char *origin, int id, const char *dev);
/* Take VF @dev from the relay that has it (none: nothing to do). 0 or -errno. */
int ctl_vf_detach(const char *origin, const char *dev);

/* The command file of -I: "add_port NETDEV" / "del_port NETDEV", watched with inotify. */
struct ctl_ipcfile;
struct ctl_ipcfile *ctl_ipcfile_open(const struct ctl_config *cfg);
int ctl_ipcfile_fd(const struct ctl_ipcfile *w);
/* Its fd is readable: take the command file if it was written. */
void ctl_ipcfile_ready(struct ctl_ipcfile *w);
void ctl_ipcfile_close(struct ctl_ipcfile *w);

/* Following OVSDB's Interface table (-O; ovsdb.c). Never NULL but out of memory. */
struct ctl_ovsdb;
struct ctl_ovsdb *ctl_ovsdb_open(const struct ctl_config *cfg);
/* Its socket, or -1 while disconnected (it changes: ask each time round the loop). */
int ctl_ovsdb_fd(const struct ctl_ovsdb *o);
/* Its socket is readable: read and act on whole messages. */
void ctl_ovsdb_ready(struct ctl_ovsdb *o);
/* Once a second: reconnect when disconnected. */
void ctl_ovsdb_tick(struct ctl_ovsdb *o);
void ctl_ovsdb_close(struct ctl_ovsdb *o);

/* ---- the core scheduler (balancer.c; its algorithm: balance.h) ------------------- */

struct ctl_balancer;
/* NULL when @cfg is not enabled (or out of memory: logged). */
struct ctl_balancer *ctl_balancer_open(const struct ctl_balance *cfg);
/* Once a second: every interval, measure the directions' loads and rebalance them. */
void ctl_balancer_tick(struct ctl_balancer *b, uint64_t now_ns);
void ctl_balancer_close(struct ctl_balancer *b);

/* ---- persistence (persist.c): run-time relays survive restarts -------------------- */

/* Note that relay @id was added (or removed) through the control plane. */
void ctl_persist_mark(unsigned int id, bool added);
/* Write <state_dir>/relays from the marked relays. 0 or -errno (logged). */
int ctl_persist_save(const struct ctl_config *cfg);
/* Re-create the relays listed in <state_dir>/relays; returns how many came back. */
unsigned int ctl_persist_restore(const struct ctl_config *cfg);

/* ---- request handlers (handlers.c, stats_service.c): bytes in, bytes out --------- */

/*
 * Handle one serialized PortControlRequest; write a serialized
 * PortControlResponse into a malloc'ed *out. Returns its length, or -ENOMEM
 * (nothing to send). Every bad request gets an ERROR reply naming what was
 * wrong. Control thread.
 */
ssize_t ctl_port_control(const struct ctl_config *cfg, const uint8_t *req, size_t len,
			 uint8_t **out);
/*
 * CoreSchedRequest -> CoreSchedResponse (coresched.c): GET_EAL_CORES lists the worker CPUs;
 * UPDATE moves relays' directions, all or nothing: an unknown relay or a CPU that is not a
 * worker refuses the whole request with error_code and error_code_source.
 */
ssize_t ctl_core_sched(const uint8_t *req, size_t len, uint8_t **out);
/* The same for ConfigRequest -> ConfigResponse. */
ssize_t ctl_config_handle(const uint8_t *req, size_t len, uint8_t **out);

/* A parsed stats request waiting for its rate window to end. */
struct ctl_stats_req;
/*
 * Parse a StatsRequest. On success returns it with *delay_ms set (0: answer
 * now from the rolling window). On a bad request returns NULL and writes the
 * error reply into *out / *out_len.
 */
struct ctl_stats_req *ctl_stats_parse(const uint8_t *req, size_t len, uint64_t now_ns,
				      uint32_t *delay_ms, uint8_t **out, ssize_t *out_len);
/*
 * Build the StatsResponse for @q at @now_ns (frees @q): rates over its window,
 * or the rolling window's when it had none. Returns length or -ENOMEM.
 */
ssize_t ctl_stats_answer(struct ctl_stats_req *q, uint64_t now_ns, uint8_t **out);
void ctl_stats_req_free(struct ctl_stats_req *q);

/* ---- the service loop (service.c) --------------------------------------------- */

struct ctl;
/*
 * Bind the enabled endpoints, creating IPC directories; IPC sockets are mode 0600, or 0660 to
 * cfg->ipc_gid (--control-group). NULL + errno, also when a socket cannot be restricted.
 */
struct ctl *ctl_open(const struct ctl_config *cfg);
void ctl_close(struct ctl *c);
/* What the daemon hooks into the loop. */
struct ctl_hooks {
	bool (*on_signal)(int signo, void *arg); /* each signal on the fd; true: stop */
	void (*on_tick)(void *arg);		 /* once a second, after the rate sample */
	void *arg;
};

/* Serve requests until a signal on @sfd asks to stop. Returns 0, or -errno. */
int ctl_run(struct ctl *c, int sfd, const struct ctl_hooks *hooks);

#endif
