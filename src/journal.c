/* SPDX-License-Identifier: BSD-3-Clause */
/* journal.c: under systemd, log records go to journald with priorities and relay fields. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_log.h>
#include <systemd/sd-journal.h>

#include "daemon.h"
#include "relay.h"

/* A line in the making: DPDK may hand a record over in pieces. */
static char line[2048];
static size_t used;

/* "vfwd: relay 3: ..." -> 3, else -1. */
static int relay_of(const char *msg)
{
	const char *p = strstr(msg, "relay ");
	char *end;
	long id;

	if (!p || strncmp(msg, "vfwd: ", 6))
		return -1;
	id = strtol(p + 6, &end, 10);
	return end > p + 6 && id >= 0 && id < RELAY_MAX ? (int)id : -1;
}

static void send_line(const char *msg)
{
	/* DPDK levels are syslog's plus one */
	int prio = (int)rte_log_cur_msg_loglevel() - 1, id = relay_of(msg);
	char dev[RELAY_DEV_LEN], path[PATH_MAX];

	if (prio < 0 || prio > 7)
		prio = 6;
	if (id >= 0 && relay_log_ident((unsigned int)id, dev, sizeof(dev), path, sizeof(path)))
		sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", prio,
				"SYSLOG_IDENTIFIER=virtio-forwarder", "RELAY_ID=%d", id,
				"VHOST_SOCKET=%s", path, "VF=%s", dev, NULL);
	else if (id >= 0)
		sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", prio,
				"SYSLOG_IDENTIFIER=virtio-forwarder", "RELAY_ID=%d", id, NULL);
	else
		sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", prio,
				"SYSLOG_IDENTIFIER=virtio-forwarder", NULL);
}

static ssize_t journal_write(void *cookie, const char *buf, size_t len)
{
	(void)cookie;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n' || used + 1 >= sizeof(line)) {
			line[used] = '\0';
			if (used)
				send_line(line);
			used = 0;
			if (buf[i] == '\n')
				continue;
		}
		line[used++] = buf[i];
	}
	return (ssize_t)len;
}

void journal_setup(bool foreground)
{
	static cookie_io_functions_t io = {.write = journal_write};
	FILE *f;

	if (!getenv("JOURNAL_STREAM")) {
		/* not a systemd service: plain stderr in the foreground; EAL's syslog otherwise */
		if (foreground)
			rte_openlog_stream(stderr);
		return;
	}
	f = fopencookie(NULL, "w", io);
	if (f && rte_openlog_stream(f) == 0)
		return;
	fprintf(stderr, "virtio-forwarder: cannot log to the journal; using stderr\n");
}
