/* The device link: frames over a socketpair and over TCP, refusals. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../test.h"
#include "net/devlink.h"
#include "wire/cbor.h"

struct msg {
	uint64_t n;
	char text[32];
};

static struct obol_fields msg_spec(struct msg *m, struct obol_field f[2])
{
	f[0] = (struct obol_field){ .name = "n", .key = 1, .kind = OBOL_FIELD_UINT, .value = &m->n };
	f[1] = (struct obol_field){ .name = "text", .key = 2, .kind = OBOL_FIELD_TEXT, .value = m->text, .max = 31 };
	return (struct obol_fields){ f, 2 };
}

/* Two connected links; the second end is returned as a raw fd when raw != NULL. */
static void pair(struct obol_devlink **a, struct obol_devlink **b, int *raw, int timeout_ms)
{
	int sv[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	REQUIRE_OK(obol_devlink_from_fd(sv[0], timeout_ms, a));
	if (raw != NULL)
		*raw = sv[1];
	else
		REQUIRE_OK(obol_devlink_from_fd(sv[1], timeout_ms, b));
}

/* Reads one frame from l and returns the outcome; *type gets the frame's
 * type when type is not NULL (the body is not looked at). */
static obol_err read_type(struct obol_devlink *l, uint32_t *type)
{
	uint32_t t;
	const uint8_t *body;
	size_t len;
	obol_err e = obol_devlink_read(l, &t, &body, &len);
	if (e == OBOL_OK && type != NULL)
		*type = t;
	return e;
}

TEST(devlink, frame_round_trip)
{
	struct obol_devlink *a = NULL, *b = NULL;
	struct msg in = { .n = 42, .text = "tea" }, out = { 0 };
	struct obol_field f1[2], f2[2];
	uint32_t type;
	const uint8_t *body;
	size_t len;
	pair(&a, &b, NULL, 1000);
	REQUIRE(a != NULL && b != NULL);
	struct obol_fields s1 = msg_spec(&in, f1), s2 = msg_spec(&out, f2);
	REQUIRE_OK(obol_devlink_write(a, 17, &s1));
	REQUIRE_OK(obol_devlink_write(a, 18, &s1));
	REQUIRE_OK(obol_devlink_read(b, &type, &body, &len));
	CHECK_EQ_INT(type, 17);
	REQUIRE_OK(obol_cbor_decode(body, len, &s2));
	CHECK_EQ_INT(out.n, 42);
	CHECK_EQ_STR(out.text, "tea");
	REQUIRE_OK(obol_devlink_read(b, &type, &body, &len));
	CHECK_EQ_INT(type, 18);
	obol_devlink_close(a);
	CHECK_ERR(obol_devlink_read(b, &type, &body, &len), OBOL_E_DEVLINK_CLOSED);
	obol_devlink_close(b);
}

TEST(devlink, error_frame_is_returned_as_the_error)
{
	struct obol_devlink *a = NULL, *b = NULL;
	pair(&a, &b, NULL, 1000);
	REQUIRE(a != NULL && b != NULL);
	REQUIRE_OK(obol_devlink_write_error(a, OBOL_E_HASHCHAIN_NOT_IN_CHAIN));
	CHECK_ERR(read_type(b, NULL), OBOL_E_HASHCHAIN_NOT_IN_CHAIN);
	obol_devlink_close(a);
	obol_devlink_close(b);
}

TEST(devlink, oversized_announcement_is_refused_unread)
{
	struct obol_devlink *a = NULL;
	int raw = -1;
	pair(&a, NULL, &raw, 1000);
	REQUIRE(a != NULL);
	uint32_t big = htonl(OBOL_FRAME_MAX + 1);
	REQUIRE(write(raw, &big, 4) == 4);
	CHECK_ERR(read_type(a, NULL), OBOL_E_WIRE_OVERSIZED);
	/* The sender was told, with an ERROR frame naming WIRE_OVERSIZED. */
	struct obol_devlink *peer = NULL;
	REQUIRE_OK(obol_devlink_from_fd(raw, 1000, &peer));
	CHECK_ERR(read_type(peer, NULL), OBOL_E_WIRE_OVERSIZED);
	obol_devlink_close(peer);
	obol_devlink_close(a);
}

TEST(devlink, truncated_frame)
{
	struct obol_devlink *a = NULL;
	int raw = -1;
	pair(&a, NULL, &raw, 1000);
	REQUIRE(a != NULL);
	uint8_t part[] = { 0, 0, 0, 10, 0x83, 0x10 };
	REQUIRE(write(raw, part, sizeof part) == (ssize_t)sizeof part);
	close(raw);
	CHECK_ERR(read_type(a, NULL), OBOL_E_WIRE_TRUNCATED);
	obol_devlink_close(a);

	/* Inside the header too. */
	pair(&a, NULL, &raw, 1000);
	REQUIRE(write(raw, part, 2) == 2);
	close(raw);
	CHECK_ERR(read_type(a, NULL), OBOL_E_WIRE_TRUNCATED);
	obol_devlink_close(a);
}

TEST(devlink, garbage_frame)
{
	struct obol_devlink *a = NULL;
	int raw = -1;
	pair(&a, NULL, &raw, 1000);
	REQUIRE(a != NULL);
	uint8_t junk[] = { 0, 0, 0, 3, 0xff, 0xff, 0xff };
	REQUIRE(write(raw, junk, sizeof junk) == (ssize_t)sizeof junk);
	obol_err e = read_type(a, NULL);
	CHECK(e != OBOL_OK);
	CHECK(obol_strerror(e)[0] == 'W'); /* a WIRE_* refusal */
	close(raw);
	obol_devlink_close(a);
}

TEST(devlink, silent_peer_times_out)
{
	struct obol_devlink *a = NULL;
	int raw = -1;
	pair(&a, NULL, &raw, 100);
	REQUIRE(a != NULL);
	CHECK_ERR(read_type(a, NULL), OBOL_E_NETWORK);
	close(raw);
	obol_devlink_close(a);
}

TEST(devlink, tcp_on_port_zero)
{
	int lfd = -1;
	uint16_t port = 0;
	char addr[64];
	struct obol_devlink *c = NULL, *s = NULL;
	struct msg in = { .n = 7, .text = "x" };
	struct obol_field f[2];
	uint32_t type;
	REQUIRE_OK(obol_devlink_listen("127.0.0.1:0", &lfd, &port));
	CHECK(port != 0);
	snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
	REQUIRE_OK(obol_devlink_connect(addr, 1000, &c));
	REQUIRE_OK(obol_devlink_accept(lfd, 1000, 1000, &s));
	struct obol_fields spec = msg_spec(&in, f);
	REQUIRE_OK(obol_devlink_write(c, 20, &spec));
	REQUIRE_OK(read_type(s, &type));
	CHECK_EQ_INT(type, 20);
	obol_devlink_close(c);
	obol_devlink_close(s);
	close(lfd);
	/* Nobody listens there any more. */
	CHECK_ERR(obol_devlink_connect(addr, 500, &c), OBOL_E_NETWORK);
}

TEST(devlink, unix_socket)
{
	int lfd = -1;
	uint16_t port = 1;
	char addr[600];
	struct obol_devlink *c = NULL, *s = NULL;
	struct msg in = { .n = 1, .text = "u" };
	struct obol_field f[2];
	uint32_t type;
	snprintf(addr, sizeof addr, "unix:%s/link", test_tmpdir());
	REQUIRE_OK(obol_devlink_listen(addr, &lfd, &port));
	CHECK_EQ_INT(port, 0);
	REQUIRE_OK(obol_devlink_connect(addr, 1000, &c));
	REQUIRE_OK(obol_devlink_accept(lfd, 1000, 1000, &s));
	struct obol_fields spec = msg_spec(&in, f);
	REQUIRE_OK(obol_devlink_write(s, 21, &spec));
	REQUIRE_OK(read_type(c, &type));
	CHECK_EQ_INT(type, 21);
	/* No connection waiting: accept times out. */
	struct obol_devlink *none = NULL;
	CHECK_ERR(obol_devlink_accept(lfd, 50, 1000, &none), OBOL_E_NETWORK);
	obol_devlink_close(c);
	obol_devlink_close(s);
	close(lfd);
}
