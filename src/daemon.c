/* SPDX-License-Identifier: BSD-3-Clause */
/* daemon.c: process life: pid lock, daemonizing, EAL, static relays, the control loop, shutdown. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "daemon.h"
#include "relay.h"
#include "stats.h"
#include "vlog.h"

#define EAL_MAX_ARGS 32

/*
 * Fork into the background; the parent stays until the child reports
 * start-up success (one byte on @ready_fd) and exits with its verdict.
 * Returns 0 in the child with *ready_fd set, or never in the parent.
 */
static int daemonize(int *ready_fd)
{
	int pfd[2], null_fd;
	char ok = 0;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(pfd[1]);
		if (read(pfd[0], &ok, 1) != 1)
			ok = 0;
		_exit(ok ? EXIT_SUCCESS : EXIT_FAILURE);
	}
	close(pfd[0]);
	setsid();
	if (chdir("/"))
		return -errno;
	null_fd = open("/dev/null", O_RDWR);
	if (null_fd >= 0) {
		dup2(null_fd, STDIN_FILENO);
		dup2(null_fd, STDOUT_FILENO);
		dup2(null_fd, STDERR_FILENO);
		if (null_fd > STDERR_FILENO)
			close(null_fd);
	}
	*ready_fd = pfd[1];
	return 0;
}

static void ready_report(int *ready_fd, bool ok)
{
	char c = ok;

	if (*ready_fd < 0)
		return;
	if (write(*ready_fd, &c, 1) != 1)
		VLOG(WARNING, "cannot report start-up to the parent: %s", strerror(errno));
	close(*ready_fd);
	*ready_fd = -1;
}

static int eal_start(const struct vfwd_config *cfg, char *runtime_dir, size_t len)
{
	char *argv[EAL_MAX_ARGS], buf[4096];
	int argc, ret;

	argc = eal_args_build(cfg, "virtio-forwarder", argv, EAL_MAX_ARGS, buf, sizeof(buf));
	if (argc < 0)
		return argc;
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		ret = -rte_errno;
		fprintf(stderr, "virtio-forwarder: cannot initialise DPDK: %s%s\n",
			strerror(rte_errno),
			cfg->no_huge ? "" : " (no hugepages? try --no-huge or reserve some)");
		return ret;
	}
	snprintf(runtime_dir, len, "%s", rte_eal_get_runtime_dir());
	return 0;
}

static unsigned int relays_add_static(const struct vfwd_config *cfg)
{
	unsigned int ok = 0;

	for (unsigned int i = 0; i < cfg->nb_static; i++) {
		int ret = relay_add(cfg->statics[i].id, cfg->statics[i].dev);

		if (ret)
			VLOG(ERR, "static VF %s=%u not added: %s; other relays continue",
			     cfg->statics[i].dev, cfg->statics[i].id, strerror(-ret));
		else
			ok++;
	}
	return ok;
}

/*
 * Test hooks (VFWD_TEST_HOOKS=1 only): VFWD_TEST_GRACE_DELAY_US=N makes every grace period
 * last N microseconds longer, as a worker busy with a long pass can make it;
 * VFWD_TEST_FAIL_START=DEV makes starting device DEV fail, as a VF that cannot start does;
 * VFWD_TEST_FAIL_IRQ_START=DEV the same only while RX interrupts are configured on it;
 * VFWD_TEST_IRQ_SLEEP_MS=N makes a worker's sleeps in interrupt mode last up to N ms (100),
 * so that a wake-up that does not come shows; VFWD_TEST_VF_EVENT=FILE makes SIGUSR2 report
 * the event FILE names (reset, rmv, remove) for every relay's VF (relay_test_vf_event) instead
 * of stalling a worker.
 */
