/* SPDX-License-Identifier: BSD-3-Clause */
/* test_json.c: the OVSDB client's JSON reader (control/json.c), on what ovsdb-server sends. */
#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static char err[128];

static struct json *parse(const char *s)
{
	err[0] = '\0';
	return json_parse(s, strlen(s), err, sizeof(err));
}

START_TEST(ovsdb_messages)
{
	const char *upd =
		"{\"id\":null,\"method\":\"update\",\"params\":[null,{\"Interface\":"
		"{\"55e8\":{\"new\":{\"name\":\"vf0\",\"external_ids\":[\"map\","
		"[[\"virtio_forwarder\",\"5\"]]]},\"old\":{\"external_ids\":[\"map\",[]]}}}}]}";
	struct json *j = parse(upd);
	const struct json *t, *row, *ids;

	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(json_str(json_get(j, "method")), "update");
	ck_assert_int_eq(json_get(j, "id")->type, JSON_NULL);
	t = json_get(json_at(json_get(j, "params"), 1), "Interface");
	ck_assert_uint_eq(t->n, 1);
	ck_assert_str_eq(t->key[0], "55e8");
	row = json_get(&t->item[0], "new");
	ck_assert_str_eq(json_str(json_get(row, "name")), "vf0");
	ids = json_get(row, "external_ids");
	ck_assert_str_eq(json_str(json_at(ids, 0)), "map");
	ck_assert_str_eq(json_str(json_at(json_at(json_at(ids, 1), 0), 1)), "5");
	ck_assert_ptr_null(json_get(row, "nope"));
	ck_assert_ptr_null(json_at(ids, 2));
	json_free(j);

	j = parse(" {\"id\": 1, \"n\": -1.5e2, \"t\": true, \"f\": false, \"s\": "
		  "\"a\\\"b\\\\c\\n\\u00e9\"} ");
	ck_assert_ptr_nonnull(j);
	ck_assert(json_get(j, "n")->number == -150.0);
	ck_assert(json_get(j, "t")->boolean && !json_get(j, "f")->boolean);
	ck_assert_str_eq(json_str(json_get(j, "s")), "a\"b\\c\n\xc3\xa9");
	json_free(j);
}
END_TEST

/* Bad input: refused with a reason, no crash, no leak (the sanitizer twin checks). */
START_TEST(bad_input_refused)
{
	static const char *const bad[] = {
		"",
		"{",
		"{\"a\":}",
		"{\"a\" 1}",
		"[1,]",
		"[1 2]",
		"\"abc",
		"{\"a\":1}x",
		"nul",
		"[\"\\q\"]",
		"[\"\\u00\"]",
		"[\"\\u0000\"]",
		"{1:2}",
		"[-]",
		"[\"a\tb\x01\"]",
		"[1e999999999999999999999999999999999999999999999999999999999999999]",
	};
	char deep[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct json *j = parse(bad[i]);

		ck_assert_msg(!j, "'%s' accepted", bad[i]);
		ck_assert_msg(err[0], "'%s' refused without a reason", bad[i]);
	}
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	ck_assert_ptr_null(parse(deep));
	ck_assert_ptr_nonnull(strstr(err, "nested too deep"));
}
END_TEST

/* Messages arrive back to back on the socket: where does the first end? */
START_TEST(stream_boundaries)
{
	const char *two = "  {\"a\":\"}{\\\"\"}{\"b\":[1]}";

	ck_assert_int_eq(json_stream_next(two, strlen(two)),
			 14); /* the quoted braces do not count */
	ck_assert_int_eq(json_stream_next(two + 14, strlen(two) - 14), 9);
	ck_assert_int_eq(json_stream_next(two, 10), 0); /* not complete yet */
	ck_assert_int_eq(json_stream_next("x{}", 3), -1);
	ck_assert_int_eq(json_stream_next("   ", 3), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("json");

	tcase_add_test(tc, ovsdb_messages);
	tcase_add_test(tc, bad_input_refused);
	tcase_add_test(tc, stream_boundaries);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
