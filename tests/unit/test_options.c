/* SPDX-License-Identifier: BSD-3-Clause */
/* test_options.c: the daemon's command line (src/opts_*.c): every option, every bad value. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "opts_int.h"
#include "unit.h"

static struct vfwd_config cfg;
static char err[VFWD_ERR_LEN];
static char out_buf[8192];

/* Parse a NULL-terminated argument list (argv[0] added), capturing --help output. */
static int parse(const char *first, ...)
{
	char *argv[64] = {"virtio-forwarder"};
	int argc = 1;
	va_list ap;
	FILE *out = fmemopen(out_buf, sizeof(out_buf), "w");
	int ret;

	va_start(ap, first);
	for (const char *a = first; a && argc < 63; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	memset(out_buf, 0, sizeof(out_buf));
	ret = opts_parse(argc, argv, &cfg, out, err, sizeof(err));
	fclose(out);
	return ret;
}

#define ck_assert_bad(needle, ...)                                                                 \
	do {                                                                                       \
		ck_assert_int_eq(parse(__VA_ARGS__, NULL), -EINVAL);                               \
		ck_assert_msg(strstr(err, needle), "error '%s' lacks '%s'", err, needle);          \
	} while (0)

START_TEST(defaults)
{
	ck_assert_int_eq(parse("-C", "1", NULL), OPTS_RUN);
	ck_assert_uint_eq(cfg.relay.main_lcore, 0);
	ck_assert(!cfg.nodaemon);
	ck_assert_int_eq(cfg.loglevel, 6);
	ck_assert_str_eq(cfg.pid_dir, "/var/run");
	ck_assert_str_eq(cfg.relay.vhost_dir, "/tmp/virtio-forwarder");
	ck_assert_str_eq(cfg.relay.pattern, "virtio-forwarder%u.sock");
	ck_assert_str_eq(cfg.file_prefix, "virtio-forwarder");
	ck_assert(!cfg.relay.client_mode && !cfg.relay.jumbo && !cfg.relay.mrgbuf &&
		  !cfg.relay.tso);
	ck_assert(!cfg.no_huge);
	ck_assert_uint_eq(cfg.mem_mb, 0);
	ck_assert_uint_eq(cfg.nb_static, 0);
	ck_assert_int_eq((int)cfg.relay.sock_uid, -1);
	ck_assert_int_eq(cfg.relay.pins[5].cpu[0], -1);
	ck_assert_str_eq(cfg.ctl.state_dir, "/var/lib/virtio-forwarder");
	ck_assert_int_eq(parse("-C", "1", "--state-dir", "", NULL), OPTS_RUN);
	ck_assert_str_eq(cfg.ctl.state_dir, "");
	ck_assert_bad("--state-dir: 'rel' is not an absolute", "-C", "1", "--state-dir", "rel");
}
END_TEST

START_TEST(every_option_long_and_short)
{
	ck_assert_int_eq(parse("--cpus", "1-2", "--master-lcore", "0", "--nodaemon", "--loglevel",
			       "7", "--pid-path", "/run/x", "--huge-dir", "/mnt/huge",
			       "--vhost-path", "/tmp/s", "--vhost-socket", "vm%u.sock",
			       "--vhost-username=root", "--vhost-groupname=root",
			       "--vhostuser-client", "--virtio-cpu", "3:1,2", "--add-pci-vf",
			       "02:08.0=3", "--enable-jumbo", "--enable-mrgbuf", "--enable-tso",
			       "--no-huge", "--mem", "128", "--file-prefix", "p1", "--vf-mtu",
			       "9216", NULL),
			 OPTS_RUN);
	ck_assert_uint_eq(cpuset_count(&cfg.relay.workers), 2);
	ck_assert(cfg.nodaemon);
	ck_assert_int_eq(cfg.loglevel, 7);
	ck_assert_str_eq(cfg.pid_dir, "/run/x");
	ck_assert_str_eq(cfg.huge_dir, "/mnt/huge");
	ck_assert_str_eq(cfg.relay.vhost_dir, "/tmp/s");
	ck_assert_str_eq(cfg.relay.pattern, "vm%u.sock");
	ck_assert_int_eq((int)cfg.relay.sock_uid, 0);
	ck_assert_int_eq((int)cfg.relay.sock_gid, 0);
	ck_assert(cfg.relay.client_mode && cfg.relay.jumbo && cfg.relay.mrgbuf && cfg.relay.tso);
	ck_assert_int_eq(cfg.relay.pins[3].cpu[RELAY_VF_TO_VM], 1);
	ck_assert_int_eq(cfg.relay.pins[3].cpu[RELAY_VM_TO_VF], 2);
	ck_assert_uint_eq(cfg.nb_static, 1);
	ck_assert_str_eq(cfg.statics[0].dev, "02:08.0");
	ck_assert_uint_eq(cfg.statics[0].id, 3);
	ck_assert(cfg.no_huge);
	ck_assert_uint_eq(cfg.mem_mb, 128);
	ck_assert_str_eq(cfg.file_prefix, "p1");
	ck_assert_uint_eq(cfg.relay.vf_mtu, 9216);

	ck_assert_int_eq(parse("-C", "0x6", "-M", "0", "-n", "-l", "3", "-p", "/r", "-H", "/h",
			       "-V", "/v", "-S", "%u", "-u0", "-g0", "-i", "-c", "1:2", "-P",
			       "net_null0=1", "-P", "net_tap0,iface=t=2", "-J", "-R", "-T", NULL),
			 OPTS_RUN);
	ck_assert(cpuset_has(&cfg.relay.workers, 1) && cpuset_has(&cfg.relay.workers, 2));
	ck_assert_int_eq(cfg.loglevel, 3);
	ck_assert_uint_eq(cfg.nb_static, 2);
	ck_assert_str_eq(cfg.statics[1].dev, "net_tap0,iface=t");
	ck_assert_uint_eq(cfg.statics[1].id, 2);
	ck_assert_int_eq(cfg.relay.pins[1].cpu[0], 2);
	ck_assert_int_eq(cfg.relay.pins[1].cpu[1], 2);
	ck_assert(cfg.relay.client_mode && cfg.relay.jumbo && cfg.relay.mrgbuf && cfg.relay.tso);
}
END_TEST

START_TEST(later_options_are_reported)
{
	ck_assert_int_eq(parse("-C", "1", "-s", "-t", "0", "-d", "-a", NULL), OPTS_RUN);
	ck_assert_str_eq(cfg.later, ""); /* the core-scheduler service is there now */
	ck_assert_str_eq(cfg.ctl.core_sched_ep, CTL_EP_CORE_SCHED);
	ck_assert_str_eq(cfg.vf_token, "14d63f20-8445-11ea-8900-1f9ce7d5650d");
	ck_assert(cfg.same_numa);
	ck_assert(cfg.relay.dynamic);
	ck_assert_bad("--vfio-vf-token: 'abc' is not a UUID", "-C", "1", "-t", "abc");
	ck_assert_int_eq(parse("-C", "1", "-t", "01234567-89ab-cdef-0123-456789ABCDEF", NULL),
			 OPTS_RUN);
	ck_assert_bad("no relays at start with --dynamic-sockets", "-C", "1", "-d", "-P", "a=1");
}
END_TEST

START_TEST(zmq_endpoints)
{
	ck_assert_int_eq(parse("-C", "1", NULL), OPTS_RUN);
	ck_assert_str_eq(cfg.ctl.port_control_ep, "");
	ck_assert_str_eq(cfg.ctl.stats_ep, "");
	ck_assert_str_eq(cfg.ctl.config_ep, "");
	ck_assert_int_eq(parse("-C", "1", "-Z", "-z", "-Y", NULL), OPTS_RUN);
	ck_assert_str_eq(cfg.ctl.port_control_ep, "ipc:///var/run/virtio-forwarder/port_control");
	ck_assert_str_eq(cfg.ctl.stats_ep, "ipc:///var/run/virtio-forwarder/stats");
	ck_assert_str_eq(cfg.ctl.config_ep, "ipc:///var/run/virtio-forwarder/config");
	ck_assert_int_eq(parse("-C", "1", "-Zipc:///tmp/pc", "--zmq-stats-ep=tcp://127.0.0.1:7000",
			       "--zmq-config-ep=ipc:///tmp/cf", NULL),
			 OPTS_RUN);
	ck_assert_str_eq(cfg.ctl.port_control_ep, "ipc:///tmp/pc");
	ck_assert_str_eq(cfg.ctl.stats_ep, "tcp://127.0.0.1:7000");
	ck_assert_str_eq(cfg.ctl.config_ep, "ipc:///tmp/cf");
	ck_assert_str_eq(cfg.later, "");
	ck_assert_bad("--zmq-stats-ep: '/tmp/x' is not a ZeroMQ endpoint", "-C", "1",
		      "--zmq-stats-ep=/tmp/x");
}
END_TEST

START_TEST(help_and_version)
{
	ck_assert_int_eq(parse("--help", NULL), OPTS_EXIT);
	ck_assert_ptr_nonnull(strstr(out_buf, "Usage: virtio-forwarder"));
	ck_assert_ptr_nonnull(strstr(out_buf, "-C, --cpus LIST"));
	ck_assert_ptr_nonnull(strstr(out_buf, "--file-prefix NAME"));
	ck_assert_ptr_nonnull(strstr(out_buf, "-Z, --zmq-port-control-ep[=EP]"));
	ck_assert_int_eq(parse("-v", NULL), OPTS_EXIT);
	/* The reference's words, which scripts parse. */
	ck_assert_str_eq(out_buf,
			 "Virtio-forwarder version " VFWD_VERSION " (" VFWD_DPDK_VERSION ")\n");
}
END_TEST

/*
 * The man page, --help and the shipped default file come from the option table: every entry
 * of the table (read here, not typed again) is in each of them.
 */
START_TEST(manpage_lists_every_option)
{
	static char man[65536], help[16384], dflt[32768];
	FILE *f = fmemopen(man, sizeof(man), "w");
	char needle[128];

	opts_manpage(f);
	fclose(f);
	f = fmemopen(help, sizeof(help), "w");
	opts_usage(f);
	fclose(f);
	f = fmemopen(dflt, sizeof(dflt), "w");
	opts_default_file(f);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(man, ".TH VIRTIO-FORWARDER 8"));
	ck_assert_uint_ge(opts_count, 40);
	for (size_t i = 0; i < opts_count; i++) {
		const struct opt *o = &opts[i];

		if (o->name) {
			snprintf(needle, sizeof(needle), "\\fB\\-\\-%s\\fR", o->name);
			ck_assert_msg(strstr(man, needle), "man page lacks --%s", o->name);
			snprintf(needle, sizeof(needle), "--%s", o->name);
			ck_assert_msg(strstr(help, needle), "--help lacks --%s", o->name);
		}
		if (o->env) {
			snprintf(needle, sizeof(needle), "\\fB%s\\fR", o->env);
			ck_assert_msg(strstr(man, needle), "man page lacks key %s", o->env);
			snprintf(needle, sizeof(needle), "\n%s=", o->env);
			ck_assert_msg(strstr(dflt, needle), "default file lacks key %s", o->env);
		}
	}
	ck_assert_ptr_nonnull(strstr(man, ".SH SIGNALS"));
	ck_assert_ptr_nonnull(strstr(man, "(file key \\fBVIRTIOFWD_CPU_MASK\\fR)"));
}
END_TEST

