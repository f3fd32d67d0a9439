/* The device link: blocking frame I/O over a stream socket with timeouts
 * (contract in devlink.h). */
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
#include "net/devlink.h"
#include "net/http_server.h"

struct obol_devlink {
	int fd;
	int timeout_ms;
	const struct obol_devlink_ops *ops; /* a link inside the program (fd -1) */
	void *ops_ctx;
	uint8_t rbuf[OBOL_FRAME_HEADER_LEN + OBOL_FRAME_MAX];
	uint8_t wbuf[OBOL_FRAME_HEADER_LEN + OBOL_FRAME_MAX];
};

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

obol_err obol_devlink_from_fd(int fd, int timeout_ms, struct obol_devlink **out)
{
	struct obol_devlink *l = malloc(sizeof *l);
	if (l == NULL) {
		close(fd);
		return OBOL_E_NO_MEMORY;
	}
	l->fd = fd;
	l->timeout_ms = timeout_ms > 0 ? timeout_ms : OBOL_DL_TIMEOUT_MS;
	l->ops = NULL;
	l->ops_ctx = NULL;
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* fails harmlessly on unix sockets */
	*out = l;
	return OBOL_OK;
}

obol_err obol_devlink_from_ops(const struct obol_devlink_ops *ops, void *ctx, int timeout_ms,
			       struct obol_devlink **out)
{
	struct obol_devlink *l = malloc(sizeof *l);
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
	free(l);
}

int obol_devlink_fd(const struct obol_devlink *l)
{
	return l->fd;
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
		obol_err e = wait_fd(l->fd, POLLIN, deadline);
		if (e != OBOL_OK)
			return e;
		ssize_t r = recv(l->fd, buf + *got, n - *got, 0);
		if (r == 0)
			return OBOL_E_DEVLINK_CLOSED;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return OBOL_E_NETWORK;
		}
		*got += (size_t)r;
	}
	return OBOL_OK;
}

static obol_err write_full(struct obol_devlink *l, const uint8_t *buf, size_t n)
{
	if (l->ops != NULL)
		return l->ops->write(l->ops_ctx, buf, n);
	uint64_t deadline = obol_mono_ns() + (uint64_t)l->timeout_ms * 1000000u;
	size_t done = 0;
	while (done < n) {
		obol_err e = wait_fd(l->fd, POLLOUT, deadline);
		if (e != OBOL_OK)
			return e;
		ssize_t r = send(l->fd, buf + done, n - done, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return OBOL_E_NETWORK;
		}
		done += (size_t)r;
	}
	return OBOL_OK;
}

obol_err obol_devlink_read(struct obol_devlink *l, uint32_t *type, const uint8_t **body, size_t *body_len)
{
	uint64_t deadline = obol_mono_ns() + (uint64_t)l->timeout_ms * 1000000u;
	size_t got, need;
	obol_err e = read_full(l, l->rbuf, OBOL_FRAME_HEADER_LEN, deadline, &got);
	if (e == OBOL_E_DEVLINK_CLOSED && got > 0)
		return OBOL_E_WIRE_TRUNCATED;
	if (e != OBOL_OK)
		return e;
	e = obol_frame_need(l->rbuf, OBOL_FRAME_HEADER_LEN, &need);
	if (e == OBOL_E_WIRE_OVERSIZED) {
		size_t n;
		if (obol_devlink_error_frame(e, l->wbuf, sizeof l->wbuf, &n) == OBOL_OK)
			(void)write_full(l, l->wbuf, n);
		return e;
	}
	if (e != OBOL_OK)
		return e;
	if (need < OBOL_FRAME_HEADER_LEN || need > sizeof l->rbuf)
		return OBOL_E_WIRE_MALFORMED;
	e = read_full(l, l->rbuf + OBOL_FRAME_HEADER_LEN, need - OBOL_FRAME_HEADER_LEN, deadline, &got);
	if (e == OBOL_E_DEVLINK_CLOSED)
		return OBOL_E_WIRE_TRUNCATED;
	if (e != OBOL_OK)
		return e;
	e = obol_frame_decode(l->rbuf, need, type, body, body_len);
	if (e != OBOL_OK)
		return e;
	if (*type == OBOL_DL_TYPE_ERROR)
		return obol_devlink_error_decode(*body, *body_len);
	return OBOL_OK;
}

obol_err obol_devlink_write(struct obol_devlink *l, uint32_t type, const struct obol_fields *body)
{
	size_t n;
	obol_err e = obol_frame_encode(type, body, l->wbuf, sizeof l->wbuf, &n);
	if (e != OBOL_OK)
		return e;
	return write_full(l, l->wbuf, n);
}

obol_err obol_devlink_write_frame(struct obol_devlink *l, const uint8_t *frame, size_t len)
{
	return write_full(l, frame, len);
}

obol_err obol_devlink_write_error(struct obol_devlink *l, obol_err e)
{
	size_t n;
	obol_err r = obol_devlink_error_frame(e, l->wbuf, sizeof l->wbuf, &n);
	if (r != OBOL_OK)
		return r;
	return write_full(l, l->wbuf, n);
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

obol_err obol_devlink_connect(const char *addr, int timeout_ms, struct obol_devlink **out)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int family;
	obol_err e;
	if (connector != NULL)
		return connector(addr, timeout_ms, out);
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
