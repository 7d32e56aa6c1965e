/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mpool.c: the relays' mbuf pools, with per-lcore caches for the lcores that exist.
 *
 * A DPDK mempool with a cache carries one cache slot for each of the RTE_MAX_LCORE (128) lcores
 * the library was built for, 8 kB each: 1 MB in every pool, a quarter of a relay's memory,
 * for the two or three lcores a daemon runs. Without the cache every allocation and free goes
 * to the pool's ring, which costs VF->VM 7-9 % (doc/performance.md, Memory).
 *
 * So the pools here have no DPDK cache and their own mempool driver ("vfwd_lcore"): a ring,
 * as the default driver has, behind a small cache for each lcore the EAL enabled, made when
 * the pool is made. Everything that allocates or frees through the mempool API (the PMDs'
 * refills, rte_vhost, rte_pktmbuf_free) goes through it unchanged.
 *
 * Threads: an lcore's cache is touched only by the thread running that lcore (rte_lcore_id());
 * threads that are not EAL lcores (the vhost-user and stats threads) go to the ring, which is
 * multi-producer, multi-consumer. len is written by the cache's owner only and read by
 * get_count from any thread (a count, like rte_mempool_avail_count's): atomic, relaxed.
 * The pool's size allows for what the caches may keep: at most MPOOL_FLUSH each (pool_size()
 * in vf.c counts 1.5 x RELAY_POOL_CACHE for every lcore).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "relay_int.h"

#define MPOOL_OPS   "vfwd_lcore"
#define MPOOL_SIZE  RELAY_POOL_CACHE	       /* what a cache keeps after a flush or refill */
#define MPOOL_FLUSH (RELAY_POOL_CACHE * 3 / 2) /* more than this: back to the ring */

struct mpool_cache {
	uint32_t len;
	void *objs[MPOOL_FLUSH + MPOOL_SIZE]; /* up to MPOOL_FLUSH, plus one put of MPOOL_SIZE */
} __rte_cache_aligned;

struct mpool {
	struct rte_ring *ring;
	struct mpool_cache *cache[RTE_MAX_LCORE]; /* NULL for lcores the EAL did not enable */
};

/*
 * The calling thread's lcore id, kept in a thread-local of our own: rte_lcore_id() is a TLS
 * variable of the EAL's shared library, read through __tls_get_addr() at every call. A thread's
 * lcore id does not change here (nothing calls rte_thread_register/unregister).
 */
#define MPOOL_LCORE_UNSET (LCORE_ID_ANY - 1)
static __thread unsigned int mpool_lcore = MPOOL_LCORE_UNSET;

/*
 * This lcore's cache of @p, or NULL. Many PMDs free one mbuf at a time, so each free is a call
 * here: one object is stored directly, not through a library call (memcpy).
 */
static inline struct mpool_cache *lcore_cache(const struct mpool *p)
{
	unsigned int lcore = mpool_lcore;

	if (unlikely(lcore == MPOOL_LCORE_UNSET))
		lcore = mpool_lcore = rte_lcore_id();
	return likely(lcore < RTE_MAX_LCORE) ? p->cache[lcore] : NULL;
}

static int mpool_enqueue(struct rte_mempool *mp, void *const *objs, unsigned int n)
{
	struct mpool *p = mp->pool_data;
	struct mpool_cache *c = lcore_cache(p);
	uint32_t len;

	if (unlikely(!c || n > MPOOL_SIZE))
		return rte_ring_mp_enqueue_bulk(p->ring, objs, n, NULL) ? 0 : -ENOBUFS;
	len = c->len;
	if (likely(n == 1))
		c->objs[len] = objs[0];
	else
		memcpy(&c->objs[len], objs, n * sizeof(*objs));
	len += n;
	if (unlikely(len > MPOOL_FLUSH)) {
		/* The ring has room for every object of the pool: this cannot fail. */
		rte_ring_mp_enqueue_bulk(p->ring, &c->objs[MPOOL_SIZE], len - MPOOL_SIZE, NULL);
		len = MPOOL_SIZE;
	}
	__atomic_store_n(&c->len, len, __ATOMIC_RELAXED);
	return 0;
}

/* All @n or none (-ENOBUFS), as the mempool API asks; the most recently freed first. */
static int mpool_dequeue(struct rte_mempool *mp, void **objs, unsigned int n)
{
	struct mpool *p = mp->pool_data;
	struct mpool_cache *c = lcore_cache(p);
	uint32_t len;

	if (unlikely(!c || n > MPOOL_SIZE))
		return rte_ring_mc_dequeue_bulk(p->ring, objs, n, NULL) ? 0 : -ENOBUFS;
	len = c->len;
	if (unlikely(len < n)) {
		len += rte_ring_mc_dequeue_burst(p->ring, &c->objs[len], MPOOL_SIZE + n - len,
						 NULL);
		if (unlikely(len < n)) {
			__atomic_store_n(&c->len, len, __ATOMIC_RELAXED);
			return -ENOBUFS;
		}
	}
	for (unsigned int i = 0; i < n; i++)
		objs[i] = c->objs[len - 1 - i];
	__atomic_store_n(&c->len, len - n, __ATOMIC_RELAXED);
	return 0;
}

