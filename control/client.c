/* SPDX-License-Identifier: BSD-3-Clause */
/* client.c: one request, one reply over ZeroMQ REQ, with a time limit: shared by every tool. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <protobuf-c/protobuf-c.h>
#include <zmq.h>

#include "ctl_client.h"

ssize_t ctl_request(const char *ep, const void *req, size_t len, int timeout_ms, void **reply,
		    char *err, size_t errlen)
{
	int zero = 0, one = 1, n = -1;
	ssize_t ret = -EIO;
	void *ctx, *s = NULL;
	zmq_msg_t m;
	struct stat st;

	*reply = NULL;
	/* An IPC endpoint whose file is missing cannot answer: say so at once. */
	if (!strncmp(ep, "ipc://", 6) && stat(ep + 6, &st)) {
		snprintf(err, errlen, "daemon not reachable at %s (%s)", ep, strerror(errno));
		return -ECONNREFUSED;
	}
	ctx = zmq_ctx_new();
	if (!ctx || !(s = zmq_socket(ctx, ZMQ_REQ))) {
		snprintf(err, errlen, "cannot create a ZeroMQ socket: %s", zmq_strerror(errno));
		goto out_ctx;
	}
	zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof(zero));
	zmq_setsockopt(s, ZMQ_RCVTIMEO, &timeout_ms, sizeof(timeout_ms));
	zmq_setsockopt(s, ZMQ_SNDTIMEO, &timeout_ms, sizeof(timeout_ms));
	zmq_setsockopt(s, ZMQ_IMMEDIATE, &one, sizeof(one));
	if (zmq_connect(s, ep)) {
		snprintf(err, errlen, "bad endpoint %s: %s", ep, zmq_strerror(errno));
		ret = -EINVAL;
		goto out_ctx;
	}
	zmq_msg_init(&m);
	if (zmq_send(s, req, len, 0) < 0 || (n = zmq_msg_recv(&m, s, 0)) < 0) {
		snprintf(err, errlen, "daemon not reachable at %s (no answer within %d ms)", ep,
			 timeout_ms);
		zmq_msg_close(&m);
		ret = -ETIMEDOUT;
		goto out_ctx;
	}
	*reply = malloc(n ? (size_t)n : 1);
	if (*reply) {
		memcpy(*reply, zmq_msg_data(&m), (size_t)n);
		ret = n;
	} else {
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
	}
	zmq_msg_close(&m);
out_ctx:
	if (s)
		zmq_close(s);
	if (ctx)
		zmq_ctx_term(ctx);
	return ret;
}

struct ProtobufCMessage *ctl_call(const char *prog, const char *ep,
				  const struct ProtobufCMessage *req,
				  const struct ProtobufCMessageDescriptor *reply_desc,
				  int timeout_ms, void **raw, size_t *raw_len)
{
	size_t len = protobuf_c_message_get_packed_size(req);
	ProtobufCMessage *resp = NULL;
	uint8_t *buf = malloc(len ? len : 1);
	char err[256];
	void *reply;
	ssize_t n;

	if (!buf) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return NULL;
	}
	protobuf_c_message_pack(req, buf);
	n = ctl_request(ep, buf, len, timeout_ms, &reply, err, sizeof(err));
	free(buf);
	if (n < 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return NULL;
	}
	resp = protobuf_c_message_unpack(reply_desc, NULL, (size_t)n, reply);
	if (!resp)
		fprintf(stderr, "%s: the daemon's reply is not a %s\n", prog,
			reply_desc->short_name);
	if (resp && raw) {
		*raw = reply;
		*raw_len = (size_t)n;
	} else {
		free(reply);
	}
	return resp;
}

int ctl_parse_uint(const char *prog, const char *opt, const char *s, unsigned long max,
		   unsigned long *v)
{
	char *end;

	*v = strtoul(s, &end, 10);
	if (!*s || *s == '-' || *end || *v > max) {
		fprintf(stderr, "%s: %s: '%s' is not a number in 0..%lu\n", prog, opt, s, max);
		return -1;
	}
	return 0;
}
