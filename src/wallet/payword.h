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
 *    "pending_buy": {"request_id", "tokens", "scope", "pos"?}}   a token
 *                                        purchase not yet answered
 * The user's signing key (for visit commitments) is the wallet's account
 * key. The password comes from OBOL_PAYWORD_PASSWORD. */
#ifndef OBOL_WALLET_PAYWORD_H
#define OBOL_WALLET_PAYWORD_H

#include <stdbool.h>
#include <stdint.h>

#include "schemes/payword/wallet.h"
#include "wallet/file.h"

#define PAYWORD_PASSWORD_ENV "OBOL_PAYWORD_PASSWORD"

/* The password from the environment (PASSPHRASE_MISSING when unset). */
OBOL_MUST_CHECK obol_err payword_wallet_password(const char **out);

/* Registers the wallet's user at the agent (drawing an account key when the
 * wallet has none) and records the user name. */
OBOL_MUST_CHECK obol_err payword_wallet_register(struct obol_wallet *w, const char *username, const char *password,
						 int64_t *account);

/* Loads / stores the certificate state of a scope (NOT_FOUND when none). */
OBOL_MUST_CHECK obol_err payword_wallet_load(struct obol_wallet *w, uint64_t scope, const char *password,
					     struct payword_wallet_cert *out);
OBOL_MUST_CHECK obol_err payword_wallet_store(struct obol_wallet *w, uint64_t scope, const char *password,
					      const struct payword_wallet_cert *c);
OBOL_MUST_CHECK obol_err payword_wallet_forget(struct obol_wallet *w, uint64_t scope);

struct payword_buy_outcome {
	uint64_t serial, first_order, n;
	int64_t carried;
	char cost[OBOL_AMOUNT_STR_MAX];
};

/* Steps A-D: buys `tokens` tokens for a scope (0 for a pure regeneration);
 * lost = the wallet lost its certificate (no position is told). The request
 * is recorded in the wallet before it is sent, so a crash or a lost reply
 * is resumed with the same request id. Downloads and checks the new user
 * certificate and stores it. */
OBOL_MUST_CHECK obol_err payword_wallet_buy_tokens(struct obol_wallet *w, const char *password, uint64_t scope,
						   uint64_t tokens, bool lost, struct payword_buy_outcome *out);

struct payword_purchase {
	uint64_t vendor_id;
	char mode[16];
	struct obol_amount price;
	int64_t auth;     /* > 0 when paid */
	obol_err refused; /* the vendor's reason with auth -1 */
	uint64_t unspent;
	struct obol_amount token_value;
};

/* One purchase on a fresh device link at addr: sends the PAY frame and
 * reads the vendor's reply (auth > 0, or PAYWORD_AUTH_NONE with its reason in
 * err). Transport errors are returned as such (NETWORK, DEVLINK_CLOSED,
 * WIRE_TRUNCATED, DEVLINK_BUSY) so the caller can send it again. */
OBOL_MUST_CHECK obol_err payword_wallet_pay_link(const char *addr, const uint8_t issuer_pk[32],
						 const struct payword_pay *req, struct payword_pay_reply *r);

/* Steps 1-8 over the device link at addr: asks the vendor who it is and the
 * product's price, pays with the certificate of the right scope, keeps the
 * outcome. A purchase whose reply was lost is sent again as is (up to
 * `retries` times); after that its tokens are in doubt. */
OBOL_MUST_CHECK obol_err payword_wallet_purchase(struct obol_wallet *w, const char *password, const char *addr,
						 const char *product, unsigned retries, struct payword_purchase *out);

#endif
