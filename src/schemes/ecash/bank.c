/* The bank: registration, top-up, deposit with double-spend evidence,
 * signed lists. See bank.h; seed 002 §3.2-§3.5, §4.3, §5.3, §5.5, §6. */
#include "schemes/ecash/bank.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"

#define DAY INT64_C(86400)

obol_err ecash_bank_init(struct ecash_bank *b, EVP_PKEY *sk, const char *currency)
{
	memset(b, 0, sizeof(*b));
	b->sk = sk;
	ecash_policy_default(&b->pol);
	b->cert_lifetime = 365 * DAY;
	b->coin_lifetime = 180 * DAY;
	obol_err err = obol_amount_zero(currency, &b->max_coin);
	if (err != OBOL_OK)
		return err;
	return obol_amount_from_units(currency, 100 * OBOL_AMOUNT_FRAC_BASE, &b->max_coin);
}

obol_err ecash_bank_register(const struct ecash_bank *b, const uint8_t nonce[static ECASH_NONCE_LEN],
			     const uint8_t *key_der, size_t key_len, const uint8_t *sig, size_t sig_len,
			     int64_t account, int64_t now, struct ecash_cert *out)
{
	EVP_PKEY *k = NULL;
	struct ecash_bytes msg = { 0 }, cb = { 0 };
	struct ecash_cert c = { 0 };
	obol_err err = ecash_key_parse(key_der, key_len, b->pol.min_key_bits, &k);
	if (err != OBOL_OK)
		goto out;
	/* Step 5: verify(pk_C, n, σ) — the customer holds the key, and it is fresh. */
	err = ecash_bank_nonce_bytes("register", nonce, NULL, &msg);
	if (err != OBOL_OK)
		goto out;
	err = obol_rsapss_verify(k, msg.p, msg.len, sig, sig_len);
	if (err == OBOL_E_SIGNATURE_INVALID)
		err = OBOL_E_ECASH_NONCE_SIGNATURE;
	if (err != OBOL_OK)
		goto out;
	/* Step 6: σ = sign_B(pk_C), with the account link and validity. */
	memcpy(c.key, key_der, key_len);
	c.key_len = key_len;
	c.account = account;
	c.issued = now;
	c.expiry = now + b->cert_lifetime;
	err = ecash_cert_bytes(&c, &cb);
	if (err != OBOL_OK)
		goto out;
	err = ecash_sign_bytes(b->sk, &cb, c.sig, &c.sig_len);
	if (err != OBOL_OK)
		goto out;
	*out = c;
out:
	ecash_bytes_free(&msg);
	ecash_bytes_free(&cb);
	EVP_PKEY_free(k);
	return err;
}

void ecash_topup_digest(const struct obol_amount *values, size_t n, uint8_t out[static OBOL_HASH_LEN])
{
	char v[ECASH_COINS_MAX][OBOL_AMOUNT_STR_MAX];
	struct obol_hash_part parts[ECASH_COINS_MAX + 1];
	size_t k = 0;
	parts[k++] = (struct obol_hash_part){ "obol-ecash-topup-v1", 19 };
	for (size_t i = 0; i < n && i < ECASH_COINS_MAX; i++) {
		obol_amount_format(&values[i], v[i]);
		parts[k++] = (struct obol_hash_part){ v[i], strlen(v[i]) };
	}
	obol_sha256_parts(out, parts, k);
}

/* A coin value the bank issues: positive, its currency, at most max_coin. */
static obol_err value_ok(const struct ecash_bank *b, const struct obol_amount *v)
{
	int cmp;
	if (!obol_amount_same_currency(v, &b->max_coin))
		return OBOL_E_ECASH_CURRENCY;
	if (obol_amount_is_zero(v) || obol_amount_is_negative(v))
		return OBOL_E_ECASH_COIN_VALUE;
	if (obol_amount_cmp(v, &b->max_coin, &cmp) != OBOL_OK || cmp > 0)
		return OBOL_E_ECASH_COIN_VALUE;
	return OBOL_OK;
}

