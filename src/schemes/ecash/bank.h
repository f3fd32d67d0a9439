/* The bank's side of the ecash scheme (seed 002 §3.2, §3.3.1, §3.3.3, §4.3,
 * §5.3, §5.5, §6.1, §6.2, §6.4). Pure: the issuer shell stores nonces,
 * certificates, issued coins and the spent registry, looks up what a
 * decision needs and passes it in; these functions check, sign and decide,
 * and return what to store. */
#ifndef OBOL_SCHEMES_ECASH_BANK_H
#define OBOL_SCHEMES_ECASH_BANK_H

#include "schemes/ecash/ecash.h"

struct ecash_bank {
	/* The bank's RSA keys with their windows (bank_keys.h): it signs at now
	 * with the key usable at now and verifies under all of them; private
	 * keys unless sign is set. */
	struct ecash_bank_keys keys;
	/* When set, the bank's signatures are made by it, under the key whose
	 * id it is given (the issuer's signing process holds the private keys;
	 * keys then holds public ones only). */
	obol_err (*sign)(void *ctx, const uint8_t key_id[static 32], const uint8_t *msg, size_t len, uint8_t *sig,
			 size_t cap, size_t *sig_len);
	void *sign_ctx;
	struct ecash_policy pol;
	int64_t cert_lifetime; /* seconds a certificate is valid */
	int64_t coin_lifetime; /* seconds a coin is valid */
	/* Seconds a payee has to deposit (or spend on) a payment before its
	 * payer may exchange the coins of it at the bank (a payment whose
	 * receipt never came, ecash_bank_registry). */
	int64_t deposit_window;
	size_t keys_per_account;     /* live keys one account may hold */
	struct obol_amount max_coin; /* largest value of one coin; its currency is the bank's */
};
/* Defaults: one-year certificates, 180-day coins, a 7-day deposit window,
 * ECASH_KEYS_PER_ACCOUNT keys, largest coin 100 units. The policy's
 * transfer_max_age is half the deposit window. */
OBOL_MUST_CHECK obol_err ecash_bank_init(struct ecash_bank *b, EVP_PKEY *sk, const char *currency);
/* The bank's keys are sk alone, with no windows (ecash_bank_keys_one; the
 * bank holds a reference), until this replaces them by *keys (moved: *keys
 * is left empty). ECASH_BANK_KEY_MISSING for an empty set. */
OBOL_MUST_CHECK obol_err ecash_bank_set_keys(struct ecash_bank *b, struct ecash_bank_keys *keys);
/* Releases the bank's keys. */
void ecash_bank_clear(struct ecash_bank *b);
/* Sets the deposit window and the transfer age that follows from it. */
void ecash_bank_set_deposit_window(struct ecash_bank *b, int64_t seconds);

/* ---- registration (§3.2 steps 4-6, §6.1) ---- */

struct ecash_register_in {
	const uint8_t *nonce; /* ECASH_NONCE_LEN: the bank's nonce */
	const uint8_t *key;   /* the offered DER public key */
	size_t key_len;
	const uint8_t *sig; /* the customer's signature over the nonce under key */
	size_t sig_len;
	int64_t account, now;
	size_t live_keys; /* the account's registered keys neither expired nor revoked */
	bool barred;      /* the account was proven to double spend */
};
/* Checks the account may take a key (ECASH_ACCOUNT_BARRED,
 * ECASH_TOO_MANY_KEYS), the key's strength (ECASH_KEY_WEAK), σ over the
 * registration nonce under it (ECASH_NONCE_SIGNATURE), and signs the
 * certificate linking it to the account. Renewal before expiry is the same
 * call for a new key while the old one is live (the shell keeps the old
 * certificate: coins received under it stay depositable). Whether the key is
 * registered already is the shell's lookup. */
OBOL_MUST_CHECK obol_err ecash_bank_register(const struct ecash_bank *b, const struct ecash_register_in *in,
					     struct ecash_cert *out);

/* ---- top-up (§3.3.1 with the nonce step of §5.3, §6.2) ---- */

