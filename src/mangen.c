/* SPDX-License-Identifier: BSD-3-Clause */
/* mangen.c: build-time tool printing virtio-forwarder(8) or the default file from the option table.
 */
#include <stdio.h>
#include <string.h>

#include "daemon.h"

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "default"))
		opts_default_file(stdout);
	else
		opts_manpage(stdout);
	return 0;
}
