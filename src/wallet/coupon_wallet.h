/* The coupon scheme at the wallet, around the pure core
 * (src/schemes/coupon/wallet.h): its section of the wallet file, the
 * withdrawal exchange with the issuer, and a payment session over the device
 * link. Used by `obol wallet withdraw|pay|balance|coins` and by the bench.
 *
 * The wallet file's "coupon" section:
 *   {"keys": <the coupon part of the issuer's verified GET /keys>,
 *    "coins": [{"denom", "id", "prefix", "sig", "seed", "n", "last", "locked_until", "lock_open", "trav"?,
 *               "doubt"?}],
 *    "pending": [{"request_id", "denom", "n", "salt_len", "seed", "coin_id", "prefix", "inv", "prepared", "blinded"}],
 *    "refunds": [{"request_id", "coin_id", "box"}]}
 * A withdrawal is written to "pending" (with the blinding state) before it is
 * sent, and stays there until the issuer's answer is definite, so a lost
 * answer is asked for again with the same request id and the issuer's
 * idempotent answer finishes it: money is never debited for a coin the
 * wallet cannot finish. A refund is written to "refunds" before it is sent,
 * for the same reason. */
#ifndef OBOL_WALLET_COUPON_WALLET_H
#define OBOL_WALLET_COUPON_WALLET_H

#include <stdio.h>

#include "net/devlink.h"
#include "net/http_client.h"
#include "schemes/coupon/keys.h"
#include "schemes/coupon/wallet.h"
#include "wallet/file.h"

struct coupon_wallet_store {
	struct coupon_keys keys;
	struct coupon_wallet_cfg cfg;
	struct coupon_wallet_coin *coins; /* secrets: wiped at free */
	size_t ncoins, cap;
};

/* From keys (the verified inner "keys" object of GET /keys: master_pk, box_pk,
 * and the coupon part). */
OBOL_MUST_CHECK obol_err coupon_wstore_init(struct coupon_wallet_store *ws, const json_t *keys);
void coupon_wstore_free(struct coupon_wallet_store *ws);
OBOL_MUST_CHECK obol_err coupon_wstore_add(struct coupon_wallet_store *ws, const struct coupon_wallet_coin *c);

/* The wallet file's section: load (keys cached at the last withdrawal; with
 * refresh, fetched again from the issuer) and write back (then obol_wallet_save). */
OBOL_MUST_CHECK obol_err coupon_wstore_load(struct obol_wallet *w, bool refresh, struct coupon_wallet_store *ws);
OBOL_MUST_CHECK obol_err coupon_wstore_put(struct obol_wallet *w, const struct coupon_wallet_store *ws);

/* Withdraws one coin of denomination d through an authenticated client:
 * POST /coupon/withdraw {request_id, denom, blinded}, then unblind and
 * verify. The CLI keeps p in the file in between (see above). *definite
 * says whether the outcome settles the request for good: a coin, or a
 * refusal the issuer named in a 4xx for the request itself (nothing was
 * debited for it: an answered request always gets its stored answer). A
 * network failure, a 5xx or 429, an answer that is not the issuer's (a
 * proxy's error page), a refusal of the account (AUTH_FAILED: a clock or a
 * key; LEDGER_ACCOUNT_CLOSED) and an answer that does not finish into a
 * coin are not: the pending withdrawal stays and is asked again. */
OBOL_MUST_CHECK obol_err coupon_withdraw_exchange(struct obol_http_client *c, const struct coupon_denom *d,
						  const char *request_id, const struct coupon_withdraw_req *req,
						  struct coupon_withdraw_pending *p, struct coupon_wallet_coin *coin,
						  bool *definite);

/* A whole payment session over a connected link: BUY what the order says
 * (its limits are the core's: coupon_wallet_order), pay with coins chosen
 * by the core, reveal tokens as asked, until the vendor's RECEIPT. save (may
 * be NULL) is called with ctx before every PAY is sent and at the end, so
 * the file knows a coin may be locked. progress (may be NULL) gets one line
 * per step. */
struct coupon_pay_result {
	uint64_t units;            /* units served */
	size_t coins;              /* coins locked */
	uint64_t tokens;           /* tokens revealed (lock tokens included) */
	bool settled;              /* the vendor settled before its receipt */
	uint64_t resyncs;
	size_t in_doubt;           /* coins an untrusted refusal named, or the session broke off with (`obol wallet sync`) */
};
OBOL_MUST_CHECK obol_err coupon_pay_session(struct obol_devlink *dl, struct coupon_wallet_store *ws,
					    const struct coupon_wallet_order *order, obol_err (*save)(void *ctx),
					    void *ctx, FILE *progress, struct coupon_pay_result *res);

/* Asks the issuer where coin i stands (POST /coupon/coin-status, through any
 * client: the query is authenticated by the coin, not by an account) and
 * brings it in line (coupon_wallet_query_apply), probing windows until one
 * proves the holder. The issuer sees the wallet's address beside the coin
 * id: ask through a network that hides it when that matters. */
OBOL_MUST_CHECK obol_err coupon_coin_sync(struct obol_http_client *c, struct coupon_wallet_store *ws, size_t i,
					  struct coupon_coin_status *st);

/* Refunds coin i's rest to `account` through an authenticated client (POST
 * /coupon/refund, after the denomination's spend-until), resyncing first
 * from a signed refusal when the issuer's index differs. The request is
 * kept in the section's "refunds" (save called) before it is sent, and
 * sent again with the same id until answered. */
OBOL_MUST_CHECK obol_err coupon_coin_refund(struct obol_http_client *c, struct obol_wallet *w,
					    struct coupon_wallet_store *ws, size_t i, uint64_t account,
					    struct coupon_refund_reply *reply);

#endif