/* One coin asked for: its value and the owner key the wallet drew for it. */
struct ecash_coin_order {
	struct obol_amount value;
	uint8_t owner[ECASH_OWNER_LEN];
};
/* The digest a top-up's nonce signature covers: the ordered coins. */
void ecash_topup_digest(const struct ecash_coin_order *o, size_t n, uint8_t out[static OBOL_HASH_LEN]);

struct ecash_topup_in {
	const struct ecash_cert *cert;      /* the customer's (registered: the shell's check) */
	const struct ecash_revocations *rl; /* revocations of cert's key, or NULL */
	const uint8_t *nonce;
	const struct ecash_coin_order *orders;
	size_t n;
	const uint8_t *sig;
	size_t sig_len;
	int64_t now;
};
/* Checks the customer's certificate (σ3 at now, rl), its signature over
 * nonce + orders, each value (positive, the bank's currency, at most
 * max_coin), and issues n coins {random serial, value, now, now +
 * coin_lifetime, owner} signed by the bank (σ0). *total is what the shell
 * debits from cert->account. */
OBOL_MUST_CHECK obol_err ecash_bank_topup(const struct ecash_bank *b, const struct ecash_topup_in *in,
					  struct ecash_coin *coins, struct obol_amount *total);
/* Issues one coin of `value` to owner key `owner` at now (σ0). */
OBOL_MUST_CHECK obol_err ecash_bank_issue(const struct ecash_bank *b, const struct obol_amount *value,
					  const uint8_t owner[static ECASH_OWNER_LEN], int64_t now,
					  struct ecash_coin *out);

/* ---- requests that bring coins: deposit, refund, exchange ---- */

enum ecash_entry_kind {
	/* §3.3.3, §5.5: a payee deposits coins whose last claim names it;
	 * §6.4: a customer withdraws coins it claimed to itself. */
	ECASH_ENTRY_DEPOSIT = 0,
	/* §6.4 after expiry: the holder redeems expired coins. */
	ECASH_ENTRY_REFUND = 1,
	/* A holder retires coins for fresh ones: coins it holds, or the coins
	 * of a payment whose receipt never came (`wallet ecash release`),
	 * disclosed with the claim it made, once the payee's deposit window
	 * is over. */
	ECASH_ENTRY_EXCHANGE = 2,
};
/* "deposit", "refund", "exchange": the purpose its nonce answer names. */
const char *ecash_entry_purpose(enum ecash_entry_kind k);

/* What a request asks beyond the coins, covered by its signature. */
struct ecash_coins_terms {
	/* Deposit (§6.4 withdrawal): credit account `to` instead of the
	 * holder's, and/or only `amount` of the coins' value, the rest coming
	 * back as a coin to change_owner. */
	bool has_to;
	int64_t to;
	bool has_amount;
	struct obol_amount amount;
	uint8_t change_owner[ECASH_OWNER_LEN];
	/* Exchange: the owner key of the fresh coin for each coin brought. */
	const uint8_t (*owners)[ECASH_OWNER_LEN];
	size_t nowners;
};
/* The digest a request's nonce signature covers: each coin's serial and the
 * link of its last claim, then the terms present (none: the first version's
 * deposit digest, which queued requests keep verifying under). */
OBOL_MUST_CHECK obol_err ecash_coins_digest(const struct ecash_held_coin *coins, size_t n,
					    const struct ecash_coins_terms *terms, uint8_t out[static OBOL_HASH_LEN]);

struct ecash_coins_in {
	enum ecash_entry_kind kind;
	const struct ecash_cert *holder;    /* the requester's certificate */
	const struct ecash_revocations *rl; /* revocations of the keys involved, or NULL */
	const uint8_t *nonce;
	const struct ecash_held_coin *coins;
	size_t n;
	const struct ecash_coins_terms *terms; /* NULL: none */
	const uint8_t *sig;
	size_t sig_len;
	int64_t now;
};
/* Authenticates a request (§5.5): the count (ECASH_TOO_MANY_COINS), the
 * terms' shape, the requester's certificate (the bank's signature, not
 * revoked at now: an expired one still deposits, its expiry ends what the
 * key signs as a payer, not its holder's claim to its money), and its
 * signature over the kind's purpose, nonce and ecash_coins_digest. */
