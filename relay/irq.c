/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * irq.c: interrupt mode of idle workers. A worker whose relays stayed silent through its
 * longest timed sleep arms what can bring it frames and sleeps in epoll until one fires:
 *  - a VF queue it polls: the port's RX interrupt (rte_eth_dev_rx_intr_ctl_q() into the
 *    worker's epoll set, rte_eth_dev_rx_intr_enable()). DPDK reads the interrupt's fd itself
 *    (how much depends on the handle type), through rte_epoll_wait();
 *  - a guest TX queue it polls: the guest's kick, asked for with
 *    rte_vhost_enable_guest_notification(); its kick fd is dup()ed, so that rte_vhost closing
 *    the original (a new SET_VRING_KICK) can neither make us read another file nor leave a
 *    registration we cannot remove;
 *  - its wake fd, written by irq_wake(): publication and rte_vhost callbacks.
 * Arming fails, and the worker keeps its timed sleeps, when one direction cannot wake it: a
 * VF without RX interrupts, a guest queue without a kick fd, frames held for a full VF.
 *
 * Threads: everything here but irq_wake() runs on the worker that owns @x. The worker stays
 * online for RCU while armed and reports no quiescent state before irq_disarm(): the ports,
 * vids and fds it armed cannot be closed or freed under it, since closing them waits for a
 * grace period, and workers_synchronize() wakes armed workers (worker.c: the armed flag).
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_interrupts.h>
#include <rte_vhost.h>

#include "relay_int.h"

#define IRQ_SRC_MAX 256 /* kick fds and VF queues one worker may arm */

enum irq_kind { SRC_NONE, SRC_KICK, SRC_VF };

struct irq_src {
	enum irq_kind kind;	   /* SRC_NONE: nothing armed yet, only the dup to close */
	struct rte_epoll_event ev; /* SRC_KICK's (a VF queue's is DPDK's own) */
	int fd;			   /* our dup of the guest's kick fd, or -1 */
	int vid;		   /* SRC_KICK: the guest and its vring */
	uint16_t vring;
	uint16_t port; /* SRC_VF: the VF queue */
	uint16_t queue;
};

struct worker_irq {
	int epfd;
	int wakefd;
	struct rte_epoll_event wake_ev;
	unsigned int n; /* armed sources */
	struct irq_src src[IRQ_SRC_MAX];
};

/* Level-triggered readiness of an eventfd we own (a dup, or ours): reading cannot block. */
static void eventfd_drain(int fd, void *arg)
{
	uint64_t v;

	(void)arg;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		VLOG(DEBUG, "worker: cannot read wake-up fd %d: %s", fd, strerror(errno));
}

static int epoll_add_own(struct worker_irq *x, int fd, struct rte_epoll_event *ev)
{
	*ev = (struct rte_epoll_event){
		.epdata = {.event = EPOLLIN, .cb_fun = eventfd_drain},
	};
	return rte_epoll_ctl(x->epfd, EPOLL_CTL_ADD, fd, ev);
}

struct worker_irq *irq_create(void)
{
	struct worker_irq *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->epfd = epoll_create1(EPOLL_CLOEXEC);
	x->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (x->epfd < 0 || x->wakefd < 0 || epoll_add_own(x, x->wakefd, &x->wake_ev)) {
		VLOG(ERR, "cannot make a worker's wake-up fds: %s", strerror(errno));
		irq_destroy(x);
		return NULL;
	}
	return x;
}

void irq_destroy(struct worker_irq *x)
{
	if (!x)
		return;
	if (x->epfd >= 0)
		close(x->epfd);
	if (x->wakefd >= 0)
		close(x->wakefd);
	free(x);
}

