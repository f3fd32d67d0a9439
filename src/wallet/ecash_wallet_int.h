/* Helpers shared by the wallet's ecash files (ecash_wallet.c, ecash_wallet_offline.c). */
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
/* Frees every coin of *list and empties it. */
void ecash_w_coins_drop_all(struct ecash_held_coin **list, size_t *n);
/* POST /ecash/nonce for a purpose ("register", "topup", "refund"). */
OBOL_MUST_CHECK obol_err ecash_w_bank_nonce(struct obol_http_client *c, const char *purpose,
					    uint8_t nonce[static ECASH_NONCE_LEN]);
/* Prints one coin's result of a deposit or refund ("WHAT SERIAL VALUE: NAME"),
 * a double spend with its culprit. */
void ecash_w_print_result(FILE *out, const char *what, const json_t *r);
/* ECASH_NOT_REGISTERED until the wallet holds a certified key. */
OBOL_MUST_CHECK obol_err ecash_w_need_registered(const struct ecash_wallet *ew);
/* Prints "label: HEX" of the first n bytes of id. */
void ecash_w_print_id(FILE *out, const char *label, const uint8_t *id, size_t n);

#endif
