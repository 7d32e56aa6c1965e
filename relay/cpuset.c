/* SPDX-License-Identifier: BSD-3-Clause */
/* cpuset.c: CPU sets as used by -C/--cpus: lists, ranges and hex bitmaps. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay_pure.h"

void cpuset_zero(struct cpuset *set)
{
	memset(set, 0, sizeof(*set));
}

void cpuset_add(struct cpuset *set, unsigned int cpu)
{
	if (cpu < CPUSET_MAX)
		set->w[cpu / 64] |= 1ULL << (cpu % 64);
}

bool cpuset_has(const struct cpuset *set, unsigned int cpu)
{
	return cpu < CPUSET_MAX && (set->w[cpu / 64] >> (cpu % 64)) & 1;
}

unsigned int cpuset_count(const struct cpuset *set)
{
	unsigned int n = 0;

	for (size_t i = 0; i < CPUSET_MAX / 64; i++)
		n += (unsigned int)__builtin_popcountll(set->w[i]);
	return n;
}

int cpuset_next(const struct cpuset *set, unsigned int from)
{
	for (unsigned int c = from; c < CPUSET_MAX; c++)
		if (cpuset_has(set, c))
			return (int)c;
	return -1;
}

static int parse_hex(const char *s, struct cpuset *set)
{
	size_t n = strlen(s);

	if (n == 0)
		return -EINVAL;
	/* Least significant digit last: walk from the right. */
	for (size_t i = 0; i < n; i++) {
		char c = s[n - 1 - i];
		unsigned int v;

		if (!isxdigit((unsigned char)c))
			return -EINVAL;
		v = (unsigned int)(isdigit((unsigned char)c) ? c - '0' : tolower(c) - 'a' + 10);
		for (unsigned int b = 0; b < 4; b++) {
			if (!(v & (1u << b)))
				continue;
			if (i * 4 + b >= CPUSET_MAX)
				return -EINVAL;
			cpuset_add(set, (unsigned int)(i * 4 + b));
		}
	}
	return 0;
}

static int parse_cpu(const char *s, char **end, unsigned int *cpu)
{
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, end, 10);
	if (errno || v >= CPUSET_MAX)
		return -EINVAL;
	*cpu = (unsigned int)v;
	return 0;
}

static int parse_list(const char *s, struct cpuset *set)
{
	const char *p = s;

	for (;;) {
		unsigned int lo, hi;
		char *end;

		if (parse_cpu(p, &end, &lo))
			return -EINVAL;
		hi = lo;
		if (*end == '-' && parse_cpu(end + 1, &end, &hi))
			return -EINVAL;
		if (hi < lo)
			return -EINVAL;
		for (unsigned int c = lo; c <= hi; c++)
			cpuset_add(set, c);
		if (*end == '\0')
			return 0;
		if (*end != ',')
			return -EINVAL;
		p = end + 1;
	}
}

int cpuset_parse(const char *s, struct cpuset *set)
{
	int ret;

	cpuset_zero(set);
	if (!s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		ret = parse_hex(s + 2, set);
	else
		ret = parse_list(s, set);
	if (ret == 0 && cpuset_count(set) == 0)
		ret = -EINVAL;
	if (ret)
		cpuset_zero(set);
	return ret;
}

int cpuset_format(const struct cpuset *set, char *buf, size_t len)
{
	size_t off = 0;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	for (int c = cpuset_next(set, 0); c >= 0; c = cpuset_next(set, (unsigned int)c + 1)) {
		int n = snprintf(buf + off, len - off, "%s%d", off ? "," : "", c);

		if (n < 0 || (size_t)n >= len - off)
			return -ENOSPC;
		off += (size_t)n;
	}
	return 0;
}
