/* Every ecash message: device-link frame types (48-53, the ecash range), the issuer API
 * bodies, and the field specs that encode them in CBOR (device link) and
 * JSON (issuer API, wallet file). docs/protocol.md "ecash" is the written
 * form. One spec per object; a message nests them:
 *
 *   cert   {key, account, issued, expiry, sig}                     σ3
 *   coin   {serial, value, issued, expiry, sig, owner?}            σ0
 *   claim  {payee, ts, certs[1..64], sig?, owner_sig?}             σ2 (ring if certs > 1)
 *   coins  [coin...] with claims [{coin index, claim}...]         held coins
 *
 * Decoding allocates (claims' certificates and signatures, payments' coins):
 * a spec prepared for decoding must be finished with its *_done function,
 * which frees everything on error and trims buffers on success. */
#ifndef OBOL_SCHEMES_ECASH_MESSAGES_H
#define OBOL_SCHEMES_ECASH_MESSAGES_H

#include "schemes/ecash/bank.h"
#include "schemes/ecash/merchant.h"
#include "schemes/ecash/rl_pages.h"
#include "net/devlink.h"
#include "wire/fields.h"

/* Device-link frame types (seed 002 §3.3.2, §6.3), in the ecash range of
 * src/net/devlink.h. */
enum ecash_msg_type {
	ECASH_MSG_HELLO = OBOL_DL_ECASH_MIN,   /* C -> M: I want to pay (step 1) */
	ECASH_MSG_OFFER = OBOL_DL_ECASH_MIN + 1,   /* M -> C: M_ID, nonce n, price, certificate (step 2) */
	ECASH_MSG_PAY = OBOL_DL_ECASH_MIN + 2,    /* C -> M: σ1, coins with their claims, new ones unsigned (step 3) */
	ECASH_MSG_RECEIPT = OBOL_DL_ECASH_MIN + 3, /* M -> C: accepted, signed (after steps 4-7) */
	ECASH_MSG_READY = OBOL_DL_ECASH_MIN + 4,  /* M -> C: PAY checks out; send the signatures */
	ECASH_MSG_SIGN = OBOL_DL_ECASH_MIN + 5,   /* C -> M: the new claims' signatures */
};

/* ---- objects ---- */

struct ecash_cert_spec {
	struct obol_field f[5];
	struct obol_fields s;
};
void ecash_cert_spec(struct ecash_cert_spec *sp, struct ecash_cert *c);

struct ecash_coin_spec {
	struct obol_field f[6];
	struct obol_fields s;
};
void ecash_coin_spec(struct ecash_coin_spec *sp, struct ecash_coin *c);

struct ecash_claim_spec {
	struct ecash_claim *c;
	bool decode;
	bool has_sig; /* encode: whether the claim carries σ2 */
	struct ecash_cert_spec cert;
	struct obol_field_array certs;
	struct obol_field f[5];
	struct obol_fields s;
};
/* For decoding, allocates c's signature buffer (ECASH_RINGSIG_MAX). */
OBOL_MUST_CHECK obol_err ecash_claim_spec(struct ecash_claim_spec *sp, struct ecash_claim *c, bool decode);

/* A set of held coins (payments, deposits, wallets) as two fields of the
 * enclosing message: "coins", an array of coin maps, and "claims", a flat
 * array of claims each naming its coin by index, in chain order. (Flat, so
 * that a ring's certificates nest no deeper than OBOL_WIRE_DEPTH_MAX.) */
struct ecash_flat_claim {
	uint64_t coin;
	struct ecash_claim c;
};
struct ecash_coins_spec {
	struct ecash_held_coin **coins; /* decode: realloc'ed */
	size_t *n;
	size_t max;
	bool decode;
	bool last_unsigned; /* PAY: each coin's last claim comes without its signatures */
	size_t allocated;
	struct ecash_coin_spec coin;
	struct obol_field_array coins_arr;
	struct ecash_flat_claim *flat; /* owned by the spec until done */
	size_t nflat, flat_alloc;
	struct ecash_claim_spec claim;
	struct obol_field claim_f[6];
	struct obol_field_array claims_arr;
};
/* Prepares the spec and writes its two fields into f[0], f[1] with CBOR keys
 * key, key + 1. For encoding, *coins[0..*n) are read. last_unsigned: the
 * form of PAY, where each coin's last claim is sent without σ2 and owner
 * signature (encoding leaves them out; decoding refuses them there and
 * requires them everywhere else). */
OBOL_MUST_CHECK obol_err ecash_coins_spec(struct ecash_coins_spec *sp, struct ecash_held_coin **coins, size_t *n,
					  size_t max, bool decode, bool last_unsigned, uint32_t key,
					  struct obol_field f[2]);
/* Ends an encode or a decode: on a decode, moves each claim onto its coin's
 * chain (WIRE_MALFORMED for a claim naming no coin or signatures where the
 * form does not have them, WIRE_MISSING_FIELD for missing ones,
 * ECASH_CHAIN_TOO_LONG), or frees everything on error. Returns the final
 * error. */