static void test_hooks_apply(void)
{
	const char *delay = getenv("VFWD_TEST_GRACE_DELAY_US");
	const char *dev = getenv("VFWD_TEST_FAIL_START");
	const char *irq_dev = getenv("VFWD_TEST_FAIL_IRQ_START");
	const char *irq_ms = getenv("VFWD_TEST_IRQ_SLEEP_MS");

	if (!getenv("VFWD_TEST_HOOKS"))
		return;
	if (delay) {
		relay_test_slow_grace((unsigned int)strtoul(delay, NULL, 10));
		VLOG(WARNING, "test hook: grace periods last %s us longer", delay);
	}
	if (dev) {
		relay_test_fail_start(dev, false);
		VLOG(WARNING, "test hook: starting device %s fails", dev);
	}
	if (irq_dev) {
		relay_test_fail_start(irq_dev, true);
		VLOG(WARNING, "test hook: starting device %s with RX interrupts fails", irq_dev);
	}
	if (irq_ms) {
		relay_test_irq_sleep((unsigned int)strtoul(irq_ms, NULL, 10));
		VLOG(WARNING, "test hook: sleeps in interrupt mode last up to %s ms", irq_ms);
	}
}

/* VIRTIOFWD_BIND_VFIO_PCI, for VFs that come back after their removal. */
static const char *bind_specs[RELAY_MAX];
static unsigned int nb_bind_specs;

static int vf_ready(const char *pci, char *why, size_t len)
{
	return vfio_ready("/sys", bind_specs, nb_bind_specs, pci, why, len);
}

/* Test hook: the VF event named in file @path, reported for every relay's VF. */
static void test_vf_event(const char *path)
{
	char what[16] = "";
	FILE *f = fopen(path, "r");

	if (!f || !fgets(what, sizeof(what), f))
		VLOG(WARNING, "test hook: cannot read a VF event from %s", path);
	if (f)
		fclose(f);
	what[strcspn(what, "\n")] = '\0';
	VLOG(WARNING, "test hook: VF event '%s' on every relay's VF: %d", what,
	     relay_test_vf_event(what));
}

/* Signals reaching the control loop: SIGUSR1 logs counters, the others stop. */
static bool on_signal(int signo, void *arg)
{
	(void)arg;
	if (signo == SIGUSR1) {
		relay_log_all();
		return false;
	}
	if (signo == SIGUSR2) {
		if (getenv("VFWD_TEST_HOOKS") && getenv("VFWD_TEST_VF_EVENT")) {
			test_vf_event(getenv("VFWD_TEST_VF_EVENT"));
		} else if (getenv("VFWD_TEST_HOOKS")) {
			VLOG(WARNING, "test hook: stalling a worker");
			relay_test_stall_worker();
		} else {
			VLOG(NOTICE, "SIGUSR2 ignored (test hooks are off)");
		}
		return false;
	}
	VLOG(NOTICE, "signal %d (%s) received: shutting down", signo, strsignal(signo));
	return true;
}

static int signals_block(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	/* Before EAL: every thread it creates inherits the mask. */
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC);
}

