/* The device link (DESIGN §2): a byte stream between a wallet and a vendor
 * daemon (TCP on 127.0.0.1 here; a unix socket or a BLE L2CAP channel carry
 * the same bytes), protocol version 2: every frame travels inside a Noise
 * session (src/crypto/noise.h, Noise_NX_25519_ChaChaPoly_SHA256) in which the
 * responder (the vendor, or a wallet taking a payment) proves the X25519 key
 * its credential names and the initiator (the payer) stays anonymous.
 * docs/protocol.md "Device link" is the wire-level account; in short:
 *
 *   handshake, in clear:  4-byte length | CBOR [2 HELLO,  2, {1: Noise message 1}]   wallet -> vendor
 *                         4-byte length | CBOR [3 ACCEPT, 2, {1: Noise message 2}]   vendor -> wallet
 *     prologue "obol-devlink-v2"; message 2's payload is the responder's
 *     credential {1: kind, 2: credential, 3: signature (kind SIGNED only)}
 *   then records:         2-byte length L (16..65535) | ChaCha20-Poly1305 ciphertext (L bytes)
 *     whose plaintexts, in order, carry the frames of src/wire/cbor.h:
 *       4-byte length | CBOR [type, 2, body map]   (length <= OBOL_FRAME_MAX)
 *     a frame starts a record and no record carries bytes of two frames.
 *
 * Each direction's records are numbered by Noise's implicit nonce: a record
 * that does not authenticate at the next number ends the link, with the
 * error that names it: DEVLINK_REPLAYED (a copy of one already received),
 * DEVLINK_OUT_OF_ORDER (it authenticates as one of the next few: one before
 * it was dropped or held back), else DEVLINK_TAMPERED (changed or made up).
 * After such an error every later read fails the same way; writing still
 * works, so the reader can tell its peer (obol_devlink_write_error).
 *
 * A peer that speaks version 1 (plain frames) is refused: a v1 wallet gets a
 * plain v1 ERROR frame WIRE_VERSION, which it understands, and the vendor's
 * accept fails with DEVLINK_OLD_PEER; a wallet that meets a v1 vendor fails
 * its connect with DEVLINK_OLD_PEER.
 *
 * Reads and writes block with a timeout. A frame whose announced length is
 * over OBOL_FRAME_MAX, or whose body nests deeper than the wire allows, is
 * answered with an ERROR frame WIRE_OVERSIZED and the read fails with
 * WIRE_OVERSIZED: the caller then closes the link. A stream
 * that ends inside a frame or a record is WIRE_TRUNCATED; one that ends
 * between frames is DEVLINK_CLOSED; a timeout is NETWORK.
 *
 * Message types are small integers, one range per scheme so a vendor daemon
 * can tell which scheme a session speaks from its first frame: */
#ifndef OBOL_NET_DEVLINK_H
#define OBOL_NET_DEVLINK_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "crypto/seal.h"
#include "schemes/common/vendor_cert.h"
#include "wire/cbor.h"
#include "wire/fields.h"

#define OBOL_DL_TYPE_ERROR 1       /* body {1: code (uint), 2: name (text)}; any direction, any scheme */
#define OBOL_DL_TYPE_HELLO 2       /* handshake message 1, in clear, before the session */
#define OBOL_DL_TYPE_ACCEPT 3      /* handshake message 2, in clear, before the session */
#define OBOL_DL_TYPE_RECEIPT 4     /* vendor -> wallet: its signed receipt (src/schemes/common/receipt.h) */
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
#define OBOL_DL_PROLOGUE "obol-devlink-v2"
#define OBOL_DL_PROLOGUE_BENCH_CLEARTEXT "obol-devlink-v2 bench cleartext" /* see the end of this file */
#define OBOL_DL_RECORD_MAX 65535 /* a record's ciphertext: one Noise transport message */

/* ---- who the responder is ------------------------------------------------- */

