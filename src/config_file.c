/* SPDX-License-Identifier: BSD-3-Clause */
/* config_file.c: reads /etc/default/virtioforwarder syntax: KEY=value, quotes, comments, arrays. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

#define MAX_ITEMS    128
#define LINE_MAX_LEN 4096

struct cursor {
	const char *p;
	char *out; /* where the current word is written */
	size_t room;
};

/*
 * Read one shell word at c->p: bare characters, '...' (literal), "..." (with
 * \" \\ \$ escapes), concatenated until unquoted blank, ')' (in arrays) or '#'.
 * Returns 1 for a word, 0 at end of input, -EINVAL for an unterminated quote.
 */
static int word(struct cursor *c, bool in_array)
{
	size_t n = 0;
	bool any = false;

	while (*c->p == ' ' || *c->p == '\t')
		c->p++;
	while (*c->p && *c->p != ' ' && *c->p != '\t' && *c->p != '\n' &&
	       !(in_array && *c->p == ')') && !(*c->p == '#' && !any)) {
		char q = *c->p;

		any = true;
		if (q == '\'' || q == '"') {
			const char *end;

			for (end = c->p + 1; *end && *end != q; end++)
				if (q == '"' && *end == '\\' && end[1])
					end++;
			if (*end != q)
				return -EINVAL;
			for (const char *s = c->p + 1; s < end; s++) {
				if (q == '"' && *s == '\\' && strchr("\"\\$`", s[1]))
					s++;
				if (n + 1 < c->room)
					c->out[n++] = *s;
			}
			c->p = end + 1;
		} else {
			if (n + 1 < c->room)
				c->out[n++] = q;
			c->p++;
		}
	}
	c->out[n] = '\0';
	return any ? 1 : 0;
}

static bool valid_key(const char *k, size_t n)
{
	if (n == 0 || !(isalpha((unsigned char)k[0]) || k[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)k[i]) && k[i] != '_')
			return false;
	return true;
}

/* Values of one assignment: a word, or "( word word ... )" possibly over several lines. */
static int values(FILE *f, unsigned int *lineno, const char *rest, char *vals[MAX_ITEMS],
		  unsigned int *n, bool *array, char *err, size_t errlen)
{
	static char text[LINE_MAX_LEN * 4];
	char line[LINE_MAX_LEN], *store = text;
	struct cursor c = {rest, NULL, 0};
	int ret;

	*n = 0;
	*array = *c.p == '(';
	if (!*array) {
		c.out = store, c.room = sizeof(text);
		ret = word(&c, false);
		if (ret < 0)
			goto out_quote;
		vals[(*n)++] = store;
		if (!ret)
			store[0] = '\0'; /* KEY= : blank */
		return 0;
	}
	c.p++;
	for (;;) {
		c.out = store, c.room = (size_t)(text + sizeof(text) - store);
		ret = word(&c, true);
		if (ret < 0)
			goto out_quote;
		if (ret) {
			if (*n >= MAX_ITEMS) {
				snprintf(err, errlen, "more than %d values", MAX_ITEMS);
				return -E2BIG;
			}
			vals[(*n)++] = store;
			store += strlen(store) + 1;
			continue;
		}
		if (*c.p == ')')
			return 0;
		if (*c.p == '#' || *c.p == '\n' || !*c.p) { /* the array goes on on the next line */
			if (!fgets(line, sizeof(line), f)) {
				snprintf(err, errlen, "array not closed with ')'");
				return -EINVAL;
			}
			(*lineno)++;
			c.p = line;
		}
	}
out_quote:
	snprintf(err, errlen, "unterminated quote");
	return -EINVAL;
}

int cfgfile_parse(const char *path, cfgfile_apply_fn apply, void *ctx, char *err, size_t errlen)
{
	char line[LINE_MAX_LEN], why[VFWD_ERR_LEN], key[64], *vals[MAX_ITEMS];
	unsigned int lineno = 0, n;
	FILE *f = fopen(path, "r");
	bool array;
	int ret = 0;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return ret;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *eq;
		unsigned int at = ++lineno;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#')
			continue;
		if (!strncmp(p, "export ", 7))
			p += 7;
		eq = strchr(p, '=');
		if (!eq || !valid_key(p, (size_t)(eq - p)) || (size_t)(eq - p) >= sizeof(key)) {
			p[strcspn(p, "\n")] = '\0';
			snprintf(err, errlen, "%s:%u: '%s' is not KEY=value", path, at, p);
			ret = -EINVAL;
			break;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - p), p);
		ret = values(f, &lineno, eq + 1, vals, &n, &array, why, sizeof(why));
		if (ret == 0)
			ret = apply(ctx, key, (const char *const *)vals, n, array, why,
				    sizeof(why));
		if (ret < 0) {
			snprintf(err, errlen, "%s:%u: %s: %s", path, at, key, why);
			break;
		}
	}
	fclose(f);
	return ret < 0 ? ret : 0;
}
