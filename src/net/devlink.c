/* The device link: blocking frame I/O over a stream socket with timeouts,
 * in clear for the handshake and in Noise transport records after it
 * (contract in devlink.h; the handshake is devlink_handshake.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "net/devlink_int.h"
#include "net/http_server.h"

/* The ERROR frame body. */
struct error_msg {
	uint64_t code;
	char name[OBOL_DL_ERROR_NAME_MAX + 1];
};

static void error_spec(struct error_msg *m, struct obol_field f[2], struct obol_fields *spec)
{
	f[0] = (struct obol_field){ .name = "code", .key = 1, .kind = OBOL_FIELD_UINT, .value = &m->code,
				    .max = 0xffffffffu };
	f[1] = (struct obol_field){ .name = "name", .key = 2, .kind = OBOL_FIELD_TEXT, .value = m->name,
				    .max = OBOL_DL_ERROR_NAME_MAX };
	*spec = (struct obol_fields){ f, 2 };
}

obol_err obol_devlink_error_frame(obol_err e, uint8_t *buf, size_t cap, size_t *len)
{
	struct error_msg m = { .code = (uint64_t)e };
	struct obol_field f[2];
	struct obol_fields spec;
	if (obol_strlcpy_checked(m.name, obol_strerror(e), sizeof m.name) != OBOL_OK)
		return OBOL_E_INTERNAL;
	error_spec(&m, f, &spec);
	return obol_frame_encode(OBOL_DL_TYPE_ERROR, &spec, buf, cap, len);
}

obol_err obol_devlink_error_decode(const uint8_t *body, size_t len)
{
	struct error_msg m = { 0 };
	struct obol_field f[2];
	struct obol_fields spec;
	error_spec(&m, f, &spec);
	if (obol_cbor_decode(body, len, &spec) != OBOL_OK || m.code == 0 || !obol_err_is_known((int)m.code))
		return OBOL_E_PEER_ERROR;
	return (obol_err)m.code;
}

static bool bench_cleartext_all;

void obol_devlink_bench_cleartext_all(void)
{
	bench_cleartext_all = true;
}

obol_err obol_devlink_bench_cleartext(struct obol_devlink *l)
{
	if (l->secure)
		return OBOL_E_INTERNAL;
	l->bench_cleartext = true;
	return OBOL_OK;
}

obol_err obol_devlink_from_fd(int fd, int timeout_ms, struct obol_devlink **out)
{
	struct obol_devlink *l = calloc(1, sizeof *l);
	if (l == NULL) {
		close(fd);
		return OBOL_E_NO_MEMORY;
	}
	l->fd = fd;
	l->timeout_ms = timeout_ms > 0 ? timeout_ms : OBOL_DL_TIMEOUT_MS;
	l->bench_cleartext = bench_cleartext_all;
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* fails harmlessly on unix sockets */
	*out = l;
	return OBOL_OK;
}

obol_err obol_devlink_from_ops(const struct obol_devlink_ops *ops, void *ctx, int timeout_ms,
			       struct obol_devlink **out)
{
	struct obol_devlink *l = calloc(1, sizeof *l);
	if (l == NULL) {
		ops->close(ctx);
		return OBOL_E_NO_MEMORY;
	}
	l->fd = -1;
	l->timeout_ms = timeout_ms > 0 ? timeout_ms : OBOL_DL_TIMEOUT_MS;
	l->ops = ops;
	l->ops_ctx = ctx;
	*out = l;
	return OBOL_OK;
}

static obol_devlink_connector connector;

void obol_devlink_set_connector(obol_devlink_connector fn)
{
	connector = fn;
}

void obol_devlink_close(struct obol_devlink *l)
{
	if (l == NULL)
		return;
	if (l->ops != NULL)
		l->ops->close(l->ops_ctx);
	else
		close(l->fd);
	obol_noise_cipher_wipe(&l->tx);
	obol_noise_cipher_wipe(&l->rx);
	obol_free_wiped(l); /* the buffers held frames in clear */
}

