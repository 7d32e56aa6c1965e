/* SPDX-License-Identifier: BSD-3-Clause */
/* main.c: virtio-forwarder entry point: parse options, run the daemon. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon.h"

/*
 * VIRTIOFWD_BINARY names another executable (the reference's start script ran it): run it with
 * the same arguments, once (the environment marks the hand-over).
 */
static void binary_exec(const struct vfwd_config *cfg, char **argv)
{
	struct stat self, other;

	if (!cfg->binary[0] || getenv("VFWD_EXEC_BINARY") || stat("/proc/self/exe", &self))
		return;
	if (stat(cfg->binary, &other) == 0 && other.st_dev == self.st_dev &&
	    other.st_ino == self.st_ino)
		return;
	setenv("VFWD_EXEC_BINARY", cfg->binary, 1);
	execv(cfg->binary, argv);
	fprintf(stderr, "virtio-forwarder: VIRTIOFWD_BINARY: cannot run %s: %s\n", cfg->binary,
		strerror(errno));
	exit(EXIT_FAILURE);
}

int main(int argc, char **argv)
{
	static struct vfwd_config cfg;
	char err[VFWD_ERR_LEN];
	int ret = opts_parse(argc, argv, &cfg, stdout, err, sizeof(err));

	if (ret == OPTS_EXIT)
		return EXIT_SUCCESS;
	if (ret < 0) { /* usage and bad values: 1, as the reference */
		fprintf(stderr, "virtio-forwarder: %s\n", err);
		return EXIT_FAILURE;
	}
	binary_exec(&cfg, argv);
	if (cfg.check_only) {
		fprintf(stderr, "%s", cfg.warnings); /* the daemon logs them when it runs */
		printf("%s: OK\n", cfg.config_path);
		return EXIT_SUCCESS;
	}
	return daemon_run(&cfg);
}