void irq_wake(struct worker_irq *x)
{
	uint64_t one = 1;

	if (write(x->wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		VLOG(WARNING, "cannot wake a worker: %s", strerror(errno));
}

static struct irq_src *src_new(struct worker_irq *x)
{
	if (x->n == IRQ_SRC_MAX)
		return NULL;
	x->src[x->n] = (struct irq_src){.kind = SRC_NONE, .fd = -1};
	return &x->src[x->n++];
}

/* Guest TX vring @vring of @vid: its kick fd in our set, kicks on. */
static int arm_kick(struct worker_irq *x, int vid, uint16_t vring)
{
	unsigned int i = vring / 2;
	struct rte_vhost_vring vr;
	struct irq_src *s;

	if (rte_vhost_get_vhost_vring(vid, vring, &vr) || vr.kickfd < 0)
		return -ENODEV; /* a guest that gives no kick fd cannot wake anyone */
	s = src_new(x);
	if (!s)
		return -ENOSPC;
	s->fd = dup(vr.kickfd);
	if (s->fd < 0)
		return -errno;
	/*
	 * rte_vhost disables a vring (vring_state_changed clears its bit) before it closes a
	 * kick fd it replaces: with the bit still set after the dup, the dup is of that fd.
	 */
	if (!(vhost_txq_mask(vid, i / 64) & (1ULL << (i % 64))))
		return -EAGAIN;
	if (epoll_add_own(x, s->fd, &s->ev))
		return -EIO;
	s->kind = SRC_KICK;
	s->vid = vid;
	s->vring = vring;
	return rte_vhost_enable_guest_notification(vid, vring, 1) ? -EIO : 0;
}

/* VF RX queue @q of @port: its interrupt in our set, enabled. */
static int arm_vf(struct worker_irq *x, uint16_t port, uint16_t q)
{
	struct irq_src *s = src_new(x);
	int ret;

	if (!s)
		return -ENOSPC;
	ret = rte_eth_dev_rx_intr_ctl_q(port, q, x->epfd, RTE_INTR_EVENT_ADD, NULL);
	if (ret)
		return ret;
	s->kind = SRC_VF;
	s->port = port;
	s->queue = q;
	ret = rte_eth_dev_rx_intr_enable(port, q);
	/*
	 * net_tap: its queue fd is the interrupt, always on. Whether an interrupt that can be
	 * armed also fires is another matter: worker_doze() checks (irq_missed).
	 */
	return ret == -ENOTSUP ? 0 : ret;
}

/* The guest TX queues @d polls (datapath.c, poll_vm_to_vf and drain_guest). */
static int arm_guest(struct worker_irq *x, const struct relay_dir *d)
{
	const struct relay *r = d->relay;
	int vid = __atomic_load_n(&r->vid, __ATOMIC_ACQUIRE), ret;
	uint32_t nr_vring;

	if (vid < 0)
		return 0; /* new_device wakes us */
	nr_vring = __atomic_load_n(&r->nr_vring, __ATOMIC_RELAXED);
	for (unsigned int w = 0; w < VHOST_TXQ_WORDS; w++) {
		for (uint64_t m = vhost_txq_mask(vid, w); m; m &= m - 1) {
			unsigned int i = 64 * w + (unsigned int)__builtin_ctzll(m);

			if (r->vf_open && r->nb_lanes > 1 && i % r->nb_lanes != d->lane)
				continue;
			if (2 * i + 1 >= nr_vring)
				continue;
			ret = arm_kick(x, vid, (uint16_t)(2 * i + 1));
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Can every one of @dirs wake us? The cheap part of the answer, before any syscall. */
static int irq_possible(struct relay_dir *const *dirs, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct relay_dir *d = dirs[i];

		if (d->id == RELAY_VM_TO_VF
			    ? d->nheld != 0
			    : d->relay->vf_open && (!d->relay->vf_irq || d->irq_missed))
			return -ENOTSUP;
	}
	return 0;
}

int irq_arm(struct worker_irq *x, struct relay_dir *const *dirs, unsigned int n)
{
	int ret = irq_possible(dirs, n);

	for (unsigned int i = 0; i < n && !ret; i++) {
		const struct relay_dir *d = dirs[i];
		const struct relay *r = d->relay;

		if (d->id == RELAY_VM_TO_VF)
			ret = arm_guest(x, d);
		else if (r->vf_open)
			ret = arm_vf(x, r->port, d->lane);
	}
	if (ret)
		irq_disarm(x);
	return ret;
}

int irq_sleep(struct worker_irq *x, int ms)
{
	struct rte_epoll_event ev[8];

	return rte_epoll_wait(x->epfd, ev, RTE_DIM(ev), ms);
}

void irq_disarm(struct worker_irq *x)
{
	while (x->n) {
		struct irq_src *s = &x->src[--x->n];

		if (s->kind == SRC_VF) {
			rte_eth_dev_rx_intr_disable(s->port, s->queue);
			rte_eth_dev_rx_intr_ctl_q(s->port, s->queue, x->epfd, RTE_INTR_EVENT_DEL,
						  NULL);
		} else if (s->kind == SRC_KICK) {
			rte_vhost_enable_guest_notification(s->vid, s->vring, 0);
			rte_epoll_ctl(x->epfd, EPOLL_CTL_DEL, s->fd, &s->ev);
		}
		if (s->fd >= 0)
			close(s->fd);
	}
}