void obol_devlink_set_payer(struct obol_devlink *l, struct obol_payer *p)
{
	l->payer = p;
}

struct obol_payer *obol_devlink_payer(const struct obol_devlink *l)
{
	return l != NULL ? l->payer : NULL;
}

int obol_devlink_fd(const struct obol_devlink *l)
{
	return l->fd;
}

const struct obol_devlink_peer *obol_devlink_peer(const struct obol_devlink *l)
{
	return l->has_peer ? &l->peer : NULL;
}

uint64_t obol_dl_deadline(const struct obol_devlink *l)
{
	return obol_mono_ns() + (uint64_t)l->timeout_ms * 1000000u;
}

/* Waits until fd is ready for events before the deadline (monotonic ns). */
static obol_err wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		uint64_t now = obol_mono_ns();
		if (now >= deadline)
			return OBOL_E_NETWORK;
		struct pollfd p = { .fd = fd, .events = events };
		int ms = (int)((deadline - now + 999999) / 1000000);
		int r = poll(&p, 1, ms);
		if (r > 0)
			return OBOL_OK;
		if (r < 0 && errno != EINTR)
			return OBOL_E_NETWORK;
	}
}

/* Reads exactly n bytes; *got tells how many arrived before an error or EOF. */
/* Reads exactly n bytes; *got tells how many arrived before an error or EOF.
 * Small reads go through the link's input buffer, so that a record and its
 * length usually cost one recv. */
static obol_err read_full(struct obol_devlink *l, uint8_t *buf, size_t n, uint64_t deadline, size_t *got)
{
	*got = 0;
	while (l->ops != NULL && *got < n) {
		uint64_t now = obol_mono_ns();
		size_t r = 0;
		if (now >= deadline)
			return OBOL_E_NETWORK;
		obol_err e = l->ops->read(l->ops_ctx, buf + *got, n - *got, (int)((deadline - now + 999999) / 1000000),
					  &r);
		if (e != OBOL_OK)
			return e;
		*got += r;
	}
	while (*got < n) {
		if (l->in_pos < l->in_len) {
			size_t k = l->in_len - l->in_pos < n - *got ? l->in_len - l->in_pos : n - *got;
			memcpy(buf + *got, l->in + l->in_pos, k);
			l->in_pos += k;
			*got += k;
			continue;
		}
		obol_err e = wait_fd(l->fd, POLLIN, deadline);
		if (e != OBOL_OK)
			return e;
		bool direct = n - *got >= sizeof l->in;
		ssize_t r = recv(l->fd, direct ? buf + *got : l->in, direct ? n - *got : sizeof l->in, 0);
		if (r == 0)
			return OBOL_E_DEVLINK_CLOSED;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return OBOL_E_NETWORK;
		}
		if (direct) {
			*got += (size_t)r;
		} else {
			l->in_pos = 0;
			l->in_len = (size_t)r;
		}
	}
	return OBOL_OK;
}

