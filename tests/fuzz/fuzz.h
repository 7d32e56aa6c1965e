/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz.h: what the libFuzzer targets share (tests/fuzz/README.md says how to run them). */
#ifndef VFWD_FUZZ_H
#define VFWD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* @data as a NUL-terminated string (an embedded NUL ends it early, as in C callers). */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

#endif
