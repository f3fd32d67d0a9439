/* Internal to src/net: the state of one device link, shared by devlink.c
 * (sockets, records, frames) and devlink_handshake.c (the Noise handshake). */
#ifndef OBOL_NET_DEVLINK_INT_H
#define OBOL_NET_DEVLINK_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "crypto/noise.h"
#include "net/devlink.h"

#define DL_RECORD_HEADER_LEN 2
#define DL_RECORD_PLAIN_MAX (OBOL_DL_RECORD_MAX - OBOL_NOISE_TAG_LEN)
#define DL_SEEN 32 /* tags of the last records received, to name a replay */

struct obol_devlink {
	int fd;                        /* -1 for a link over ops */
	int timeout_ms;
	const struct obol_devlink_ops *ops; /* a link inside the program (obol_devlink_from_ops) */
	void *ops_ctx;
	bool secure;                   /* the handshake is done: frames travel in records */
	bool bench_cleartext;          /* records in clear (obol_devlink_bench_cleartext) */
	struct obol_noise_cipher tx, rx;
	obol_err read_failed;          /* sticky: the session error that ended reading */
	struct obol_devlink_peer peer; /* the initiator's view of the responder */
	bool has_peer;
	struct obol_payer *payer;      /* borrowed: obol_devlink_set_payer */
	uint8_t seen[DL_SEEN][OBOL_NOISE_TAG_LEN];
	size_t nseen;
	uint8_t rbuf[OBOL_FRAME_HEADER_LEN + OBOL_FRAME_MAX]; /* the frame being read */
	uint8_t wbuf[OBOL_FRAME_HEADER_LEN + OBOL_FRAME_MAX]; /* the frame being written */
	uint8_t rec[DL_RECORD_HEADER_LEN + OBOL_DL_RECORD_MAX]; /* one record, read or written */
	uint8_t in[4096];              /* bytes received and not yet read */
	size_t in_pos, in_len;
};

/* A deadline timeout_ms from now (monotonic ns). */
uint64_t obol_dl_deadline(const struct obol_devlink *l);
/* Writes n bytes before the link's timeout. */
OBOL_MUST_CHECK obol_err obol_dl_write_raw(struct obol_devlink *l, const uint8_t *buf, size_t n);
/* Sends an ERROR frame for e on a link about to end: a failure to send it
 * changes nothing then. */
void obol_dl_tell(struct obol_devlink *l, obol_err e);
/* Reads one frame in clear (the handshake) into rbuf without judging its
 * CBOR: *len is its whole length. WIRE_OVERSIZED (the peer is told),
 * WIRE_TRUNCATED, DEVLINK_CLOSED, NETWORK. */
OBOL_MUST_CHECK obol_err obol_dl_read_clear(struct obol_devlink *l, size_t *len);

#endif