/* Verifies a signature of the holder of cert over a bank nonce. */
static obol_err nonce_proof_verify(const struct ecash_cert *cert, const char *purpose,
				   const uint8_t nonce[static ECASH_NONCE_LEN], const uint8_t *digest,
				   const uint8_t *sig, size_t sig_len)
{
	struct ecash_bytes msg;
	obol_err err = ecash_bank_nonce_bytes(purpose, nonce, digest, &msg);
	if (err != OBOL_OK)
		return err;
	err = ecash_group_verify(cert, 1, &msg, sig, sig_len, OBOL_E_ECASH_NONCE_SIGNATURE);
	ecash_bytes_free(&msg);
	return err;
}

obol_err ecash_bank_topup(const struct ecash_bank *b, const struct ecash_cert *cert,
			  const struct ecash_revocations *rl, const uint8_t nonce[static ECASH_NONCE_LEN],
			  const struct obol_amount *values, size_t n, const uint8_t *sig, size_t sig_len, int64_t now,
			  struct ecash_coin *coins, struct obol_amount *total)
{
	uint8_t dg[OBOL_HASH_LEN];
	struct obol_amount sum;
	obol_err err;

	if (n == 0 || n > ECASH_COINS_MAX)
		return OBOL_E_ECASH_TOO_MANY_COINS;
	err = ecash_cert_verify(b->sk, cert, rl, &b->pol, now);
	if (err != OBOL_OK)
		return err;
	ecash_topup_digest(values, n, dg);
	err = nonce_proof_verify(cert, "topup", nonce, dg, sig, sig_len);
	if (err != OBOL_OK)
		return err;
	err = obol_amount_zero(b->max_coin.currency, &sum);
	for (size_t i = 0; i < n && err == OBOL_OK; i++) {
		err = value_ok(b, &values[i]);
		if (err == OBOL_OK)
			err = obol_amount_add(&sum, &sum, &values[i]);
	}
	if (err != OBOL_OK)
		return err;
	/* §3.3.1 step 2: m = {unique serial, value, date, expiry}, σ0 = sign_B(m). */
	for (size_t i = 0; i < n; i++) {
		struct ecash_coin *c = &coins[i];
		struct ecash_bytes cb;
		memset(c, 0, sizeof(*c));
		obol_random(c->serial, ECASH_SERIAL_LEN);
		c->value = values[i];
		c->issued = now;
		c->expiry = now + b->coin_lifetime;
		err = ecash_coin_bytes(c, &cb);
		if (err != OBOL_OK)
			return err;
		err = ecash_sign_bytes(b->sk, &cb, c->sig, &c->sig_len);
		ecash_bytes_free(&cb);
		if (err != OBOL_OK)
			return err;
	}
	*total = sum;
	return OBOL_OK;
}

obol_err ecash_deposit_digest(const struct ecash_held_coin *coins, size_t n, uint8_t out[static OBOL_HASH_LEN])
{
	struct ecash_bytes b = { 0 };
	uint8_t link[OBOL_HASH_LEN];
	ecash_bytes_label(&b, "obol-ecash-deposit-v1");
	for (size_t i = 0; i < n; i++) {
		memset(link, 0, sizeof(link));
		for (size_t j = 0; j < coins[i].nchain; j++) {
			obol_err err = ecash_claim_digest(&coins[i].coin, &coins[i].chain[j], link, link);
			if (err != OBOL_OK) {
				ecash_bytes_free(&b);
				return err;
			}
		}
		ecash_bytes_put(&b, coins[i].coin.serial, ECASH_SERIAL_LEN);
		ecash_bytes_put(&b, link, sizeof(link));
	}
	if (b.failed) {
		ecash_bytes_free(&b);
		return OBOL_E_NO_MEMORY;
	}
	obol_sha256(out, b.p, b.len);
	ecash_bytes_free(&b);
	return OBOL_OK;
}

/* A holder's answer to a nonce over the coins it brings (deposit, refund). */
static obol_err coins_auth(const struct ecash_bank *b, const char *purpose, const struct ecash_cert *holder,
			   const struct ecash_revocations *rl, const uint8_t nonce[static ECASH_NONCE_LEN],
			   const struct ecash_held_coin *coins, size_t n, const uint8_t *sig, size_t sig_len, int64_t now)
{
	uint8_t dg[OBOL_HASH_LEN];
	obol_err err;
	if (n == 0 || n > ECASH_COINS_MAX)
		return OBOL_E_ECASH_TOO_MANY_COINS;
	err = ecash_cert_verify(b->sk, holder, rl, &b->pol, now);
	if (err != OBOL_OK)
		return err;
	err = ecash_deposit_digest(coins, n, dg);
	if (err != OBOL_OK)
		return err;
	return nonce_proof_verify(holder, purpose, nonce, dg, sig, sig_len);
}

