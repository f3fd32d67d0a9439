/* payword user module (seed 003 §3.5 "purchase transaction", the applet),
 * pure: holds one user certificate and where the user is in its chain,
 * builds purchases, and records their outcome.
 *
 * Every purchase carries a range signed with the user's key: the orders it
 * pays (from the wallet's next unspent order up to the last token sent) and
 * the vendor it pays them to (DESIGN §7). The wallet never signs two ranges
 * that share an order, and never signs a range for more than the price the
 * caller accepted, capped by the most the caller allows.
 *
 * Atomicity (seed §4; DESIGN §7). A purchase stays pending until its reply.
 * With no reply the wallet sends the very same request again (the vendor
 * answers a retry with the same authorisation number). When it gives up, or
 * when the vendor answers -1, the tokens it sent are in doubt: the vendor
 * holds their signed range, so they are skipped and never offered again
 * (the seed keeps a refused token "as new"; obol cannot, since the range is
 * signed), and their value returns at a regeneration after the agent's
 * grace unless a vendor reports them.
 *
 * The state holds the chain seed and is kept sealed under a key derived
 * from the user's password (seed §3.1 user fraud; crypto/seal.h). */
#ifndef OBOL_SCHEMES_PAYWORD_WALLET_H
#define OBOL_SCHEMES_PAYWORD_WALLET_H

#include "crypto/seal.h"
#include "schemes/payword/messages.h"

struct payword_wallet_cert {
	struct payword_ucert uc;  /* secret: holds the seed */
	uint64_t next;            /* no range the wallet signed reaches it, but the pending one (next..req.order) */
	uint64_t in_doubt;        /* tokens skipped as in doubt (value returns at regeneration) */
	bool pending;             /* a purchase awaits its reply */
	struct payword_pay req;   /* that purchase, sent again as is on retry */
};

/* Step D at the wallet: checks the agent's signature, that the seed hashes
 * to the signed root in n steps, and that the certificate names this user
 * and key. The cursor starts at the chain's first order. */
OBOL_MUST_CHECK obol_err payword_wallet_accept(const uint8_t *ucert, size_t len,
					       const uint8_t agent_pk[static OBOL_SIGN_PK_LEN], const char *username,
					       const uint8_t user_pk[static OBOL_SIGN_PK_LEN],
					       struct payword_wallet_cert *out);

/* Unspent tokens: those of the chain no range the wallet signed reaches.
 * A pending purchase's tokens are not among them: its range went (or is
 * about to go) to its vendor, which may sell and report them, and the
 * wallet never offers them again (sent again as they were, they get the
 * same answer; given up, they are in doubt). */
uint64_t payword_wallet_unspent(const struct payword_wallet_cert *w);

/* One purchase, as the caller asks it. */
struct payword_wallet_pay_req {
	uint64_t vendor_id;             /* the vendor's id at the agent */
	struct obol_amount value;       /* the vendor's price for the product */
	struct obol_amount max_amount;  /* the most this payment may cost (P2) */
	const char *product;
	int64_t now;
};

/* Builds a purchase: the next tokens (value / token value of them), their
 * last token and order number, the vendor certificate, serial, user name,
 * product and value, and the range of those orders at this vendor signed
 * with user_sk. Marks the purchase pending. Errors, before anything is
 * signed: PAYWORD_IN_DOUBT (one is pending), PAYWORD_PRICE_ABOVE_MAX (value
 * above max_amount), PAYWORD_VALUE_MISMATCH, PAYWORD_TOKEN_VALUE,
 * PAYWORD_TOKENS_LOW, PAYWORD_CERT_EXPIRED. */
OBOL_MUST_CHECK obol_err payword_wallet_pay(struct payword_wallet_cert *w,
					    const uint8_t user_sk[static OBOL_SIGN_SK_LEN],
					    const struct payword_wallet_pay_req *r, struct payword_pay *out);

/* The vendor's reply to the pending purchase: an authorisation number spends
 * the tokens; -1 skips them as in doubt and returns the vendor's error. */
OBOL_MUST_CHECK obol_err payword_wallet_reply(struct payword_wallet_cert *w, const struct payword_pay_reply *r);

/* No reply and no more retries: the pending tokens are in doubt. */
void payword_wallet_give_up(struct payword_wallet_cert *w);

/* Whether the agent's answer e to a token purchase (POST /payword/buy)
 * refused it for good, so the wallet may forget the request: a 4xx other
 * than "later" (429, 408), a clash to retry (STORE_CONFLICT) or a reused request id
 * (IDEMPOTENCY_MISMATCH, a copy did arrive), the agent's checks having
 * rolled the request back. Any other answer leaves the outcome unknown: a
 * 5xx (a database error may come from a COMMIT that stood), a lost reply, a
 * busy agent. The request then stays pending and is resent byte for byte,
 * and its resend gets the stored answer (THREATS.md P3): forgetting an
 * applied purchase would leave the wallet on the certificate the agent
 * ended, every later position refused PAYWORD_POSITION_INVALID. */
bool payword_wallet_buy_refused_for_good(obol_err e);

/* The signed position sent with a token purchase that supersedes this
 * certificate (messages.h): the pending purchase, if any, is given up first,
 * so no range the wallet signed reaches `next`. */
void payword_wallet_position(struct payword_wallet_cert *w, const uint8_t user_sk[static OBOL_SIGN_SK_LEN],
			     struct payword_position *out);

/* State <-> sealed bytes under the password (Argon2id; opslimit/memlimit 0
 * for the defaults of crypto/seal.h). *out is malloc'ed. A state written
 * before signed ranges (version 1) opens with its pending purchase in
 * doubt. */
OBOL_MUST_CHECK obol_err payword_wallet_seal(const struct payword_wallet_cert *w, const char *password,
					     uint32_t opslimit, uint32_t memlimit_kib, uint8_t **out, size_t *out_len);
OBOL_MUST_CHECK obol_err payword_wallet_open(const uint8_t *sealed, size_t len, const char *password,
					     struct payword_wallet_cert *w);

void payword_wallet_wipe(struct payword_wallet_cert *w);

#endif
