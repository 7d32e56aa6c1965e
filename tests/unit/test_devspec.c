/* SPDX-License-Identifier: BSD-3-Clause */
/* test_devspec.c: DEV=ID and CPU pin parsing, pid file locking, EAL arguments (src/). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"
#include "unit.h"

START_TEST(devid_id_after_last_equals)
{
	struct vfwd_static_vf vf;
	char err[VFWD_ERR_LEN];

	ck_assert_int_eq(devspec_parse("0000:02:08.0=1", &vf, err, sizeof(err)), 0);
	ck_assert_str_eq(vf.dev, "0000:02:08.0");
	ck_assert_uint_eq(vf.id, 1);
	ck_assert_int_eq(devspec_parse("net_af_packet0,iface=veth0=63", &vf, err, sizeof(err)), 0);
	ck_assert_str_eq(vf.dev, "net_af_packet0,iface=veth0");
	ck_assert_uint_eq(vf.id, 63);
	ck_assert_int_eq(
		devspec_parse("net_pcap0,rx_pcap=/a=b.pcap,tx_pcap=c=0", &vf, err, sizeof(err)), 0);
	ck_assert_str_eq(vf.dev, "net_pcap0,rx_pcap=/a=b.pcap,tx_pcap=c");
	ck_assert_uint_eq(vf.id, 0);
}
END_TEST

START_TEST(devid_rejects)
{
	static const char *const bad[] = {"net_null0", "=1",   "a=",   "a=64",
					  "a=-1",      "a=1x", "a= 1", "a=99999999999999999999"};
	struct vfwd_static_vf vf;
	char err[VFWD_ERR_LEN];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ck_assert_msg(devspec_parse(bad[i], &vf, err, sizeof(err)) == -EINVAL, "'%s'",
			      bad[i]);
		ck_assert_msg(strstr(err, bad[i]) != NULL, "error '%s' does not quote '%s'", err,
			      bad[i]);
	}
}
END_TEST

START_TEST(pins)
{
	struct relay_pin pins[RELAY_MAX];
	char err[VFWD_ERR_LEN];

	for (int i = 0; i < RELAY_MAX; i++)
		pins[i].cpu[0] = pins[i].cpu[1] = -1;
	ck_assert_int_eq(pins_parse("0:1,2;63:5", pins, err, sizeof(err)), 0);
	ck_assert_int_eq(pins[0].cpu[RELAY_VF_TO_VM], 1);
	ck_assert_int_eq(pins[0].cpu[RELAY_VM_TO_VF], 2);
	ck_assert_int_eq(pins[63].cpu[0], 5);
	ck_assert_int_eq(pins[63].cpu[1], 5);
	ck_assert_int_eq(pins_parse("1:2;", pins, err, sizeof(err)), 0);
	ck_assert_int_eq(pins_parse("", pins, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(pins_parse(";", pins, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(pins_parse("1:", pins, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(pins_parse(":1", pins, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(pins_parse("1:2,3,4", pins, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(pins_parse("1:256", pins, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(pins_parse("1-2:3", pins, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "'1-2:3' is not a CPU pin list"));
}
END_TEST

START_TEST(pidfile_is_exclusive)
{
	char dir[] = "/tmp/vfwd-pid-XXXXXX", err[VFWD_ERR_LEN], path[64], buf[32] = "";
	int fd, fd2, f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	fd = pidfile_acquire(dir, err, sizeof(err));
	ck_assert_int_ge(fd, 0);
	snprintf(path, sizeof(path), "%s/virtio-forwarder.pid", dir);
	f = open(path, O_RDONLY);
	ck_assert_int_gt(read(f, buf, sizeof(buf) - 1), 0);
	close(f);
	ck_assert_int_eq(atol(buf), getpid());
	/* flock is per open file description: a second open is refused. */
	fd2 = pidfile_acquire(dir, err, sizeof(err));
	ck_assert_int_eq(fd2, -EBUSY);
	ck_assert_ptr_nonnull(strstr(err, "another virtio-forwarder"));
	pidfile_release(dir, fd);
	ck_assert_int_ne(access(path, F_OK), 0);
	ck_assert_int_lt(pidfile_acquire("/nonexistent-dir-xyz", err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr(err, "cannot open pid file"));
	rmdir(dir);
}
END_TEST