obol_err ecash_bank_deposit_auth(const struct ecash_bank *b, const struct ecash_cert *depositor,
				 const struct ecash_revocations *rl, const uint8_t nonce[static ECASH_NONCE_LEN],
				 const struct ecash_held_coin *coins, size_t n, const uint8_t *sig, size_t sig_len,
				 int64_t now)
{
	return coins_auth(b, "deposit", depositor, rl, nonce, coins, n, sig, sig_len, now);
}

obol_err ecash_bank_refund_auth(const struct ecash_bank *b, const struct ecash_cert *holder,
				const struct ecash_revocations *rl, const uint8_t nonce[static ECASH_NONCE_LEN],
				const struct ecash_held_coin *coins, size_t n, const uint8_t *sig, size_t sig_len,
				int64_t now)
{
	return coins_auth(b, "refund", holder, rl, nonce, coins, n, sig, sig_len, now);
}

void ecash_evidence_clear(struct ecash_evidence *e)
{
	ecash_claim_clear(&e->first);
	ecash_claim_clear(&e->second);
	memset(e, 0, sizeof(*e));
}

/* The payee of the last claim: who may deposit the coin. */
static const uint8_t *holder_of(const struct ecash_held_coin *h)
{
	return h->nchain ? h->chain[h->nchain - 1].payee : NULL;
}

obol_err ecash_fork_analyse(const struct ecash_held_coin *a, const struct ecash_held_coin *b, int64_t issued_to,
			    struct ecash_evidence *ev)
{
	uint8_t la[OBOL_HASH_LEN] = { 0 }, lb[OBOL_HASH_LEN] = { 0 };
	size_t i = 0, min = a->nchain < b->nchain ? a->nchain : b->nchain;
	obol_err err;

	memset(ev, 0, sizeof(*ev));
	memcpy(ev->serial, a->coin.serial, ECASH_SERIAL_LEN);
	/* The fork: the first claim whose link digests differ. */
	for (; i < min; i++) {
		err = ecash_claim_digest(&a->coin, &a->chain[i], la, la);
		if (err == OBOL_OK)
			err = ecash_claim_digest(&b->coin, &b->chain[i], lb, lb);
		if (err != OBOL_OK)
			return err;
		if (memcmp(la, lb, OBOL_HASH_LEN) != 0)
			break;
	}
	ev->fork = i;
	if (holder_of(a))
		memcpy(ev->first_depositor, holder_of(a), ECASH_ID_LEN);
	if (holder_of(b))
		memcpy(ev->second_depositor, holder_of(b), ECASH_ID_LEN);
	if (i < min) {
		const struct ecash_claim *ca = &a->chain[i], *cb = &b->chain[i];
		err = ecash_claim_copy(&ev->first, ca);
		if (err == OBOL_OK)
			err = ecash_claim_copy(&ev->second, cb);
		if (err != OBOL_OK)
			goto fail;
		if (ca->ncerts == 1 && cb->ncerts == 1 && ecash_claim_same_signers(ca, cb)) {
			/* One key signed two claims on the same coin (for i > 0 the
			 * chain check made it the previous payee in both). */
			ev->kind = ECASH_FRAUD_TWO_CLAIMS;
			ev->culprit_key_known = true;
			ecash_key_id_der(ca->certs[0].key, ca->certs[0].key_len, ev->culprit_key);
			ev->culprit_account = ca->certs[0].account;
		} else {
			/* Only possible at i == 0: two first spends by different
			 * signers or by rings. The coin was issued to one account. */
			ev->kind = ECASH_FRAUD_ISSUED_TWICE_SPENT;
			ev->culprit_account = issued_to;
		}
		return OBOL_OK;
	}
	if (a->nchain == b->nchain)
		return OBOL_E_ECASH_ALREADY_DEPOSITED; /* the same chain twice */
	/* One chain is a prefix of the other: the holder at its end deposited
	 * the coin and spent it on with the next claim of the longer one. */
	const struct ecash_held_coin *lng = a->nchain > b->nchain ? a : b;
	const struct ecash_claim *next = &lng->chain[min];
	ev->kind = ECASH_FRAUD_DEPOSITED_AND_SPENT;
	ev->culprit_key_known = true;
	memcpy(ev->culprit_key, lng->chain[min - 1].payee, ECASH_ID_LEN);
	ev->culprit_account = next->certs[0].account;
	err = ecash_claim_copy(&ev->first, &lng->chain[min - 1]);
	if (err == OBOL_OK)
		err = ecash_claim_copy(&ev->second, next);
	if (err != OBOL_OK)
		goto fail;
	return OBOL_OK;
fail:
	ecash_evidence_clear(ev);
	return err;
}

