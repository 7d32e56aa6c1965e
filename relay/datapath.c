/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * datapath.c: one pass over one relay direction, as a worker runs it: VF->VM (software RSS over
 * the guest's RX queues, enqueue retries) and VM->VF (frames the VF refused held and sent
 * first, offloads prepared), and the counting of every frame. Workers only: no lock, no
 * syscall, no allocation but mbufs.
 */
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_vhost.h>

#include "relay_int.h"

/* VM->VF frames of relays without a VF: made the first time one is published (control thread). */
static struct rte_mempool *drop_pool;

static inline uint64_t burst_bytes(struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t b = 0;

	for (uint16_t i = 0; i < n; i++)
		b += rte_pktmbuf_pkt_len(pkts[i]);
	return b;
}

/*
 * Count a received burst; returns its bytes and, in @longest, its longest frame (so that
 * the oversize check needs no pass of its own unless a frame is too long).
 */
static inline uint64_t count_rx(struct relay_counters *c, struct rte_mbuf **pkts, uint16_t n,
				uint32_t *longest)
{
	uint64_t bytes = 0;
	uint32_t top = 0;

	for (uint16_t i = 0; i < n; i++) {
		uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);

		bytes += len;
		top = RTE_MAX(top, len);
	}
	*longest = top;
	ctr_add(&c->rx_pkts, n);
	ctr_add(&c->rx_bytes, bytes);
	return bytes;
}

/*
 * Count the outcome of offering @n frames (@bytes in all) to the far side,
 * which took the first @sent. pkts[sent..n) are still ours: queue-full drops.
 */
static inline void count_tx(struct relay_counters *c, struct rte_mbuf **pkts, uint16_t n,
			    uint16_t sent, uint64_t bytes)
{
	uint64_t unsent_bytes = burst_bytes(pkts + sent, n - sent);

	ctr_add(&c->tx_pkts, sent);
	ctr_add(&c->tx_bytes, bytes - unsent_bytes);
	if (sent < n) {
		ctr_add(&c->full_pkts, n - sent);
		ctr_add(&c->full_bytes, unsent_bytes);
	}
}

/* Count and free @n frames the far side cannot take now (link down, far side gone). */
static inline void drop_down(struct relay_dir *d, struct rte_mbuf **pkts, uint16_t n,
			     uint64_t bytes)
{
	ctr_add(&d->c.down_pkts, n);
	ctr_add(&d->c.down_bytes, bytes);
	rte_pktmbuf_free_bulk(pkts, n);
}

/* Count and free one frame the far side cannot take whole. */
static inline void drop_big(struct relay_dir *d, struct rte_mbuf *m, uint64_t *bytes)
{
	ctr_add(&d->c.big_pkts, 1);
	ctr_add(&d->c.big_bytes, m->pkt_len);
	*bytes -= m->pkt_len;
	rte_pktmbuf_free(m);
}

/*
 * Drop (count, free) the frames longer than the far side's MTU allows (@max bytes), unless
 * the VF segments them itself (@seg: TSO frames). Returns how many are left at the front of
 * @pkts; @bytes loses theirs.
 */
static inline uint16_t drop_oversize(struct relay_dir *d, struct rte_mbuf **pkts, uint16_t n,
				     uint32_t max, bool seg, uint64_t *bytes)
{
	uint16_t kept = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		if (likely(m->pkt_len <= max) || (seg && (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG)))
			pkts[kept++] = m;
		else
			drop_big(d, m, bytes);
	}
	return kept;
}

/*
 * Offloads asked by the guest (-T): the VF's driver checks and completes what it needs (TSO
 * and checksum pseudo-headers, IPv4 header checksums zeroed) before transmit. A frame it refuses is
 * dropped as oversize (a segment size or a chain the VF cannot take); the rest keep their order.
 */
static uint16_t tx_prepare(struct relay_dir *d, uint16_t port, struct rte_mbuf **pkts, uint16_t n,
			   uint64_t *bytes)
{
	uint16_t done = 0;

	/* TSO over IPv4 asks the VF for the IP checksum of every segment (rte_vhost leaves it). */
	for (uint16_t i = 0; i < n; i++)
		if ((pkts[i]->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4)) ==
		    (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4))
			pkts[i]->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
	while (done < n) {
		done += rte_eth_tx_prepare(port, d->lane, pkts + done, (uint16_t)(n - done));
		if (done == n)
			break;
		drop_big(d, pkts[done], bytes);
		memmove(pkts + done, pkts + done + 1, (size_t)(n - done - 1) * sizeof(pkts[0]));
		n--;
	}
	return n;
}

