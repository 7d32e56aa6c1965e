/* SPDX-License-Identifier: BSD-3-Clause */
/* test_config.c: /etc/default/virtioforwarder reading (src/config_file.c through src/opts_parse.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "unit.h"

static struct vfwd_config cfg;
static char err[VFWD_ERR_LEN];
static char path[] = "/tmp/vfwd-config-XXXXXX";

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* Parse with --config @path plus the given options (NULL-terminated). */
static int parse(const char *text, ...)
{
	char *argv[32] = {"virtio-forwarder", "--config", path};
	int argc = 3;
	va_list ap;

	write_file(text);
	va_start(ap, text);
	for (const char *a = va_arg(ap, const char *); a && argc < 31; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	err[0] = '\0';
	return opts_parse(argc, argv, &cfg, stdout, err, sizeof(err));
}

START_TEST(every_syntax)
{
	ck_assert_int_eq(parse("# a comment\n"
			       "\n"
			       "VIRTIOFWD_CPU_MASK=0x6\n"
			       "  VIRTIOFWD_LOG_LEVEL=\"5\"   # trailing comment\n"
			       "export VIRTIOFWD_SOCKET_DIR='/tmp/with space'\n"
			       "VIRTIOFWD_STATIC_VFS=(0000:02:08.0=1 \"net_tap0,iface=t0=2\"\n"
			       "   02:08.2=3)\n"
			       "VIRTIOFWD_CPU_PINS=1:1,2\n"
			       "VIRTIOFWD_VHOST_CLIENT=y\n"
			       "VIRTIOFWD_TSO=\n"
			       "VIRTIOFWD_MRGBUF=\"\"\n"
			       "VIRTIOFWD_JUMBO=n\n"
			       "VIRTIOFWD_VF_MTU=\"4000\"\n"
			       "VIRTIOFWD_ZMQ_STATS_EP=ipc:///tmp/s\n"
			       "VIRTIOFWD_ZMQ_CONFIG_EP=\n"
			       "VIRTIOFWD_DEVICE_ALIASES=(02:08.0=net_null0)\n"
			       "VIRTIOFWD_SOCKET_OWNER=root\n",
			       NULL),
			 OPTS_RUN);
	ck_assert(cpuset_has(&cfg.relay.workers, 1) && cpuset_has(&cfg.relay.workers, 2));
	ck_assert_int_eq(cfg.loglevel, 5);
	ck_assert_str_eq(cfg.relay.vhost_dir, "/tmp/with space");
	ck_assert_uint_eq(cfg.nb_static, 3);
	ck_assert_str_eq(cfg.statics[1].dev, "net_tap0,iface=t0");
	ck_assert_uint_eq(cfg.statics[2].id, 3);
	ck_assert_int_eq(cfg.relay.pins[1].cpu[1], 2);
	ck_assert(cfg.relay.client_mode);
	ck_assert(!cfg.relay.tso && !cfg.relay.mrgbuf); /* blank: off */
	ck_assert(cfg.relay.jumbo);			/* non-blank enables, even "n" */
	ck_assert_uint_eq(cfg.relay.vf_mtu, 4000);
	ck_assert_str_eq(cfg.ctl.stats_ep, "ipc:///tmp/s");
	ck_assert_str_eq(cfg.ctl.config_ep, "");
	ck_assert_uint_eq(cfg.relay.nb_aliases, 1);
	ck_assert_int_eq((int)cfg.relay.sock_uid, 0);
}
END_TEST

START_TEST(command_line_overrides)
{
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\nVIRTIOFWD_LOG_LEVEL=3\n"
			       "VIRTIOFWD_STATIC_VFS=(a=1 b=2)\n",
			       "-l", "7", "-P", "c=5", NULL),
			 OPTS_RUN);
	ck_assert_int_eq(cfg.loglevel, 7);
	ck_assert_uint_eq(cfg.nb_static, 1); /* a list on the command line replaces the file's */
	ck_assert_str_eq(cfg.statics[0].dev, "c");
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\nVIRTIOFWD_STATIC_VFS=a=1\n", NULL), OPTS_RUN);
	ck_assert_uint_eq(cfg.nb_static, 1); /* a single bare value for a list key */
}
END_TEST