obol_err ecash_coins_done(struct ecash_coins_spec *sp, obol_err err);

/* ---- device-link messages ---- */

struct ecash_hello {
	uint64_t ring; /* ring size the wallet will use; 0 for a plain payment */
	char product[65];
	bool has_product;
};
struct ecash_hello_spec {
	struct obol_field f[2];
	struct obol_fields s;
};
void ecash_hello_spec(struct ecash_hello_spec *sp, struct ecash_hello *m);

struct ecash_offer_spec {
	struct ecash_cert_spec cert;
	struct obol_field f[5];
	struct obol_fields s;
};
void ecash_offer_spec(struct ecash_offer_spec *sp, struct ecash_offer *o);

struct ecash_payment_spec {
	struct ecash_payment *p;
	bool decode;
	struct ecash_coins_spec coins;
	struct obol_field f[4];
	struct obol_fields s;
};
/* PAY: the new claims go without their signatures (they follow in SIGN).
 * For decoding, p must be zeroed; allocates σ1's buffer. */
OBOL_MUST_CHECK obol_err ecash_payment_spec(struct ecash_payment_spec *sp, struct ecash_payment *p, bool decode);
obol_err ecash_payment_done(struct ecash_payment_spec *sp, obol_err err);

/* READY {nonce} and SIGN {nonce, sigs: [{sig, owner_sig?}]}. */
struct ecash_ready {
	uint8_t nonce[ECASH_NONCE_LEN];
};
struct ecash_ready_spec {
	struct obol_field f[1];
	struct obol_fields s;
};
void ecash_ready_spec(struct ecash_ready_spec *sp, struct ecash_ready *r);

struct ecash_signatures_spec {
	struct ecash_signatures *m;
	bool decode;
	struct obol_field ef[2];
	struct obol_field_array arr;
	struct obol_field f[2];
	struct obol_fields s;
};
/* For decoding, m must be zeroed; the signatures are allocated as they
 * come; ecash_signatures_done frees them on error. */
void ecash_signatures_spec(struct ecash_signatures_spec *sp, struct ecash_signatures *m, bool decode);
obol_err ecash_signatures_done(struct ecash_signatures_spec *sp, obol_err err);

struct ecash_receipt_spec {
	struct obol_field f[4];
	struct obol_fields s;
};
void ecash_receipt_spec(struct ecash_receipt_spec *sp, struct ecash_receipt *r);

/* ---- bank-signed lists ---- */

/* An array of revoked keys, [{"id", "at"}]. */
struct ecash_revoked_array {
	struct ecash_revoked **keys;
	size_t allocated, max;
	bool decode;
	struct obol_field ef[2];
	struct obol_field_array arr;
};

/* A revocation list as a client stores it (a wallet's file, a vendor's
 * cache): {"issued", "whole_at", "keys"}; no signature (each page was
 * checked when fetched, rl_pages.h). For decoding, rl must be zeroed; its
 * entries are allocated as they come; a decoded list is held. */
struct ecash_revocations_spec {
	struct ecash_revocations *rl;
	bool decode;
	struct ecash_revoked_array keys;
	struct obol_field f[3];
	struct obol_fields s;
};
OBOL_MUST_CHECK obol_err ecash_revocations_spec(struct ecash_revocations_spec *sp, struct ecash_revocations *rl,
						bool decode);
obol_err ecash_revocations_done(struct ecash_revocations_spec *sp, obol_err err);

/* One page of the list, GET /ecash/revocations/page: {"version", "since",
 * "after", "through", "keys", "sig"} (rl_pages.h). For decoding, p must be
 * zeroed. */
struct ecash_rl_page_spec {
	struct ecash_rl_page *p;
	bool decode;
	struct ecash_revoked_array keys;
	struct obol_field f[6];
	struct obol_fields s;
};
void ecash_rl_page_spec(struct ecash_rl_page_spec *sp, struct ecash_rl_page *p, bool decode);
obol_err ecash_rl_page_done(struct ecash_rl_page_spec *sp, obol_err err);

struct ecash_directory_spec {
	struct ecash_directory *d;
	bool decode;
	struct ecash_cert_spec cert;
	struct obol_field ef[2];
	struct obol_field_array arr;
	struct obol_field f[5];
	struct obol_fields s;
};
void ecash_directory_spec(struct ecash_directory_spec *sp, struct ecash_directory *d, bool decode);
obol_err ecash_directory_done(struct ecash_directory_spec *sp, obol_err err);

/* ---- issuer API bodies (JSON) ---- */

/* POST /ecash/nonce {purpose} -> {nonce, expiry}; purpose is "register",
 * "topup", "refund" or "exchange" (§3.2 step 2, §5.3). */
struct ecash_nonce_req {
	char purpose[17];
};
struct ecash_nonce_reply {
	uint8_t nonce[ECASH_NONCE_LEN];
	int64_t expiry;
};
struct ecash_nonce_spec {
	struct obol_field f[2];
	struct obol_fields s;
};
void ecash_nonce_req_spec(struct ecash_nonce_spec *sp, struct ecash_nonce_req *m);
void ecash_nonce_reply_spec(struct ecash_nonce_spec *sp, struct ecash_nonce_reply *m);

