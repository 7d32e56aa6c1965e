/* SPDX-License-Identifier: BSD-3-Clause */
/* pidfile.c: the locked pid file that keeps one daemon per pid directory. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "daemon.h"

#define PIDFILE_NAME "virtio-forwarder.pid"

int pidfile_write(int fd)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n)
		return -errno;
	return 0;
}

int pidfile_acquire(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX], buf[32] = "";
	ssize_t n;
	int fd, ret;

	if (snprintf(path, sizeof(path), "%s/%s", dir, PIDFILE_NAME) >= (int)sizeof(path)) {
		snprintf(err, errlen, "pid path %s is too long", dir);
		return -ENAMETOOLONG;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot open pid file %s: %s", path, strerror(errno));
		return ret;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(err, errlen, "another virtio-forwarder (pid %s) holds %s; stop it first",
			 *buf ? buf : "?", path);
		close(fd);
		return ret;
	}
	ret = pidfile_write(fd);
	if (ret) {
		snprintf(err, errlen, "cannot write pid file %s: %s", path, strerror(-ret));
		close(fd);
		return ret;
	}
	return fd;
}

void pidfile_release(const char *dir, int fd)
{
	char path[PATH_MAX];

	if (fd < 0)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, PIDFILE_NAME);
	unlink(path);
	close(fd);
}