int daemon_run(const struct vfwd_config *cfg)
{
	char err[VFWD_ERR_LEN], runtime_dir[PATH_MAX] = "", cpus[256];
	int pid_fd, sfd, ready_fd = -1, status = EXIT_FAILURE;
	struct ctl_config ctl_cfg = cfg->ctl;
	struct ctl *ctl = NULL;
	unsigned int added;

	ctl_cfg.dynamic_sockets = cfg->relay.dynamic;
	if (cfg->ipc)
		snprintf(ctl_cfg.ipc_path, sizeof(ctl_cfg.ipc_path), "%s", cfg->ipc_file);
	/* Neither -Z nor -I: OVSDB drives the relays, as in the reference. */
	snprintf(ctl_cfg.ovsdb_sock, sizeof(ctl_cfg.ovsdb_sock), "%s",
		 cfg->ovsdb_sock[0] ? cfg->ovsdb_sock : VFWD_OVSDB_SOCK);
	snprintf(ctl_cfg.sysfs, sizeof(ctl_cfg.sysfs), "%s",
		 getenv("VFWD_SYSFS") ? getenv("VFWD_SYSFS") : "/sys");
	ctl_cfg.aliases = cfg->relay.aliases;
	ctl_cfg.nb_aliases = cfg->relay.nb_aliases;
	pid_fd = pidfile_acquire(cfg->pid_dir, err, sizeof(err));
	if (pid_fd < 0) {
		fprintf(stderr, "virtio-forwarder: %s\n", err);
		return EXIT_FAILURE;
	}
	if (!cfg->nodaemon) {
		if (daemonize(&ready_fd)) {
			fprintf(stderr, "virtio-forwarder: cannot daemonize: %s\n",
				strerror(errno));
			goto out_pid;
		}
		/* the lock travels with the descriptor: only the pid changes */
		if (pidfile_write(pid_fd))
			VLOG(WARNING, "cannot update the pid file with the daemon's pid");
	}
	if (huge_check(cfg, err, sizeof(err))) {
		fprintf(stderr, "virtio-forwarder: %s\n", err);
		goto out_pid;
	}
	if (cfg->nb_bind) {
		const char *specs[RELAY_MAX];

		for (unsigned int i = 0; i < cfg->nb_bind; i++)
			specs[i] = cfg->bind[i];
		if (vfio_bind_all("/sys", specs, cfg->nb_bind, err, sizeof(err))) {
			fprintf(stderr, "virtio-forwarder: %s\n", err);
			goto out_pid;
		}
	}
	sfd = signals_block();
	if (sfd < 0) {
		fprintf(stderr, "virtio-forwarder: cannot set up signals: %s\n", strerror(errno));
		goto out_pid;
	}
	journal_setup(cfg->nodaemon && !cfg->log_syslog);
	/* From here a failure to set up is the reference's exit(-1): status 255. */
	status = VFWD_EXIT_SETUP;
	if (eal_start(cfg, runtime_dir, sizeof(runtime_dir)))
		goto out_sig;
	if (cfg->later[0])
		VLOG(WARNING, "not supported yet, ignored: %s", cfg->later);
	if (cfg->config_path[0])
		VLOG(INFO, "configuration from %s", cfg->config_path);
	for (char *w = (char *)cfg->warnings, *nl; *w; w = nl + 1) {
		nl = strchr(w, '\n');
		if (!nl)
			break;
		VLOG(WARNING, "%.*s", (int)(nl - w), w);
	}
	if (stats_telemetry_register())
		VLOG(WARNING, "telemetry commands not registered");
	if (relay_engine_start(&cfg->relay))
		goto out_eal;
	for (nb_bind_specs = 0; nb_bind_specs < cfg->nb_bind; nb_bind_specs++)
		bind_specs[nb_bind_specs] = cfg->bind[nb_bind_specs];
	relay_vf_ready_hook(vf_ready);
	test_hooks_apply();
	added = relays_add_static(cfg);
	added += ctl_persist_restore(&cfg->ctl);
	ctl = ctl_open(&ctl_cfg);
	if (!ctl) {
		VLOG(ERR, "cannot start the control services: %s", strerror(errno));
		goto out_engine;
	}
	cpuset_format(&cfg->relay.workers, cpus, sizeof(cpus));
	VLOG(NOTICE, "ready: %u relay(s) (%u static), workers on CPU %s, %s sockets in %s", added,
	     cfg->nb_static, cpus, cfg->relay.client_mode ? "client" : "server",
	     cfg->relay.vhost_dir);
	ready_report(&ready_fd, true);
	notify_ready();
	if (ctl_run(ctl, sfd, &(struct ctl_hooks){on_signal, notify_tick, NULL}) == 0)
		status = EXIT_SUCCESS;
	notify_stopping();
	ctl_close(ctl);
out_engine:
	relay_engine_stop();
	VLOG(NOTICE, "stopped");
out_eal:
	rte_eal_cleanup();
	eal_runtime_dir_remove(runtime_dir);
out_sig:
	close(sfd);
out_pid:
	ready_report(&ready_fd, false);
	pidfile_release(cfg->pid_dir, pid_fd);
	return status;
}