/*
 * Rebuild @d's list of guest RX queues from the enabled ones, @mask (this worker's own copy):
 * those of its lane (queue q is lane q mod nb_lanes's). A lane without one of its own, when
 * the guest has fewer queues than the VF, shares one with another lane: rte_vhost's vring lock
 * orders their enqueues.
 */
static void rxq_map_update(struct relay_dir *d, uint64_t mask)
{
	d->qmask = mask;
	d->nq = (uint8_t)relay_lane_rxqs(mask, d->relay->nb_lanes, d->lane, d->qmap);
}

static inline uint32_t pkt_flow_hash(const struct rte_mbuf *m)
{
	if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH)
		return m->hash.rss;
	return relay_flow_hash(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m));
}

/*
 * Offer @n frames to guest RX queue @q (virtqueue 2q), again while the guest keeps taking
 * some (at most ENQUEUE_RETRIES more tries, no delay), and count the outcome.
 */
#define ENQUEUE_RETRIES 4
#define PREFETCH_AHEAD	4

static inline void enqueue_count(struct relay_dir *d, int vid, unsigned int q,
				 struct rte_mbuf **pkts, uint16_t n, uint64_t bytes)
{
	uint16_t sent = rte_vhost_enqueue_burst(vid, (uint16_t)(2 * q), pkts, n);

	for (unsigned int t = 0; unlikely(sent < n) && sent && t < ENQUEUE_RETRIES; t++) {
		uint16_t more = rte_vhost_enqueue_burst(vid, (uint16_t)(2 * q), pkts + sent,
							(uint16_t)(n - sent));

		ctr_add(&d->c.retries, 1);
		if (!more)
			break;
		sent += more;
	}
	count_tx(&d->c, pkts, n, sent, bytes);
}

/*
 * Software RSS: spread a burst over the guest's enabled RX queues by flow hash, keeping each
 * flow's frames in order on one queue. A counting sort groups the burst per queue.
 */
static void enqueue_spread(struct relay_dir *d, int vid, struct rte_mbuf **pkts, uint16_t n)
{
	struct rte_mbuf *sorted[RELAY_BURST];
	uint16_t start[RELAY_MAX_QP + 1], pos[RELAY_MAX_QP];
	uint64_t qbytes[RELAY_MAX_QP];
	uint8_t qi[RELAY_BURST];
	unsigned int nq = d->nq;

	/* Only the entries of the enabled queues are used. */
	memset(start, 0, (nq + 1) * sizeof(start[0]));
	memset(qbytes, 0, nq * sizeof(qbytes[0]));

	/* Software hashing reads each frame's headers: fetch them a few frames ahead. */
	for (uint16_t i = 0; i < n && i < PREFETCH_AHEAD; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < n; i++) {
		if (i + PREFETCH_AHEAD < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_AHEAD], void *));
		qi[i] = (uint8_t)relay_hash_pick(pkt_flow_hash(pkts[i]), nq);
		start[qi[i] + 1]++;
		qbytes[qi[i]] += rte_pktmbuf_pkt_len(pkts[i]);
	}
	for (unsigned int k = 0; k < nq; k++)
		start[k + 1] += start[k];
	memcpy(pos, start, nq * sizeof(pos[0]));
	for (uint16_t i = 0; i < n; i++)
		sorted[pos[qi[i]]++] = pkts[i];
	for (unsigned int k = 0; k < nq; k++) {
		uint16_t cnt = start[k + 1] - start[k];

		if (cnt)
			enqueue_count(d, vid, d->qmap[k], sorted + start[k], cnt, qbytes[k]);
	}
}

