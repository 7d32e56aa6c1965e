/* SPDX-License-Identifier: BSD-3-Clause */
/* json.c: the small JSON reader of json.h (recursive descent, bounded depth). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct reader {
	const char *start, *p, *end;
	char *err;
	size_t errlen;
	int depth;
};

static bool fail(struct reader *r, const char *what)
{
	snprintf(r->err, r->errlen, "%s at offset %ld", what, (long)(r->p - r->start));
	return false;
}

static void blanks(struct reader *r)
{
	while (r->p < r->end && isspace((unsigned char)*r->p))
		r->p++;
}

static bool value(struct reader *r, struct json *out);

static int hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)p[i], d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* Append code point @cp as UTF-8. */
static char *utf8(char *o, unsigned int cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xc0 | cp >> 6);
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xe0 | cp >> 12);
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*o++ = (char)(0xf0 | cp >> 18);
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*o++ = (char)(0x80 | (cp & 0x3f));
	}
	return o;
}

/* A string at r->p (on its opening quote); the unescaped text is never longer. */
static bool string(struct reader *r, char **out)
{
	const char *s = ++r->p;
	char *o;

	while (r->p < r->end && *r->p != '"')
		r->p += *r->p == '\\' ? 2 : 1;
	if (r->p >= r->end)
		return fail(r, "unterminated string");
	*out = o = malloc((size_t)(r->p - s) + 1);
	if (!o)
		return fail(r, "out of memory");
	for (; s < r->p; s++) {
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return fail(r, "control character in a string");
		if (*s != '\\') {
			*o++ = *s;
			continue;
		}
		switch (*++s) {
		case 'n':
			*o++ = '\n';
			break;
		case 't':
			*o++ = '\t';
			break;
		case 'r':
			*o++ = '\r';
			break;
		case 'b':
			*o++ = '\b';
			break;
		case 'f':
			*o++ = '\f';
			break;
		case '"':
		case '\\':
		case '/':
			*o++ = *s;
			break;
		case 'u': {
			int cp = r->p - s > 4 ? hex4(s + 1) : -1;

			if (cp <= 0) /* no NUL: strings stay C strings */
				return fail(r, "bad \\u escape");
			o = utf8(o, (unsigned int)cp);
			s += 4;
			break;
		}
		default:
			return fail(r, "bad escape");
		}
	}
	*o = '\0';
	r->p++; /* the closing quote */
	return true;
}

/* Members of an array or object, up to @close. */
static bool members(struct reader *r, struct json *out, char close)
{
	size_t cap = 0;

	if (++r->depth > JSON_MAX_DEPTH)
		return fail(r, "nested too deep");
	r->p++;
	blanks(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		r->depth--;
		return true;
	}
	for (;;) {
		if (out->n == cap) {
			size_t ncap = cap ? 2 * cap : 4;
			struct json *ni = realloc(out->item, ncap * sizeof(*ni));
			char **nk = out->type == JSON_OBJECT ? realloc(out->key, ncap * sizeof(*nk))
							     : NULL;

			if (ni)
				out->item = ni;
			if (nk)
				out->key = nk;
			if (!ni || (out->type == JSON_OBJECT && !nk))
				return fail(r, "out of memory");
			cap = ncap;
		}
		memset(&out->item[out->n], 0, sizeof(out->item[0]));
		if (out->type == JSON_OBJECT) {
			out->key[out->n] = NULL;
			blanks(r);
			if (r->p >= r->end || *r->p != '"')
				return fail(r, "object key expected");
			out->n++;
			if (!string(r, &out->key[out->n - 1]))
				return false;
			blanks(r);
			if (r->p >= r->end || *r->p++ != ':')
				return fail(r, "':' expected");
		} else {
			out->n++;
		}
		if (!value(r, &out->item[out->n - 1]))
			return false;
		blanks(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == close) {
			r->p++;
			r->depth--;
			return true;
		}
		return fail(r, "',' or end expected");
	}
}

static bool literal(struct reader *r, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n))
		return fail(r, "unknown literal");
	r->p += n;
	return true;
}

static bool value(struct reader *r, struct json *out)
{
	blanks(r);
	if (r->p >= r->end)
		return fail(r, "value expected");
	switch (*r->p) {
	case '{':
		out->type = JSON_OBJECT;
		return members(r, out, '}');
	case '[':
		out->type = JSON_ARRAY;
		return members(r, out, ']');
	case '"':
		out->type = JSON_STRING;
		return string(r, &out->string);
	case 't':
		out->type = JSON_BOOL, out->boolean = true;
		return literal(r, "true");
	case 'f':
		out->type = JSON_BOOL;
		return literal(r, "false");
	case 'n':
		out->type = JSON_NULL;
		return literal(r, "null");
	default: {
		char num[64], *e;
		size_t n = 0;

		while (r->p + n < r->end && n < sizeof(num) && strchr("+-0123456789.eE", r->p[n]) &&
		       r->p[n])
			n++;
		if (n == 0 || n >= sizeof(num))
			return fail(r, "value expected");
		memcpy(num, r->p, n);
		num[n] = '\0';
		out->type = JSON_NUMBER;
		out->number = strtod(num, &e);
		if (*e)
			return fail(r, "bad number");
		r->p += n;
		return true;
	}
	}
}

static void json_clear(struct json *j)
{
	free(j->string);
	for (size_t i = 0; i < j->n; i++) {
		json_clear(&j->item[i]);
		if (j->key)
			free(j->key[i]);
	}
	free(j->item);
	free(j->key);
}

void json_free(struct json *j)
{
	if (!j)
		return;
	json_clear(j);
	free(j);
}

struct json *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct reader r = {text, text, text + len, err, errlen, 0};
	struct json *j = calloc(1, sizeof(*j));

	if (!j) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!value(&r, j)) {
		json_free(j);
		return NULL;
	}
	blanks(&r);
	if (r.p != r.end) {
		fail(&r, "trailing data after the value");
		json_free(j);
		return NULL;
	}
	return j;
}

const struct json *json_get(const struct json *j, const char *key)
{
	if (!j || j->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < j->n; i++)
		if (!strcmp(j->key[i], key))
			return &j->item[i];
	return NULL;
}

const struct json *json_at(const struct json *j, size_t i)
{
	return j && j->type == JSON_ARRAY && i < j->n ? &j->item[i] : NULL;
}

const char *json_str(const struct json *j)
{
	return j && j->type == JSON_STRING ? j->string : NULL;
}

long json_stream_next(const char *buf, size_t len)
{
	size_t i = 0;
	int depth = 0;
	bool in_str = false;

	while (i < len && isspace((unsigned char)buf[i]))
		i++;
	if (i < len && buf[i] != '{' && buf[i] != '[')
		return -1; /* OVSDB sends objects only */
	for (; i < len; i++) {
		char c = buf[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if ((c == '}' || c == ']') && --depth == 0) {
			return (long)i + 1;
		}
	}
	return 0;
}
