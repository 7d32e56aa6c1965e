/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * offload.c: the offloads a guest asks for (-T) that its VF cannot do, done in software on the
 * VM->VF path: TCP segmentation (IPv4 and IPv6) and the IPv4, TCP and UDP checksums. Workers
 * only: no lock, no syscall, no allocation but mbufs from the relay's pool.
 *
 * rte_vhost (legacy offload flags) hands over a frame to segment with TCP_SEG, tso_segsz and
 * l2/l3/l4 lengths, and a frame to checksum with TCP_CKSUM or UDP_CKSUM and l2/l3 lengths; its
 * IPv4 header checksum is always the guest's, valid. Checksums computed here are computed whole
 * (field zeroed first), whatever partial sum the guest left in the field.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "relay_int.h"

#define L4_CSUM_FLAGS (RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM)
/* Longest header run copied into each segment: L2 with two tags, IPv4 or IPv6, TCP options. */
#define SEG_HDR_MAX 160
/*
 * Smallest segment size taken (Linux's tcp_min_snd_mss default): a guest asking for less
 * would have the relay make over a thousand segments of each 64 kB frame.
 */
#define SEG_MSS_MIN 48

/* IP payload end (offset of the first byte after the IP packet), 0 when it makes no sense. */
static uint32_t ip_end(const struct rte_mbuf *m)
{
	const uint8_t *l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, m->l2_len);
	uint32_t end;

	if (m->ol_flags & RTE_MBUF_F_TX_IPV4)
		end = m->l2_len + rte_be_to_cpu_16(((const struct rte_ipv4_hdr *)l3)->total_length);
	else if (m->ol_flags & RTE_MBUF_F_TX_IPV6)
		end = m->l2_len + m->l3_len +
		      rte_be_to_cpu_16(((const struct rte_ipv6_hdr *)l3)->payload_len);
	else
		return 0;
	return end <= m->pkt_len ? end : 0;
}

/* Headers (L2..L4 as rte_vhost measured them) whole in the first mbuf, the IP length sane. */
static bool headers_ok(const struct rte_mbuf *m, uint32_t l4_min)
{
	uint32_t l4 = RTE_MAX((uint32_t)m->l4_len, l4_min);
	uint32_t hdr = m->l2_len + m->l3_len + l4;

	if (!m->l2_len || hdr > rte_pktmbuf_data_len(m))
		return false;
	if ((m->ol_flags & RTE_MBUF_F_TX_IPV6) && m->l3_len != sizeof(struct rte_ipv6_hdr))
		return false;
	if ((m->ol_flags & RTE_MBUF_F_TX_IPV4) && m->l3_len < sizeof(struct rte_ipv4_hdr))
		return false;
	return ip_end(m) >= hdr;
}

/*
 * Ones' complement sum of @len bytes at @p added to @sum, eight bytes at a time with the
 * carries added back (RFC 1071: any word size gives the same folded sum); bytes in memory
 * order, as rte_raw_cksum reads them.
 */
static uint64_t csum_add(uint64_t sum, const uint8_t *p, uint32_t len)
{
	uint64_t v;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&v, p, 8);
		sum += v;
		sum += sum < v;
	}
	if (len) {
		v = 0;
		memcpy(&v, p, len);
		sum += v;
		sum += sum < v;
	}
	return sum;
}

static uint16_t csum_fold(uint64_t sum)
{
	sum = (sum & 0xFFFFFFFF) + (sum >> 32);
	sum = (sum & 0xFFFFFFFF) + (sum >> 32);
	sum = (sum & 0xFFFF) + (sum >> 16);
	sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)((sum & 0xFFFF) + (sum >> 16));
}

/*
 * The TCP or UDP checksum of @m, computed whole into its field (header in the first mbuf).
 * A frame in one buffer (every segment made here) is summed eight bytes at a time; DPDK's
 * rte_raw_cksum, two at a time, took 44 % of a worker segmenting 60 kB frames.
 */