/* One VF->VM burst; returns the frames taken from the VF. */
static uint16_t poll_vf_to_vm(struct relay_dir *d)
{
	struct relay *r = d->relay;
	struct rte_mbuf *pkts[RELAY_BURST];
	uint64_t bytes, mask;
	uint32_t max, longest;
	uint16_t n, rx;
	int vid;

	if (unlikely(!r->vf_open)) /* published for a guest whose VF has not come yet */
		return 0;
	n = rte_eth_rx_burst(r->port, d->lane, pkts, RELAY_BURST);
	if (n == 0)
		return 0;
	rx = n;
	bytes = count_rx(&d->c, pkts, n, &longest);
	vid = __atomic_load_n(&r->vid, __ATOMIC_ACQUIRE);
	if (vid < 0) {
		drop_down(d, pkts, n, bytes);
		return rx;
	}
	/* A guest that announced its MTU gets nothing longer. */
	max = __atomic_load_n(&r->guest_max_frame, __ATOMIC_RELAXED);
	if (unlikely(max && longest > max) &&
	    (n = drop_oversize(d, pkts, n, max, false, &bytes)) == 0)
		return rx;
	mask = vhost_rxq_mask(vid);
	if (unlikely(mask != d->qmask))
		rxq_map_update(d, mask);
	/* Enqueue copies into guest buffers: every mbuf stays ours to free. */
	if (d->nq > 1)
		enqueue_spread(d, vid, pkts, n);
	else
		enqueue_count(d, vid, d->nq ? d->qmap[0] : 0, pkts, n, bytes);
	rte_pktmbuf_free_bulk(pkts, n);
	return rx;
}

/* Count the first @sent of @n frames (@bytes in all) as sent; the rest stay ours. */
static inline void count_sent(struct relay_counters *c, struct rte_mbuf **pkts, uint16_t n,
			      uint16_t sent, uint64_t bytes)
{
	ctr_add(&c->tx_pkts, sent);
	ctr_add(&c->tx_bytes, bytes - burst_bytes(pkts + sent, n - sent));
}

/* Keep frames the VF did not take: the first thing the next pass sends. */
static inline void hold(struct relay_dir *d, struct rte_mbuf **pkts, uint16_t n)
{
	memcpy(d->held, pkts, n * sizeof(pkts[0]));
	d->nheld = n;
}

