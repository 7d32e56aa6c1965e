/* SPDX-License-Identifier: BSD-3-Clause */
/* daemon.h: public interface of the daemon component: configuration, options, process plumbing. */
#ifndef VFWD_DAEMON_H
#define VFWD_DAEMON_H

#include <stdbool.h>
#include <stdio.h>

#include "ctl.h"
#include "relay_pure.h"

#define VFWD_ERR_LEN 256
/* -O's default: where Debian's Open vSwitch serves its database. */
#define VFWD_OVSDB_SOCK "/var/run/openvswitch/db.sock"
/* Exit status of set-up failures (EAL, sockets, control services), the reference's exit(-1). */
#define VFWD_EXIT_SETUP 255

struct vfwd_static_vf {
	char dev[RELAY_DEV_LEN];
	unsigned int id;
};

struct vfwd_config {
	struct relay_params relay;
	struct ctl_config ctl;
	bool cpus_set;
	bool nodaemon;
	bool log_syslog; /* -n=log_syslog: in the foreground, but log to syslog / the journal */
	/*
	 * -u / -g: [0] user, [1] group of server-mode sockets. Not given: libvirt-qemu / kvm
	 * (the reference's defaults; a host without them keeps the process's, with a warning);
	 * given empty (-u alone): keep the process's; else that name or number.
	 */
	char owner[2][64];
	bool owner_given[2];
	int loglevel; /* syslog 0..7 */
	char pid_dir[PATH_MAX];
	char huge_dir[PATH_MAX];
	bool no_huge;
	unsigned int mem_mb; /* 0: EAL default (hugepages) or 256 (--no-huge) */
	char file_prefix[64];
	struct vfwd_static_vf statics[RELAY_MAX];
	unsigned int nb_static;
	char later[256];	    /* options accepted but belonging to later releases */
	char config_path[PATH_MAX]; /* --config FILE ("" none) */
	bool check_only;	    /* --check-config: validate, report, exit */
	char warnings[1024];	    /* config file remarks, printed at start */
	char vf_token[40];	    /* --vfio-vf-token UUID ("" none) */
	bool same_numa;		    /* memory only on the worker CPUs' NUMA nodes */
	char bind[RELAY_MAX][64];   /* VIRTIOFWD_BIND_VFIO_PCI entries */
	bool ipc;		    /* -I: port control through the command file */
	char ipc_file[PATH_MAX];    /* --ipc-file: that file (default /tmp/vio_cmd) */
	char ovsdb_sock[PATH_MAX];  /* -O: port control following OVSDB (not yet) */
	char binary[PATH_MAX];	    /* VIRTIOFWD_BINARY: the executable to run instead */
	unsigned int nb_bind;
};

/* One KEY=value line (or KEY=(a b c) with @array) of a config file. 0 or -errno + @err. */
typedef int (*cfgfile_apply_fn)(void *ctx, const char *key, const char *const *vals, unsigned int n,
				bool array, char *err, size_t errlen);
/*
 * Read @path (/etc/default syntax: KEY=value, quotes, # comments, bash arrays,
 * "export KEY=...") and hand each assignment to @apply. Returns 0, or -errno
 * with "path:line: KEY: why" in @err.
 */
int cfgfile_parse(const char *path, cfgfile_apply_fn apply, void *ctx, char *err, size_t errlen);

/* What opts_parse() asks the caller to do next. */
enum opts_result {
	OPTS_RUN = 0,  /* configuration complete */
	OPTS_EXIT = 1, /* --help or --version printed: exit 0 */
};

void vfwd_config_default(struct vfwd_config *cfg);
/*
 * Parse the command line into @cfg (filled with defaults first). Returns
 * OPTS_RUN, OPTS_EXIT, or -EINVAL with a one-line reason in @err.
 * --help and --version print to @out.
 */
int opts_parse(int argc, char **argv, struct vfwd_config *cfg, FILE *out, char *err, size_t errlen);
void opts_usage(FILE *out);
/* The shipped /etc/default/virtioforwarder: every key, documented, reference defaults. */
void opts_default_file(FILE *out);
/* The man page virtio-forwarder(8), its option list generated from the same table. */
void opts_manpage(FILE *out);

/* "DEV=ID": the id follows the last '='. 0 or -EINVAL with @err set. */
int devspec_parse(const char *s, struct vfwd_static_vf *vf, char *err, size_t errlen);
/* "R:C[,C][;R:C[,C]...]" into @pins. 0 or -EINVAL with @err set. */
int pins_parse(const char *s, struct relay_pin pins[RELAY_MAX], char *err, size_t errlen);

/*
 * Create and lock <dir>/virtio-forwarder.pid, write our pid. Returns the fd
 * (keep it open) or -errno with @err set (-EBUSY: another instance runs).
 */
int pidfile_acquire(const char *dir, char *err, size_t errlen);
void pidfile_release(const char *dir, int fd);
/* (Re)write our pid into the locked file @fd, e.g. after daemonizing. 0 or -errno. */
int pidfile_write(int fd);

/*
 * Build EAL arguments from @cfg into @argv (at most @max entries, storage in
 * @buf). Returns argc or -E2BIG.
 */
int eal_args_build(const struct vfwd_config *cfg, const char *argv0, char **argv, int max,
		   char *buf, size_t buflen);
/* DPDK memory an estimate says the daemon needs for @relays static relays with VF rings of
 * @ring descriptors (--vf-ring-size), in MB. */
unsigned int huge_need_mb(unsigned int relays, unsigned int ring);
/*
 * With hugepages: is the hugetlbfs there and are enough pages free? 0, or
 * -errno with what is needed, where, and how to reserve it in @err.
 */
int huge_check(const struct vfwd_config *cfg, char *err, size_t len);
/*
 * --socket-mem value giving @mb MB to each NUMA node holding a worker of
 * @workers and 0 to the others (nodes from the sysfs tree at @sys). 0 or -E2BIG.
 */
int eal_socket_mem(const char *sys, const struct cpuset *workers, unsigned int mb, char *buf,
		   size_t len);
/* Remove /var/run/dpdk/<prefix> (EAL leaves it behind). */
void eal_runtime_dir_remove(const char *dir);

/* systemd (notify.c): READY=1, STATUS= once a second, WATCHDOG=1 only while workers progress. */
void notify_ready(void);
void notify_tick(void *arg);
void notify_stopping(void);

/*
 * Under systemd (JOURNAL_STREAM set): every log record to journald with PRIORITY and
 * RELAY_ID / VHOST_SOCKET / VF fields. Elsewhere: stderr when @foreground, else EAL's
 * default (syslog).
 */
void journal_setup(bool foreground);

/*
 * Bind each of @specs (0000:01:02.3, 01:02.3, netdev, netdev:count) to vfio-pci
 * through the sysfs tree at @sys ("/sys"; a fake tree in tests). 0 or -errno + @err.
 */
int vfio_bind_all(const char *sys, const char *const *specs, unsigned int n, char *err,
		  size_t errlen);

/*
 * PCI device @pci, to be relayed (added, or back after its removal): 0 when bound to vfio-pci,
 * binding it when @specs (VIRTIOFWD_BIND_VFIO_PCI) name it or its PF; else -errno, why in @why.
 */
int vfio_ready(const char *sys, const char *const *specs, unsigned int n, const char *pci,
	       char *why, size_t len);

/* Run the daemon with @cfg until SIGTERM/SIGINT; returns the exit status. */
int daemon_run(const struct vfwd_config *cfg);

#endif
