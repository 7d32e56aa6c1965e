/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flowhash.c: software RSS for VF->VM spreading. A frame's flow is its L3/L4 tuple (IPv4 or
 * IPv6 addresses, protocol and, for unfragmented TCP/UDP/SCTP, ports), else its L2 header.
 * Pure: no DPDK, unit-tested on byte arrays.
 */
#include <stddef.h>
#include <stdint.h>

#include "relay_pure.h"

#define ETH_HLEN       14
#define ETHTYPE_IPV4   0x0800
#define ETHTYPE_IPV6   0x86dd
#define ETHTYPE_VLAN   0x8100
#define ETHTYPE_QINQ   0x88a8
#define IPPROTO_TCP_   6
#define IPPROTO_UDP_   17
#define IPPROTO_SCTP_  132
#define IPV4_FRAG_MASK 0x3fff /* MF flag and fragment offset */
#define IPV6_HLEN      40
#define HASH_SEED      0x5bd1e995u

static inline uint32_t rd16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t mix(uint32_t h, uint32_t w)
{
	h ^= w * 0xcc9e2d51u;
	h = (h << 13) | (h >> 19);
	return h * 5 + 0xe6546b64u;
}

/* Final avalanche, so that nearby tuples land on unrelated queues. */
static inline uint32_t fmix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	return h ^ (h >> 16);
}

static uint32_t mix_bytes(uint32_t h, const uint8_t *p, uint32_t n)
{
	for (; n >= 4; p += 4, n -= 4)
		h = mix(h, rd32(p));
	for (; n; p++, n--)
		h = mix(h, *p);
	return h;
}

static bool has_ports(uint32_t proto)
{
	return proto == IPPROTO_TCP_ || proto == IPPROTO_UDP_ || proto == IPPROTO_SCTP_;
}

/* The L4 ports at @l4 (4 bytes) when present in the frame, else 0. */
static uint32_t ports(const uint8_t *f, uint32_t len, uint32_t l4)
{
	return l4 + 4 <= len ? rd32(f + l4) : 0;
}

uint32_t relay_flow_hash(const uint8_t *f, uint32_t len)
{
	uint32_t off = ETH_HLEN, type, h = HASH_SEED;

	if (len < ETH_HLEN)
		return fmix(mix_bytes(h, f, len));
	type = rd16(f + 12);
	for (int tags = 0; tags < 2 && (type == ETHTYPE_VLAN || type == ETHTYPE_QINQ); tags++) {
		if (off + 4 > len)
			break;
		type = rd16(f + off + 2);
		off += 4;
	}
	if (type == ETHTYPE_IPV4 && off + 20 <= len) {
		const uint8_t *ip = f + off;
		uint32_t ihl = (ip[0] & 0xf) * 4u, proto = ip[9];

		h = mix(mix(mix(h, rd32(ip + 12)), rd32(ip + 16)), proto);
		if (ihl >= 20 && has_ports(proto) && !(rd16(ip + 6) & IPV4_FRAG_MASK))
			h = mix(h, ports(f, len, off + ihl));
		return fmix(h);
	}
	if (type == ETHTYPE_IPV6 && off + IPV6_HLEN <= len) {
		const uint8_t *ip = f + off;
		uint32_t proto = ip[6];

		h = mix(mix_bytes(h, ip + 8, 32), proto);
		if (has_ports(proto))
			h = mix(h, ports(f, len, off + IPV6_HLEN));
		return fmix(h);
	}
	/* Anything else (ARP, unknown, truncated IP): addresses and type. */
	return fmix(mix(mix_bytes(h, f, 12), type));
}