obol_err obol_dl_write_raw(struct obol_devlink *l, const uint8_t *buf, size_t n)
{
	if (l->ops != NULL)
		return l->ops->write(l->ops_ctx, buf, n);
	uint64_t deadline = obol_dl_deadline(l);
	size_t done = 0;
	/* Sent at once when the socket has room (the usual case), else
	 * waited for until the deadline. */
	while (done < n) {
		ssize_t r = send(l->fd, buf + done, n - done, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return OBOL_E_NETWORK;
		obol_err e = wait_fd(l->fd, POLLOUT, deadline);
		if (e != OBOL_OK)
			return e;
	}
	return OBOL_OK;
}

/* ---- records (the session) ------------------------------------------------ */

/* Seals one record of n bytes of plaintext (n <= DL_RECORD_PLAIN_MAX) and
 * writes it. */
static obol_err write_record(struct obol_devlink *l, const uint8_t *plain, size_t n)
{
	size_t ct = n + OBOL_NOISE_TAG_LEN;
	obol_err e = OBOL_OK;
	if (!l->bench_cleartext) {
		e = obol_noise_encrypt(&l->tx, NULL, 0, plain, n, l->rec + DL_RECORD_HEADER_LEN);
	} else {
		memcpy(l->rec + DL_RECORD_HEADER_LEN, plain, n);
		memset(l->rec + DL_RECORD_HEADER_LEN + n, 0, OBOL_NOISE_TAG_LEN);
	}
	if (e != OBOL_OK)
		return e;
	l->rec[0] = (uint8_t)(ct >> 8);
	l->rec[1] = (uint8_t)ct;
	return obol_dl_write_raw(l, l->rec, DL_RECORD_HEADER_LEN + ct);
}

/* Sends one whole frame: in clear before the session, else in records. */
static obol_err send_frame(struct obol_devlink *l, const uint8_t *frame, size_t len)
{
	obol_err e = OBOL_OK;
	if (!l->secure) {
		e = obol_dl_write_raw(l, frame, len);
	} else {
		for (size_t off = 0; off < len && e == OBOL_OK;) {
			size_t n = len - off < DL_RECORD_PLAIN_MAX ? len - off : DL_RECORD_PLAIN_MAX;
			e = write_record(l, frame + off, n);
			off += n;
		}
	}
	if (e == OBOL_OK && l->ops != NULL && l->ops->frame != NULL)
		l->ops->frame(l->ops_ctx, frame, len);
	return e;
}

/* Names a record that did not authenticate at the next nonce (see the top
 * of devlink.h): a copy of a recent one, one of the next few, or neither.
 * out has room for the plaintext; rx is left as it was. */
static obol_err diagnose(struct obol_devlink *l, const uint8_t *ct, size_t len, uint8_t *out)
{
	const uint8_t *tag = ct + len - OBOL_NOISE_TAG_LEN;
	size_t n = l->nseen < DL_SEEN ? l->nseen : DL_SEEN;
	for (size_t i = 0; i < n; i++)
		if (memcmp(l->seen[i], tag, OBOL_NOISE_TAG_LEN) == 0)
			return OBOL_E_DEVLINK_REPLAYED;
	for (uint64_t ahead = 1; ahead <= 8; ahead++) {
		struct obol_noise_cipher probe = l->rx;
		if (probe.n > UINT64_MAX - 1 - ahead)
			break;
		probe.n += ahead;
		obol_err e = obol_noise_decrypt(&probe, NULL, 0, ct, len, out);
		obol_noise_cipher_wipe(&probe);
		if (e == OBOL_OK) {
			obol_wipe(out, len - OBOL_NOISE_TAG_LEN);
			return OBOL_E_DEVLINK_OUT_OF_ORDER;
		}
	}
	return OBOL_E_DEVLINK_TAMPERED;
}

/* Reads one record and opens it into out (room for cap bytes): *n the
 * plaintext length. at_start: no byte of the frame has arrived yet (an end
 * of stream there is DEVLINK_CLOSED, else WIRE_TRUNCATED). */
static obol_err read_record(struct obol_devlink *l, uint64_t deadline, bool at_start, uint8_t *out, size_t cap,
			    size_t *n)
{
	size_t got, len;
	obol_err e = read_full(l, l->rec, DL_RECORD_HEADER_LEN, deadline, &got);
	if (e == OBOL_E_DEVLINK_CLOSED && (got > 0 || !at_start))
		return OBOL_E_WIRE_TRUNCATED;
	if (e != OBOL_OK)
		return e;
	len = (size_t)l->rec[0] << 8 | l->rec[1];
	/* Too short to carry a tag, or longer than the frame has room for: no
	 * genuine peer sends it, so the length itself was changed. */
	if (len < OBOL_NOISE_TAG_LEN || len - OBOL_NOISE_TAG_LEN > cap)
		return OBOL_E_DEVLINK_TAMPERED;
	e = read_full(l, l->rec + DL_RECORD_HEADER_LEN, len, deadline, &got);
	if (e == OBOL_E_DEVLINK_CLOSED)
		return OBOL_E_WIRE_TRUNCATED;
	if (e != OBOL_OK)
		return e;
	const uint8_t *ct = l->rec + DL_RECORD_HEADER_LEN;
	if (!l->bench_cleartext)
		e = obol_noise_decrypt(&l->rx, NULL, 0, ct, len, out);
	else
		memcpy(out, ct, len - OBOL_NOISE_TAG_LEN);
	if (e == OBOL_E_DECRYPT_FAILED)
		return diagnose(l, ct, len, out);
	if (e != OBOL_OK)
		return e;
	memcpy(l->seen[l->nseen++ % DL_SEEN], ct + len - OBOL_NOISE_TAG_LEN, OBOL_NOISE_TAG_LEN);
	*n = len - OBOL_NOISE_TAG_LEN;
	return OBOL_OK;
}

/* Reads the records of one frame into rbuf; *len its whole length. */
static obol_err read_secure(struct obol_devlink *l, uint64_t deadline, size_t *len)
{
	size_t have = 0, need = 0, n;
	obol_err e;
	do {
		size_t room = have == 0 ? DL_RECORD_PLAIN_MAX : need - have;
		if ((e = read_record(l, deadline, have == 0, l->rbuf + have, room, &n)) != OBOL_OK)
			return e;
		have += n;
		if (need == 0) {
			/* A frame's first record carries at least its header. */
			if (have < OBOL_FRAME_HEADER_LEN)
				return OBOL_E_WIRE_MALFORMED;
			if ((e = obol_frame_need(l->rbuf, have, &need)) != OBOL_OK)
				return e;
			if (have > need)
				return OBOL_E_WIRE_TRAILING_DATA;
		}
	} while (have < need);
	*len = need;
	return OBOL_OK;
}

obol_err obol_dl_read_clear(struct obol_devlink *l, size_t *len)
{
	uint64_t deadline = obol_dl_deadline(l);
	size_t got, need;
	obol_err e = read_full(l, l->rbuf, OBOL_FRAME_HEADER_LEN, deadline, &got);
	if (e == OBOL_E_DEVLINK_CLOSED && got > 0)
		return OBOL_E_WIRE_TRUNCATED;
	if (e != OBOL_OK)
		return e;
	e = obol_frame_need(l->rbuf, OBOL_FRAME_HEADER_LEN, &need);
	if (e == OBOL_E_WIRE_OVERSIZED) {
		obol_dl_tell(l, e);
		return e;
	}
	if (e != OBOL_OK)
		return e;
	e = read_full(l, l->rbuf + OBOL_FRAME_HEADER_LEN, need - OBOL_FRAME_HEADER_LEN, deadline, &got);
	if (e == OBOL_E_DEVLINK_CLOSED)
		return OBOL_E_WIRE_TRUNCATED;
	if (e != OBOL_OK)
		return e;
	*len = need;
	return OBOL_OK;
}

obol_err obol_devlink_read(struct obol_devlink *l, uint32_t *type, const uint8_t **body, size_t *body_len)
{
	return obol_devlink_read_by(l, obol_dl_deadline(l), type, body, body_len);
}

obol_err obol_devlink_read_by(struct obol_devlink *l, uint64_t deadline, uint32_t *type, const uint8_t **body,
			      size_t *body_len)
{
	size_t len;
	obol_err e;
	if (!l->secure)
		return OBOL_E_INTERNAL;
	if (l->read_failed != OBOL_OK)
		return l->read_failed;
	e = read_secure(l, deadline, &len);
	if (e == OBOL_E_DEVLINK_TAMPERED || e == OBOL_E_DEVLINK_REPLAYED || e == OBOL_E_DEVLINK_OUT_OF_ORDER ||
	    e == OBOL_E_NOISE_EXHAUSTED) {
		l->read_failed = e;
		obol_log_warn("device link: %s; the link is ended", obol_strerror(e));
		return e;
	}
	if (e == OBOL_E_WIRE_OVERSIZED) {
		obol_dl_tell(l, e);
		return e;
	}
	if (e != OBOL_OK)
		return e;
	e = obol_frame_decode(l->rbuf, len, type, body, body_len);
	if (e == OBOL_E_WIRE_OVERSIZED) {
		/* a body nested deeper than the wire allows: told like a
		 * frame too long, so that every WIRE_OVERSIZED was told */
		obol_dl_tell(l, e);
		return e;
	}
	if (e != OBOL_OK)
		return e;
	if (*type == OBOL_DL_TYPE_ERROR)
		return obol_devlink_error_decode(*body, *body_len);
	return OBOL_OK;
}

obol_err obol_devlink_write(struct obol_devlink *l, uint32_t type, const struct obol_fields *body)
{
	size_t n;
	obol_err e;
	if (!l->secure)
		return OBOL_E_INTERNAL;
	if ((e = obol_frame_encode(type, body, l->wbuf, sizeof l->wbuf, &n)) != OBOL_OK)
		return e;
	return send_frame(l, l->wbuf, n);
}

obol_err obol_devlink_write_frame(struct obol_devlink *l, const uint8_t *frame, size_t len)
{
	size_t need;
	obol_err e;
	if (!l->secure)
		return OBOL_E_INTERNAL;
	for (size_t off = 0; off < len; off += need) {
		/* Bytes that are not a whole frame go as they are (the peer
		 * judges them): tests of its refusals send such. */
		if (len - off < OBOL_FRAME_HEADER_LEN || obol_frame_need(frame + off, len - off, &need) != OBOL_OK ||
		    need > len - off)
			need = len - off;
		if ((e = send_frame(l, frame + off, need)) != OBOL_OK)
			return e;
	}
	return OBOL_OK;
}

obol_err obol_devlink_write_error(struct obol_devlink *l, obol_err e)
{
	size_t n;
	obol_err r = obol_devlink_error_frame(e, l->wbuf, sizeof l->wbuf, &n);
	if (r != OBOL_OK)
		return r;
	return send_frame(l, l->wbuf, n);
}

void obol_dl_tell(struct obol_devlink *l, obol_err e)
{
	obol_err r = obol_devlink_write_error(l, e);
	(void)r;
}

/* Fills a unix socket address; INVALID_ARGUMENT when the path is too long. */
static obol_err unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path)
		return OBOL_E_INVALID_ARGUMENT;
	strcpy(sa->sun_path, path);
	return OBOL_OK;
}

