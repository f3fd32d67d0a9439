/* The wallet's ecash part (seed 002 §3.2-§3.5, §4, §6): its section of the
 * wallet file and the operations the `obol wallet ecash ...` commands run.
 *
 * Section "ecash" of the wallet document:
 *   {"key": B64 (RSA private key, PKCS#8 DER), "cert": {...}, "bank_key": B64 (DER),
 *    "coins": [...], "claims": [...],           coins held: fresh from the bank, or received
 *    "pending": {"coins", "claims"},            coins handed to a merchant, not yet confirmed
 *    "depositing": {"nonce", "coins", "claims"}, coins sent to the bank, its answer not yet
 *                                               received (resent with the same nonce: idempotent)
 *    "redeeming", "redeeming_nonce": the same for a refund of expired coins
 *    "seen": [B64 serial...],                   as merchant: every serial received (§3.5.1)
 *    "receipts": [{"serial", "nonce", "sigma1", "at"}...],  the rest of the §3.5.1 registry
 *    "revocations": {...}, "directory": {...}}  bank-signed lists, refreshed when online
 * The payment and the receiving side never touch the network. */
#ifndef OBOL_WALLET_ECASH_WALLET_H
#define OBOL_WALLET_ECASH_WALLET_H

#include <jansson.h>
#include <stdio.h>

#include "net/devlink.h"
#include "schemes/ecash/customer.h"
#include "schemes/ecash/messages.h"
#include "wallet/file.h"

struct ecash_wallet {
	struct obol_wallet *w; /* borrowed */
	json_t *sec;           /* borrowed: the "ecash" section */
	EVP_PKEY *sk, *bank_pk;
	bool registered;
	struct ecash_customer cust;
	int64_t account;
	struct ecash_held_coin *coins, *pending, *depositing, *redeeming;
	size_t ncoins, npending, ndepositing, nredeeming;
	uint8_t dep_nonce[ECASH_NONCE_LEN], red_nonce[ECASH_NONCE_LEN];
	struct ecash_revocations rl; /* empty (sig_len 0) until refreshed */
	struct ecash_directory dir;
	char currency[16]; /* obol_wallet_issuer's size */
};

/* Loads the section (any part may be absent: not yet registered). */
OBOL_MUST_CHECK obol_err ecash_wallet_load(struct obol_wallet *w, struct ecash_wallet *ew);
/* Writes coins, pending coins and lists back into the section and saves the
 * wallet file durably. */
OBOL_MUST_CHECK obol_err ecash_wallet_save(struct ecash_wallet *ew);
void ecash_wallet_free(struct ecash_wallet *ew);

/* Puts the coins of an unconfirmed payment back among the spendable ones:
 * for a payment the merchant is known not to have accepted (spending them
 * again after all would be a double spend, named at deposit). */
OBOL_MUST_CHECK obol_err ecash_wallet_release(struct ecash_wallet *ew, FILE *out);

/* Online operations (authenticated as the wallet's account). */
OBOL_MUST_CHECK obol_err ecash_wallet_register(struct ecash_wallet *ew, unsigned bits, FILE *out);
OBOL_MUST_CHECK obol_err ecash_wallet_topup(struct ecash_wallet *ew, const struct obol_amount *values, size_t n,
					    FILE *out);
OBOL_MUST_CHECK obol_err ecash_wallet_refresh(struct ecash_wallet *ew, FILE *out);
/* Deposits the received coins (withdraw_fresh: also returns the fresh ones to
 * our own account, §6.4, claiming them to ourselves first; fresh coins past
 * their expiry are left for ecash_wallet_redeem_expired). A deposit whose
 * answer was lost is sent again first, unchanged. */
OBOL_MUST_CHECK obol_err ecash_wallet_deposit(struct ecash_wallet *ew, bool withdraw_fresh, FILE *out);
/* Redeems the coins held past their expiry (fresh, or received and naming
 * us) to our account through POST /ecash/refund with a bank nonce, so that
 * their value is never lost. A refund whose answer was lost is sent again
 * first, unchanged (the bank's answer to the same nonce is the same). */
OBOL_MUST_CHECK obol_err ecash_wallet_redeem_expired(struct ecash_wallet *ew, FILE *out);

/* Offline: pays the merchant at the other end of the link (ring 0: plain). */
OBOL_MUST_CHECK obol_err ecash_wallet_pay(struct ecash_wallet *ew, struct obol_devlink *l, size_t ring, FILE *out);
/* Offline, as a merchant: answers one payment session on the link. */
OBOL_MUST_CHECK obol_err ecash_wallet_receive(struct ecash_wallet *ew, struct ecash_merchant *m,
					      struct obol_devlink *l, const struct obol_amount *price, FILE *out);
/* Builds our merchant state from the section (id, bank key, cached list,
 * registry of seen serials). */
OBOL_MUST_CHECK obol_err ecash_wallet_merchant(struct ecash_wallet *ew, struct ecash_merchant *m);

/* Sum of the coins held; lists them to out when out != NULL. */
OBOL_MUST_CHECK obol_err ecash_wallet_balance(const struct ecash_wallet *ew, struct obol_amount *sum, FILE *out);

#endif