obol_err ecash_bank_deposit_verify(const struct ecash_bank *b, const uint8_t depositor[static ECASH_ID_LEN],
				   const struct ecash_held_coin *h, const struct ecash_revocations *rl, int64_t now)
{
	if (h->nchain == 0)
		return OBOL_E_ECASH_WRONG_MERCHANT; /* no claim names the depositor */
	obol_err err = ecash_chain_verify(b->sk, h, rl, &b->pol, NULL);
	if (err != OBOL_OK)
		return err;
	if (h->chain[h->nchain - 1].ts > now + b->pol.max_skew)
		return OBOL_E_ECASH_TIMESTAMP_STALE;
	if (memcmp(holder_of(h), depositor, ECASH_ID_LEN) != 0)
		return OBOL_E_ECASH_WRONG_MERCHANT;
	return OBOL_OK;
}

/* A registry entry prev and a new chain h brought by `depositor` (of
 * `account`, read only when h has no claims; `refund`: to redeem it) that
 * are not the same holder's: the
 * evidence of the double spend. A chain without claims is only ever a
 * refund by the account the coin was issued to, so the other chain begins
 * with a spend by that customer: it redeemed the coin and spent it. */
static obol_err conflict(const struct ecash_spent *prev, const struct ecash_held_coin *h,
			 const uint8_t depositor[static ECASH_ID_LEN], int64_t account, bool refund, int64_t issued_to,
			 struct ecash_evidence *ev)
{
	obol_err err;
	if (prev->held.nchain > 0 && h->nchain > 0) {
		err = ecash_fork_analyse(&prev->held, h, issued_to, ev);
		if (err != OBOL_OK)
			return err;
		/* The shorter chain's holder both redeemed and spent on. */
		if (ev->kind == ECASH_FRAUD_DEPOSITED_AND_SPENT &&
		    ((prev->refund && prev->held.nchain < h->nchain) || (refund && h->nchain < prev->held.nchain)))
			ev->kind = ECASH_FRAUD_REFUNDED_AND_SPENT;
	} else {
		bool prev_empty = prev->held.nchain == 0;
		const struct ecash_held_coin *spent = prev_empty ? h : &prev->held;
		if (spent->nchain == 0)
			return OBOL_E_ECASH_ALREADY_REFUNDED;
		memset(ev, 0, sizeof(*ev));
		memcpy(ev->serial, h->coin.serial, ECASH_SERIAL_LEN);
		ev->kind = ECASH_FRAUD_REFUNDED_AND_SPENT;
		ev->fork = 0;
		ev->culprit_key_known = true;
		memcpy(ev->culprit_key, prev_empty ? prev->depositor : depositor, ECASH_ID_LEN);
		ev->culprit_account = prev_empty ? prev->depositor_account : account;
		err = ecash_claim_copy(&ev->second, &spent->chain[0]);
		if (err != OBOL_OK) {
			ecash_evidence_clear(ev);
			return err;
		}
	}
	memcpy(ev->first_depositor, prev->depositor, ECASH_ID_LEN);
	memcpy(ev->second_depositor, depositor, ECASH_ID_LEN);
	return OBOL_E_ECASH_DOUBLE_SPENT;
}

