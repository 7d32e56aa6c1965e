/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * service.c: the control thread's event loop (ZeroMQ services, signals, rate sampling) and the
 * stats service's own thread.
 *
 * Threads
 * -------
 * - The control thread (ctl_run) serves port control, config and the core scheduler: the
 *   requests that change relays. An add or a remove holds it for tens of milliseconds.
 * - The stats thread (stats_thread) serves the stats socket alone, so a stats request never
 *   waits behind a change. It owns that socket and its list of requests waiting for their
 *   rate window (struct stats_srv); it reads relays only through relay_snapshot_get() and
 *   the rolling rates (both under their own locks, held for copies only) and changes nothing.
 *   ctl_close() wakes it through its eventfd and joins it before closing the socket.
 */
#define _GNU_SOURCE /* pthread_setname_np */
#include <errno.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_log.h>
#include <zmq.h>

#include "ctl.h"
#include "relay.h"
#include "stats.h"
#include "vlog.h"

#define MAX_PENDING  64
#define SAMPLE_NS    1000000000ull
#define LINKS_NS     100000000ull   /* bond member links checked at 10 Hz */
#define HARD_MAX_MSG (1024L * 1024) /* beyond this libzmq drops the peer */
#define IDENTITY_MAX 256

/* A stats request waiting for the end of its rate window (stats is a ROUTER socket). */
struct pending {
	uint64_t deadline_ns;
	size_t id_len;
	uint8_t id[IDENTITY_MAX];
	struct ctl_stats_req *q;
};

/* The stats service: its thread's alone once started (header comment). */
struct stats_srv {
	void *sock;  /* ROUTER; NULL when off */
	int wake_fd; /* eventfd: ctl_close asks the thread to leave */
	bool started;
	pthread_t tid;
	struct pending pend[MAX_PENDING];
	unsigned int nb_pend;
};

static int stats_srv_start(struct stats_srv *st);
static void stats_srv_stop(struct stats_srv *st);

struct ctl {
	struct ctl_config cfg;
	void *zctx;
	void *port_control, *config; /* REP, REP; NULL when off */
	void *core_sched;	     /* REP; NULL when off */
	struct stats_srv st;
	uint64_t next_sample_ns;
	uint64_t next_links_ns;
	struct ctl_ipcfile *ipc;       /* -I without -Z */
	struct ctl_ovsdb *ovsdb;       /* -O without -Z and -I */
	struct ctl_balancer *balancer; /* NULL when the core scheduler is off */
};

/* ipc://PATH: create the directory (the socket is then restricted by ipc_restrict). */
static int ipc_prepare(const char *ep, char *path, size_t len)
{
	char dir[CTL_EP_LEN];

	path[0] = '\0';
	if (strncmp(ep, "ipc://", 6))
		return 0;
	snprintf(path, len, "%s", ep + 6);
	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

/*
 * The control endpoints are the keys to every VM's network: the owner (root) only, or with
 * --control-group also that group (0660). Never the vhost sockets' group (-g): any QEMU
 * process has it. 0, or -1 with errno.
 */
static int ipc_restrict(const char *path, gid_t gid)
{
	if (gid == (gid_t)-1)
		return chmod(path, 0600);
	if (chown(path, (uid_t)-1, gid))
		return -1;
	return chmod(path, 0660);
}

static void *service_bind(struct ctl *c, const char *ep, int type, const char *name)
{
	int zero = 0, ret;
	int64_t max = HARD_MAX_MSG;
	char path[CTL_EP_LEN];
	void *s;

	if (!ep[0])
		return NULL;
	ret = ipc_prepare(ep, path, sizeof(path));
	if (ret) {
		VLOG(ERR, "%s: cannot create the directory of %s: %s", name, ep, strerror(-ret));
		errno = -ret;
		return NULL;
	}
	s = zmq_socket(c->zctx, type);
	if (!s)
		return NULL;
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof(max));
	if (zmq_bind(s, ep)) {
		ret = errno;
		VLOG(ERR, "%s: cannot bind %s: %s", name, ep, zmq_strerror(ret));
		zmq_close(s);
		errno = ret;
		return NULL;
	}
	if (path[0] && ipc_restrict(path, c->cfg.ipc_gid)) {
		/* An endpoint anyone could use would reconfigure every VM's network: refuse. */
		ret = errno;
		VLOG(ERR, "%s: cannot restrict %s to its owner%s: %s", name, path,
		     c->cfg.ipc_gid != (gid_t)-1 ? " and the control group" : "", strerror(ret));
		zmq_close(s);
		errno = ret;
		return NULL;
	}
	VLOG(NOTICE, "%s service on %s", name, ep);
	return s;
}

