/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * json.h: a small JSON reader for the OVSDB client (private to control/): a message is parsed
 * into a tree, read, freed. Bounded: nesting at most JSON_MAX_DEPTH, no NUL in strings.
 */
#ifndef VFWD_JSON_H
#define VFWD_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define JSON_MAX_DEPTH 32

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type type;
	bool boolean;
	double number;
	char *string;	   /* JSON_STRING, unescaped (UTF-8) */
	size_t n;	   /* JSON_ARRAY, JSON_OBJECT: members */
	struct json *item; /* their values */
	char **key;	   /* JSON_OBJECT: their names */
};

/* Parse the one value in @text[0..len); NULL with @err set when it is not JSON. */
struct json *json_parse(const char *text, size_t len, char *err, size_t errlen);
void json_free(struct json *j);
/* Member @key of object @j, or NULL (also when @j is not an object). */
const struct json *json_get(const struct json *j, const char *key);
/* Element @i of array @j, or NULL. */
const struct json *json_at(const struct json *j, size_t i);
/* String value of @j, or NULL. */
const char *json_str(const struct json *j);
/*
 * Length of the first complete top-level value in a stream buffer (after leading blanks), 0
 * when it is not complete yet, -1 when the buffer cannot start one.
 */
long json_stream_next(const char *buf, size_t len);

#endif
