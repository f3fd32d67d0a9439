/* The wallet's ecash part (seed 002 §3.2-§3.5, §4, §6): its section of the
 * wallet file and the operations the `obol wallet ecash ...` commands run.
 *
 * Section "ecash" of the wallet document:
 *   {"key": B64 (RSA private key, PKCS#8 DER), "cert": {...}, "bank_key": B64 (DER),
 *    "bank_keys": [{"key": B64 (DER), "valid_from", "use_until", "accept_until", "legal_end"}],
 *                                               the bank keys the master announced (GET /keys,
 *                                               bank_keys.h), fetched before each request that
 *                                               moves value and on refresh; without it (an older
 *                                               file), "bank_key" alone with no windows
 *    "retired": [B64 key id...],                keys renewed away from: coins naming them stay ours
 *    "deposit_window": seconds,                 the bank's (GET /keys): how old a received coin
 *                                               merchants still take on
 *    "held": {"coins", "claims"},               coins held: fresh from the bank, or received
 *    "owner_keys": {B64 owner pk: B64 secret},  the owner key of each fresh coin (and of coins
 *                                               asked for and not yet received)
 *    "unconfirmed": {"coins", "claims"},        coins of payments whose signatures left without a
 *                                               receipt, each with the claim we made: the merchant
 *                                               may hold them ('wallet ecash release')
 *    "pending": {"coins", "claims"},            coins handed over by a version before the
 *                                               two-message payment (kept, listed)
 *    "in_doubt": {"path", "body"},              a request to the bank whose answer was lost: the
 *                                               exact body, sent again with the same nonce (the
 *                                               bank answers it as the first time)
 *    "seen": [B64 serial...],                   as merchant: every serial received (§3.5.1)
 *    "receipts": [{"serial", "nonce", "sigma1", "at"}...],  the rest of the §3.5.1 registry
 *    "revocations": {...}, "directory": {...}}  the bank's lists, refreshed when online
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
	EVP_PKEY *sk;
	/* The bank keys known (bank_keys.h), from the issuer's GET /keys (kept
	 * in the file as "bank_keys"; an older file's "bank_key" alone). */
	struct ecash_bank_keys bank;
	bool registered;
	struct ecash_customer cust;
	int64_t account;
	struct ecash_held_coin *coins, *unconfirmed, *pending;
	size_t ncoins, nunconfirmed, npending;
	struct ecash_revocations rl; /* empty (sig_len 0) until refreshed */
	struct ecash_directory dir;
	char currency[16]; /* obol_wallet_issuer's size */
};

/* Loads the section (any part may be absent: not yet registered). Cached
 * lists a newer version no longer reads are dropped (refresh fetches them). */
OBOL_MUST_CHECK obol_err ecash_wallet_load(struct obol_wallet *w, struct ecash_wallet *ew);
/* Writes coins and lists back into the section and saves the wallet file
 * durably. */
OBOL_MUST_CHECK obol_err ecash_wallet_save(struct ecash_wallet *ew);
void ecash_wallet_free(struct ecash_wallet *ew);

/* Online operations (authenticated as the wallet's account). Each first
 * sends again a request whose answer was lost (in_doubt), and stops there. */
OBOL_MUST_CHECK obol_err ecash_wallet_register(struct ecash_wallet *ew, unsigned bits, FILE *out);
/* Case 10: a new key certified for the same account before the old one
 * expires; coins naming the old one stay depositable and refundable. */
OBOL_MUST_CHECK obol_err ecash_wallet_renew(struct ecash_wallet *ew, unsigned bits, FILE *out);
/* Renewal by the wallet itself: a certificate is due from a tenth of its
 * life before its end (at most ECASH_WALLET_RENEW_MARGIN_MAX_S), and after
 * it. ecash_wallet_renew_if_due renews a registered wallet's key when due
 * (a key of the same size), saying so to out; the commands that go online
 * call it first. A refusal of the bank is said to out and not returned: the
 * command goes on with the current key (the next online command tries
 * again); NETWORK is returned. */
#define ECASH_WALLET_RENEW_MARGIN_MAX_S (30 * INT64_C(86400))
bool ecash_wallet_renewal_due(const struct ecash_cert *cert, int64_t now);
OBOL_MUST_CHECK obol_err ecash_wallet_renew_if_due(struct ecash_wallet *ew, int64_t now, FILE *out);
OBOL_MUST_CHECK obol_err ecash_wallet_topup(struct ecash_wallet *ew, const struct obol_amount *values, size_t n,
					    FILE *out);
/* Fetches the bank's revocation list and our directory block (out NULL:
 * prints nothing). */
OBOL_MUST_CHECK obol_err ecash_wallet_refresh(struct ecash_wallet *ew, FILE *out);

/* A deposit of the coins the wallet holds. */
struct ecash_deposit_opts {
	bool fresh;                /* withdraw (§6.4): also the fresh coins, claimed to ourselves */
	bool has_amount;           /* withdraw this much (the rest comes back as a coin) */
	struct obol_amount amount;
	bool has_to;               /* to this account instead of ours */
	int64_t to;
};
/* Deposits the received coins (as merchant), or withdraws (o->fresh) the
 * coins to an account. Fresh coins past their expiry are left for
 * ecash_wallet_redeem_expired. */
OBOL_MUST_CHECK obol_err ecash_wallet_deposit(struct ecash_wallet *ew, const struct ecash_deposit_opts *o, FILE *out);
/* Redeems the coins held past their expiry (fresh, or received and naming
 * us) to our account through POST /ecash/refund with a bank nonce. */
OBOL_MUST_CHECK obol_err ecash_wallet_redeem_expired(struct ecash_wallet *ew, FILE *out);
/* Exchanges at the bank the coins of payments left without a receipt
 * (unconfirmed) for fresh ones: a coin its merchant deposited stays his, one
 * it did not comes back new once the bank's deposit window after the
 * payment is over (ECASH_EXCHANGE_TOO_EARLY before: they stay unconfirmed). */
OBOL_MUST_CHECK obol_err ecash_wallet_release(struct ecash_wallet *ew, FILE *out);

/* Offline: pays the merchant at the other end of the link (ring 0: plain),
 * handing over at most *cap (NULL: no cap) nor more than the payer's cap on
 * the link (src/wallet/payer.h). */
OBOL_MUST_CHECK obol_err ecash_wallet_pay(struct ecash_wallet *ew, struct obol_devlink *l, size_t ring,
					  const struct obol_amount *cap, FILE *out);
/* Offline, as a merchant: answers one payment session on the link. */
OBOL_MUST_CHECK obol_err ecash_wallet_receive(struct ecash_wallet *ew, struct ecash_merchant *m,
					      struct obol_devlink *l, const struct obol_amount *price, FILE *out);
/* Builds our merchant state from the section (key, certificate, bank key,
 * cached list, registry of seen serials). */
OBOL_MUST_CHECK obol_err ecash_wallet_merchant(struct ecash_wallet *ew, struct ecash_merchant *m);

/* Sum of the coins held; lists them to out when out != NULL. */
OBOL_MUST_CHECK obol_err ecash_wallet_balance(const struct ecash_wallet *ew, struct obol_amount *sum, FILE *out);

#endif