struct ctl *ctl_open(const struct ctl_config *cfg)
{
	struct ctl *c = calloc(1, sizeof(*c));
	int err = ENOMEM;

	if (!c)
		goto out_err;
	c->cfg = *cfg;
	c->st.wake_fd = -1;
	c->zctx = zmq_ctx_new();
	if (!c->zctx)
		goto out_close;
	c->port_control = service_bind(c, cfg->port_control_ep, ZMQ_REP, "port control");
	if (cfg->port_control_ep[0] && !c->port_control)
		goto out_errno;
	c->st.sock = service_bind(c, cfg->stats_ep, ZMQ_ROUTER, "stats");
	if (cfg->stats_ep[0] && !c->st.sock)
		goto out_errno;
	c->config = service_bind(c, cfg->config_ep, ZMQ_REP, "config");
	if (cfg->config_ep[0] && !c->config)
		goto out_errno;
	c->core_sched = service_bind(c, cfg->core_sched_ep, ZMQ_REP, "core scheduler");
	if (cfg->core_sched_ep[0] && !c->core_sched)
		goto out_errno;
	/* The reference's precedence: ZeroMQ port control, else the command file. */
	if (!cfg->port_control_ep[0] && cfg->ipc_path[0]) {
		c->ipc = ctl_ipcfile_open(&c->cfg);
		if (!c->ipc) {
			err = EIO;
			goto out_close;
		}
	}
	if (!cfg->port_control_ep[0] && !cfg->ipc_path[0] && cfg->ovsdb_sock[0]) {
		c->ovsdb = ctl_ovsdb_open(&c->cfg);
		if (!c->ovsdb)
			goto out_close;
	}
	if (cfg->balance.enabled) {
		c->balancer = ctl_balancer_open(&cfg->balance);
		if (!c->balancer)
			goto out_errno;
	}
	c->next_sample_ns = stats_now_ns();
	if (c->st.sock && (err = stats_srv_start(&c->st)))
		goto out_close;
	return c;
out_errno:
	err = errno;
out_close:
	ctl_close(c);
out_err:
	errno = err;
	return NULL;
}

static void unlink_ipc(const char *ep)
{
	if (!strncmp(ep, "ipc://", 6))
		unlink(ep + 6);
}

void ctl_close(struct ctl *c)
{
	if (!c)
		return;
	stats_srv_stop(&c->st);
	if (c->port_control)
		zmq_close(c->port_control), unlink_ipc(c->cfg.port_control_ep);
	if (c->st.sock)
		zmq_close(c->st.sock), unlink_ipc(c->cfg.stats_ep);
	if (c->config)
		zmq_close(c->config), unlink_ipc(c->cfg.config_ep);
	if (c->core_sched)
		zmq_close(c->core_sched), unlink_ipc(c->cfg.core_sched_ep);
	if (c->zctx)
		zmq_ctx_term(c->zctx);
	ctl_ipcfile_close(c->ipc);
	ctl_ovsdb_close(c->ovsdb);
	ctl_balancer_close(c->balancer);
	free(c);
}

/* Receive one whole message (all its parts, keeping the first) without blocking. */
static int recv_part(void *s, zmq_msg_t *m)
{
	int more = 0;
	size_t sz = sizeof(more);

	zmq_msg_init(m);
	if (zmq_msg_recv(m, s, ZMQ_DONTWAIT) < 0) {
		zmq_msg_close(m);
		return -errno;
	}
	zmq_getsockopt(s, ZMQ_RCVMORE, &more, &sz);
	return more;
}

static void drain_parts(void *s)
{
	zmq_msg_t m;

	while (recv_part(s, &m) > 0)
		zmq_msg_close(&m);
}

static void reply_rep(void *s, uint8_t *buf, ssize_t len)
{
	if (len < 0) /* out of memory: an empty reply still frees the REP socket */
		zmq_send(s, "", 0, 0);
	else
		zmq_send(s, buf, (size_t)len, 0);
	free(buf);
}

enum rep_kind { REP_PORT_CONTROL, REP_CONFIG, REP_CORE_SCHED };