START_TEST(control_group_and_idle_policy)
{
	ck_assert_int_eq(parse("-C", "1", NULL), OPTS_RUN);
	ck_assert_int_eq((int)cfg.ctl.ipc_gid, -1);	     /* endpoints: owner only */
	ck_assert_uint_eq(cfg.relay.idle_sleep_max_us, 500); /* the documented default */
	ck_assert_int_eq(parse("-C", "1", "-g0", NULL), OPTS_RUN);
	ck_assert_int_eq((int)cfg.ctl.ipc_gid, -1); /* -g is the vhost sockets' group only */
	ck_assert_int_eq(parse("-C", "1", "--control-group", "0", "--idle-sleep-max-us", "0", NULL),
			 OPTS_RUN);
	ck_assert_int_eq((int)cfg.ctl.ipc_gid, 0);
	ck_assert_uint_eq(cfg.relay.idle_sleep_max_us, 0);
	/* Interrupt mode: on by default; BOOL, or alone for true. */
	ck_assert_int_eq(parse("-C", "1", NULL), OPTS_RUN);
	ck_assert(cfg.relay.idle_irq);
	ck_assert_int_eq(parse("-C", "1", "--idle-interrupts=false", NULL), OPTS_RUN);
	ck_assert(!cfg.relay.idle_irq);
	ck_assert_int_eq(parse("-C", "1", "--idle-interrupts=no", "--idle-interrupts", NULL),
			 OPTS_RUN);
	ck_assert(cfg.relay.idle_irq);
	ck_assert_bad("--idle-interrupts: 'sometimes' is not true or false", "-C", "1",
		      "--idle-interrupts=sometimes");
}
END_TEST