static void l4_csum(struct rte_mbuf *m, bool tcp)
{
	void *l3 = rte_pktmbuf_mtod_offset(m, void *, m->l2_len);
	uint16_t l4_off = (uint16_t)(m->l2_len + m->l3_len);
	uint8_t *field =
		rte_pktmbuf_mtod_offset(m, uint8_t *,
					l4_off + (tcp ? offsetof(struct rte_tcp_hdr, cksum)
						      : offsetof(struct rte_udp_hdr, dgram_cksum)));
	bool v4 = m->ol_flags & RTE_MBUF_F_TX_IPV4;
	uint16_t c = 0;

	memcpy(field, &c, sizeof(c));
	if (m->nb_segs == 1) {
		uint32_t len = ip_end(m) - l4_off; /* offload_complete checked ip_end >= l4_off */
		uint64_t sum = v4 ? rte_ipv4_phdr_cksum(l3, 0) : rte_ipv6_phdr_cksum(l3, 0);

		c = (uint16_t)~csum_fold(
			csum_add(sum, rte_pktmbuf_mtod_offset(m, uint8_t *, l4_off), len));
		if (c == 0 && !tcp) /* UDP: 0 means no checksum; all ones is the same sum */
			c = 0xFFFF;
	} else if (v4) {
		c = rte_ipv4_udptcp_cksum_mbuf(m, l3, l4_off);
	} else {
		c = rte_ipv6_udptcp_cksum_mbuf(m, l3, l4_off);
	}
	memcpy(field, &c, sizeof(c)); /* as computed: network order */
}

int offload_complete(struct rte_mbuf *m, uint64_t vf_offloads, uint32_t max)
{
	uint64_t f = m->ol_flags, l4;
	bool tcp;

	/* rte_vhost asks for no IPv4 header checksum: the guest's is always there, valid. */
	if (likely(!(f & (RTE_MBUF_F_TX_TCP_SEG | L4_CSUM_FLAGS))))
		return 0;
	if (!(f & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6)))
		return -EINVAL;
	if (f & RTE_MBUF_F_TX_TCP_SEG) {
		uint32_t hdr = m->l2_len + m->l3_len + m->l4_len;

		if (vf_offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO)
			return 0; /* the VF segments (and checksums) it */
		if (!headers_ok(m, sizeof(struct rte_tcp_hdr)) ||
		    m->l4_len < sizeof(struct rte_tcp_hdr) || m->tso_segsz < SEG_MSS_MIN)
			return -EINVAL;
		if (ip_end(m) - hdr > m->tso_segsz) {
			/* segments must fit the VF; each gets its own headers and checksums */
			if (hdr + m->tso_segsz > max || hdr > SEG_HDR_MAX)
				return -EMSGSIZE;
			return OFFLOAD_SEGMENT;
		}
		/* One segment's worth: sent as it is, its checksum done here. */
		if (m->pkt_len > max)
			return -EMSGSIZE;
		f = (f & ~RTE_MBUF_F_TX_TCP_SEG) | RTE_MBUF_F_TX_TCP_CKSUM;
		m->ol_flags = f;
		vf_offloads &= ~RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	}
	l4 = f & RTE_MBUF_F_TX_L4_MASK;
	if (l4 != RTE_MBUF_F_TX_TCP_CKSUM && l4 != RTE_MBUF_F_TX_UDP_CKSUM)
		return 0; /* SCTP: not done in software */
	tcp = l4 == RTE_MBUF_F_TX_TCP_CKSUM;
	if (vf_offloads & (tcp ? RTE_ETH_TX_OFFLOAD_TCP_CKSUM : RTE_ETH_TX_OFFLOAD_UDP_CKSUM))
		return 0;
	if (!headers_ok(m, tcp ? sizeof(struct rte_tcp_hdr) : sizeof(struct rte_udp_hdr)))
		return -EINVAL;
	l4_csum(m, tcp);
	m->ol_flags &= ~RTE_MBUF_F_TX_L4_MASK;
	return 0;
}

