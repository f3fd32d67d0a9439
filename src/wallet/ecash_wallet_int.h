/* Helpers shared by the wallet's ecash files (ecash_wallet.c: the section,
 * keys, top-up, lists; ecash_wallet_bank.c: requests that bring coins to the
 * bank; ecash_wallet_offline.c: paying and receiving). */
#ifndef OBOL_WALLET_ECASH_WALLET_INT_H
#define OBOL_WALLET_ECASH_WALLET_INT_H

#include <stdio.h>

#include "net/http_client.h"
#include "wallet/ecash_wallet.h"

/* Sets obj[key] to the base64url text of p[0..n). */
OBOL_MUST_CHECK obol_err ecash_w_set_blob(json_t *obj, const char *key, const uint8_t *p, size_t n);
void ecash_w_free_coins(struct ecash_held_coin *coins, size_t n);
/* Appends copies of add[0..k) to *list. */
OBOL_MUST_CHECK obol_err ecash_w_coins_append(struct ecash_held_coin **list, size_t *n,
					      const struct ecash_held_coin *add, size_t k);
/* Moves list[idx[0..k)] to the end of *dst, in order, removing them from list. */
OBOL_MUST_CHECK obol_err ecash_w_coins_move(struct ecash_held_coin *list, size_t *n, const size_t *idx, size_t k,
					    struct ecash_held_coin **dst, size_t *ndst);
/* Frees list[idx[0..k)] and removes them. */
void ecash_w_coins_remove(struct ecash_held_coin *list, size_t *n, const size_t *idx, size_t k);
/* Frees every coin of *list and empties it. */
void ecash_w_coins_drop_all(struct ecash_held_coin **list, size_t *n);
/* POST /ecash/nonce for a purpose ("register", "topup", "refund", "exchange"). */
OBOL_MUST_CHECK obol_err ecash_w_bank_nonce(struct obol_http_client *c, const char *purpose,
					    uint8_t nonce[static ECASH_NONCE_LEN]);
/* Prints one coin's result of a request ("WHAT SERIAL VALUE: NAME"), a
 * double spend with its culprit. */
void ecash_w_print_result(FILE *out, const char *what, const json_t *r);
/* ECASH_NOT_REGISTERED until the wallet holds a certified key. */
OBOL_MUST_CHECK obol_err ecash_w_need_registered(const struct ecash_wallet *ew);
/* Reads one device-link frame of `want` type into spec s (NULL: body
 * unread): the peer's ERROR frame is the error it names; another type is
 * WIRE_UNEXPECTED_MESSAGE. */
OBOL_MUST_CHECK obol_err ecash_w_read_frame(struct obol_devlink *l, uint32_t want, const struct obol_fields *s);
/* Learns the bank keys from a verified GET /keys "keys" object
 * (ecash_bank_keys_from_doc; first_contact at registration only, so a
 * "bank_key" the master did not announce is not taken on later) and keeps
 * them in the section (saved with the wallet). ew->bank is left as it was
 * on error, or when the document announces none. */
OBOL_MUST_CHECK obol_err ecash_w_bank_keys_update(struct ecash_wallet *ew, const json_t *keys, bool first_contact);
/* Prints "label: HEX" of the first n bytes of id. */
void ecash_w_print_id(FILE *out, const char *label, const uint8_t *id, size_t n);

/* ---- owner keys of fresh coins ---- */

/* Draws an owner key pair and keeps its secret in the section (saved with
 * the wallet, before the request that names the public half leaves). */
OBOL_MUST_CHECK obol_err ecash_w_owner_new(struct ecash_wallet *ew, uint8_t pk[static ECASH_OWNER_LEN]);
/* The secret of owner key pk (wipe it after use): NOT_FOUND when the wallet
 * does not hold it. */
OBOL_MUST_CHECK obol_err ecash_w_owner_sk(const struct ecash_wallet *ew, const uint8_t pk[static ECASH_OWNER_LEN],
					  uint8_t sk[static ECASH_OWNER_SK_LEN]);

/* ---- requests whose answer may be lost ---- */

/* A request to the bank that moves value (top-up, deposit, refund,
 * exchange): its exact body is kept in the wallet (saved) before it leaves,
 * so that a lost answer is asked for again with the same body and nonce,
 * which the bank answers as the first time. After an answer (a reply, or a
 * refusal of the whole request) the kept body is dropped (*settled; the
 * caller saves); after a transport failure it stays. body is taken. */
OBOL_MUST_CHECK obol_err ecash_w_post(struct ecash_wallet *ew, const char *path, json_t *body, json_t **reply,
				      bool *settled);
/* Sends the kept request again, if there is one (*resumed), and settles its
 * answer as the request's own command would. */
OBOL_MUST_CHECK obol_err ecash_w_resume(struct ecash_wallet *ew, FILE *out, bool *resumed);

/* How each request's answer is settled (the path names the request). A
 * refusal of the whole request (reply NULL) gives back the coins it held.
 * An exchange of which a coin came back too early answers
 * ECASH_EXCHANGE_TOO_EARLY (after everything else was settled). */
OBOL_MUST_CHECK obol_err ecash_w_topup_settle(struct ecash_wallet *ew, const json_t *body, const json_t *reply, FILE *out);
OBOL_MUST_CHECK obol_err ecash_w_coins_settle(struct ecash_wallet *ew, const char *path, const json_t *body,
					      const json_t *reply, FILE *out);

#endif