OBOL_MUST_CHECK obol_err ecash_bank_coins_auth(const struct ecash_bank *b, const struct ecash_coins_in *in);

/* One coin's own checks, outside the bank's transaction: σ0 and the whole
 * chain (rl); its bank key's windows at now (bank_keys.h): a deposit or an
 * exchange while that key accepts (ECASH_BANK_KEY_RETIRED after, then
 * ECASH_BANK_KEY_ENDED), a refund until its legal end
 * (ECASH_BANK_KEY_ENDED); a deposit has a claim (ECASH_WRONG_MERCHANT) not
 * from the future (ECASH_TIMESTAMP_STALE); a refund's coin is past its
 * expiry or its bank key past its acceptance (ECASH_COIN_NOT_EXPIRED). */
OBOL_MUST_CHECK obol_err ecash_bank_coin_verify(const struct ecash_bank *b, enum ecash_entry_kind kind,
						const struct ecash_held_coin *h, const struct ecash_revocations *rl,
						int64_t now);

/* An entry of the bank's spent registry (§3.3.3): who brought the coin,
 * how, and through which chain. */
struct ecash_spent {
	uint8_t depositor[ECASH_ID_LEN]; /* the requester's key */
	int64_t depositor_account;
	int64_t at;
	enum ecash_entry_kind kind;
	/* An exchange of a payment: the requester made the chain's last claim
	 * (its payee never deposited), rather than being named by it. */
	bool disclosed;
	struct ecash_held_coin held;
};

enum ecash_fraud_kind {
	/* Two different claims signed by the same key on the same coin. */
	ECASH_FRAUD_TWO_CLAIMS = 1,
	/* A holder deposited the coin and also spent it on. */
	ECASH_FRAUD_DEPOSITED_AND_SPENT = 2,
	/* Two first claims by different signers or rings, both signed by the
	 * coin's owner key: the wallet it was issued to spent it twice. */
	ECASH_FRAUD_ISSUED_TWICE_SPENT = 3,
	/* The holder redeemed the expired coin and also spent it on. */
	ECASH_FRAUD_REFUNDED_AND_SPENT = 4,
	/* The holder exchanged the coin and also spent it on. */
	ECASH_FRAUD_EXCHANGED_AND_SPENT = 5,
};

/* The evidence of a double spend: the fork of the two claim chains. */
struct ecash_evidence {
	uint8_t serial[ECASH_SERIAL_LEN];
	enum ecash_fraud_kind kind;
	size_t fork;                       /* index of the first claim where the chains differ */
	bool culprit_key_known;
	uint8_t culprit_key[ECASH_ID_LEN]; /* the double spender's key */
	/* The account it signed for; 0 when nothing it signed proves a culprit
	 * (two first claims on a coin issued before owner keys, by signers of
	 * different accounts): the fork is kept, nobody is blamed. */
	int64_t culprit_account;
	uint8_t first_depositor[ECASH_ID_LEN], second_depositor[ECASH_ID_LEN];
	struct ecash_claim first, second; /* the two claims at the fork (second may be empty
					   * when the first chain ends where the other goes on) */
};
void ecash_evidence_clear(struct ecash_evidence *e);