/* POST /ecash/register {nonce, key, sig} -> cert (§3.2 steps 4-6). */
struct ecash_register_req {
	uint8_t nonce[ECASH_NONCE_LEN];
	uint8_t key[ECASH_KEY_DER_MAX];
	size_t key_len;
	uint8_t sig[ECASH_SIG_MAX];
	size_t sig_len;
};
struct ecash_register_spec {
	struct obol_field f[3];
	struct obol_fields s;
};
void ecash_register_req_spec(struct ecash_register_spec *sp, struct ecash_register_req *m);

/* POST /ecash/topup {nonce, cert, values: [{value, owner}], sig} -> {coins[]}
 * (§3.3.1, §6.2). */
struct ecash_topup_req {
	uint8_t nonce[ECASH_NONCE_LEN];
	struct ecash_cert cert;
	struct ecash_coin_order values[ECASH_COINS_MAX];
	size_t nvalues;
	uint8_t sig[ECASH_SIG_MAX];
	size_t sig_len;
};
struct ecash_topup_req_spec {
	struct ecash_topup_req *m;
	struct ecash_cert_spec cert;
	struct obol_field vf[2];
	struct obol_field_array values;
	struct obol_field f[4];
	struct obol_fields s;
};
void ecash_topup_req_spec(struct ecash_topup_req_spec *sp, struct ecash_topup_req *m);

struct ecash_topup_reply {
	struct ecash_coin coins[ECASH_COINS_MAX];
	size_t ncoins;
	struct obol_amount total;
};
struct ecash_topup_reply_spec {
	struct ecash_topup_reply *m;
	struct ecash_coin_spec coin;
	struct obol_field_array coins;
	struct obol_field f[2];
	struct obol_fields s;
};
void ecash_topup_reply_spec(struct ecash_topup_reply_spec *sp, struct ecash_topup_reply *m);

/* POST /ecash/deposit, /ecash/refund and /ecash/exchange {nonce, cert,
 * coins[], claims[], sig, to?, amount?, change?, owners?} ->
 * {results[], credited, change?} (§3.3.3, §5.5, §6.4): to, amount and
 * change only in a deposit (a withdrawal to an account), owners only in an
 * exchange, as ecash_coins_terms says. */
struct ecash_deposit_req {
	uint8_t nonce[ECASH_NONCE_LEN];
	struct ecash_cert cert;
	struct ecash_held_coin *coins; /* heap */
	size_t ncoins;
	uint8_t sig[ECASH_SIG_MAX];
	size_t sig_len;
	bool has_to, has_amount, has_change, has_owners;
	int64_t to;
	struct obol_amount amount;
	uint8_t change[ECASH_OWNER_LEN];
	uint8_t owners[ECASH_COINS_MAX][ECASH_OWNER_LEN];
	size_t nowners;
};
void ecash_deposit_req_clear(struct ecash_deposit_req *m);
/* The request's terms as the core reads them (t is filled, pointing into m).
 * WIRE_MISSING_FIELD for an amount without its change key. */
OBOL_MUST_CHECK obol_err ecash_deposit_req_terms(const struct ecash_deposit_req *m, struct ecash_coins_terms *t);
struct ecash_deposit_req_spec {
	struct ecash_deposit_req *m;
	struct ecash_cert_spec cert;
	struct ecash_coins_spec coins;
	struct obol_field f[9];
	struct obol_fields s;
};
OBOL_MUST_CHECK obol_err ecash_deposit_req_spec(struct ecash_deposit_req_spec *sp, struct ecash_deposit_req *m,
						bool decode);
obol_err ecash_deposit_req_done(struct ecash_deposit_req_spec *sp, obol_err err);

/* ---- JSON helpers (issuer tables, wallet file, replies) ---- */

#include <jansson.h>

OBOL_MUST_CHECK obol_err ecash_cert_to_json(const struct ecash_cert *c, json_t **out);
OBOL_MUST_CHECK obol_err ecash_cert_from_json(const json_t *j, struct ecash_cert *c);
/* {"coins": [...], "claims": [...]} of n held coins. */
OBOL_MUST_CHECK obol_err ecash_coins_to_json(const struct ecash_held_coin *coins, size_t n, json_t **out);
/* *coins is realloc'ed (free with ecash_held_clear on each, then free). */
OBOL_MUST_CHECK obol_err ecash_coins_from_json(const json_t *j, struct ecash_held_coin **coins, size_t *n, size_t max);
OBOL_MUST_CHECK obol_err ecash_claim_to_json(const struct ecash_claim *c, json_t **out);
/* The evidence of a double spend, for replies, the fraud table and people:
 * {"serial", "kind", "fork", "culprit_key"?, "culprit_account",
 *  "first_depositor", "second_depositor", "first": claim, "second": claim?}. */
OBOL_MUST_CHECK obol_err ecash_evidence_to_json(const struct ecash_evidence *e, json_t **out);
const char *ecash_fraud_kind_name(enum ecash_fraud_kind k);

#endif