static void serve_rep(struct ctl *c, void *s, enum rep_kind kind)
{
	zmq_msg_t m;
	uint8_t *out = NULL;
	ssize_t n;
	int more;

	/* One request a turn: a flood of adds on one socket must not hold off the others. */
	if ((more = recv_part(s, &m)) >= 0) {
		if (more)
			drain_parts(s);
		if (kind == REP_PORT_CONTROL)
			n = ctl_port_control(&c->cfg, zmq_msg_data(&m), zmq_msg_size(&m), &out);
		else if (kind == REP_CORE_SCHED)
			n = ctl_core_sched(zmq_msg_data(&m), zmq_msg_size(&m), &out);
		else
			n = ctl_config_handle(zmq_msg_data(&m), zmq_msg_size(&m), &out);
		zmq_msg_close(&m);
		reply_rep(s, out, n);
		out = NULL;
	}
}

static void reply_router(void *s, const uint8_t *id, size_t id_len, uint8_t *buf, ssize_t len)
{
	zmq_send(s, id, id_len, ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(s, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT);
	zmq_send(s, buf, len > 0 ? (size_t)len : 0, ZMQ_DONTWAIT);
	free(buf);
}

/* One ROUTER envelope: identity, empty delimiter (REQ clients), body. */
static int recv_envelope(void *s, struct pending *p, zmq_msg_t *body)
{
	zmq_msg_t m;
	int more = recv_part(s, &m);

	if (more < 0)
		return more;
	p->id_len = zmq_msg_size(&m) < IDENTITY_MAX ? zmq_msg_size(&m) : IDENTITY_MAX;
	memcpy(p->id, zmq_msg_data(&m), p->id_len);
	zmq_msg_close(&m);
	if (!more || (more = recv_part(s, &m)) <= 0 || zmq_msg_size(&m) != 0) {
		if (more >= 0)
			zmq_msg_close(&m);
		if (more > 0)
			drain_parts(s);
		return -EPROTO; /* not a REQ envelope: nobody to answer */
	}
	zmq_msg_close(&m);
	more = recv_part(s, body);
	if (more < 0)
		return more;
	if (more)
		drain_parts(s);
	return 0;
}

static void serve_stats(struct stats_srv *st)
{
	struct pending p;
	zmq_msg_t body;
	uint8_t *out = NULL;
	ssize_t n = 0;
	uint32_t delay;
	int ret;

	while ((ret = recv_envelope(st->sock, &p, &body)) != -EAGAIN) {
		uint64_t now = stats_now_ns();

		if (ret == -EPROTO) /* not from a REQ client: nobody to answer */
			continue;
		if (ret < 0)
			break;
		p.q = ctl_stats_parse(zmq_msg_data(&body), zmq_msg_size(&body), now, &delay, &out,
				      &n);
		zmq_msg_close(&body);
		if (p.q && delay && st->nb_pend < MAX_PENDING) {
			p.deadline_ns = now + (uint64_t)delay * 1000000ull;
			st->pend[st->nb_pend++] = p;
			continue;
		}
		if (p.q) /* no window, or too many waiting: answer from the rolling window */
			n = ctl_stats_answer(p.q, now, &out);
		reply_router(st->sock, p.id, p.id_len, out, n);
		out = NULL;
	}
}

static void answer_due(struct stats_srv *st, uint64_t now)
{
	for (unsigned int i = 0; i < st->nb_pend;) {
		struct pending *p = &st->pend[i];
		uint8_t *out = NULL;
		ssize_t n;

		if (p->deadline_ns > now) {
			i++;
			continue;
		}
		n = ctl_stats_answer(p->q, now, &out);
		reply_router(st->sock, p->id, p->id_len, out, n);
		st->pend[i] = st->pend[--st->nb_pend];
	}
}

/* Milliseconds from @now to @next (rounded up: never woken early), for zmq_poll. */
static long ms_until(uint64_t next, uint64_t now)
{
	return next <= now ? 0 : (long)((next - now + 999999) / 1000000);
}

/* Until the first waiting request's window ends; -1 (no timeout) when none waits. */
static long stats_timeout_ms(const struct stats_srv *st, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	for (unsigned int i = 0; i < st->nb_pend; i++)
		if (st->pend[i].deadline_ns < next)
			next = st->pend[i].deadline_ns;
	return next == UINT64_MAX ? -1 : ms_until(next, now);
}

static void *stats_thread(void *arg)
{
	struct stats_srv *st = arg;
	zmq_pollitem_t items[2] = {{st->sock, 0, ZMQ_POLLIN, 0},
				   {NULL, st->wake_fd, ZMQ_POLLIN, 0}};

	for (;;) {
		if (zmq_poll(items, 2, stats_timeout_ms(st, stats_now_ns())) < 0 &&
		    errno != EINTR) {
			VLOG(ERR, "stats service stopped: %s", zmq_strerror(errno));
			break;
		}
		if (items[1].revents & ZMQ_POLLIN)
			break;
		serve_stats(st);
		answer_due(st, stats_now_ns());
	}
	return NULL;
}

/* Start the stats thread on @st's bound socket: 0 or an errno. */
static int stats_srv_start(struct stats_srv *st)
{
	int ret;

	st->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (st->wake_fd < 0)
		return errno;
	ret = pthread_create(&st->tid, NULL, stats_thread, st);
	if (ret)
		return ret;
	pthread_setname_np(st->tid, "vfwd-stats");
	st->started = true;
	return 0;
}

/* Stop and join the stats thread; free what waited for its window. */
static void stats_srv_stop(struct stats_srv *st)
{
	uint64_t one = 1;

	if (st->started) {
		if (write(st->wake_fd, &one, sizeof(one)) != sizeof(one))
			VLOG(WARNING, "cannot wake the stats thread: %s", strerror(errno));
		pthread_join(st->tid, NULL);
		st->started = false;
	}
	if (st->wake_fd >= 0)
		close(st->wake_fd);
	st->wake_fd = -1;
	for (unsigned int i = 0; i < st->nb_pend; i++)
		ctl_stats_req_free(st->pend[i].q);
	st->nb_pend = 0;
}

static long next_timeout_ms(const struct ctl *c, uint64_t now)
{
	return ms_until(c->next_sample_ns < c->next_links_ns ? c->next_sample_ns : c->next_links_ns,
			now);
}

int ctl_run(struct ctl *c, int sfd, const struct ctl_hooks *hooks)
{
	/* Signals, the engine's events (guests coming and going), the command file, OVSDB, ZeroMQ.
	 */
	zmq_pollitem_t items[8] = {{NULL, sfd, ZMQ_POLLIN, 0},
				   {NULL, relay_event_fd(), ZMQ_POLLIN, 0},
				   {NULL, c->ipc ? ctl_ipcfile_fd(c->ipc) : -1, ZMQ_POLLIN, 0},
				   {NULL, -1, ZMQ_POLLIN, 0}};
	void *socks[3] = {c->port_control, c->config, c->core_sched};
	int n = 4;

	for (int i = 0; i < 3; i++)
		if (socks[i])
			items[n++] = (zmq_pollitem_t){socks[i], 0, ZMQ_POLLIN, 0};
	for (;;) {
		uint64_t now = stats_now_ns();
		struct signalfd_siginfo si;

		items[3].fd = ctl_ovsdb_fd(c->ovsdb); /* it reconnects: a new socket each time */
		if (zmq_poll(items, n, next_timeout_ms(c, now)) < 0 && errno != EINTR)
			return -errno;
		if ((items[0].revents & ZMQ_POLLIN) && read(sfd, &si, sizeof(si)) == sizeof(si) &&
		    hooks->on_signal((int)si.ssi_signo, hooks->arg))
			return 0;
		if (items[1].revents & ZMQ_POLLIN)
			relay_events_handle();
		if (items[2].revents & ZMQ_POLLIN)
			ctl_ipcfile_ready(c->ipc);
		if (items[3].revents & ZMQ_POLLIN)
			ctl_ovsdb_ready(c->ovsdb);
		if (c->port_control)
			serve_rep(c, c->port_control, REP_PORT_CONTROL);
		if (c->config)
			serve_rep(c, c->config, REP_CONFIG);
		if (c->core_sched)
			serve_rep(c, c->core_sched, REP_CORE_SCHED);
		now = stats_now_ns();
		if (now >= c->next_sample_ns) {
			stats_rolling_sample(now);
			c->next_sample_ns = now + SAMPLE_NS;
			ctl_ovsdb_tick(c->ovsdb);
			if (c->balancer)
				ctl_balancer_tick(c->balancer, now);
			if (hooks->on_tick)
				hooks->on_tick(hooks->arg);
		}
		if (now >= c->next_links_ns) {
			relay_links_poll();
			c->next_links_ns = now + LINKS_NS;
		}
	}
}