/* The kinds of credential a responder presents in handshake message 2. */
enum obol_devlink_cred_kind {
	/* An issuer-signed vendor certificate (src/schemes/common/vendor_cert.h)
	 * whose box key is the static key: the handshake's es proves it. */
	OBOL_DL_CRED_VENDOR = 1,
	/* A credential the caller defines (the ecash merchant's bank
	 * certificate, src/wallet/ecash_link.h) and the certified key's
	 * signature over obol_devlink_binding: the key vouches for the static
	 * key in this handshake only. */
	OBOL_DL_CRED_SIGNED = 2,
};
#define OBOL_DL_CRED_MAX 2048
#define OBOL_DL_SIG_MAX 1024

/* What a responder proves. */
struct obol_devlink_identity {
	const struct obol_box_keypair *key; /* the static key; the handshake proves its private half */
	enum obol_devlink_cred_kind kind;
	const uint8_t *cred;                /* VENDOR: the certificate's CBOR (obol_vendor_cert_encode) */
	size_t cred_len;
	/* SIGNED: signs the 32-byte binding into sig (cap bytes). */
	obol_err (*sign)(void *ctx, const uint8_t binding[32], uint8_t *sig, size_t cap, size_t *len);
	void *ctx;
};

/* What an initiator accepts. */
struct obol_devlink_expect {
	/* Accept a vendor certificate that verifies under this issuer master
	 * key now (VENDOR_CERT_INVALID, VENDOR_CERT_EXPIRED) and names the
	 * proven static key as its box key (DEVLINK_IMPOSTOR). NULL: refuse
	 * vendor certificates (DEVLINK_CREDENTIAL). */
	const uint8_t *issuer_pk;
	/* Accept a SIGNED credential when this returns OK: it must check the
	 * credential and that sig is its key's signature over binding. NULL:
	 * refuse them (DEVLINK_CREDENTIAL). */
	obol_err (*check)(void *ctx, const uint8_t *cred, size_t cred_len, const uint8_t binding[32],
			  const uint8_t *sig, size_t sig_len);
	void *ctx;
};

/* What the initiator learned in the handshake. */
struct obol_devlink_peer {
	enum obol_devlink_cred_kind kind;
	uint8_t static_pk[OBOL_BOX_PK_LEN]; /* the key the handshake proved */
	struct obol_vendor_cert cert;       /* kind VENDOR: the verified certificate */
	uint8_t handshake_hash[32];         /* Noise's h: names this session (channel binding, §11.2) */
};

/* The 32 bytes a SIGNED credential's key signs: SHA-256 over the parts
 * "obol-devlink-v2 static key", h1, static_pk (obol_sha256_parts), where
 * h1 is the handshake hash after message 1 (it covers the prologue and the
 * initiator's fresh ephemeral key, so the signature is good for this
 * handshake only) and static_pk the responder's static key. */
void obol_devlink_binding(const uint8_t h1[32], const uint8_t static_pk[OBOL_BOX_PK_LEN], uint8_t out[32]);

/* ---- links ------------------------------------------------------------------ */

/* One end of a link. Used by one thread at a time. */
struct obol_devlink;

/* Connects to "HOST:PORT" (TCP) or "unix:PATH" and runs the handshake as
 * initiator, accepting what expect allows (see obol_devlink_initiate).
 * timeout_ms 0 = OBOL_DL_TIMEOUT_MS (used for connect and for every later
 * read and write). NETWORK when the connection fails. */
OBOL_MUST_CHECK obol_err obol_devlink_connect(const char *addr, int timeout_ms, const struct obol_devlink_expect *expect,
					      struct obol_devlink **out);
/* The same for the common case: a vendor certified by issuer_pk. */
OBOL_MUST_CHECK obol_err obol_devlink_connect_vendor(const char *addr, int timeout_ms, const uint8_t issuer_pk[32],
						     struct obol_devlink **out);

/* Wraps a connected stream socket (takes ownership of fd). The link has no
 * session yet: run obol_devlink_initiate or obol_devlink_respond on it
 * before any frame (reading or writing before is INTERNAL). */
