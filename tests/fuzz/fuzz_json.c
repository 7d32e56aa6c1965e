/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_json.c: the OVSDB client's JSON reader: one value, and the stream framing. */
#include "fuzz.h"
#include "json.h"

/* Walk every node, as the OVSDB client reads them. */
static size_t walk(const struct json *j)
{
	size_t n = 1;

	if (j->type == JSON_STRING && !j->string)
		abort();
	for (size_t i = 0; (j->type == JSON_ARRAY || j->type == JSON_OBJECT) && i < j->n; i++)
		n += walk(j->type == JSON_ARRAY ? json_at(j, i) : &j->item[i]);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	char err[128];
	struct json *j;
	long used;

	j = json_parse(text, size, err, sizeof(err));
	if (j) {
		walk(j);
		json_free(j);
	}
	used = json_stream_next(text, size);
	if (used > (long)size)
		abort(); /* a message cannot end past the buffer */
	return 0;
}