START_TEST(vf_queues)
{
	ck_assert_int_eq(parse("-C", "1", NULL), OPTS_RUN);
	ck_assert_uint_eq(cfg.relay.vf_queues, 1); /* one queue pair: the reference's relay */
	ck_assert_int_eq(parse("-C", "1", "--vf-queues", "8", NULL), OPTS_RUN);
	ck_assert_uint_eq(cfg.relay.vf_queues, 8);
	ck_assert_bad("--vf-queues: '9' is not a number of queue pairs (1..8)", "-C", "1",
		      "--vf-queues", "9");
	ck_assert_bad("--vf-queues: '0' is not a number of queue pairs", "-C", "1", "--vf-queues",
		      "0");
}
END_TEST

/* --vf-ring-size and its key; the hugepage estimate follows the rings. */
START_TEST(vf_ring_size)
{
	ck_assert_int_eq(parse("-C", "1", NULL), OPTS_RUN);
	ck_assert_uint_eq(cfg.relay.vf_ring_size, 512);
	ck_assert_uint_eq(huge_need_mb(64, 512), 328); /* 8 + 64 x 5 MB, as before the option */
	ck_assert_int_eq(parse("-C", "1", "--vf-ring-size", "128", NULL), OPTS_RUN);
	ck_assert_uint_eq(cfg.relay.vf_ring_size, 128);
	ck_assert_uint_lt(huge_need_mb(64, 128), huge_need_mb(64, 512));
	ck_assert_uint_gt(huge_need_mb(1, 4096), huge_need_mb(1, 512) + 16);
	ck_assert_bad("--vf-ring-size: '63' is not a number of descriptors (64..4096)", "-C", "1",
		      "--vf-ring-size", "63");
	ck_assert_bad("--vf-ring-size: '8192' is not a number of descriptors", "-C", "1",
		      "--vf-ring-size", "8192");
}
END_TEST

