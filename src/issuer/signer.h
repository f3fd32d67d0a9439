/* The issuer's signing process (`obol issuer signer`, docs/operations.md
 * "The signing process"): it holds the private keys the issuer uses online
 * and answers, over a unix socket and to one user id only, the few kinds of
 * request it allows. `issuer serve --signer PATH` holds public keys only and
 * asks it (signer_client.h). Modelled on Core Lightning's hsmd and GNU
 * Taler's secmod: a compromised `issuer serve` can make the signatures the
 * requests allow while it runs, never take a key away.
 *
 * The protocol. Every message is a frame: a 4-byte big-endian length
 * (1..OBOL_SIGNER_FRAME_MAX) and that many bytes. A request is
 *   kind (1 byte) | key id (32 bytes) | payload
 * and its reply
 *   code (4 bytes big-endian, an obol_err; 0 is OK) | payload (OK only).
 * Kinds, the key id each names and what the signer checks:
 *   BLIND_SIGN    a coupon denomination's key id (obol_rsa_key_id); payload
 *                 the blinded message (RFC 9474 §4.3), exactly the
 *                 modulus's length; signed only while now lies in the key's
 *                 window [valid_from, use_until]. Reply: the blind signature.
 *   RSA_SIGN      the ecash bank's key id; payload the SHA-512 digest of
 *                 the message (64 bytes: a revocation list has no bound the
 *                 frame could hold); RSASSA-PSS (obol_rsapss_sign_digest)
 *                 inside the key's window. Reply: the signature.
 *   BOX_OPEN      the issuer's X25519 box public key; payload a sealed box
 *                 (at most OBOL_SIGNER_BOX_MAX). Reply: its plaintext.
 *   ED25519_SIGN  an online Ed25519 public key; payload context length
 *                 (1 byte) | context | message (at most
 *                 OBOL_SIGNER_ED_MSG_MAX); the context must be one of
 *                 obol_signer_contexts. Reply: the 64-byte signature.
 *   STATUS        no key (zeros), no payload. Reply: the counts, JSON.
 * Any other kind is SIGNER_REQUEST_REFUSED; a key of another kind or none
 * SIGNER_KEY_UNKNOWN; outside its window SIGNER_KEY_NOT_USABLE; another
 * context SIGNER_CONTEXT_REFUSED; a frame too long, too short or of a wrong
 * size for its kind SIGNER_FRAME_INVALID (a length beyond the maximum also
 * ends the connection); a peer of another uid SIGNER_PEER_REFUSED and the
 * connection ends.
 *
 * Its store (a database of its own, migration component "signer", step 1):
 *   signer_keys (key_id, kind, secret: DER PKCS#8 or the 32-byte X25519 or
 *                Ed25519 seed, public: DER SPKI or the public key,
 *                valid_from, use_until: the signing window, seconds, both
 *                inclusive; announced: 1 when the master's announcement set it)
 */
#ifndef OBOL_ISSUER_SIGNER_H
#define OBOL_ISSUER_SIGNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"
#include "store/store.h"

#define OBOL_SIGNER_FRAME_MAX 65536
#define OBOL_SIGNER_KEY_ID_LEN 32
#define OBOL_SIGNER_BOX_MAX 1024
#define OBOL_SIGNER_CONTEXT_MAX 64
/* what a frame holds after the kind, the key id and the context: the key
 * document alone passes 4 KiB once it lists a few RSA keys */
#define OBOL_SIGNER_ED_MSG_MAX (OBOL_SIGNER_FRAME_MAX - 1 - OBOL_SIGNER_KEY_ID_LEN - 1 - OBOL_SIGNER_CONTEXT_MAX)
#define OBOL_SIGNER_MAX_CONNS 128

enum obol_signer_kind {
	OBOL_SIGNER_BLIND_SIGN = 1,
	OBOL_SIGNER_RSA_SIGN = 2,
	OBOL_SIGNER_BOX_OPEN = 3,
	OBOL_SIGNER_ED25519_SIGN = 4,
	OBOL_SIGNER_STATUS = 5,
	OBOL_SIGNER_KINDS = 6,
};

/* What kind of key a row of signer_keys holds. */
enum obol_signer_key_kind {
	OBOL_SIGNER_KEY_DENOM = 1, /* a coupon denomination's RSA key: BLIND_SIGN */
	OBOL_SIGNER_KEY_BANK = 2,  /* the ecash bank's RSA key: RSA_SIGN */
	OBOL_SIGNER_KEY_BOX = 3,   /* the issuer's X25519 box key: BOX_OPEN */
	OBOL_SIGNER_KEY_ONLINE = 4 /* an online Ed25519 key: ED25519_SIGN */
};

/* The contexts ED25519_SIGN allows: what the issuer signs online (answers,
 * certificates, lists, GET /keys). Never "key-announce" (the offline master
 * key's), nor a context other parties sign under (requests, receipts). */
extern const char *const obol_signer_contexts[];

/* A request kind's name ("blind-sign", ...), "unknown" for others. */
const char *obol_signer_kind_name(unsigned kind);

/* Creates the signer_keys table (component "signer"); idempotent. */
OBOL_MUST_CHECK obol_err obol_signer_store_migrate(struct obol_store *s);

/* Moves every private key the issuer uses online out of the issuer
 * database `issuer` into the signer's store `signer`: coupon denomination
 * keys (window: created .. withdraw_until), the ecash bank key (created ..
 * no end, announced or not, until it rotates), the box key, the online
 * Ed25519 seeds (no window). A denomination or online key the master
 * announced (the ceremony, issuer/keys.h) takes its announcement's
 * window instead [valid_from, use_until), whenever the import runs: run it
 * again after each ceremony. The signer's store commits first; then, in one
 * transaction, the issuer database keeps public keys only
 * (coupon_denoms.rsa_sk empty, ecash_bank_key.sk the public DER,
 * issuer_keys.box_sk zeros, online_keys.seed empty). Running it again moves
 * nothing new. *moved counts the keys moved this time, *announced the keys
 * whose window an announcement set. */
OBOL_MUST_CHECK obol_err obol_signer_import(struct obol_store *signer, struct obol_store *issuer, size_t *moved,
					    size_t *announced);

struct obol_signer_config {
	const char *db_url;      /* the signer's store */
	const char *socket_path; /* created mode 0600; a stale socket there is replaced */
	const char *log_path;    /* its own log (appended); NULL: stderr */
	uid_t peer_uid;          /* the only peer answered */
};

/* Per kind (index enum obol_signer_kind), requests answered and refused. */
struct obol_signer_counts {
	uint64_t ok[OBOL_SIGNER_KINDS], refused[OBOL_SIGNER_KINDS];
};

struct obol_signer;

/* Loads the keys, binds the socket, starts the accept thread (one thread
 * per connection, up to OBOL_SIGNER_MAX_CONNS: RSA runs on every core). */
OBOL_MUST_CHECK obol_err obol_signer_start(const struct obol_signer_config *cfg, struct obol_signer **out);
void obol_signer_counts(struct obol_signer *sg, struct obol_signer_counts *out);
/* Closes the socket and every connection, joins the threads, wipes the
 * keys. NULL is allowed. */
void obol_signer_stop(struct obol_signer *sg);

/* Frame I/O shared with the client: whole frames or an error
 * (SIGNER_UNAVAILABLE on a closed or failed connection, SIGNER_FRAME_INVALID
 * for a length beyond cap). */
OBOL_MUST_CHECK obol_err obol_signer_frame_write(int fd, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
OBOL_MUST_CHECK obol_err obol_signer_frame_read(int fd, uint8_t *buf, size_t cap, size_t *len);

#endif