obol_err ecash_bank_deposit_registry(const uint8_t depositor[static ECASH_ID_LEN], const struct ecash_held_coin *h,
				     const struct ecash_spent *prev, int64_t issued_to, struct ecash_evidence *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (prev == NULL)
		return OBOL_OK;
	if (memcmp(prev->depositor, depositor, ECASH_ID_LEN) == 0)
		return prev->refund ? OBOL_E_ECASH_ALREADY_REFUNDED : OBOL_E_ECASH_ALREADY_DEPOSITED;
	/* A deposit always carries claims, so conflict() never names its
	 * depositor's account (only an empty refund chain's). */
	return conflict(prev, h, depositor, 0, false, issued_to, ev);
}

obol_err ecash_bank_refund_verify(const struct ecash_bank *b, const uint8_t holder[static ECASH_ID_LEN],
				  const struct ecash_held_coin *h, const struct ecash_revocations *rl, int64_t now)
{
	obol_err err = ecash_chain_verify(b->sk, h, rl, &b->pol, NULL);
	if (err != OBOL_OK)
		return err;
	if (now <= h->coin.expiry)
		return OBOL_E_ECASH_COIN_NOT_EXPIRED;
	if (h->nchain > 0 && memcmp(holder_of(h), holder, ECASH_ID_LEN) != 0)
		return OBOL_E_ECASH_NOT_HOLDER;
	return OBOL_OK;
}

obol_err ecash_bank_refund_registry(const uint8_t holder[static ECASH_ID_LEN], int64_t holder_account,
				    const struct ecash_held_coin *h, const struct ecash_spent *prev, int64_t issued_to,
				    struct ecash_evidence *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (h->nchain == 0 && holder_account != issued_to)
		return OBOL_E_ECASH_NOT_HOLDER;
	if (prev == NULL)
		return OBOL_OK;
	if (memcmp(prev->depositor, holder, ECASH_ID_LEN) == 0)
		return prev->refund ? OBOL_E_ECASH_ALREADY_REFUNDED : OBOL_E_ECASH_ALREADY_DEPOSITED;
	if (prev->refund && prev->held.nchain == 0 && h->nchain == 0)
		return OBOL_E_ECASH_ALREADY_REFUNDED; /* another key of the same account */
	return conflict(prev, h, holder, holder_account, true, issued_to, ev);
}

obol_err ecash_bank_deposit_check(const struct ecash_bank *b, const uint8_t depositor[static ECASH_ID_LEN],
				  const struct ecash_held_coin *h, const struct ecash_revocations *rl,
				  const struct ecash_spent *prev, int64_t issued_to, int64_t now,
				  struct ecash_evidence *ev)
{
	memset(ev, 0, sizeof(*ev));
	obol_err err = ecash_bank_deposit_verify(b, depositor, h, rl, now);
	if (err != OBOL_OK)
		return err;
	return ecash_bank_deposit_registry(depositor, h, prev, issued_to, ev);
}

static int id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, ECASH_ID_LEN);
}

obol_err ecash_bank_sign_revocations(const struct ecash_bank *b, struct ecash_revocations *rl)
{
	struct ecash_bytes msg;
	size_t k = 0;
	if (rl->n > ECASH_REVOKED_MAX)
		return OBOL_E_WIRE_OVERSIZED;
	if (rl->n > 0)
		qsort(rl->ids, rl->n, ECASH_ID_LEN, id_cmp);
	for (size_t i = 0; i < rl->n; i++)
		if (k == 0 || memcmp(rl->ids[k - 1], rl->ids[i], ECASH_ID_LEN) != 0)
			memmove(rl->ids[k++], rl->ids[i], ECASH_ID_LEN);
	rl->n = k;
	obol_err err = ecash_revocations_bytes(rl, &msg);
	if (err != OBOL_OK)
		return err;
	err = ecash_sign_bytes(b->sk, &msg, rl->sig, &rl->sig_len);
	ecash_bytes_free(&msg);
	return err;
}

obol_err ecash_bank_sign_directory(const struct ecash_bank *b, struct ecash_directory *d)
{
	struct ecash_bytes msg;
	obol_err err = ecash_directory_bytes(d, &msg);
	if (err != OBOL_OK)
		return err;
	err = ecash_sign_bytes(b->sk, &msg, d->sig, &d->sig_len);
	ecash_bytes_free(&msg);
	return err;
}
