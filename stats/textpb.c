/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * textpb.c: a protobuf message in the protobuf text format, as Python's text_format prints it
 * (what the reference's stats tool shows for --output-format protobuf): set fields in field
 * number order, nested messages as "name {" blocks indented by two, strings C-escaped, enums
 * by name, floats as the shortest text that reads back the same float32.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "stats_fmt.h"

static void text_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\r')
			fputs("\\r", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p == '"' || *p == '\'' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(out, "\\%03o", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* The shortest decimal that reads back as float @f, spelt as Python spells that double. */
static void text_float(FILE *out, float f)
{
	char buf[48];
	double d = f;

	for (int prec = 1; prec <= 9; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, (double)f);
		if ((float)strtod(buf, NULL) == f) {
			d = strtod(buf, NULL);
			break;
		}
	}
	stats_py_float(d, buf, sizeof(buf));
	fputs(buf, out);
}

static void text_message(FILE *out, const ProtobufCMessage *m, int indent);

/* One value of field @f at @p. */
static void text_value(FILE *out, const ProtobufCFieldDescriptor *f, const void *p, int indent)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		fprintf(out, "%" PRId32, *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		fprintf(out, "%" PRIu32, *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		fprintf(out, "%" PRId64, *(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		fprintf(out, "%" PRIu64, *(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		text_float(out, *(const float *)p);
		break;
	case PROTOBUF_C_TYPE_DOUBLE: {
		char buf[48];

		stats_py_float(*(const double *)p, buf, sizeof(buf));
		fputs(buf, out);
		break;
	}
	case PROTOBUF_C_TYPE_BOOL:
		fputs(*(const protobuf_c_boolean *)p ? "true" : "false", out);
		break;
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
			(const ProtobufCEnumDescriptor *)f->descriptor, *(const int *)p);

		if (ev)
			fputs(ev->name, out);
		else
			fprintf(out, "%d", *(const int *)p);
		break;
	}
	case PROTOBUF_C_TYPE_STRING:
		text_string(out, *(char *const *)p);
		break;
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;
		char *s = calloc(1, b->len + 1);

		if (s)
			memcpy(s, b->data, b->len);
		text_string(out, s);
		free(s);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		fputs("{\n", out);
		text_message(out, *(const ProtobufCMessage *const *)p, indent + 2);
		fprintf(out, "%*s}", indent, "");
		break;
	}
}

static size_t elem_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return 4;
	}
}

static void text_field_line(FILE *out, const ProtobufCFieldDescriptor *f, const void *p, int indent)
{
	fprintf(out, "%*s%s%s", indent, "", f->name,
		f->type == PROTOBUF_C_TYPE_MESSAGE ? " " : ": ");
	text_value(out, f, p, indent);
	fputc('\n', out);
}

/* protobuf-c keeps a descriptor's fields in field-number order, text_format's order. */
static void text_message(FILE *out, const ProtobufCMessage *m, int indent)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const char *base = (const char *)m;

	for (unsigned int i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *p = base + f->offset;

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			const char *arr = *(char *const *)p;

			for (size_t k = 0; k < n; k++)
				text_field_line(out, f, arr + k * elem_size(f), indent);
			continue;
		}
		if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE) {
			if (!*(void *const *)p)
				continue;
		} else if (f->label == PROTOBUF_C_LABEL_OPTIONAL &&
			   !*(const protobuf_c_boolean *)(base + f->quantifier_offset)) {
			continue;
		}
		text_field_line(out, f, p, indent);
	}
}

void stats_write_text_pb(FILE *out, const ProtobufCMessage *m)
{
	text_message(out, m, 0);
}