static unsigned int mpool_count(const struct rte_mempool *mp)
{
	const struct mpool *p = mp->pool_data;
	unsigned int n = rte_ring_count(p->ring);

	for (unsigned int l = 0; l < RTE_MAX_LCORE; l++)
		if (p->cache[l])
			n += __atomic_load_n(&p->cache[l]->len, __ATOMIC_RELAXED);
	/* Read while others move objects, a count can be off either way: never above the pool. */
	return RTE_MIN(n, mp->size);
}

static void mpool_free(struct rte_mempool *mp)
{
	struct mpool *p = mp->pool_data;

	if (!p)
		return;
	for (unsigned int l = 0; l < RTE_MAX_LCORE; l++)
		rte_free(p->cache[l]);
	rte_ring_free(p->ring);
	rte_free(p);
	mp->pool_data = NULL;
}

static int mpool_alloc(struct rte_mempool *mp)
{
	char name[RTE_RING_NAMESIZE];
	struct mpool *p;
	unsigned int l;

	if (snprintf(name, sizeof(name), "vfc_%s", mp->name) >= (int)sizeof(name))
		return -ENAMETOOLONG;
	p = rte_zmalloc_socket("mpool", sizeof(*p), 0, mp->socket_id);
	if (!p)
		return -ENOMEM;
	mp->pool_data = p;
	p->ring = rte_ring_create(name, rte_align32pow2(mp->size + 1), mp->socket_id, 0);
	if (!p->ring)
		goto out_free;
	for (l = 0; l < RTE_MAX_LCORE; l++) {
		if (!rte_lcore_is_enabled(l))
			continue;
		p->cache[l] = rte_zmalloc_socket("mpool_cache", sizeof(struct mpool_cache), 0,
						 mp->socket_id);
		if (!p->cache[l])
			goto out_free;
	}
	return 0;
out_free:
	mpool_free(mp);
	return -ENOMEM;
}

static struct rte_mempool_ops mpool_ops = {
	.name = MPOOL_OPS,
	.alloc = mpool_alloc,
	.free = mpool_free,
	.enqueue = mpool_enqueue,
	.dequeue = mpool_dequeue,
	.get_count = mpool_count,
};

RTE_MEMPOOL_REGISTER_OPS(mpool_ops);

/*
 * Without hugepages memory comes in 4 kB pages and a mempool keeps each object within one page
 * unless told its objects need no contiguous IO addresses: a 2.3 kB mbuf would take a whole
 * page. With IO addresses that are virtual addresses, contiguous virtual memory is contiguous
 * for devices too, so objects may straddle pages there; the mempool then knows no IO address
 * for them, and each mbuf is given its virtual address (unit.test_relay checks it).
 */
static void mbuf_init_va(struct rte_mempool *mp, void *arg, void *obj, unsigned int i)
{
	struct rte_mbuf *m = obj;

	rte_pktmbuf_init(mp, arg, obj, i);
	rte_mbuf_iova_set(m, (rte_iova_t)(uintptr_t)m->buf_addr);
}

struct rte_mempool *relay_pool_create(const char *name, unsigned int n, uint16_t data_room,
				      int socket_id)
{
	struct rte_pktmbuf_pool_private priv = {.mbuf_data_room_size = data_room};
	const char *ops = rte_mbuf_best_mempool_ops();
	unsigned int flags = 0, cache = 0;
	struct rte_mempool *mp;
	int ret;

	/* A platform with a pool of its own (a hardware mempool) keeps it, and DPDK's cache. */
	if (!strcmp(ops, "ring_mp_mc"))
		ops = MPOOL_OPS;
	else
		cache = RELAY_POOL_CACHE;
	if (!rte_eal_has_hugepages() && rte_eal_iova_mode() == RTE_IOVA_VA)
		flags |= RTE_MEMPOOL_F_NO_IOVA_CONTIG;
	mp = rte_mempool_create_empty(name, n, sizeof(struct rte_mbuf) + data_room, cache,
				      sizeof(priv), socket_id, flags);
	if (!mp)
		return NULL;
	ret = rte_mempool_set_ops_byname(mp, ops, NULL);
	if (ret)
		goto out_free;
	rte_pktmbuf_pool_init(mp, &priv);
	ret = rte_mempool_populate_default(mp);
	if (ret < 0)
		goto out_free;
	rte_mempool_obj_iter(mp, flags ? mbuf_init_va : rte_pktmbuf_init, NULL);
	return mp;
out_free:
	rte_mempool_free(mp);
	rte_errno = -ret;
	return NULL;
}