OBOL_MUST_CHECK obol_err obol_devlink_from_fd(int fd, int timeout_ms, struct obol_devlink **out);

/* The handshake as initiator: HELLO out, ACCEPT in, the responder's
 * credential judged by expect. Errors: DEVLINK_OLD_PEER (a version 1
 * vendor), DEVLINK_HANDSHAKE (message 2 malformed or not decrypting: not
 * the holder of the key it sent), DEVLINK_CREDENTIAL, DEVLINK_IMPOSTOR,
 * VENDOR_CERT_INVALID, VENDOR_CERT_EXPIRED, what expect->check returns; an
 * ERROR frame sent in clear instead of ACCEPT (DEVLINK_BUSY) as the error it
 * names; transport errors as for reads. */
OBOL_MUST_CHECK obol_err obol_devlink_initiate(struct obol_devlink *l, const struct obol_devlink_expect *expect);
/* The handshake as responder, proving `me`. Errors: DEVLINK_OLD_PEER (a
 * version 1 wallet, told WIRE_VERSION in a v1 frame), the WIRE_* refusal of
 * a first frame that is no frame, DEVLINK_HANDSHAKE (a frame other than a
 * well-formed HELLO; both told in a clear ERROR frame), what me->sign
 * returns, transport errors. */
OBOL_MUST_CHECK obol_err obol_devlink_respond(struct obol_devlink *l, const struct obol_devlink_identity *me);

/* The initiator's view of the responder after obol_devlink_initiate; NULL
 * before, and on the responder's side. */
const struct obol_devlink_peer *obol_devlink_peer(const struct obol_devlink *l);

/* Closes the socket, wipes the session keys and frees. NULL is allowed. */
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
/* The same with a deadline of the caller's (obol_mono_ns) for the whole
 * frame instead of the link's timeout from now: NETWORK once it passes,
 * however the bytes trickle in (the vendor's deadlines for a session). */
OBOL_MUST_CHECK obol_err obol_devlink_read_by(struct obol_devlink *l, uint64_t deadline, uint32_t *type,
					      const uint8_t **body, size_t *body_len);

/* Encodes and writes one frame. */
OBOL_MUST_CHECK obol_err obol_devlink_write(struct obol_devlink *l, uint32_t type, const struct obol_fields *body);
/* Writes already-encoded frames (headers included), one after the other in
 * buf (as obol_frame_encode writes them); each starts a record. Bytes after
 * the last whole frame are sent as they are (the peer judges them). */
OBOL_MUST_CHECK obol_err obol_devlink_write_frame(struct obol_devlink *l, const uint8_t *frame, size_t len);
/* Writes an ERROR frame {code, name} for e (in clear when the link has no
 * session yet). */
OBOL_MUST_CHECK obol_err obol_devlink_write_error(struct obol_devlink *l, obol_err e);

/* Encodes an ERROR frame into buf (for session handlers that return frames). */
OBOL_MUST_CHECK obol_err obol_devlink_error_frame(obol_err e, uint8_t *buf, size_t cap, size_t *len);
/* Decodes an ERROR body; the named error (PEER_ERROR when unknown). */
obol_err obol_devlink_error_decode(const uint8_t *body, size_t len);

/* ---- the payer on a wallet's link ----
 * A wallet attaches the guard of the payment it makes (src/wallet/payer.h;
 * borrowed: it must outlive the link's use; NULL: none), so that every
 * scheme's session on the link asks it before value leaves the wallet. */
struct obol_payer;
void obol_devlink_set_payer(struct obol_devlink *l, struct obol_payer *p);
struct obol_payer *obol_devlink_payer(const struct obol_devlink *l);

/* ---- links inside one program ----
 * For the deterministic simulator (tests/sim), which runs wallets and
 * vendors in one program and carries their bytes itself: a link whose bytes
 * go through ops instead of a socket, with the same handshake, records,
 * framing, limits and errors as a socket link. */