static bool has_args(char **argv, int argc, const char *a, const char *b)
{
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], a) && (!b || (i + 1 < argc && !strcmp(argv[i + 1], b))))
			return true;
	return false;
}

START_TEST(eal_arguments)
{
	struct vfwd_config cfg;
	char *argv[32], buf[2048];
	int argc;

	vfwd_config_default(&cfg);
	cpuset_parse("1-2", &cfg.relay.workers);
	cfg.no_huge = true;
	snprintf(cfg.file_prefix, sizeof(cfg.file_prefix), "pfx");
	argc = eal_args_build(&cfg, "vf", argv, 32, buf, sizeof(buf));
	ck_assert_int_gt(argc, 0);
	ck_assert(has_args(argv, argc, "-l", "0,1,2"));
	ck_assert(has_args(argv, argc, "--main-lcore", "0"));
	ck_assert(has_args(argv, argc, "--file-prefix", "pfx"));
	ck_assert(has_args(argv, argc, "--no-huge", NULL));
	ck_assert(has_args(argv, argc, "-m", "256"));
	/* Never auto-probe PCI: the allow-list holds only a sentinel. */
	ck_assert(has_args(argv, argc, "-a", "ffff:ff:1f.7"));
	ck_assert(!has_args(argv, argc, "--no-pci", NULL));

	cfg.no_huge = false;
	cfg.mem_mb = 0;
	snprintf(cfg.huge_dir, sizeof(cfg.huge_dir), "/mnt/h");
	argc = eal_args_build(&cfg, "vf", argv, 32, buf, sizeof(buf));
	ck_assert(has_args(argv, argc, "--huge-dir", "/mnt/h"));
	ck_assert(has_args(argv, argc, "--huge-unlink", NULL));
	ck_assert(!has_args(argv, argc, "-m", NULL));
	ck_assert_int_eq(eal_args_build(&cfg, "vf", argv, 4, buf, sizeof(buf)), -E2BIG);

	snprintf(cfg.vf_token, sizeof(cfg.vf_token), "14d63f20-8445-11ea-8900-1f9ce7d5650d");
	cfg.same_numa = true;
	cfg.mem_mb = 300;
	argc = eal_args_build(&cfg, "vf", argv, 32, buf, sizeof(buf));
	ck_assert(
		has_args(argv, argc, "--vfio-vf-token=14d63f20-8445-11ea-8900-1f9ce7d5650d", NULL));
	ck_assert(has_args(argv, argc, "--socket-mem", NULL));
	ck_assert(!has_args(argv, argc, "-m", NULL));
}
END_TEST

/* Workers on CPUs 2 and 3, which sit on node 1 of a two-node machine: memory only there. */
START_TEST(socket_mem_follows_workers)
{
	char sys[] = "/tmp/vfwd-numa-XXXXXX", path[256], out[64], cmd[300];
	struct cpuset w;
	static const char *const nodes[] = {"cpu0/node0", "cpu1/node0", "cpu2/node1", "cpu3/node1"};

	ck_assert_ptr_nonnull(mkdtemp(sys));
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/devices/system/cpu/%s", sys, nodes[i]);
		snprintf(cmd, sizeof(cmd), "mkdir -p %s", path);
		ck_assert_int_eq(system(cmd), 0);
	}
	cpuset_parse("2-3", &w);
	ck_assert_int_eq(eal_socket_mem(sys, &w, 512, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "0,512");
	cpuset_parse("1", &w);
	ck_assert_int_eq(eal_socket_mem(sys, &w, 64, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "64");
	cpuset_parse("1,3", &w);
	ck_assert_int_eq(eal_socket_mem(sys, &w, 64, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "64,64");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", sys);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("devspec");
	TCase *tc = tcase_create("devspec");

	tcase_add_test(tc, devid_id_after_last_equals);
	tcase_add_test(tc, devid_rejects);
	tcase_add_test(tc, pins);
	tcase_add_test(tc, pidfile_is_exclusive);
	tcase_add_test(tc, eal_arguments);
	tcase_add_test(tc, socket_mem_follows_workers);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