/* What the shell looked up for one verified coin of a request. */
struct ecash_registry_in {
	enum ecash_entry_kind kind;
	const uint8_t *requester; /* ECASH_ID_LEN: the requester's key id */
	int64_t account;          /* the requester's account */
	const struct ecash_held_coin *h;
	int64_t issued_to;        /* the account the bank issued the serial to */
	const uint8_t *issued_key; /* the key whose top-up named the owner key, or NULL */
	/* The account of the key h's last claim names (0: no claim, or a key
	 * the bank does not know). */
	int64_t holder_account;
	const struct ecash_spent *prev; /* the registry entry of the serial, or NULL */
	int64_t now;
};
struct ecash_registry_effect {
	/* OBOL_OK: record the entry and move the value (deposit, refund:
	 * credit; exchange: issue the fresh coin); otherwise the coin's answer
	 * and nothing moves. ECASH_DOUBLE_SPENT comes with ev; when
	 * ev.culprit_account is not 0, every key of it is revoked now and it
	 * registers no more (case of a proven double spender). */
	obol_err result;
	bool disclosed;            /* for the entry to record */
	struct ecash_evidence ev;
};
/* §3.3.3 (and §6.4, the exchange) against the spent registry, for one
 * coin whose own checks passed:
 *   who may bring it: a deposit, the account its last claim names
 *     (ECASH_WRONG_MERCHANT; any key of that account, so coins received
 *     under a renewed key stay depositable); a refund, that account or, for
 *     a coin without claims, the account it was issued to
 *     (ECASH_NOT_HOLDER); an exchange, either of those, or the account that
 *     made the last claim (a payment it discloses), once the deposit window
 *     after that claim has passed (ECASH_EXCHANGE_TOO_EARLY);
 *   no entry: OBOL_OK;
 *   the same chain again: ECASH_ALREADY_DEPOSITED / ECASH_ALREADY_REFUNDED
 *     to the same account (a retry, or a restored backup: nothing twice);
 *     ECASH_COIN_RETIRED for the payee of a payment its payer exchanged
 *     after the window (no one is blamed), ECASH_ALREADY_DEPOSITED for the
 *     payer disclosing a payment its payee has brought (it stands);
 *   another chain: the fork names who signed two ways (ECASH_DOUBLE_SPENT),
 *     whichever came first, and whoever brought the coin to the bank and
 *     also spent it on; a payee that spends on a payment its payer
 *     disclosed and exchanged after the window blames nobody
 *     (ECASH_COIN_RETIRED, or ECASH_ALREADY_DEPOSITED the other way).
 * Time or order of arrival never decides guilt: only signed claims do.
 * Returns an error only when it cannot decide (NO_MEMORY). */
OBOL_MUST_CHECK obol_err ecash_bank_registry(const struct ecash_bank *b, const struct ecash_registry_in *in,
					     struct ecash_registry_effect *out);
void ecash_registry_effect_clear(struct ecash_registry_effect *e);

/* A deposit with terms, after the registry: of the `credited` value of its
 * accepted coins, *pay goes to the target (the amount asked, or all when
 * none was), and the rest, when there is any, comes back as *change (a coin
 * to terms->change_owner; *has_change). ECASH_COIN_VALUE when the rest is
 * above the largest coin. */
OBOL_MUST_CHECK obol_err ecash_bank_withdraw_settle(const struct ecash_bank *b, const struct ecash_coins_terms *terms,
						    const struct obol_amount *credited, int64_t now,
						    struct obol_amount *pay, struct ecash_coin *change,
						    bool *has_change);

/* Compares two chains of the same coin (a registry entry's and a new one):
 * *same when they are the same chain; otherwise ev->fork is the first claim
 * where they differ (or the length of the shorter, when one goes on from
 * the other) and ev->first/second the claims there. Names no culprit. */
OBOL_MUST_CHECK obol_err ecash_fork_find(const struct ecash_held_coin *a, const struct ecash_held_coin *b, bool *same,
					 struct ecash_evidence *ev);

/* Signs a page of the revocation list (rl_pages.h) with the bank's key
 * usable at now, through its signing process when one is set. */
struct ecash_rl_page;
OBOL_MUST_CHECK obol_err ecash_bank_sign_rl_page(const struct ecash_bank *b, int64_t now, struct ecash_rl_page *p);

/* Signs a directory block (with the key usable at its issued time). */
OBOL_MUST_CHECK obol_err ecash_bank_sign_directory(const struct ecash_bank *b, struct ecash_directory *d);

#endif