/* -u/-g (reference-behaviour.md 1.2), -n[=log_syslog], -s turning stats on. */
START_TEST(reference_optional_values)
{
	ck_assert_int_eq(parse("-C", "1", "-uroot", "-groot", NULL), OPTS_RUN);
	ck_assert_int_eq((int)cfg.relay.sock_uid, 0);
	ck_assert_int_eq((int)cfg.relay.sock_gid, 0);
	ck_assert_int_eq(parse("-C", "1", "-u", "-g", NULL), OPTS_RUN); /* alone: keep ours */
	ck_assert_int_eq((int)cfg.relay.sock_uid, -1);
	ck_assert_int_eq((int)cfg.relay.sock_gid, -1);
	/* Client mode chowns nothing: an unknown name is a warning there. */
	ck_assert_int_eq(parse("-C", "1", "-i", "-uno-such-user-xyz", NULL), OPTS_RUN);
	ck_assert_ptr_nonnull(strstr(cfg.warnings, "no user 'no-such-user-xyz'"));
	ck_assert_int_eq(parse("-C", "1", "-n", NULL), OPTS_RUN);
	ck_assert(cfg.nodaemon && !cfg.log_syslog);
	ck_assert_int_eq(parse("-C", "1", "--nodaemon=log_syslog", NULL), OPTS_RUN);
	ck_assert(cfg.nodaemon && cfg.log_syslog);
	ck_assert_int_eq(parse("-C", "1", "-s", NULL), OPTS_RUN);
	ck_assert_str_eq(cfg.ctl.stats_ep, CTL_EP_STATS);
	ck_assert_int_eq(parse("-C", "1", "-zipc:///tmp/st", "-s", NULL), OPTS_RUN);
	ck_assert_str_eq(cfg.ctl.stats_ep, "ipc:///tmp/st");
}
END_TEST