/* A frame the relay segments itself (the VF has no TSO; offload_complete kept its flag). */
static inline bool sw_seg(const struct relay *r, const struct rte_mbuf *m)
{
	return !r->tso_hw && (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
}

/* Bursts of segments made per call: a pass serves other relays too (64 kB / 1448: 2 bursts). */
#define SEG_BURSTS_MAX 4

/*
 * Send frame @m as segments made in software, from its payload byte d->seg_off on, as far as
 * the VF takes them (SEG_BURSTS_MAX bursts at most): true once the last one is sent (the frame
 * then counts as one sent, its bytes as the guest gave them). Unsent segments are freed and
 * made again next time.
 */
static bool send_segments(struct relay_dir *d, struct rte_mbuf *m)
{
	struct relay *r = d->relay;
	struct rte_mbuf *segs[RELAY_BURST];
	uint32_t payload = offload_seg_payload(m);

	for (unsigned int b = 0; d->seg_off < payload; b++) {
		unsigned int k;
		uint16_t sent;

		if (b == SEG_BURSTS_MAX) /* the rest next pass: the frame stays held */
			return false;
		k = offload_segment(r->pool, m, d->seg_off, segs, RELAY_BURST);
		sent = k ? rte_eth_tx_burst(r->port, d->lane, segs, (uint16_t)k) : 0;
		if (sent < k)
			rte_pktmbuf_free_bulk(segs + sent, k - sent);
		d->seg_off += (uint32_t)sent * m->tso_segsz;
		if (sent < k || !k) /* VF full, or the pool empty for now */
			return false;
	}
	ctr_add(&d->c.tx_pkts, 1);
	ctr_add(&d->c.tx_bytes, m->pkt_len);
	ctr_add(&d->c.sw_segmented, 1);
	rte_pktmbuf_free(m);
	d->seg_off = 0;
	return true;
}

/*
 * -T with a VF that lacks some offloads: send @pkts[0..*np) in order, runs of whole frames
 * prepared for what the VF does, a frame to segment as segments (send_segments). Frames the
 * VF's prepare refuses are dropped as oversize (*np shrinks). Returns the frames sent; the first
 * one not sent may be partly sent (d->seg_off).
 */
static uint16_t send_sw(struct relay_dir *d, struct rte_mbuf **pkts, uint16_t *np)
{
	struct relay *r = d->relay;
	uint16_t n = *np, done = 0;

	while (done < n) {
		uint16_t end = done, len, sent;
		uint64_t bytes;

		if (sw_seg(r, pkts[done])) {
			if (!send_segments(d, pkts[done]))
				break;
			done++;
			continue;
		}
		while (end < n && !sw_seg(r, pkts[end]))
			end++;
		bytes = burst_bytes(pkts + done, end - done);
		len = tx_prepare(d, r->port, pkts + done, end - done, &bytes);
		if (len < end - done) { /* close the gap the refused frames left */
			memmove(pkts + done + len, pkts + end, (size_t)(n - end) * sizeof(pkts[0]));
			n = (uint16_t)(n - (end - done - len));
		}
		sent = rte_eth_tx_burst(r->port, d->lane, pkts + done, len);
		count_sent(&d->c, pkts + done, len, sent, bytes);
		done += sent;
		if (sent < len)
			break;
	}
	*np = n;
	return done;
}

/*
 * Send what the VF refused before; returns the frames it took. Anything still held keeps the
 * guest's frames where they are (no dequeue this pass). Held frames the VF can no longer take
 * (link down) are dropped as not connected.
 */
static uint16_t send_held(struct relay_dir *d, uint16_t port, bool up)
{
	uint16_t n = d->nheld, sent;
	uint64_t bytes;

	if (unlikely(!up)) {
		drop_down(d, d->held, n, burst_bytes(d->held, n));
		d->nheld = 0;
		d->seg_off = 0;
		return 0;
	}
	ctr_add(&d->c.retries, 1);
	if (unlikely(d->relay->sw_offload)) {
		uint32_t off = d->seg_off;

		sent = send_sw(d, d->held, &n);
		d->nheld = n - sent;
		if (sent && d->nheld)
			memmove(d->held, d->held + sent, d->nheld * sizeof(d->held[0]));
		return sent ? sent : d->seg_off != off; /* segments sent: progress */
	}
	bytes = burst_bytes(d->held, n); /* before the PMD owns the sent ones */
	sent = rte_eth_tx_burst(port, d->lane, d->held, n);
	count_sent(&d->c, d->held, n, sent, bytes);
	d->nheld = n - sent;
	if (sent && d->nheld) /* the rest moves to the front, in order */
		memmove(d->held, d->held + sent, d->nheld * sizeof(d->held[0]));
	return sent;
}

/*
 * A guest whose relay has no VF: what it sends is taken from its rings and dropped as not
 * connected, as the reference does, so that it finds room when the VF comes.
 */
static unsigned int drain_guest(struct relay_dir *d, int vid, uint32_t nr_vring)
{
	struct rte_mbuf *pkts[RELAY_BURST];
	unsigned int rx = 0;

	for (uint32_t q = 1; q < nr_vring; q += 2) {
		uint16_t n =
			rte_vhost_dequeue_burst(vid, (uint16_t)q, drop_pool, pkts, RELAY_BURST);
		uint32_t longest;

		if (n) {
			drop_down(d, pkts, n, count_rx(&d->c, pkts, n, &longest));
			rx += n;
		}
	}
	return rx;
}

/* guest_to_vf with offloads done in software (send_sw); false when the VF refused frames. */
static bool guest_to_vf_sw(struct relay_dir *d, struct rte_mbuf **pkts, uint16_t n, uint32_t max)
{
	uint64_t bytes = 0; /* send_sw counts what it sends */
	uint16_t kept = 0, done;

	for (uint16_t i = 0; i < n; i++) {
		if (offload_complete(pkts[i], d->relay->tx_offloads, max) < 0)
			drop_big(d, pkts[i], &bytes); /* headers that make no sense, or too long */
		else
			pkts[kept++] = pkts[i];
	}
	n = kept;
	done = send_sw(d, pkts, &n);
	if (done == n)
		return true;
	hold(d, pkts + done, n - done);
	return false;
}

/*
 * The source MAC of a guest's frame, for a VF that filters unicast by MAC (vfevent.c reads it).
 * Lane 0's VM->VF alone writes it, so it has one writer; multicast sources are not addresses.
 */
static inline void mac_learn(struct relay *r, const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	uint64_t mac = 0;

	if (m->data_len < sizeof(*eh) || rte_is_multicast_ether_addr(&eh->src_addr))
		return;
	memcpy(&mac, eh->src_addr.addr_bytes, RTE_ETHER_ADDR_LEN);
	if (mac != __atomic_load_n(&r->guest_mac, __ATOMIC_RELAXED))
		__atomic_store_n(&r->guest_mac, mac, __ATOMIC_RELAXED);
}

/*
 * One guest TX queue to the VF: false when the VF refused frames (held): the guest's next
 * frames stay in its rings.
 */
static inline bool guest_to_vf(struct relay_dir *d, int vid, uint16_t q, uint32_t max, bool up,
			       unsigned int *rx)
{
	struct relay *r = d->relay;
	struct rte_mbuf *pkts[RELAY_BURST];
	uint32_t longest;
	uint16_t n, sent;
	uint64_t bytes;

	n = rte_vhost_dequeue_burst(vid, q, r->pool, pkts, RELAY_BURST);
	if (n == 0)
		return true;
	*rx += n;
	bytes = count_rx(&d->c, pkts, n, &longest);
	if (r->mac_learn && d->lane == 0)
		mac_learn(r, pkts[0]);
	if (unlikely(!up)) {
		drop_down(d, pkts, n, bytes);
		return true;
	}
	if (unlikely(longest > max))
		n = drop_oversize(d, pkts, n, max, r->tso_hw || r->sw_offload, &bytes);
	if (unlikely(r->sw_offload))
		return guest_to_vf_sw(d, pkts, n, max);
	if (r->tx_prepare)
		n = tx_prepare(d, r->port, pkts, n, &bytes);
	/* Sent mbufs belong to the PMD once tx_burst returns; count_sent reads the rest. */
	sent = rte_eth_tx_burst(r->port, d->lane, pkts, n);
	count_sent(&d->c, pkts, n, sent, bytes);
	if (likely(sent == n))
		return true;
	hold(d, pkts + sent, n - sent);
	return false;
}

/*
 * Frames the VF refused are held and sent first next time; until they are, nothing more is
 * dequeued from the guest. Returns the frames taken from the guest or sent from the hold.
 */
static unsigned int poll_vm_to_vf(struct relay_dir *d)
{
	struct relay *r = d->relay;
	uint32_t nr_vring, max;
	unsigned int rx = 0;
	bool up;
	int vid;

	up = __atomic_load_n(&r->link_up, __ATOMIC_RELAXED);
	if (unlikely(d->nheld)) {
		rx = send_held(d, r->port, up);
		if (d->nheld)
			return rx;
	}
	vid = __atomic_load_n(&r->vid, __ATOMIC_ACQUIRE);
	if (vid < 0)
		return rx;
	nr_vring = __atomic_load_n(&r->nr_vring, __ATOMIC_RELAXED);
	if (unlikely(!r->vf_open))
		return drain_guest(d, vid, nr_vring);
	max = __atomic_load_n(&r->max_frame, __ATOMIC_RELAXED);
	/*
	 * Guest TX queue i is vring 2i + 1; only the enabled ones of this lane (i mod nb_lanes) are
	 * polled, into the lane's VF TX queue.
	 */
	for (unsigned int w = 0; w < VHOST_TXQ_WORDS; w++) {
		for (uint64_t m = vhost_txq_mask(vid, w); m; m &= m - 1) {
			unsigned int i = 64 * w + (unsigned int)__builtin_ctzll(m);

			if (r->nb_lanes > 1 && i % r->nb_lanes != d->lane)
				continue;
			if (unlikely(2 * i + 1 >= nr_vring) ||
			    !guest_to_vf(d, vid, (uint16_t)(2 * i + 1), max, up, &rx))
				return rx;
		}
	}
	return rx;
}

unsigned int dir_poll(struct relay_dir *d)
{
	return d->id == RELAY_VF_TO_VM ? poll_vf_to_vm(d) : poll_vm_to_vf(d);
}

void dir_drop_held(struct relay_dir *d)
{
	if (d->nheld) {
		drop_down(d, d->held, d->nheld, burst_bytes(d->held, d->nheld));
		d->nheld = 0;
		d->seg_off = 0;
	}
}

int dir_drop_pool(void)
{
	if (drop_pool)
		return 0;
	/* Frames are freed as soon as counted: a few bursts in flight, no per-lcore cache. */
	drop_pool = rte_pktmbuf_pool_create("relay_drop", 255, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					    (int)rte_socket_id());
	if (!drop_pool) {
		RERR("cannot create the pool for frames of guests without a VF: %s",
		     rte_strerror(rte_errno));
		return -ENOMEM;
	}
	return 0;
}

void dir_drop_pool_free(void)
{
	rte_mempool_free(drop_pool);
	drop_pool = NULL;
}