static obol_err inet_addr_of(const char *addr, struct sockaddr_in *sa)
{
	char host[64];
	uint16_t port;
	obol_err e = obol_parse_hostport(addr, host, &port);
	if (e != OBOL_OK)
		return e;
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? OBOL_OK : OBOL_E_INVALID_ARGUMENT;
}

/* A connected stream socket to addr (no session yet). */
static obol_err connect_raw(const char *addr, int timeout_ms, struct obol_devlink **out)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int family;
	obol_err e;
	if (strncmp(addr, "unix:", 5) == 0) {
		e = unix_addr(addr + 5, (struct sockaddr_un *)&ss);
		sl = sizeof(struct sockaddr_un);
		family = AF_UNIX;
	} else {
		e = inet_addr_of(addr, (struct sockaddr_in *)&ss);
		sl = sizeof(struct sockaddr_in);
		family = AF_INET;
	}
	if (e != OBOL_OK)
		return e;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return OBOL_E_NETWORK;
	int tmo = timeout_ms > 0 ? timeout_ms : OBOL_DL_TIMEOUT_MS;
	if (connect(fd, (struct sockaddr *)&ss, sl) != 0) {
		if (errno != EINPROGRESS) {
			close(fd);
			return OBOL_E_NETWORK;
		}
		int soerr = 0;
		socklen_t len = sizeof soerr;
		if (wait_fd(fd, POLLOUT, obol_mono_ns() + (uint64_t)tmo * 1000000u) != OBOL_OK ||
		    getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0) {
			close(fd);
			return OBOL_E_NETWORK;
		}
	}
	return obol_devlink_from_fd(fd, tmo, out);
}

