/* The codex scheme in the wallet (seed 004; DESIGN §8, §9): the Codex lives
 * in the wallet file's "codex" section ({"codex": base64url of
 * codex_serialize}), so it is sealed with the device key (the wallet's
 * passphrase or key file, src/wallet/file.h) and replaced atomically. The
 * Codex's signing key is the wallet's account key (the bank certifies the
 * account's auth key); its box key is drawn at open.
 *
 * Every change to the Codex is stored durably before anything leaves the
 * device: the payer's debit before the payment is sent, the payee's credit
 * before its acknowledgement, a pending sync before the request. */
#ifndef OBOL_WALLET_CODEX_WALLET_H
#define OBOL_WALLET_CODEX_WALLET_H

#include "core/amount.h"
#include "core/error.h"
#include "schemes/codex/blacklist_pages.h"
#include "schemes/codex/codex.h"
#include "wallet/file.h"

/* Reads the Codex of an open wallet (*out codex_alloc'ed; codex_free it).
 * CODEX_UNKNOWN_USER when the wallet has none; errors of codex_parse. */
OBOL_MUST_CHECK obol_err codex_wallet_load(struct obol_wallet *w, struct codex **out);
/* Writes the Codex into the wallet and saves the file durably. */
OBOL_MUST_CHECK obol_err codex_wallet_store(struct obol_wallet *w, const struct codex *c);

/* Create account at the bank (POST /codex/open): amount into the Codex and
 * the safe deposit, both from the wallet's account. *out as codex_wallet_load. */
OBOL_MUST_CHECK obol_err codex_wallet_open(struct obol_wallet *w, const struct obol_amount *amount,
					   const struct obol_amount *deposit, struct codex **out);

struct codex_wallet_sync_info {
	bool answered; /* the bank answered (the fields below are its answer) */
	bool renewed, blacklisted, closed, cert_renewed;
	size_t findings;
	char value[OBOL_AMOUNT_STR_MAX];    /* the Codex's value at the bank */
	char paid_out[OBOL_AMOUNT_STR_MAX]; /* close: paid back now */
	char held[OBOL_AMOUNT_STR_MAX];     /* close: the safe deposit held ... */
	int64_t held_until;                 /* ... until then (codex_wallet_release) */
};

/* Update Codex (POST /codex/sync) or delete account (POST /codex/close): the
 * log and the refusals kept go to the bank, the new state, the blacklist and
 * a renewed certificate when due come back. The request is marked pending
 * in the Codex (stored) before it leaves, and is sent again, unchanged and
 * under the same request id, until the bank answers it: an answer that was
 * lost, or a failure whose outcome is unknown (a 5xx, a commit that may or
 * may not have happened), leaves it pending (the error is returned); only a
 * refusal the bank made of the request itself (codex_sync_refused_for_good)
 * abandons it. CODEX_BLACKLISTED when the bank renews nothing. After a
 * close the Codex is gone from the wallet; its safe deposit is held at the
 * bank until info->held_until. */
OBOL_MUST_CHECK obol_err codex_wallet_sync(struct obol_wallet *w, struct codex *c, const struct obol_amount *load,
					   bool close, struct codex_wallet_sync_info *info);

/* What is left of a closed or blacklisted Codex back to the account (POST
 * /codex/release): *paid; CODEX_DEPOSIT_HELD (with *held_until) before its
 * time. Needs only the wallet's account, not its Codex. */
OBOL_MUST_CHECK obol_err codex_wallet_release(struct obol_wallet *w, struct obol_amount *paid, int64_t *held_until);

/* How far one call of codex_wallet_blacklist_pages goes, and what it
 * counts: at most max_pages pages (0: to the end), and the pages taken and,
 * with count_bytes, the bytes of their JSON bodies. */
struct codex_blacklist_loop {
	size_t max_pages;
	bool count_bytes;
	size_t pages, bytes;
};

/* Runs a blacklist fetch over c (GET /codex/blacklist/page, page after
 * page, each pinned to the version of the first) to its end, or for at most
 * loop->max_pages pages (loop may be NULL: to the end), so that a caller
 * resumes it later: every page must verify under bank_pk and answer the
 * question asked (codex_blacklist_fetch_take). The caller applies it once
 * f->done. The wallet and the vendor daemon both fetch through it. */
struct obol_http_client;
OBOL_MUST_CHECK obol_err codex_wallet_blacklist_pages(struct obol_http_client *c,
						      const uint8_t bank_pk[static OBOL_SIGN_PK_LEN],
						      struct codex_blacklist_fetch *f, struct codex_blacklist_loop *loop);

/* Fetches the current blacklist (GET /codex/blacklist) into the Codex. */
OBOL_MUST_CHECK obol_err codex_wallet_fetch_blacklist(struct obol_wallet *w, struct codex *c);

/* Pays a vendor daemon over the device link at addr: HELLO → REQUEST (the
 * vendor's certificate and price) → PAY → ACK or REFUSAL. amount NULL pays
 * the price asked; max (NULL: none) is the most the payer agrees to pay,
 * whatever the vendor asks (CODEX_OVER_CAP). The debit is stored before the
 * payment leaves; a missing or bad answer leaves the token pending (settled
 * by the bank at the next sync). A vendor's signed refusal is kept in the
 * log (the bank returns the value at the next sync) and its reason is
 * returned as the error. */
struct codex_wallet_pay {
	const char *addr;
	const struct obol_amount *amount, *max;
};
OBOL_MUST_CHECK obol_err codex_wallet_pay_vendor(struct obol_wallet *w, struct codex *c, const struct codex_wallet_pay *p,
						 struct codex_token *token);

/* Frames in files, for two wallets that meet offline (the same frames as
 * on the device link). */
OBOL_MUST_CHECK obol_err codex_frame_write(const char *path, uint32_t type, const struct obol_fields *body);
OBOL_MUST_CHECK obol_err codex_frame_read(const char *path, uint32_t type, const struct obol_fields *body);
/* The payee's answer to a payment: an acknowledgement or a refusal
 * (*refused tells which body was filled). */
OBOL_MUST_CHECK obol_err codex_frame_read_answer(const char *path, struct codex_msg_ack *ack,
						 struct codex_msg_refusal *ref, bool *refused);

#endif