START_TEST(bad_values_name_key_value_and_rule)
{
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\nVIRTIOFWD_LOG_LEVEL=9\n", NULL), -EINVAL);
	ck_assert_ptr_nonnull(
		strstr(err, ":2: VIRTIOFWD_LOG_LEVEL: '9' is not a log level in 0..7"));
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=(1 2)\n", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, ":1: VIRTIOFWD_CPU_MASK: takes one value, not a list"));
	ck_assert_int_eq(
		parse("VIRTIOFWD_CPU_MASK=1\nVIRTIOFWD_SOCKET_FNAME_PATTERN=x.sock\n", NULL),
		-EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "VIRTIOFWD_SOCKET_FNAME_PATTERN: 'x.sock' is not"));
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=\"1\n", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, ":1: VIRTIOFWD_CPU_MASK: unterminated quote"));
	ck_assert_int_eq(parse("VIRTIOFWD_STATIC_VFS=(a=1\n", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "array not closed"));
	ck_assert_int_eq(parse("this is not an assignment\n", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, ":1: 'this is not an assignment' is not KEY=value"));
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\nVIRTIOFWD_STATIC_VFS=(a=64)\n", NULL),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "relay id '64' is not a number in 0..63"));
	ck_assert_int_eq(parse("VIRTIOFWD_LOG_LEVEL=6\n", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "VIRTIOFWD_CPU_MASK"));
}
END_TEST

START_TEST(vfio_bind_list)
{
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\n"
			       "VIRTIOFWD_BIND_VFIO_PCI=(0000:01:02.3 01:02.4 eth5 eth6:4)\n",
			       NULL),
			 OPTS_RUN);
	ck_assert_uint_eq(cfg.nb_bind, 4);
	ck_assert_str_eq(cfg.bind[3], "eth6:4");
	/* The reference's form: one comma-separated string, trimmed, PCI lower-cased, once. */
	ck_assert_int_eq(
		parse("VIRTIOFWD_CPU_MASK=1\n"
		      "VIRTIOFWD_BIND_VFIO_PCI=\"0000:01:02.3, 01:02.4,eth5:2 ,,0000:01:0A.3,"
		      "01:02.3\"\n",
		      NULL),
		OPTS_RUN);
	ck_assert_uint_eq(cfg.nb_bind, 4);
	ck_assert_str_eq(cfg.bind[0], "0000:01:02.3");
	ck_assert_str_eq(cfg.bind[1], "0000:01:02.4");
	ck_assert_str_eq(cfg.bind[2], "eth5:2");
	ck_assert_str_eq(cfg.bind[3], "0000:01:0a.3");
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\nVIRTIOFWD_BIND_VFIO_PCI=eth5:x\n", NULL),
			 -EINVAL);
	ck_assert_ptr_nonnull(
		strstr(err, "'eth5:x' is not a list of 0000:01:02.3, 01:02.3, netdev or "));
}
END_TEST

START_TEST(unknown_and_compat_keys_warn)
{
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\nVIRTIOFWD_NO_SUCH_KEY=1\n"
			       "VIRTIOFWD_ZERO_COPY=y\n",
			       NULL),
			 OPTS_RUN);
	ck_assert_ptr_nonnull(strstr(cfg.warnings, "unknown key VIRTIOFWD_NO_SUCH_KEY ignored"));
	ck_assert_ptr_nonnull(strstr(cfg.warnings, "VIRTIOFWD_ZERO_COPY='y' ignored"));
}
END_TEST