struct obol_devlink_ops {
	/* Reads up to n bytes (at least 1) into buf, waiting up to timeout_ms:
	 * OBOL_OK with *got > 0, DEVLINK_CLOSED when the stream ended, NETWORK
	 * on a timeout or a broken link. */
	obol_err (*read)(void *ctx, uint8_t *buf, size_t n, int timeout_ms, size_t *got);
	/* Writes all n bytes: OBOL_OK or NETWORK. */
	obol_err (*write)(void *ctx, const uint8_t *buf, size_t n);
	/* The link is closed (ctx is not used after). */
	void (*close)(void *ctx);
	/* Each whole frame this end sent, in clear, once its records are
	 * written: the simulator's record of what each party said (nothing on
	 * the wire shows it). May be NULL. */
	void (*frame)(void *ctx, const uint8_t *frame, size_t len);
};
/* A link over ops (borrowed; ctx is the link's own until close), without a
 * session: run obol_devlink_initiate or obol_devlink_respond on it, as on
 * obol_devlink_from_fd's. timeout_ms 0 = OBOL_DL_TIMEOUT_MS.
 * obol_devlink_fd of it is -1. */
OBOL_MUST_CHECK obol_err obol_devlink_from_ops(const struct obol_devlink_ops *ops, void *ctx, int timeout_ms,
					       struct obol_devlink **out);
/* Installs a connector that obol_devlink_connect hands every address to
 * instead of making a socket (NULL: sockets again); it returns a link
 * without a session, on which obol_devlink_connect then runs the handshake.
 * Nothing installs one from the environment or a file: only a program that
 * calls this does, which no command of build/obol does. Call it before
 * links are made. */
typedef obol_err (*obol_devlink_connector)(const char *addr, int timeout_ms, struct obol_devlink **out);
void obol_devlink_set_connector(obol_devlink_connector fn);

/* Listening: binds "HOST:PORT" (port 0 picks a free one) or "unix:PATH";
 * *port is the bound port (0 for unix). */
OBOL_MUST_CHECK obol_err obol_devlink_listen(const char *addr, int *fd, uint16_t *port);
/* Waits up to timeout_ms (-1 = forever) for a connection; NETWORK on timeout
 * (the listener stays open). The link has no session yet: the caller runs
 * obol_devlink_respond on it, in the thread that serves it (a slow wallet
 * then holds up only its own link). */
OBOL_MUST_CHECK obol_err obol_devlink_accept(int listen_fd, int timeout_ms, int io_timeout_ms,
					     struct obol_devlink **out);

/* ---- bench only: records in clear ----
 * `obol bench link` measures what the encryption costs the vendor's token
 * rate by running the same exchange over links whose records are not
 * encrypted: a record's "seal" copies the plaintext and 16 zero bytes where
 * the tag goes, its "open" copies the plaintext back (no check). Everything
 * else is the link's own: sockets, handshake, record framing, reads,
 * writes, polls, buffers, frames. The handshake of such a link hashes the
 * prologue OBOL_DL_PROLOGUE_BENCH_CLEARTEXT: it never completes with a link
 * that is not one (the initiator fails with DEVLINK_HANDSHAKE before any
 * frame), so a wallet or vendor that does not call these never sends or
 * takes a record in clear. No option, environment variable or file turns it
 * on: only the bench's code calls these, for its own wallets and in the
 * vendor daemon it forks without exec (src/cli/bench_coupon_world.c). */
/* Marks a link without a session yet (INTERNAL after the handshake). */
OBOL_MUST_CHECK obol_err obol_devlink_bench_cleartext(struct obol_devlink *l);
/* Every link this process makes from now on is marked. */
void obol_devlink_bench_cleartext_all(void);
/* obol_devlink_connect with the link marked before its handshake. */
OBOL_MUST_CHECK obol_err obol_devlink_connect_bench_cleartext(const char *addr, int timeout_ms,
							      const struct obol_devlink_expect *expect,
							      struct obol_devlink **out);

#endif
