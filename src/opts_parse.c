/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * opts_parse.c: the command line and the configuration file through the option table: the file
 * first (--config), then the options, which override it; then the checks across options.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "opts_int.h"

#define LONG_ONLY_BASE 256

void vfwd_config_default(struct vfwd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	relay_params_default(&cfg->relay);
	cfg->ctl.ipc_gid = (gid_t)-1;
	snprintf(cfg->ctl.state_dir, sizeof(cfg->ctl.state_dir), "/var/lib/virtio-forwarder");
	cfg->loglevel = 6;
	cfg->ctl.balance = (struct ctl_balance){false, 0.25, 5, 6, false};
	snprintf(cfg->pid_dir, sizeof(cfg->pid_dir), "/var/run");
	snprintf(cfg->file_prefix, sizeof(cfg->file_prefix), "virtio-forwarder");
	snprintf(cfg->ipc_file, sizeof(cfg->ipc_file), "/tmp/vio_cmd");
}

static int getopt_tables(struct option *lopts, char *shorts)
{
	size_t s = 0, l = 0;

	for (size_t i = 0; i < opts_count; i++) {
		if (!opts[i].name) /* a file key only */
			continue;
		lopts[l++] = (struct option){opts[i].name, opts[i].has_arg, NULL,
					     opts[i].key ? opts[i].key : LONG_ONLY_BASE + (int)i};
		if (!opts[i].key)
			continue;
		shorts[s++] = (char)opts[i].key;
		if (opts[i].has_arg == required_argument)
			shorts[s++] = ':';
		else if (opts[i].has_arg == optional_argument)
			shorts[s++] = ':', shorts[s++] = ':';
	}
	shorts[s] = '\0';
	lopts[l] = (struct option){0};
	return 0;
}

static const struct opt *opt_find(int key)
{
	if (key >= LONG_ONLY_BASE && key < LONG_ONLY_BASE + (int)opts_count)
		return &opts[key - LONG_ONLY_BASE];
	for (size_t i = 0; i < opts_count; i++)
		if (opts[i].key == key)
			return &opts[i];
	return NULL;
}

/* A list option given on the command line replaces what the file listed. */
static void list_clear(const struct opt *o, struct vfwd_config *cfg)
{
	if (o->key == 'P')
		cfg->nb_static = 0;
	else if (o->key == 'c')
		for (unsigned int r = 0; r < RELAY_MAX; r++)
			cfg->relay.pins[r].cpu[0] = cfg->relay.pins[r].cpu[1] = -1;
	else if (o->set == set_alias)
		cfg->relay.nb_aliases = 0;
}

/* One KEY=value of the file, through the option that KEY stands for. */
static int apply_key(void *ctx, const char *key, const char *const *vals, unsigned int n,
		     bool array, char *err, size_t len)
{
	struct vfwd_config *cfg = ctx;
	const struct opt *o = NULL;
	int ret;

	for (size_t i = 0; i < opts_count && !o; i++)
		if (opts[i].env && !strcmp(opts[i].env, key))
			o = &opts[i];
	if (!o) {
		opts_warn(cfg, "unknown key %s ignored", key);
		return 0;
	}
	if (n > 1 && !o->list) {
		snprintf(err, len, "takes one value, not a list of %u", n);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct opt_call c = {o,	  cfg, o->has_arg == no_argument ? NULL : vals[i],
				     err, len, stdout};

		if (!vals[i][0])
			continue; /* blank: the option is off (flags: "non-blank enables") */
		ret = o->set(&c);
		if (ret < 0)
			return ret;
		if (o->has_arg == no_argument)
			break;
	}
	(void)array;
	return 0;
}

/* First pass: only --config / --check-config, so that the file comes before the options. */
static void config_prescan(int argc, char **argv, const struct option *lopts, const char *shorts,
			   struct vfwd_config *cfg)
{
	int c;

	optind = 0;
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		const struct opt *o = opt_find(c);

		if (o && o->set == set_config && optarg) {
			snprintf(cfg->config_path, sizeof(cfg->config_path), "%s", optarg);
			cfg->check_only = !strcmp(o->name, "check-config");
		}
	}
}

/*
 * The owner and group of server-mode sockets (reference-behaviour.md 1.2): named ones must
 * exist in server mode (client mode never chowns: a warning); the defaults, libvirt-qemu and
 * kvm, are used where the host has them.
 */
