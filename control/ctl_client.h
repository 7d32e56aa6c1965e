/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ctl_client.h: what a control client needs: the endpoints and limits both sides agree on, one
 * request/reply over ZeroMQ, and the tool frame every virtioforwarder_* tool is built on
 * (common options, endpoint, exit codes, error printing). No DPDK: the tools link libctlclient.
 */
#ifndef VFWD_CTL_CLIENT_H
#define VFWD_CTL_CLIENT_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define CTL_EP_LEN	 256
#define CTL_MAX_REQUEST	 ((size_t)64 * 1024) /* larger requests get an error reply */
#define CTL_TIMEOUT_MS	 2000		     /* clients' default */
#define CTL_MAX_DELAY_MS 60000		     /* longest stats rate window */

#define CTL_EP_PORT_CONTROL "ipc:///var/run/virtio-forwarder/port_control"
#define CTL_EP_STATS	    "ipc:///var/run/virtio-forwarder/stats"
#define CTL_EP_CORE_SCHED   "ipc:///var/run/virtio-forwarder/core_sched"
#define CTL_EP_CONFIG	    "ipc:///var/run/virtio-forwarder/config"

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
				  const struct ProtobufCMessageDescriptor *reply_desc,
				  int timeout_ms, void **raw, size_t *raw_len);
/* For tools: @s as a number 0..@max into *v, or -1 after printing "PROG: OPT: ..." */
int ctl_parse_uint(const char *prog, const char *opt, const char *s, unsigned long max,
		   unsigned long *v);

/* ---- the tool frame (tool.c) ------------------------------------------------------ */

/* Exit codes of every tool. */
enum tool_exit {
	TOOL_OK = 0,	  /* done */
	TOOL_REFUSED = 1, /* the daemon answered with an error */
	TOOL_USAGE = 2,	  /* bad usage, or no daemon to ask */
};

/* An option of a tool; a printable @key is also its short option. */
struct tool_opt {
	const char *name; /* long name */
	int key;	  /* handed to the tool's on_opt; TOOL_KEY_EP: the endpoint */
	int has_arg;	  /* no_argument, required_argument */
	const char *arg;  /* argument name in --help */
	const char *help; /* NULL: an alias, left out of --help */
};

#define TOOL_KEY_EP 0x1000 /* the frame stores the endpoint itself */

/*
 * One tool: its name, what it does and its own options. The frame adds --timeout, --help and
 * --version, handles the endpoint options (key TOOL_KEY_EP) and hands every other option to
 * @on_opt.
 */
struct tool {
	const char *prog;
	const char *usage;   /* what follows the name on the usage line */
	const char *summary; /* what the tool does, one line */
	const char *epilog;  /* printed after the option list, or NULL */
	const struct tool_opt *opts;
	unsigned int nb_opts;
	const char *ep_default;
	/* Option @key with @arg (NULL without one). 0, or -1 after printing why. */
	int (*on_opt)(int key, const char *arg, void *ctx);
	/* The arguments left after the options; NULL: none allowed. 0, or -1 after printing why. */
	int (*on_args)(int argc, char **argv, void *ctx);
};

/* What the frame parsed for every tool. */
struct tool_common {
	const char *ep;
	int timeout_ms;
};

/*
 * Parse @argv for @t into @common (defaults first) and the tool's own state @ctx. Returns -1
 * to go on, or the exit code to leave with at once (TOOL_OK after --help or --version,
 * TOOL_USAGE after printing what was wrong).
 */
int tool_parse(const struct tool *t, int argc, char **argv, struct tool_common *common, void *ctx);
/* For tools: @arg as 0.1 to 3600 seconds into *v, or -1 after printing "PROG: OPT: ...". */
int tool_parse_seconds(const struct tool *t, const char *opt, const char *arg, double *v);
/* "PROG: " and @fmt on stderr, with a newline. */
void tool_err(const struct tool *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