/* The core scheduler's keys: the balancer's settings, checked; the reference's quirks. */
START_TEST(core_sched_keys)
{
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\n", NULL), OPTS_RUN);
	ck_assert(!cfg.ctl.balance.enabled);
	ck_assert_double_eq(cfg.ctl.balance.sensitivity, 0.25);
	ck_assert_double_eq(cfg.ctl.balance.interval_s, 5);
	ck_assert_int_eq(cfg.ctl.balance.log_level, 6);
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\nVIO4WD_CORE_SCHED_ENABLE=true\n"
			       "VIO4WD_CORE_SCHED_SENSITIVITY=0.5\n"
			       "VIO4WD_CORE_SCHED_POLL_INTERVAL=2.5\n"
			       "VIO4WD_CORE_SCHED_LOG_LEVEL=0\n"
			       "VIO4WD_CORE_SCHED_GLOBAL_NUMA_OPT=n\n",
			       NULL),
			 OPTS_RUN);
	ck_assert(cfg.ctl.balance.enabled);
	ck_assert_double_eq(cfg.ctl.balance.sensitivity, 0.5);
	ck_assert_double_eq(cfg.ctl.balance.interval_s, 2.5);
	ck_assert_int_eq(cfg.ctl.balance.log_level, 7); /* 0: all, as the reference */
	ck_assert(cfg.ctl.balance.global_numa);		/* non-blank, even "n" */
	ck_assert_ptr_null(strstr(cfg.later, "VIO4WD"));
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\nVIO4WD_CORE_SCHED_ENABLE=False\n", NULL),
			 OPTS_RUN);
	ck_assert(!cfg.ctl.balance.enabled);
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\nVIO4WD_CORE_SCHED_ENABLE=maybe\n", NULL),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "'maybe' is not true or false"));
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\nVIO4WD_CORE_SCHED_SENSITIVITY=-1\n", NULL),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "'-1' is not a number from 0 to 100"));
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\nVIO4WD_CORE_SCHED_POLL_INTERVAL=0\n", NULL),
			 -EINVAL);
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\nVIO4WD_CORE_SCHED_POLL_INTERVAL=5s\n", NULL),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "'5s' is not a number of seconds"));
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\nVIO4WD_CORE_SCHED_LOG_LEVEL=8\n", NULL),
			 -EINVAL);
	/* the command line: --core-sched alone enables, its value or a later key can disable */
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\n", "--core-sched", "--core-sched-interval",
			       "1", "--core-sched-global-numa", NULL),
			 OPTS_RUN);
	ck_assert(cfg.ctl.balance.enabled && cfg.ctl.balance.global_numa);
	ck_assert_double_eq(cfg.ctl.balance.interval_s, 1);
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\nVIO4WD_CORE_SCHED_ENABLE=true\n",
			       "--core-sched=no", NULL),
			 OPTS_RUN);
	ck_assert(!cfg.ctl.balance.enabled);
}
END_TEST

/* The reference's keys that are not in compatibility.md (reference-behaviour.md 6). */
START_TEST(reference_only_keys)
{
	/* -Z wins over -I, as in the reference: no word about IPC then. */
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\nVIRTIOFWD_IPC_PORT_CONTROL=y\n"
			       "VIRTIOFWD_ZMQ_PORT_CONTROL_EP=ipc:///tmp/pc\n",
			       NULL),
			 OPTS_RUN);
	ck_assert(cfg.ipc);
	ck_assert_ptr_null(strstr(cfg.warnings, "--ipc"));
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\nVIRTIOFWD_IPC_PORT_CONTROL=y\n", NULL),
			 OPTS_RUN);
	ck_assert(cfg.ipc);
	ck_assert_str_eq(cfg.ipc_file, "/tmp/vio_cmd");
	ck_assert_int_eq(
		parse("VIRTIOFWD_CPU_MASK=1\nVIRTIOFWD_OVSDB_SOCK_PATH=/run/db.sock\n", NULL),
		OPTS_RUN);
	ck_assert_str_eq(cfg.ovsdb_sock, "/run/db.sock");
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\nVIRTIOFWD_BINARY=/opt/vf/bin/vfwd\n", NULL),
			 OPTS_RUN);
	ck_assert_str_eq(cfg.binary, "/opt/vf/bin/vfwd");
	ck_assert_int_eq(parse("VIRTIOFWD_CPU_MASK=1\nVIRTIOFWD_BINARY=vfwd\n", NULL), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "VIRTIOFWD_BINARY"));
}
END_TEST