static int owners_resolve(struct vfwd_config *cfg, char *err, size_t errlen)
{
	static const char *const dflt[2] = {"libvirt-qemu", "kvm"}, *const what[2] = {"user",
										      "group"};

	for (int i = 0; i < 2; i++) {
		const char *name = cfg->owner_given[i] ? cfg->owner[i] : dflt[i];
		struct passwd *pw = NULL;
		struct group *gr = NULL;
		unsigned long v = 0;
		char *end = (char *)"";

		/* -u alone; -d (the reference looks none up); client mode chowns nothing */
		if (!name[0] || cfg->relay.dynamic ||
		    (cfg->relay.client_mode && !cfg->owner_given[i]))
			continue;
		if (i == 0)
			pw = getpwnam(name);
		else
			gr = getgrnam(name);
		if (pw)
			v = pw->pw_uid;
		else if (gr)
			v = gr->gr_gid;
		else
			v = strtoul(name, &end, 10);
		if (!pw && !gr && (*end || !isdigit((unsigned char)name[0]) || v > 0x7fffffff)) {
			if (!cfg->owner_given[i]) {
				opts_warn(cfg,
					  "no %s '%s' on this host: server-mode sockets keep "
					  "this process's %s (set %s)",
					  what[i], name, what[i], i ? "-gGROUP" : "-uUSER");
				continue;
			}
			if (cfg->relay.client_mode) {
				opts_warn(cfg,
					  "option --%s: no %s '%s' on this host (client mode "
					  "chowns nothing)",
					  i ? "vhost-groupname" : "vhost-username", what[i], name);
				continue;
			}
			snprintf(err, errlen,
				 "option --%s: no %s '%s' on this host (server-mode sockets are "
				 "given to it; -%c alone keeps this process's)",
				 i ? "vhost-groupname" : "vhost-username", what[i], name,
				 i ? 'g' : 'u');
			return -EINVAL;
		}
		if (i == 0)
			cfg->relay.sock_uid = (uid_t)v;
		else
			cfg->relay.sock_gid = (gid_t)v;
		/* As the reference's pre-start script: a named owner gets the directory too. */
		cfg->relay.sock_dir_chown |= cfg->owner_given[i];
	}
	return 0;
}

/* What no single option can check: the options together. OPTS_RUN or -EINVAL with @err. */
static int opts_check(struct vfwd_config *cfg, char *err, size_t errlen)
{
	if (!cfg->cpus_set) {
		snprintf(err, errlen,
			 "no worker CPUs: give -C/--cpus (e.g. -C 1) or VIRTIOFWD_CPU_MASK");
		return -EINVAL;
	}
	if (cfg->relay.dynamic && cfg->nb_static) {
		snprintf(err, errlen,
			 "option --add-pci-vf: no relays at start with "
			 "--dynamic-sockets; add them with ADD_SOCK");
		return -EINVAL;
	}
	if (owners_resolve(cfg, err, errlen))
		return -EINVAL;

	if (cpuset_has(&cfg->relay.workers, cfg->relay.main_lcore)) {
		snprintf(err, errlen, "option --master-lcore: CPU %u is also a worker in --cpus",
			 cfg->relay.main_lcore);
		return -EINVAL;
	}
	return OPTS_RUN;
}

int opts_parse(int argc, char **argv, struct vfwd_config *cfg, FILE *out, char *err, size_t errlen)
{
	struct option lopts[OPTS_MAX + 1];
	char shorts[3 * OPTS_MAX + 2], why[VFWD_ERR_LEN];
	bool cli_seen[OPTS_MAX] = {false};
	int c, ret;

	vfwd_config_default(cfg);
	getopt_tables(lopts, shorts);
	opterr = 0;
	config_prescan(argc, argv, lopts, shorts, cfg);
	if (cfg->config_path[0]) {
		ret = cfgfile_parse(cfg->config_path, apply_key, cfg, err, errlen);
		if (ret)
			return ret;
	}
	optind = 0; /* full reset: parse may run more than once (tests) */
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		const struct opt *o = opt_find(c);
		struct opt_call call = {o, cfg, optarg, why, sizeof(why), out};

		if (!o) {
			snprintf(err, errlen, "unknown option '%s' (see --help)",
				 argv[optind - 1] ? argv[optind - 1] : "?");
			if (optopt && c == '?' && optopt < 128 && opt_find(optopt))
				snprintf(err, errlen, "option -%c needs an argument", optopt);
			return -EINVAL;
		}
		if (o->list && !cli_seen[o - opts])
			list_clear(o, cfg);
		cli_seen[o - opts] = true;
		ret = o->set(&call);
		if (ret < 0) {
			snprintf(err, errlen, "option --%s: %s", o->name, why);
			return ret;
		}
		if (ret == OPTS_EXIT)
			return OPTS_EXIT;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
		return -EINVAL;
	}
	return opts_check(cfg, err, errlen);
}
