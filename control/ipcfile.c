/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ipcfile.c: port control through a command file (-I, the reference's /tmp/vio_cmd): one
 * "add_port NETDEV" or "del_port NETDEV" per file, read and deleted. The reference polled the
 * file every millisecond; we wait on inotify for it to be closed after writing or moved in.
 *
 * The reference's syntax, kept: the first 128 bytes count, the first character decides (a:
 * add, d: del), the interface name is the first word from byte 8 on. A file that is not a
 * regular file owned by root or by us is removed unread (the directory is usually /tmp).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_log.h>

#include "ctl.h"
#include "relay.h"
#include "vlog.h"

#define CMD_MAX 128

struct ctl_ipcfile {
	const struct ctl_config *cfg;
	int fd;
	char path[PATH_MAX];
	const char *name; /* last component of path */
};

/* Act on one command text; the file is gone already. */
static void ipc_command(const struct ctl_ipcfile *w, const char *text)
{
	char netdev[17] = "", dev[RELAY_DEV_LEN], why[320];
	int index;

	if (strlen(text) > 8)
		sscanf(text + 8, "%16s", netdev);
	if ((text[0] != 'a' && text[0] != 'd') || !netdev[0]) {
		VLOG(WARNING, "%s: '%.40s' is not 'add_port NETDEV' or 'del_port NETDEV'; ignored",
		     w->path, text);
		return;
	}
	if (ctl_netdev_map(w->cfg, netdev, dev, sizeof(dev), &index, why, sizeof(why))) {
		VLOG(WARNING, "%s: %s: %s", w->path, text[0] == 'a' ? "add_port" : "del_port", why);
		return;
	}
	/* The reference's relay id is the VF's number under its PF; else the lowest free one. */
	if (text[0] == 'a')
		ctl_vf_attach(w->path, index, dev);
	else
		ctl_vf_detach(w->path, dev);
}

/* Read, delete and act on the command file if it is there. */
static void ipc_take(const struct ctl_ipcfile *w)
{
	char text[CMD_MAX + 1];
	struct stat st = {0};
	ssize_t n = -1;
	bool ours;
	int fd;

	fd = open(w->path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return;
	ours = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	       (st.st_uid == 0 || st.st_uid == geteuid());
	if (ours)
		n = read(fd, text, CMD_MAX);
	close(fd);
	/* Gone before anything is said of it: one command per file. */
	if (unlink(w->path))
		VLOG(WARNING, "%s: cannot remove it: %s", w->path, strerror(errno));
	if (!ours)
		VLOG(WARNING, "%s: not a regular file of root's or ours (uid %u); removed unread",
		     w->path, (unsigned int)st.st_uid);
	if (n <= 0)
		return;
	text[n] = '\0';
	text[strcspn(text, "\n")] = '\0';
	ipc_command(w, text);
}

struct ctl_ipcfile *ctl_ipcfile_open(const struct ctl_config *cfg)
{
	struct ctl_ipcfile *w = calloc(1, sizeof(*w));
	char dir[PATH_MAX];
	char *slash;

	if (!w)
		return NULL;
	w->cfg = cfg;
	snprintf(w->path, sizeof(w->path), "%s", cfg->ipc_path);
	snprintf(dir, sizeof(dir), "%s", cfg->ipc_path);
	slash = strrchr(dir, '/');
	if (!slash || !slash[1]) {
		VLOG(ERR, "IPC command file '%s' is not an absolute file path", cfg->ipc_path);
		goto out_free;
	}
	*(slash == dir ? slash + 1 : slash) = '\0';
	w->name = strrchr(w->path, '/') + 1;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0 || inotify_add_watch(w->fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
		VLOG(ERR, "cannot watch %s for %s: %s", dir, w->name, strerror(errno));
		goto out_close;
	}
	VLOG(INFO, "port control through %s (add_port / del_port NETDEV)", w->path);
	ipc_take(w); /* one written while we were not running */
	return w;
out_close:
	if (w->fd >= 0)
		close(w->fd);
out_free:
	free(w);
	return NULL;
}

int ctl_ipcfile_fd(const struct ctl_ipcfile *w)
{
	return w->fd;
}

void ctl_ipcfile_ready(struct ctl_ipcfile *w)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool ours = false;
	ssize_t n;

	while ((n = read(w->fd, buf, sizeof(buf))) > 0)
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			ours |= e->len && !strcmp(e->name, w->name);
			p += sizeof(*e) + e->len;
		}
	if (ours)
		ipc_take(w);
}

void ctl_ipcfile_close(struct ctl_ipcfile *w)
{
	if (!w)
		return;
	close(w->fd);
	free(w);
}