/* Every key of the compatibility spec is in the shipped file, which parses cleanly. */
START_TEST(default_file_round_trip)
{
	static const char *const keys[] = {"VIRTIOFWD_CPU_MASK",
					   "VIRTIOFWD_LOG_LEVEL",
					   "VIRTIOFWD_MASTER_LCORE",
					   "VIRTIOFWD_STATIC_VFS",
					   "VIRTIOFWD_CPU_PINS",
					   "VIRTIOFWD_VHOST_CLIENT",
					   "VIRTIOFWD_DYNAMIC_SOCKETS",
					   "VIRTIOFWD_SOCKET_DIR",
					   "VIRTIOFWD_SOCKET_FNAME_PATTERN",
					   "VIRTIOFWD_SOCKET_OWNER",
					   "VIRTIOFWD_SOCKET_GROUP",
					   "VIRTIOFWD_HUGETLBFS_MOUNT_POINT",
					   "VIRTIOFWD_JUMBO",
					   "VIRTIOFWD_MRGBUF",
					   "VIRTIOFWD_TSO",
					   "VIRTIOFWD_CPU_NIC_SAME_NUMA",
					   "VIRTIOFWD_VFIO_VF_TOKEN",
					   "VIRTIOFWD_BIND_VFIO_PCI",
					   "VIRTIOFWD_PID_DIR",
					   "VIRTIOFWD_ZMQ_PORT_CONTROL_EP",
					   "VIRTIOFWD_ZMQ_STATS_EP",
					   "VIRTIOFWD_ZMQ_CORE_SCHED_EP",
					   "VIRTIOFWD_ZMQ_CONFIG_EP",
					   "VIRTIOFWD_ZERO_COPY",
					   "VIO4WD_CORE_SCHED_ENABLE",
					   "VIO4WD_CORE_SCHED_SENSITIVITY",
					   "VIO4WD_CORE_SCHED_POLL_INTERVAL",
					   "VIO4WD_CORE_SCHED_LOG_LEVEL",
					   "VIO4WD_CORE_SCHED_GLOBAL_NUMA_OPT",
					   "VIRTIOFWD_DEVICE_ALIASES"};
	static char text[16384];
	FILE *f = fmemopen(text, sizeof(text), "w");
	char needle[80];

	opts_default_file(f);
	fclose(f);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(needle, sizeof(needle), "\n%s=", keys[i]);
		ck_assert_msg(strstr(text, needle), "default file lacks %s", keys[i]);
	}
	ck_assert_ptr_nonnull(strstr(text, "\nVIRTIOFWD_VHOST_CLIENT=y\n"));
	ck_assert_int_eq(parse(text, "-M", "3", NULL), OPTS_RUN);
	ck_assert_str_eq(cfg.warnings, "");
	ck_assert(cfg.relay.client_mode && cfg.relay.jumbo && cfg.relay.mrgbuf && !cfg.relay.tso);
	ck_assert_str_eq(cfg.ctl.port_control_ep, "ipc:///var/run/virtio-forwarder/port_control");
}
END_TEST

START_TEST(check_config_and_missing_file)
{
	char *argv[] = {"virtio-forwarder", "--check-config", path, NULL};

	write_file("VIRTIOFWD_CPU_MASK=1\n");
	ck_assert_int_eq(opts_parse(3, argv, &cfg, stdout, err, sizeof(err)), OPTS_RUN);
	ck_assert(cfg.check_only);
	argv[2] = "/nonexistent/virtioforwarder";
	ck_assert_int_eq(opts_parse(3, argv, &cfg, stdout, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "cannot read /nonexistent/virtioforwarder"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	int fd = mkstemp(path), ret;

	if (fd < 0)
		return EXIT_FAILURE;
	close(fd);
	tcase_add_test(tc, every_syntax);
	tcase_add_test(tc, command_line_overrides);
	tcase_add_test(tc, bad_values_name_key_value_and_rule);
	tcase_add_test(tc, unknown_and_compat_keys_warn);
	tcase_add_test(tc, core_sched_keys);
	tcase_add_test(tc, reference_only_keys);
	tcase_add_test(tc, vfio_bind_list);
	tcase_add_test(tc, default_file_round_trip);
	tcase_add_test(tc, check_config_and_missing_file);
	suite_add_tcase(s, tc);
	ret = unit_run(s);
	unlink(path);
	return ret;
}
