/* SPDX-License-Identifier: BSD-3-Clause */
/* mangen.c: build-time tool printing virtio-forwarder(8) from the option table. */
#include <stdio.h>

#include "daemon.h"

int main(void)
{
	opts_manpage(stdout);
	return 0;
}
