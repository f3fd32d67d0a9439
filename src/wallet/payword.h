/* The wallet's payword section and its conversations (seed 003 §3.5: the
 * user module, the applet).
 *
 * Section "payword" of the wallet file (src/wallet/file.h):
 *   {"username": NAME,
 *    "certs": {SCOPE: B64},              one per scope: "0" (generic) or a
 *                                        specific vendor's id; B64 is the
 *                                        certificate state sealed under the
 *                                        user's payword password
 *                                        (payword_wallet_seal, seed §3.1)
 *    "pending_buy": {"request_id", "tokens", "scope", "position"?}
 *                                        a token purchase not yet answered,
 *                                        with the signed position it sends
 *    "purchases": [{"vendor", "product", "auth", "serial", "time"}]
 *                                        the last PAYWORD_PURCHASES_KEPT
 *                                        authorisation numbers, so a product
 *                                        can be fetched again}
 * The user's signing key (for ranges, positions and product requests) is
 * the wallet's account key: the operator opens the account for it
 * (`obol issuer account add --auth-key`), and every request to the agent is
 * signed with it. The password comes from OBOL_PAYWORD_PASSWORD. */
#ifndef OBOL_WALLET_PAYWORD_H
#define OBOL_WALLET_PAYWORD_H

#include <stdbool.h>
#include <stdint.h>

#include "schemes/payword/wallet.h"
#include "wallet/file.h"

#define PAYWORD_PASSWORD_ENV "OBOL_PAYWORD_PASSWORD"
#define PAYWORD_PURCHASES_KEPT 64

/* The password from the environment (PASSPHRASE_MISSING when unset). */
OBOL_MUST_CHECK obol_err payword_wallet_password(const char **out);

/* Registers the wallet's user at the agent for the wallet's account (the
 * operator opened it for the wallet's key: NOT_FOUND until then) and
 * records the user name. */
OBOL_MUST_CHECK obol_err payword_wallet_register(struct obol_wallet *w, const char *username, const char *password,
						 int64_t *account);

/* Loads / stores the certificate state of a scope (PAYWORD_NO_CERT when none). */
OBOL_MUST_CHECK obol_err payword_wallet_load(struct obol_wallet *w, uint64_t scope, const char *password,
					     struct payword_wallet_cert *out);
OBOL_MUST_CHECK obol_err payword_wallet_store(struct obol_wallet *w, uint64_t scope, const char *password,
					      const struct payword_wallet_cert *c);
OBOL_MUST_CHECK obol_err payword_wallet_forget(struct obol_wallet *w, uint64_t scope);

struct payword_buy_outcome {
	uint64_t serial, first_order, n; /* serial 0: no new certificate yet (see held) */
	int64_t carried;
	char cost[OBOL_AMOUNT_STR_MAX];
	uint64_t held;                    /* tokens of ended certificates waiting for late reports */
	int64_t held_until;
};

/* Steps A-D: buys `tokens` tokens for a scope (0 for a pure regeneration);
 * lost = the wallet lost its certificate (no position is told: every
 * unreported token waits the agent's grace). The request, with the signed
 * position, is recorded in the wallet before it is sent, so a crash or a
 * lost reply is resumed with the same request; until it is answered the
 * wallet spends nothing from that scope's chain. Downloads and checks the
 * new user certificate and stores it. */
/* The body of the recorded (pending) purchase request with the password,
 * as it goes to the agent (NOT_FOUND without one). Every copy of one
 * request must be the same bytes: the agent keys it by request_id and
 * refuses the same id with another body (IDEMPOTENCY_MISMATCH). */
OBOL_MUST_CHECK obol_err payword_wallet_buy_body(struct obol_wallet *w, const char *password, json_t **out);

OBOL_MUST_CHECK obol_err payword_wallet_buy_tokens(struct obol_wallet *w, const char *password, uint64_t scope,
						   uint64_t tokens, bool lost, struct payword_buy_outcome *out);

/* One purchase as the caller asks it. */
struct payword_purchase_req {
	const char *addr;                     /* the vendor's device link */
	const char *product;
	const struct obol_amount *max_amount; /* the most it may cost; NULL: the price the vendor tells */
	unsigned retries;                     /* sends of a purchase whose reply was lost */
};

struct payword_purchase {
	uint64_t vendor_id;
	char mode[16];
	struct obol_amount price;
	int64_t auth;     /* > 0 when paid */
	obol_err refused; /* the vendor's reason with auth -1 */
	uint64_t unspent;
	struct obol_amount token_value;
	bool renewed;     /* the certificate was regenerated first (payword_wallet_renewal_due) */
};

/* Renewal by the wallet itself: a user certificate is due from a tenth of
 * its life before its end (at most PAYWORD_WALLET_RENEW_MARGIN_MAX_S), and
 * after it. A purchase (which goes online) first regenerates a due
 * certificate that holds unspent tokens: they move to a new certificate
 * (payword_wallet_buy_tokens with 0 tokens) and the purchase spends from it.
 * An expired certificate's unspent value is never lost: `wallet payword
 * regenerate` moves it the same way. */
#define PAYWORD_WALLET_RENEW_MARGIN_MAX_S (30 * INT64_C(86400))
bool payword_wallet_renewal_due(const struct payword_vcert *vc, int64_t now);

/* One purchase on a fresh device link at addr: sends the PAY frame and
 * reads the vendor's reply (auth > 0, or PAYWORD_AUTH_NONE with its reason in
 * err). Transport errors are returned as such (NETWORK, DEVLINK_CLOSED,
 * WIRE_TRUNCATED, DEVLINK_BUSY) so the caller can send it again. */
OBOL_MUST_CHECK obol_err payword_wallet_pay_link(const char *addr, const uint8_t issuer_pk[32],
						 const struct payword_pay *req, struct payword_pay_reply *r);

/* Steps 1-7 over the device link: asks the vendor who it is and the
 * product's price, pays with the certificate of the right scope (never more
 * than max_amount: PAYWORD_PRICE_ABOVE_MAX; never while a token purchase of
 * that scope is pending: PAYWORD_BUY_PENDING), keeps the outcome and the
 * authorisation number. A purchase whose reply was lost is sent again as is
 * (up to `retries` times); after that its tokens are in doubt. A
 * certificate due for renewal is regenerated first (out->renewed). */
OBOL_MUST_CHECK obol_err payword_wallet_purchase(struct obol_wallet *w, const char *password,
						 const struct payword_purchase_req *req, struct payword_purchase *out);

/* Step 8: fetches a product bought here from the vendor's product page at
 * http_url, with the authorisation number kept for it (auth 0: the latest
 * purchase of that product), signed with the wallet's key. *body is
 * malloc'ed. PAYWORD_AUTH_INVALID when the wallet kept no such purchase. */
OBOL_MUST_CHECK obol_err payword_wallet_fetch(struct obol_wallet *w, const char *http_url, const char *product,
					      int64_t auth, char **body, size_t *len);

#endif