/* Connects (through the test connector when one is set), marks the link
 * in clear for the bench when asked, and runs the initiator's handshake. */
static obol_err connect_initiate(const char *addr, int timeout_ms, const struct obol_devlink_expect *expect,
				 bool bench_cleartext, struct obol_devlink **out)
{
	struct obol_devlink *l = NULL;
	obol_err e = connector != NULL ? connector(addr, timeout_ms, &l) : connect_raw(addr, timeout_ms, &l);
	if (e == OBOL_OK && bench_cleartext)
		e = obol_devlink_bench_cleartext(l);
	if (e == OBOL_OK)
		e = obol_devlink_initiate(l, expect);
	if (e != OBOL_OK && l != NULL) {
		obol_devlink_close(l);
		l = NULL;
	}
	*out = l;
	return e;
}

obol_err obol_devlink_connect(const char *addr, int timeout_ms, const struct obol_devlink_expect *expect,
			       struct obol_devlink **out)
{
	return connect_initiate(addr, timeout_ms, expect, false, out);
}

obol_err obol_devlink_connect_bench_cleartext(const char *addr, int timeout_ms,
					      const struct obol_devlink_expect *expect, struct obol_devlink **out)
{
	return connect_initiate(addr, timeout_ms, expect, true, out);
}

obol_err obol_devlink_connect_vendor(const char *addr, int timeout_ms, const uint8_t issuer_pk[32],
				     struct obol_devlink **out)
{
	struct obol_devlink_expect x = { .issuer_pk = issuer_pk };
	return obol_devlink_connect(addr, timeout_ms, &x, out);
}

