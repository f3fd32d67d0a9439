/* The device link (DESIGN §2): a byte stream between a wallet and a vendor
 * daemon (TCP on 127.0.0.1 here; a unix socket or a BLE L2CAP channel carry
 * the same bytes) carrying the length-prefixed CBOR frames of src/wire/cbor.h:
 *   4-byte big-endian length L | CBOR [type, version, body map]   (L <= OBOL_FRAME_MAX)
 *
 * Reads and writes block with a timeout. A frame whose announced length is
 * over OBOL_FRAME_MAX is answered with an ERROR frame WIRE_OVERSIZED and the
 * read fails with WIRE_OVERSIZED, without reading the body: the caller then
 * closes the link. A stream that ends inside a frame is WIRE_TRUNCATED; one
 * that ends between frames is DEVLINK_CLOSED; a timeout is NETWORK.
 *
 * Message types are small integers, one range per scheme so a vendor daemon
 * can tell which scheme a session speaks from its first frame: */
#ifndef OBOL_NET_DEVLINK_H
#define OBOL_NET_DEVLINK_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "wire/cbor.h"
#include "wire/fields.h"

#define OBOL_DL_TYPE_ERROR 1       /* body {1: code (uint), 2: name (text)}; any direction, any scheme */
#define OBOL_DL_TYPE_COMMON_MAX 15 /* 1..15: common to all schemes */
#define OBOL_DL_COUPON_MIN 16
#define OBOL_DL_COUPON_MAX 47
#define OBOL_DL_ECASH_MIN 48
#define OBOL_DL_ECASH_MAX 79
#define OBOL_DL_PAYWORD_MIN 80
#define OBOL_DL_PAYWORD_MAX 111
#define OBOL_DL_CODEX_MIN 112
#define OBOL_DL_CODEX_MAX 143

#define OBOL_DL_ERROR_NAME_MAX 64
#define OBOL_DL_TIMEOUT_MS 10000

/* One end of a link. Used by one thread at a time. */
struct obol_devlink;

/* Connects to "HOST:PORT" (TCP) or "unix:PATH". timeout_ms 0 = OBOL_DL_TIMEOUT_MS
 * (used for connect and for every later read and write). NETWORK on failure. */
OBOL_MUST_CHECK obol_err obol_devlink_connect(const char *addr, int timeout_ms, struct obol_devlink **out);
/* Wraps a connected stream socket (takes ownership of fd). */
OBOL_MUST_CHECK obol_err obol_devlink_from_fd(int fd, int timeout_ms, struct obol_devlink **out);
/* Closes the socket and frees. NULL is allowed. */
void obol_devlink_close(struct obol_devlink *l);
int obol_devlink_fd(const struct obol_devlink *l);

/* Reads one whole frame. On OBOL_OK *type is its type and *body, *body_len the
 * CBOR body map inside the link's buffer (valid until the next read); decode
 * it with obol_cbor_decode. An ERROR frame from the peer is returned as the
 * error it names (PEER_ERROR when the code is unknown), so a caller never
 * mistakes it for an answer. Other errors: see the top of this file, and those
 * of obol_frame_decode (WIRE_MALFORMED, WIRE_VERSION, ...). */
OBOL_MUST_CHECK obol_err obol_devlink_read(struct obol_devlink *l, uint32_t *type, const uint8_t **body,
					   size_t *body_len);

/* Encodes and writes one frame. */
OBOL_MUST_CHECK obol_err obol_devlink_write(struct obol_devlink *l, uint32_t type, const struct obol_fields *body);
/* Writes an already-encoded frame (header included). */
OBOL_MUST_CHECK obol_err obol_devlink_write_frame(struct obol_devlink *l, const uint8_t *frame, size_t len);
/* Writes an ERROR frame {code, name} for e. */
OBOL_MUST_CHECK obol_err obol_devlink_write_error(struct obol_devlink *l, obol_err e);

/* Encodes an ERROR frame into buf (for session handlers that return frames). */
OBOL_MUST_CHECK obol_err obol_devlink_error_frame(obol_err e, uint8_t *buf, size_t cap, size_t *len);
/* Decodes an ERROR body; the named error (PEER_ERROR when unknown). */
obol_err obol_devlink_error_decode(const uint8_t *body, size_t len);

/* ---- links inside one program ----
 * For the deterministic simulator (tests/sim), which runs wallets and
 * vendors in one program and carries their frames itself: a link whose bytes
 * go through ops instead of a socket, with the same framing, limits and
 * errors as a socket link. */
struct obol_devlink_ops {
	/* Reads up to n bytes (at least 1) into buf, waiting up to timeout_ms:
	 * OBOL_OK with *got > 0, DEVLINK_CLOSED when the stream ended, NETWORK
	 * on a timeout or a broken link. */
	obol_err (*read)(void *ctx, uint8_t *buf, size_t n, int timeout_ms, size_t *got);
	/* Writes all n bytes: OBOL_OK or NETWORK. */
	obol_err (*write)(void *ctx, const uint8_t *buf, size_t n);
	/* The link is closed (ctx is not used after). */
	void (*close)(void *ctx);
};
/* A link over ops (borrowed; ctx is the link's own until close).
 * timeout_ms 0 = OBOL_DL_TIMEOUT_MS. obol_devlink_fd of it is -1. */
OBOL_MUST_CHECK obol_err obol_devlink_from_ops(const struct obol_devlink_ops *ops, void *ctx, int timeout_ms,
					       struct obol_devlink **out);
/* Installs a connector that obol_devlink_connect hands every address to
 * (NULL: sockets again). Nothing installs one from the environment or a
 * file: only a program that calls this does, which no command of
 * build/obol does. Call it before links are made. */
typedef obol_err (*obol_devlink_connector)(const char *addr, int timeout_ms, struct obol_devlink **out);
void obol_devlink_set_connector(obol_devlink_connector fn);

/* Listening: binds "HOST:PORT" (port 0 picks a free one) or "unix:PATH";
 * *port is the bound port (0 for unix). */
OBOL_MUST_CHECK obol_err obol_devlink_listen(const char *addr, int *fd, uint16_t *port);
/* Waits up to timeout_ms (-1 = forever) for a connection; NETWORK on timeout
 * (the listener stays open). */
OBOL_MUST_CHECK obol_err obol_devlink_accept(int listen_fd, int timeout_ms, int io_timeout_ms,
					     struct obol_devlink **out);

#endif
