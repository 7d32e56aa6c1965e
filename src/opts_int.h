/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * opts_int.h: private to the option code of the daemon: the option table's entry, the one
 * setter signature, and the setters the table names. The table is opts_table.c, the setters
 * opts_set.c, the parser opts_parse.c, the writers (--help, man page, default file)
 * opts_write.c. Main thread, before anything starts (and mangen at build time).
 */
#ifndef VFWD_OPTS_INT_H
#define VFWD_OPTS_INT_H

#include <stddef.h>
#include <stdio.h>

#include "daemon.h"

struct opt;

/* One option or file key being applied: the setter reads and writes only through this. */
struct opt_call {
	const struct opt *o;
	struct vfwd_config *cfg;
	const char *arg; /* NULL: a flag, or an optional value left out */
	char *err;	 /* why the value is refused */
	size_t errlen;
	FILE *out; /* where --help and --version print */
};

/* 0, OPTS_EXIT (--help, --version) or -EINVAL with c->err set. */
typedef int (*opt_set_fn)(struct opt_call *c);

struct opt {
	const char *name; /* long name; NULL: a key of the file only */
	int key;	  /* short letter, or 0 for long-only */
	int has_arg;	  /* no_argument, required_argument, optional_argument */
	const char *arg;  /* argument name in --help */
	opt_set_fn set;
	const char *help;
	size_t off;	  /* field of struct vfwd_config for the generic setters */
	size_t size;	  /* its size (paths, endpoints) */
	const char *env;  /* key in /etc/default/virtioforwarder, or NULL */
	bool list;	  /* the key takes a list; the option repeats */
	const char *dflt; /* the shipped default file's value (reference defaults) */
};

/* Generic setters bound to a field of struct vfwd_config. */
#define CFG_BOOL(f) .set = set_flag, .off = offsetof(struct vfwd_config, f)
#define CFG_EP(f)                                                                                  \
	.set = set_endpoint, .off = offsetof(struct vfwd_config, f),                               \
	.size = sizeof(((struct vfwd_config *)0)->f)
#define CFG_STATE(f)                                                                               \
	.set = set_state_dir, .off = offsetof(struct vfwd_config, f),                              \
	.size = sizeof(((struct vfwd_config *)0)->f)
#define CFG_PATH(f)                                                                                \
	.set = set_path, .off = offsetof(struct vfwd_config, f),                                   \
	.size = sizeof(((struct vfwd_config *)0)->f)

/* The table (opts_table.c), at most OPTS_MAX entries. */
#define OPTS_MAX 64
extern const struct opt opts[];
extern const size_t opts_count;

/* Append one line to cfg->warnings (printed, then logged, at start). */
void opts_warn(struct vfwd_config *cfg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Setters (opts_set.c). The generic ones act on the field at o->off. */
int set_path(struct opt_call *c);      /* an absolute directory path */
int set_state_dir(struct opt_call *c); /* the same, or "" */
int set_flag(struct opt_call *c);      /* bool true */
int set_endpoint(struct opt_call *c);  /* a ZeroMQ endpoint, its default without a value */
int set_cpus(struct opt_call *c);
int set_main_lcore(struct opt_call *c);
int set_loglevel(struct opt_call *c);
int set_vhost_socket(struct opt_call *c);
int set_owner(struct opt_call *c);
int set_control_group(struct opt_call *c);
int set_pins(struct opt_call *c);
int set_static_vf(struct opt_call *c);
int set_alias(struct opt_call *c);
int set_mem(struct opt_call *c);
int set_vf_mtu(struct opt_call *c);
int set_idle_sleep(struct opt_call *c);
int set_idle_irq(struct opt_call *c); /* true/false */
int set_vf_queues(struct opt_call *c);
int set_vf_ring_size(struct opt_call *c);
int set_file_prefix(struct opt_call *c);
int set_token(struct opt_call *c);
int set_bind(struct opt_call *c);
int set_config(struct opt_call *c); /* --config, --check-config: read in a first pass */
int set_zero_copy(struct opt_call *c);
int set_later(struct opt_call *c); /* accepted, named in the start-up warning, not acted on */
int set_core_sched(struct opt_call *c);
int set_core_sched_ep(struct opt_call *c);
int set_nodaemon(struct opt_call *c);
int set_binary(struct opt_call *c);
int set_help(struct opt_call *c);
int set_version(struct opt_call *c);

#endif