uint32_t offload_seg_payload(const struct rte_mbuf *m)
{
	return ip_end(m) - m->l2_len - m->l3_len - m->l4_len;
}

/* Append @len bytes of @m from @off to segment @s, chaining mbufs of @mp as it fills. */
static int seg_fill(struct rte_mempool *mp, struct rte_mbuf *s, const struct rte_mbuf *m,
		    uint32_t off, uint32_t len)
{
	struct rte_mbuf *tail = rte_pktmbuf_lastseg(s);

	while (len) {
		uint32_t room = rte_pktmbuf_tailroom(tail), c;
		uint8_t *dst;
		const void *src;

		if (!room) {
			struct rte_mbuf *more = rte_pktmbuf_alloc(mp);

			if (!more)
				return -ENOMEM;
			tail->next = more;
			tail = more;
			s->nb_segs++;
			room = rte_pktmbuf_tailroom(tail);
		}
		c = RTE_MIN(room, len);
		dst = rte_pktmbuf_mtod_offset(tail, uint8_t *, tail->data_len);
		src = rte_pktmbuf_read(m, off, c, dst);
		if (!src) /* past the frame: offload_complete checked it is not */
			return -EINVAL;
		if (src != dst)
			rte_memcpy(dst, src, c);
		tail->data_len = (uint16_t)(tail->data_len + c);
		s->pkt_len += c;
		off += c;
		len -= c;
	}
	return 0;
}

/* Segment @seq_off..+@len of @m's TCP payload, with headers and checksums of its own. */
static struct rte_mbuf *seg_make(struct rte_mempool *mp, const struct rte_mbuf *m, uint32_t seq_off,
				 uint32_t len, bool last)
{
	uint32_t hdr = m->l2_len + m->l3_len + m->l4_len;
	struct rte_mbuf *s = rte_pktmbuf_alloc(mp);
	struct rte_tcp_hdr *tcp;
	uint8_t *p;

	if (!s)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(s, (uint16_t)hdr);
	if (!p || seg_fill(mp, s, m, hdr + seq_off, len)) {
		rte_pktmbuf_free(s);
		return NULL;
	}
	rte_memcpy(p, rte_pktmbuf_mtod(m, const void *), hdr);
	s->l2_len = m->l2_len;
	s->l3_len = m->l3_len;
	s->l4_len = m->l4_len;
	s->ol_flags = m->ol_flags & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6);
	if (m->ol_flags & RTE_MBUF_F_TX_IPV4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + m->l2_len);

		ip->total_length = rte_cpu_to_be_16((uint16_t)(m->l3_len + m->l4_len + len));
		ip->packet_id = rte_cpu_to_be_16(
			(uint16_t)(rte_be_to_cpu_16(ip->packet_id) + seq_off / m->tso_segsz));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(p + m->l2_len);

		ip->payload_len = rte_cpu_to_be_16((uint16_t)(m->l4_len + len));
	}
	tcp = (struct rte_tcp_hdr *)(p + m->l2_len + m->l3_len);
	tcp->sent_seq = rte_cpu_to_be_32(rte_be_to_cpu_32(tcp->sent_seq) + seq_off);
	/* FIN and PSH end the frame; CWR starts it. */
	if (!last)
		tcp->tcp_flags &= (uint8_t) ~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
	if (seq_off)
		tcp->tcp_flags &= (uint8_t)~RTE_TCP_CWR_FLAG;
	l4_csum(s, true);
	return s;
}

unsigned int offload_segment(struct rte_mempool *mp, const struct rte_mbuf *m, uint32_t off,
			     struct rte_mbuf **segs, unsigned int max)
{
	uint32_t payload = offload_seg_payload(m), mss = m->tso_segsz;
	unsigned int k = 0;

	for (; k < max && off < payload; k++, off += mss) {
		uint32_t len = RTE_MIN(mss, payload - off);

		segs[k] = seg_make(mp, m, off, len, off + len == payload);
		if (!segs[k])
			break;
	}
	return k;
}
