/* SPDX-License-Identifier: BSD-3-Clause */
/* persist.c: relays added at run time survive a restart: saved on each change, restored at start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_log.h>

#include "ctl.h"
#include "relay.h"
#include "vlog.h"

#define STATE_FILE "relays"

/* Relays that came through the control plane (static ones come back from the config). */
static bool runtime[RELAY_MAX];

void ctl_persist_mark(unsigned int id, bool added)
{
	if (id < RELAY_MAX)
		runtime[id] = added;
}

static void dir_sync(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd))
		VLOG(WARNING, "cannot sync directory %s: %s", dir, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/*
 * One line per relay: "id<TAB>mode<TAB>name<TAB>socket<TAB>dev[<TAB>dev...]"; name "-" when
 * none, socket "-" for the pattern's. Written to a temporary file, then renamed.
 */
int ctl_persist_save(const struct ctl_config *cfg)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], devs[RELAY_BOND_MAX][RELAY_DEV_LEN],
		pattern[PATH_MAX];
	struct relay_snapshot s;
	bool flushed;
	FILE *f;
	int ret;

	if (!cfg->state_dir[0])
		return 0;
	if (mkdir(cfg->state_dir, 0755) && errno != EEXIST) {
		VLOG(ERR, "cannot create state directory %s: %s", cfg->state_dir, strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, STATE_FILE);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f) {
		ret = -errno;
		VLOG(ERR, "cannot save relays to %s: %s", tmp, strerror(errno));
		return ret;
	}
	fprintf(f, "# relays added at run time, restored at start (virtio-forwarder)\n");
	for (unsigned int id = 0; id < RELAY_MAX; id++) {
		unsigned int n;

		if (!runtime[id] || relay_snapshot_get(id, &s) || s.vf_side == RELAY_SIDE_NONE)
			continue;
		n = relay_members(id, devs);
		relay_socket_name(id, pattern, sizeof(pattern));
		fprintf(f, "%u\t%u\t%s\t%s", id, s.bond_mode, s.bond_name[0] ? s.bond_name : "-",
			s.path[0] && strcmp(s.path, pattern) ? s.path : "-");
		for (unsigned int i = 0; i < n; i++)
			fprintf(f, "\t%s", devs[i]);
		fputc('\n', f);
	}
	/* On disk before the rename, and the rename itself too: a crash or a power cut leaves
	 * the old file or the new one, never a torn one. */
	flushed = !fflush(f) && !fsync(fileno(f));
	if (fclose(f) || !flushed || rename(tmp, path)) {
		ret = -errno;
		VLOG(ERR, "cannot save relays to %s: %s", path, strerror(errno));
		unlink(tmp);
		return ret;
	}
	dir_sync(cfg->state_dir);
	return 0;
}

unsigned int ctl_persist_restore(const struct ctl_config *cfg)
{
	char path[PATH_MAX], *line = NULL;
	unsigned int restored = 0, lineno = 0;
	size_t cap = 0;
	ssize_t len;
	FILE *f;

	if (!cfg->state_dir[0])
		return 0;
	snprintf(path, sizeof(path), "%s/%s", cfg->state_dir, STATE_FILE);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		const char *devs[RELAY_BOND_MAX];
		char *save = NULL, *tok, *name, *sock;
		unsigned int id, mode, n = 0;

		lineno++;
		if (strlen(line) != (size_t)len) {
			VLOG(WARNING, "%s:%u: not text (a NUL byte); line skipped", path, lineno);
			continue;
		}
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		tok = strtok_r(line, "\t", &save);
		id = tok ? (unsigned int)strtoul(tok, NULL, 10) : RELAY_MAX;
		tok = strtok_r(NULL, "\t", &save);
		mode = tok ? (unsigned int)strtoul(tok, NULL, 10) : 1;
		name = strtok_r(NULL, "\t", &save);
		sock = strtok_r(NULL, "\t", &save);
		while (n < RELAY_BOND_MAX && (tok = strtok_r(NULL, "\t", &save)))
			devs[n++] = tok;
		if (!name || !sock || n == 0) {
			VLOG(WARNING, "%s:%u: malformed line skipped", path, lineno);
			continue;
		}
		if (relay_add_at(id, devs, n, mode, strcmp(name, "-") ? name : NULL,
				 strcmp(sock, "-") ? sock : NULL)) {
			VLOG(ERR, "relay %u from %s not restored: %s", id, path,
			     relay_last_error());
			continue;
		}
		runtime[id] = true;
		restored++;
		VLOG(NOTICE, "relay %u restored from %s", id, path);
	}
	free(line);
	fclose(f);
	return restored;
}