obol_err obol_devlink_listen(const char *addr, int *fd_out, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int family;
	obol_err e;
	bool is_unix = strncmp(addr, "unix:", 5) == 0;
	if (is_unix) {
		e = unix_addr(addr + 5, (struct sockaddr_un *)&ss);
		sl = sizeof(struct sockaddr_un);
		family = AF_UNIX;
		if (e == OBOL_OK)
			unlink(addr + 5);
	} else {
		e = inet_addr_of(addr, (struct sockaddr_in *)&ss);
		sl = sizeof(struct sockaddr_in);
		family = AF_INET;
	}
	if (e != OBOL_OK)
		return e;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return OBOL_E_IO;
	int one = 1;
	if (!is_unix)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 128) != 0) {
		obol_log_error("cannot listen on %s: %s", addr, strerror(errno));
		close(fd);
		return OBOL_E_IO;
	}
	*port = 0;
	if (!is_unix) {
		struct sockaddr_in bound;
		socklen_t bl = sizeof bound;
		if (getsockname(fd, (struct sockaddr *)&bound, &bl) != 0) {
			close(fd);
			return OBOL_E_IO;
		}
		*port = ntohs(bound.sin_port);
	}
	*fd_out = fd;
	return OBOL_OK;
}

obol_err obol_devlink_accept(int listen_fd, int timeout_ms, int io_timeout_ms, struct obol_devlink **out)
{
	struct pollfd p = { .fd = listen_fd, .events = POLLIN };
	int r = poll(&p, 1, timeout_ms);
	if (r <= 0)
		return OBOL_E_NETWORK;
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return OBOL_E_NETWORK;
	return obol_devlink_from_fd(fd, io_timeout_ms, out);
}
