/* SPDX-License-Identifier: BSD-3-Clause */
/* main.c: virtio-forwarder entry point: parse options, run the daemon. */
#include <stdio.h>
#include <stdlib.h>

#include "daemon.h"

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
	if (cfg.check_only) {
		fprintf(stderr, "%s", cfg.warnings); /* the daemon logs them when it runs */
		printf("%s: OK\n", cfg.config_path);
		return EXIT_SUCCESS;
	}
	return daemon_run(&cfg);
}