START_TEST(bad_values_name_the_problem)
{
	ck_assert_bad("no worker CPUs", "-n");
	ck_assert_bad("--cpus: 'x' is not a CPU list", "-C", "x");
	ck_assert_bad("--cpus: '' is not a CPU list", "-C", "");
	ck_assert_bad("--master-lcore: '-1' is not a CPU number", "-C", "1", "-M", "-1");
	ck_assert_bad("--master-lcore: CPU 1 is also a worker", "-C", "1", "-M", "1");
	ck_assert_bad("--loglevel: '8' is not a log level", "-C", "1", "-l", "8");
	ck_assert_bad("--loglevel: 'info' is not a log level", "-C", "1", "-l", "info");
	ck_assert_bad("--pid-path: 'run' is not an absolute", "-C", "1", "-p", "run");
	ck_assert_bad("--huge-dir: 'h' is not an absolute", "-C", "1", "-H", "h");
	ck_assert_bad("--vhost-path: '' is not an absolute", "-C", "1", "-V", "");
	ck_assert_bad("--vhost-socket: 'vm.sock' is not a socket file name", "-C", "1", "-S",
		      "vm.sock");
	ck_assert_bad("--vhost-socket: '%s%u'", "-C", "1", "-S", "%s%u");
	ck_assert_bad("--vhost-username: no user 'no-such-user-xyz' on this host", "-C", "1",
		      "-uno-such-user-xyz");
	ck_assert_bad("--vhost-groupname: no group 'no-such-group-xyz' on this host", "-C", "1",
		      "--vhost-groupname=no-such-group-xyz");
	/* Optional values are attached, as getopt reads them: "-u NAME" is a stray argument. */
	ck_assert_bad("unexpected argument 'nobody'", "-C", "1", "-u", "nobody");
	ck_assert_bad("--vhost-socket: 'vm%u7.sock'", "-C", "1", "-S", "vm%u7.sock");
	ck_assert_bad("--control-group: 'no-such-group-xyz' is not a known group", "-C", "1",
		      "--control-group", "no-such-group-xyz");
	ck_assert_bad("--idle-sleep-max-us: '100001' is not a time in microseconds", "-C", "1",
		      "--idle-sleep-max-us", "100001");
	ck_assert_bad("--idle-sleep-max-us: 'x'", "-C", "1", "--idle-sleep-max-us", "x");
	ck_assert_bad("--virtio-cpu: '1' is not a CPU pin list", "-C", "1", "-c", "1");
	ck_assert_bad("--virtio-cpu: '64:1'", "-C", "1", "-c", "64:1");
	ck_assert_bad("--virtio-cpu: '1:2,x'", "-C", "1", "-c", "1:2,x");
	ck_assert_bad("--add-pci-vf: 'net_null0' is not DEV=ID", "-C", "1", "-P", "net_null0");
	ck_assert_bad("--add-pci-vf: 'net_null0=64': relay id '64'", "-C", "1", "-P",
		      "net_null0=64");
	ck_assert_bad("uses a relay id given twice", "-C", "1", "-P", "a=1", "-P", "b=1");
	ck_assert_bad("--mem: '8' is not a memory size", "-C", "1", "--mem", "8");
	ck_assert_bad("--vf-mtu: '67' is not an MTU in bytes (68..65535)", "-C", "1", "--vf-mtu",
		      "67");
	ck_assert_bad("--vf-mtu: 'jumbo' is not an MTU", "-C", "1", "--vf-mtu", "jumbo");
	ck_assert_bad("--mem: 'lots'", "-C", "1", "--mem", "lots");
	ck_assert_bad("--file-prefix: 'a/b' is not a file prefix", "-C", "1", "--file-prefix",
		      "a/b");
	ck_assert_bad("unknown option '--bogus'", "-C", "1", "--bogus");
	ck_assert_bad("unexpected argument 'extra'", "-C", "1", "extra");
	ck_assert_bad("option -C needs an argument", "-C");
}
END_TEST

