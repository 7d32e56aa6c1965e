/* SPDX-License-Identifier: BSD-3-Clause */
/* ctl.h: public interface of the control plane: ZeroMQ services, request handlers, client library.
 */
#ifndef VFWD_CTL_H
#define VFWD_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CTL_EP_LEN	 256
#define CTL_MAX_REQUEST	 (64 * 1024) /* larger requests get an error reply */
#define CTL_TIMEOUT_MS	 2000	     /* clients' default */
#define CTL_MAX_DELAY_MS 60000	     /* longest stats rate window */

#define CTL_EP_PORT_CONTROL "ipc:///var/run/virtio-forwarder/port_control"
#define CTL_EP_STATS	    "ipc:///var/run/virtio-forwarder/stats"
#define CTL_EP_CORE_SCHED   "ipc:///var/run/virtio-forwarder/core_sched"
#define CTL_EP_CONFIG	    "ipc:///var/run/virtio-forwarder/config"

struct ctl_config {
	char port_control_ep[CTL_EP_LEN]; /* "" = service off */
	char stats_ep[CTL_EP_LEN];
	char config_ep[CTL_EP_LEN];
	gid_t ipc_gid;	      /* (gid_t)-1: leave the group */
	bool dynamic_sockets; /* ADD_SOCK / REMOVE_SOCK allowed */
	char state_dir[CTL_EP_LEN]; /* relays added at run time are kept here ("" = not kept) */
};

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
/* Bind the enabled endpoints (creating IPC directories, mode 0660). NULL + errno. */
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

/* ---- client library (client.c), shared by every tool -------------------------- */

/*
 * Send @req to @ep and wait up to @timeout_ms for the reply (malloc'ed into
 * *reply). Returns the reply length, or -errno with a one-line reason in @err
 * ("daemon not reachable at EP" on timeout).
 */
ssize_t ctl_request(const char *ep, const void *req, size_t len, int timeout_ms, void **reply,
		    char *err, size_t errlen);

struct ProtobufCMessage;
struct ProtobufCMessageDescriptor;
/*
 * For tools: send @req to @ep, return the reply unpacked as @reply_desc
 * (free with protobuf_c_message_free_unpacked), or NULL after printing
 * "PROG: why" to stderr. With @raw, also hand back the reply's bytes (free()).
 */
struct ProtobufCMessage *ctl_call(const char *prog, const char *ep,
				  const struct ProtobufCMessage *req,
				  const struct ProtobufCMessageDescriptor *reply_desc, int timeout_ms,
				  void **raw, size_t *raw_len);
/* For tools: @s as a number 0..@max into *v, or -1 after printing "PROG: OPT: ..." */
int ctl_parse_uint(const char *prog, const char *opt, const char *s, unsigned long max,
		   unsigned long *v);

/* "dddd:bb:ss.f" of a PciAddress-like quadruple. */
void ctl_pci_format(uint32_t domain, uint32_t bus, uint32_t slot, uint32_t fn, char *buf,
		    size_t len);

#endif
