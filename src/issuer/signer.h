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
 * Which keys it signs with. A key of signer_keys signs only when the store
 * holds a master-signed announcement of it (verified at load under the
 * master key pinned in signer_master; else SIGNER_KEY_NOT_ANNOUNCED), now
 * lies in that announcement's use window [valid_from, use_until) (else
 * SIGNER_KEY_NOT_USABLE), and the store holds no master-signed revocation
 * naming it, whatever the revocation's valid_from (else
 * SIGNER_KEY_REVOKED: a leaked key stops as soon as its revocation is
 * imported). An ecash bank key keeps no end to its window while no later
 * bank key is announced (before bank keys rotate, its announced year would
 * end every top-up); once a successor is announced, its own use_until ends
 * it. The box key needs no announcement (it signs nothing). The signer reloads its keys and
 * announcements when the store's import count (signer_state) changes; it
 * looks at most once a second.
 *
 * Its store (a database of its own, migration component "signer"):
 *   step 1: signer_keys (key_id, kind, secret: DER PKCS#8 or the 32-byte
 *                X25519 or Ed25519 seed, public: DER SPKI or the public key,
 *                valid_from, use_until, announced: the announced window as
 *                the last import saw it, for the operator only)
 *   step 2: signer_master (the master public key, pinned by the first
 *                import), signer_announcements (serial, announcement: its
 *                whole CBOR with the master's signature), signer_state
 *                (generation: one more per import)
 */
#ifndef OBOL_ISSUER_SIGNER_H
#define OBOL_ISSUER_SIGNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/error.h"
#include "store/store.h"

/* A frame holds the largest message the issuer signs with an online key:
 * a whole payword CRL page (PAYWORD_CRL_PAGE_MAX serials, 262,188 signed
 * bytes), a whole Codex blacklist page (about 131 KB) and the GET /keys
 * text, which lists up to OBOL_KEY_SET_MAX announcements and every live
 * denomination key (about 50 KB with RSA-2048 keys, under 200 KB with
 * RSA-8192 ones); signer.c checks the first two at compile time. */
#define OBOL_SIGNER_FRAME_MAX 524288
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
 * database `issuer` into the signer's store `signer` (coupon denomination
 * keys, the ecash bank key, the box key, the online Ed25519 seeds), with
 * every master-signed announcement and revocation the issuer holds that can
 * still matter (obol_issuer_keys_announced). The first import pins the
 * issuer's master public key in the signer's store; an import under another
 * master is SIGNER_MASTER_MISMATCH and moves nothing. The signer's store
 * commits first (and counts one more import: a running signer reloads its
 * keys within a second); then, in one transaction, the issuer database
 * keeps public keys only (coupon_denoms.rsa_sk empty, ecash_bank_key.sk the
 * public DER, issuer_keys.box_sk zeros, online_keys.seed empty), and, when
 * signer_url is not NULL, names the signer's store (signer_link) so that
 * the key plan draws new keys there (obol_signer_draw). Run it after each
 * ceremony and each revocation: it moves the new announcements. Running it
 * again moves no key twice. *moved counts the keys moved this time,
 * *announced the keys whose window an announcement set (the columns
 * valid_from, use_until and announced of signer_keys: for the operator; the
 * running signer takes windows from the announcements it verifies). */
OBOL_MUST_CHECK obol_err obol_signer_import(struct obol_store *signer, const char *signer_url,
					    struct obol_store *issuer, size_t *moved, size_t *announced);

/* Where the issuer's signer store is, as the issuer database names it
 * (table signer_link, component "signer_link", written by the import). */
struct obol_signer_link {
	bool linked; /* false: the issuer has no signer and draws its keys itself */
	char db_url[1024];
};
/* Reads it, outside any transaction of issuer (it reads the component's
 * schema version). Not linked is OK with out->linked false. */
OBOL_MUST_CHECK obol_err obol_signer_link_read(struct obol_store *issuer, struct obol_signer_link *out);

/* Draws a new private key of kind (ONLINE: an Ed25519 seed, bits ignored;
 * DENOM or BANK: RSA of bits) in the signer's store l names, committed
 * there, and returns its public half only (ONLINE: the 32-byte public key;
 * RSA: DER SubjectPublicKeyInfo) into pub (cap bytes). The key signs
 * nothing until the master announces it and an import brings the
 * announcement to the signer. SIGNER_NOT_LINKED when l is not linked,
 * INVALID_ARGUMENT for the box key or a pub too small. The hook for each
 * key the issuer draws once it has a signer: the key plan's online keys,
 * the coupon rotation's successors, the ecash bank key's successor. */
OBOL_MUST_CHECK obol_err obol_signer_draw(const struct obol_signer_link *l, enum obol_signer_key_kind kind,
					  unsigned bits, uint8_t *pub, size_t cap, size_t *pub_len);

struct obol_signer_config {
	const char *db_url;      /* the signer's store */
	const char *socket_path; /* created mode 0600; a stale socket there is replaced */
	const char *log_path;    /* its own log (appended); NULL: stderr */
	uid_t peer_uid;          /* the only peer answered */
};

/* Per kind (index enum obol_signer_kind), requests answered and refused. */
struct obol_signer_counts {
	uint64_t ok[OBOL_SIGNER_KINDS], refused[OBOL_SIGNER_KINDS];
	/* connections to its store: one at start, held for the once-a-second
	 * look at the import count; another only after a look failed */
	uint64_t store_opens;
};

struct obol_signer;

/* Loads the keys, binds the socket, starts the accept thread (one thread
 * per connection, up to OBOL_SIGNER_MAX_CONNS: RSA runs on every core). */
OBOL_MUST_CHECK obol_err obol_signer_start(const struct obol_signer_config *cfg, struct obol_signer **out);
void obol_signer_counts(struct obol_signer *sg, struct obol_signer_counts *out);
/* Reads the keys and announcements again now when the import count changed
 * (what the accept thread does once a second, on the store connection it
 * holds); *reloaded (NULL allowed) says whether it did. A store that fails
 * to load keeps the keys held, and its connection is opened again at the
 * next look. */
OBOL_MUST_CHECK obol_err obol_signer_refresh(struct obol_signer *sg, bool *reloaded);
/* Closes the socket and every connection, joins the threads, wipes the
 * keys. NULL is allowed. */
void obol_signer_stop(struct obol_signer *sg);

/* Frame I/O shared with the client: whole frames or an error
 * (SIGNER_UNAVAILABLE on a closed or failed connection, SIGNER_FRAME_INVALID
 * for a length beyond cap). */
OBOL_MUST_CHECK obol_err obol_signer_frame_write(int fd, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
OBOL_MUST_CHECK obol_err obol_signer_frame_read(int fd, uint8_t *buf, size_t cap, size_t *len);

#endif