START_TEST(device_aliases)
{
	ck_assert_int_eq(parse("-C", "1", "--device-alias", "02:08.0=net_tap0,iface=a=b",
			       "--device-alias", "0000:02:08.1=net_null0", NULL),
			 OPTS_RUN);
	ck_assert_uint_eq(cfg.relay.nb_aliases, 2);
	ck_assert_str_eq(cfg.relay.aliases[0].pci, "0000:02:08.0");
	ck_assert_str_eq(cfg.relay.aliases[0].dev, "net_tap0,iface=a=b");
	ck_assert_str_eq(relay_alias_resolve(cfg.relay.aliases, 2, "02:08.1"), "net_null0");
	ck_assert_str_eq(relay_alias_resolve(cfg.relay.aliases, 2, "0000:02:08.0"),
			 "net_tap0,iface=a=b");
	ck_assert_str_eq(relay_alias_resolve(cfg.relay.aliases, 2, "02:08.2"), "02:08.2");
	ck_assert_str_eq(relay_alias_resolve(cfg.relay.aliases, 2, "net_null0"), "net_null0");
	ck_assert_bad("--device-alias: 'net_null0' is not PCI=DEVSTRING", "-C", "1",
		      "--device-alias", "net_null0");
	/* An interface name (for -I and -O) is a key too; a PCI-looking request never hits it. */
	ck_assert_int_eq(parse("-C", "1", "--device-alias", "vf0=net_null0", NULL), OPTS_RUN);
	ck_assert_str_eq(cfg.relay.aliases[0].pci, "vf0");
	ck_assert_str_eq(relay_alias_resolve(cfg.relay.aliases, 1, "vf0"), "vf0");
	ck_assert_bad("does not start with a PCI address (dddd:bb:ss.f or bb:ss.f) or an interface",
		      "-C", "1", "--device-alias", "a/b=net_null0");
	ck_assert_bad("or an interface name", "-C", "1", "--device-alias",
		      "an-interface-name-too-long=net_null0");
	ck_assert_bad("has an empty or too long device string", "-C", "1", "--device-alias",
		      "02:08.0=");
	ck_assert_bad("aliases a PCI address given twice", "-C", "1", "--device-alias", "02:08.0=a",
		      "--device-alias", "0000:02:08.0=b");
}
END_TEST

START_TEST(repeated_pins_accumulate)
{
	ck_assert_int_eq(parse("-C", "1-3", "-c", "1:1,2;2:3", "-c", "4:2", NULL), OPTS_RUN);
	ck_assert_int_eq(cfg.relay.pins[1].cpu[0], 1);
	ck_assert_int_eq(cfg.relay.pins[1].cpu[1], 2);
	ck_assert_int_eq(cfg.relay.pins[2].cpu[0], 3);
	ck_assert_int_eq(cfg.relay.pins[4].cpu[1], 2);
	ck_assert_int_eq(cfg.relay.pins[0].cpu[0], -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("options");

	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_option_long_and_short);
	tcase_add_test(tc, later_options_are_reported);
	tcase_add_test(tc, zmq_endpoints);
	tcase_add_test(tc, help_and_version);
	tcase_add_test(tc, manpage_lists_every_option);
	tcase_add_test(tc, control_group_and_idle_policy);
	tcase_add_test(tc, vf_queues);
	tcase_add_test(tc, vf_ring_size);
	tcase_add_test(tc, reference_optional_values);
	tcase_add_test(tc, bad_values_name_the_problem);
	tcase_add_test(tc, repeated_pins_accumulate);
	tcase_add_test(tc, device_aliases);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
