/* The bank: registration, top-up, the requests that bring coins (deposit,
 * refund, exchange) and the spent registry's decisions with the evidence
 * that names a double spender, signed lists. See bank.h; seed 002
 * §3.2-§3.5, §4.3, §5.3, §5.5, §6. */
#include "schemes/ecash/bank.h"
#include "schemes/ecash/rl_pages.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"

#define DAY INT64_C(86400)

/* The bank's signature over b at now, by the key usable at now
 * (bank_keys.h; ECASH_BANK_KEY_MISSING when none is): its own key, or its
 * signing process. */
static obol_err bank_sign(const struct ecash_bank *bk, int64_t now, const struct ecash_bytes *b,
			  uint8_t sig[static ECASH_SIG_MAX], size_t *sig_len)
{
	const struct ecash_bank_key *k = ecash_bank_keys_at(&bk->keys, now);
	if (k == NULL)
		return OBOL_E_ECASH_BANK_KEY_MISSING;
	if (bk->sign)
		return bk->sign(bk->sign_ctx, k->id, b->p, b->len, sig, ECASH_SIG_MAX, sig_len);
	return ecash_sign_bytes(k->pk, b, sig, sig_len);
}

obol_err ecash_bank_init(struct ecash_bank *b, EVP_PKEY *sk, const char *currency)
{
	memset(b, 0, sizeof(*b));
	obol_err err = ecash_bank_keys_one(&b->keys, sk);
	if (err != OBOL_OK)
		return err;
	ecash_policy_default(&b->pol);
	b->cert_lifetime = 365 * DAY;
	b->coin_lifetime = 180 * DAY;
	b->keys_per_account = ECASH_KEYS_PER_ACCOUNT;
	ecash_bank_set_deposit_window(b, 7 * DAY);
	return obol_amount_from_units(currency, 100 * OBOL_AMOUNT_FRAC_BASE, &b->max_coin);
}

void ecash_bank_clear(struct ecash_bank *b)
{
	ecash_bank_keys_clear(&b->keys);
}

obol_err ecash_bank_set_keys(struct ecash_bank *b, struct ecash_bank_keys *keys)
{
	if (keys->n == 0)
		return OBOL_E_ECASH_BANK_KEY_MISSING;
	ecash_bank_keys_clear(&b->keys);
	b->keys = *keys;
	ecash_bank_keys_init(keys);
	return OBOL_OK;
}

void ecash_bank_set_deposit_window(struct ecash_bank *b, int64_t seconds)
{
	b->deposit_window = seconds;
	b->pol.transfer_max_age = seconds / 2;
}

const char *ecash_entry_purpose(enum ecash_entry_kind k)
{
	switch (k) {
	case ECASH_ENTRY_DEPOSIT:
		return "deposit";
	case ECASH_ENTRY_REFUND:
		return "refund";
	case ECASH_ENTRY_EXCHANGE:
		return "exchange";
	}
	return "unknown";
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
	err = ecash_group_verify(cert, 1, &msg, sig, sig_len, OBOL_E_ECASH_NONCE_SIGNATURE, false);
	ecash_bytes_free(&msg);
	return err;
}

/* ---- registration ---- */

obol_err ecash_bank_register(const struct ecash_bank *b, const struct ecash_register_in *in, struct ecash_cert *out)
{
	EVP_PKEY *k = NULL;
	struct ecash_bytes msg = { 0 }, cb = { 0 };
	struct ecash_cert c = { 0 };
	obol_err err;

	if (in->barred)
		return OBOL_E_ECASH_ACCOUNT_BARRED;
	if (in->live_keys >= b->keys_per_account)
		return OBOL_E_ECASH_TOO_MANY_KEYS;
	if ((err = ecash_key_parse(in->key, in->key_len, b->pol.min_key_bits, &k)) != OBOL_OK)
		goto out;
	/* Step 5: verify(pk_C, n, σ) — the customer holds the key, and it is fresh. */
	if ((err = ecash_bank_nonce_bytes("register", in->nonce, NULL, &msg)) != OBOL_OK)
		goto out;
	err = obol_rsapss_verify(k, msg.p, msg.len, in->sig, in->sig_len);
	if (err == OBOL_E_SIGNATURE_INVALID)
		err = OBOL_E_ECASH_NONCE_SIGNATURE;
	if (err != OBOL_OK)
		goto out;
	/* Step 6: σ = sign_B(pk_C), with the account link and validity. */
	memcpy(c.key, in->key, in->key_len);
	c.key_len = in->key_len;
	c.account = in->account;
	c.issued = in->now;
	c.expiry = in->now + b->cert_lifetime;
	if ((err = ecash_cert_bytes(&c, &cb)) != OBOL_OK || (err = bank_sign(b, in->now, &cb, c.sig, &c.sig_len)) != OBOL_OK)
		goto out;
	*out = c;
out:
	ecash_bytes_free(&msg);
	ecash_bytes_free(&cb);
	EVP_PKEY_free(k);
	return err;
}

/* ---- top-up ---- */

void ecash_topup_digest(const struct ecash_coin_order *o, size_t n, uint8_t out[static OBOL_HASH_LEN])
{
	struct ecash_bytes b = { 0 };
	ecash_bytes_label(&b, "obol-ecash-topup-v2");
	for (size_t i = 0; i < n; i++) {
		char v[OBOL_AMOUNT_STR_MAX];
		obol_amount_format(&o[i].value, v);
		ecash_bytes_put(&b, v, strlen(v));
		ecash_bytes_put(&b, o[i].owner, ECASH_OWNER_LEN);
	}
	if (b.failed)
		memset(out, 0, OBOL_HASH_LEN); /* never matches a signature made over the real bytes */
	else
		obol_sha256(out, b.p, b.len);
	ecash_bytes_free(&b);
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

obol_err ecash_bank_issue(const struct ecash_bank *b, const struct obol_amount *value,
			  const uint8_t owner[static ECASH_OWNER_LEN], int64_t now, struct ecash_coin *out)
{
	struct ecash_bytes cb;
	obol_err err = value_ok(b, value);
	if (err != OBOL_OK)
		return err;
	/* §3.3.1 step 2: m = {unique serial, value, date, expiry, owner}, σ0 = sign_B(m). */
	memset(out, 0, sizeof(*out));
	obol_random(out->serial, ECASH_SERIAL_LEN);
	out->value = *value;
	out->issued = now;
	out->expiry = now + b->coin_lifetime;
	memcpy(out->owner, owner, ECASH_OWNER_LEN);
	out->has_owner = true;
	if ((err = ecash_coin_bytes(out, &cb)) != OBOL_OK)
		return err;
	err = bank_sign(b, now, &cb, out->sig, &out->sig_len);
	ecash_bytes_free(&cb);
	return err;
}

obol_err ecash_bank_topup(const struct ecash_bank *b, const struct ecash_topup_in *in, struct ecash_coin *coins,
			  struct obol_amount *total)
{
	uint8_t dg[OBOL_HASH_LEN];
	struct obol_amount sum;
	obol_err err;

	if (in->n == 0 || in->n > ECASH_COINS_MAX)
		return OBOL_E_ECASH_TOO_MANY_COINS;
	if ((err = ecash_cert_verify(&b->keys, in->cert, in->rl, &b->pol, in->now)) != OBOL_OK)
		return err;
	ecash_topup_digest(in->orders, in->n, dg);
	if ((err = nonce_proof_verify(in->cert, "topup", in->nonce, dg, in->sig, in->sig_len)) != OBOL_OK)
		return err;
	if ((err = obol_amount_zero(b->max_coin.currency, &sum)) != OBOL_OK)
		return err;
	for (size_t i = 0; i < in->n && err == OBOL_OK; i++)
		if ((err = value_ok(b, &in->orders[i].value)) == OBOL_OK)
			err = obol_amount_add(&sum, &sum, &in->orders[i].value);
	for (size_t i = 0; i < in->n && err == OBOL_OK; i++)
		err = ecash_bank_issue(b, &in->orders[i].value, in->orders[i].owner, in->now, &coins[i]);
	if (err == OBOL_OK)
		*total = sum;
	return err;
}

/* ---- requests that bring coins ---- */

obol_err ecash_coins_digest(const struct ecash_held_coin *coins, size_t n, const struct ecash_coins_terms *terms,
			    uint8_t out[static OBOL_HASH_LEN])
{
	struct ecash_bytes b = { 0 };
	uint8_t link[OBOL_HASH_LEN];
	obol_err err = OBOL_OK;
	ecash_bytes_label(&b, "obol-ecash-deposit-v1");
	for (size_t i = 0; i < n && err == OBOL_OK; i++) {
		if ((err = ecash_chain_digest(&coins[i], link)) != OBOL_OK)
			break;
		ecash_bytes_put(&b, coins[i].coin.serial, ECASH_SERIAL_LEN);
		ecash_bytes_put(&b, link, sizeof(link));
	}
	if (err == OBOL_OK && terms != NULL && terms->has_to) {
		ecash_bytes_label(&b, "to");
		ecash_bytes_i64(&b, terms->to);
	}
	if (err == OBOL_OK && terms != NULL && terms->has_amount) {
		char v[OBOL_AMOUNT_STR_MAX];
		obol_amount_format(&terms->amount, v);
		ecash_bytes_label(&b, "amount");
		ecash_bytes_put(&b, v, strlen(v));
		ecash_bytes_put(&b, terms->change_owner, ECASH_OWNER_LEN);
	}
	if (err == OBOL_OK && terms != NULL && terms->owners != NULL) {
		ecash_bytes_label(&b, "owners");
		for (size_t i = 0; i < terms->nowners; i++)
			ecash_bytes_put(&b, terms->owners[i], ECASH_OWNER_LEN);
	}
	if (err == OBOL_OK && (err = ecash_bytes_done(&b)) == OBOL_OK)
		obol_sha256(out, b.p, b.len);
	ecash_bytes_free(&b);
	return err;
}

/* The terms a request of this kind may carry. */
static obol_err terms_ok(const struct ecash_bank *b, const struct ecash_coins_in *in)
{
	const struct ecash_coins_terms *t = in->terms;
	bool deposit_terms = t != NULL && (t->has_to || t->has_amount);
	bool owners = t != NULL && t->owners != NULL;
	if (in->kind == ECASH_ENTRY_EXCHANGE)
		return !deposit_terms && owners && t->nowners == in->n ? OBOL_OK : OBOL_E_INVALID_ARGUMENT;
	if (owners || (deposit_terms && in->kind != ECASH_ENTRY_DEPOSIT))
		return OBOL_E_INVALID_ARGUMENT;
	if (t != NULL && t->has_amount) {
		if (!obol_amount_same_currency(&t->amount, &b->max_coin))
			return OBOL_E_ECASH_CURRENCY;
		if (obol_amount_is_zero(&t->amount) || obol_amount_is_negative(&t->amount))
			return OBOL_E_ECASH_COIN_VALUE;
	}
	return OBOL_OK;
}

obol_err ecash_bank_coins_auth(const struct ecash_bank *b, const struct ecash_coins_in *in)
{
	uint8_t dg[OBOL_HASH_LEN], id[ECASH_ID_LEN];
	int64_t revoked_at;
	obol_err err;
	if (in->n == 0 || in->n > ECASH_COINS_MAX)
		return OBOL_E_ECASH_TOO_MANY_COINS;
	if ((err = terms_ok(b, in)) != OBOL_OK)
		return err;
	/* The holder's certificate: the bank's, not revoked. Its expiry is not
	 * asked: the request is the account's own, and coins received under a
	 * key stay its holder's after the key expired; nor its bank key's
	 * acceptance, only that key's legal end (a retired bank key's holder
	 * still redeems). */
	if ((err = ecash_cert_verify_holder(&b->keys, in->holder, &b->pol, in->now)) != OBOL_OK)
		return err;
	ecash_key_id_der(in->holder->key, in->holder->key_len, id);
	if (in->rl != NULL && ecash_revoked(in->rl, id, &revoked_at) && in->now >= revoked_at)
		return OBOL_E_ECASH_KEY_REVOKED;
	if ((err = ecash_coins_digest(in->coins, in->n, in->terms, dg)) != OBOL_OK)
		return err;
	return nonce_proof_verify(in->holder, ecash_entry_purpose(in->kind), in->nonce, dg, in->sig, in->sig_len);
}

obol_err ecash_bank_coin_verify(const struct ecash_bank *b, enum ecash_entry_kind kind, const struct ecash_held_coin *h,
				const struct ecash_revocations *rl, int64_t now)
{
	obol_err err = ecash_chain_verify(&b->keys, h, rl, &b->pol, 0, NULL);
	if (err != OBOL_OK)
		return err;
	/* The coin's bank key: a deposit or an exchange while it is accepted
	 * (ECASH_BANK_KEY_RETIRED after: refund it), a refund until its legal
	 * end (ECASH_BANK_KEY_ENDED). */
	if (kind == ECASH_ENTRY_REFUND) {
		if ((err = ecash_coin_refunded(&b->keys, &h->coin, now)) != OBOL_OK)
			return err;
		/* a coin whose key is retired is refunded before its own expiry */
		if (now <= h->coin.expiry && ecash_coin_accepted(&b->keys, &h->coin, now) == OBOL_OK)
			return OBOL_E_ECASH_COIN_NOT_EXPIRED;
		return OBOL_OK;
	}
	if ((err = ecash_coin_accepted(&b->keys, &h->coin, now)) != OBOL_OK)
		return err;
	if (kind == ECASH_ENTRY_DEPOSIT) {
		if (h->nchain == 0)
			return OBOL_E_ECASH_WRONG_MERCHANT; /* no claim names the depositor */
		if (h->chain[h->nchain - 1].ts > now + b->pol.max_skew)
			return OBOL_E_ECASH_TIMESTAMP_STALE;
	}
	if (kind == ECASH_ENTRY_REFUND && now <= h->coin.expiry)
		return OBOL_E_ECASH_COIN_NOT_EXPIRED;
	return OBOL_OK;
}

/* ---- the spent registry ---- */

void ecash_evidence_clear(struct ecash_evidence *e)
{
	ecash_claim_clear(&e->first);
	ecash_claim_clear(&e->second);
	memset(e, 0, sizeof(*e));
}

void ecash_registry_effect_clear(struct ecash_registry_effect *e)
{
	ecash_evidence_clear(&e->ev);
	memset(e, 0, sizeof(*e));
}

obol_err ecash_fork_find(const struct ecash_held_coin *a, const struct ecash_held_coin *b, bool *same,
			 struct ecash_evidence *ev)
{
	uint8_t la[OBOL_HASH_LEN] = { 0 }, lb[OBOL_HASH_LEN] = { 0 };
	size_t i = 0, min = a->nchain < b->nchain ? a->nchain : b->nchain;
	obol_err err = OBOL_OK;

	memset(ev, 0, sizeof(*ev));
	memcpy(ev->serial, a->coin.serial, ECASH_SERIAL_LEN);
	for (; i < min; i++) {
		if ((err = ecash_claim_digest(&a->coin, &a->chain[i], la, la)) != OBOL_OK ||
		    (err = ecash_claim_digest(&b->coin, &b->chain[i], lb, lb)) != OBOL_OK)
			return err;
		if (memcmp(la, lb, OBOL_HASH_LEN) != 0)
			break;
	}
	*same = i == min && a->nchain == b->nchain;
	ev->fork = i;
	if (*same)
		return OBOL_OK;
	/* The claims at the fork; at the end of the shorter chain, its last
	 * claim and the longer one's next. */
	const struct ecash_claim *ca = NULL, *cb = NULL;
	if (i < min) {
		ca = &a->chain[i];
		cb = &b->chain[i];
	} else {
		const struct ecash_held_coin *s = a->nchain < b->nchain ? a : b, *l = s == a ? b : a;
		ca = i > 0 ? &s->chain[i - 1] : NULL;
		cb = &l->chain[i];
	}
	if (ca != NULL && (err = ecash_claim_copy(&ev->first, ca)) != OBOL_OK)
		goto fail;
	if ((err = ecash_claim_copy(&ev->second, cb)) != OBOL_OK)
		goto fail;
	return OBOL_OK;
fail:
	ecash_evidence_clear(ev);
	return err;
}

/* The account that made the last claim of h: the coin's owner for the first
 * claim of an owned coin (its owner key signed it), else the certificate of
 * a plain signer (the bank certified its account). 0 when unknown (a ring's
 * claim on a coin without owner key). */
static int64_t maker_account(const struct ecash_held_coin *h, int64_t issued_to)
{
	const struct ecash_claim *c = &h->chain[h->nchain - 1];
	if (h->nchain == 1 && h->coin.has_owner)
		return issued_to;
	return c->ncerts == 1 ? c->certs[0].account : 0;
}

/* Names the maker of claim c, the claim at index `at` of a chain on a coin
 * issued to `issued_to`: for a first claim of an owned coin, its owner (the
 * key whose top-up named the owner key, or the plain signer when that is the
 * same account); otherwise a plain signer. Nobody for a ring's first claim
 * on a coin without owner key. */
static void name_maker(struct ecash_evidence *ev, const struct ecash_held_coin *coin, const struct ecash_claim *c,
		       size_t at, int64_t issued_to, const uint8_t *issued_key)
{
	bool plain = c->ncerts == 1;
	if (at == 0 && coin->coin.has_owner) {
		ev->culprit_account = issued_to;
		if (plain && c->certs[0].account == issued_to) {
			ev->culprit_key_known = true;
			ecash_key_id_der(c->certs[0].key, c->certs[0].key_len, ev->culprit_key);
		} else if (issued_key != NULL) {
			ev->culprit_key_known = true;
			memcpy(ev->culprit_key, issued_key, ECASH_ID_LEN);
		}
	} else if (plain) {
		ev->culprit_account = c->certs[0].account;
		ev->culprit_key_known = true;
		ecash_key_id_der(c->certs[0].key, c->certs[0].key_len, ev->culprit_key);
	}
}

/* Who may bring h: *disclosed for a payment the requester made and
 * discloses (an exchange only). */
static obol_err holder_check(const struct ecash_bank *b, const struct ecash_registry_in *in, bool *disclosed)
{
	const struct ecash_held_coin *h = in->h;
	bool names_us = h->nchain > 0 && in->holder_account == in->account;
	bool issued_us = h->nchain == 0 && in->issued_to == in->account;
	*disclosed = false;
	switch (in->kind) {
	case ECASH_ENTRY_DEPOSIT:
		return names_us ? OBOL_OK : OBOL_E_ECASH_WRONG_MERCHANT;
	case ECASH_ENTRY_REFUND:
		return names_us || issued_us ? OBOL_OK : OBOL_E_ECASH_NOT_HOLDER;
	case ECASH_ENTRY_EXCHANGE:
		if (names_us || issued_us)
			return OBOL_OK;
		if (h->nchain == 0 || maker_account(h, in->issued_to) != in->account)
			return OBOL_E_ECASH_NOT_HOLDER;
		/* A payment we made whose payee gave no receipt: its payee has
		 * the deposit window to bring it first. */
		*disclosed = true;
		if (in->now < h->chain[h->nchain - 1].ts + b->deposit_window)
			return OBOL_E_ECASH_EXCHANGE_TOO_EARLY;
		return OBOL_OK;
	}
	return OBOL_E_INVALID_ARGUMENT;
}

/* The same chain brought again. */
static obol_err same_chain(const struct ecash_registry_in *in)
{
	const struct ecash_spent *p = in->prev;
	if (p->depositor_account == in->account) {
		if (p->kind == ECASH_ENTRY_REFUND)
			return OBOL_E_ECASH_ALREADY_REFUNDED;
		return p->kind == ECASH_ENTRY_EXCHANGE ? OBOL_E_ECASH_COIN_RETIRED : OBOL_E_ECASH_ALREADY_DEPOSITED;
	}
	/* A payer and its payee: whoever came first stands, nobody is blamed. */
	if (p->disclosed)
		return OBOL_E_ECASH_COIN_RETIRED;
	return OBOL_E_ECASH_ALREADY_DEPOSITED;
}

obol_err ecash_bank_registry(const struct ecash_bank *b, const struct ecash_registry_in *in,
			     struct ecash_registry_effect *out)
{
	const struct ecash_spent *p = in->prev;
	struct ecash_evidence *ev = &out->ev;
	bool same = false, disclosed = false;
	obol_err err;

	memset(out, 0, sizeof(*out));
	if ((out->result = holder_check(b, in, &disclosed)) != OBOL_OK)
		return OBOL_OK;
	out->disclosed = disclosed;
	if (p == NULL)
		return OBOL_OK;
	if ((err = ecash_fork_find(&p->held, in->h, &same, ev)) != OBOL_OK)
		return err;
	if (same) {
		ecash_evidence_clear(ev);
		out->result = same_chain(in);
		return OBOL_OK;
	}
	memcpy(ev->first_depositor, p->depositor, ECASH_ID_LEN);
	memcpy(ev->second_depositor, in->requester, ECASH_ID_LEN);
	size_t k = ev->fork;
	if (k < p->held.nchain && k < in->h->nchain) {
		/* Two different claims at k, both made by the holder at k (the
		 * chain checks saw to that): it spent the coin twice. */
		const struct ecash_claim *ca = &p->held.chain[k], *cb = &in->h->chain[k];
		bool one_key = ca->ncerts == 1 && ecash_claim_same_signers(ca, cb);
		ev->kind = k == 0 && !one_key ? ECASH_FRAUD_ISSUED_TWICE_SPENT : ECASH_FRAUD_TWO_CLAIMS;
		if (k > 0 || in->h->coin.has_owner || one_key)
			name_maker(ev, in->h, cb, k, in->issued_to, in->issued_key);
		else if (ca->ncerts == 1 && cb->ncerts == 1 && ca->certs[0].account == cb->certs[0].account)
			ev->culprit_account = ca->certs[0].account; /* two keys of one account, no owner key */
		out->result = OBOL_E_ECASH_DOUBLE_SPENT;
		return OBOL_OK;
	}
	/* One chain goes on from the other, whose end is holder H. */
	bool prev_short = p->held.nchain < in->h->nchain;
	const struct ecash_held_coin *lng = prev_short ? in->h : &p->held;
	enum ecash_entry_kind short_kind = prev_short ? p->kind : in->kind;
	bool short_disclosed = prev_short ? p->disclosed : disclosed;
	if (short_disclosed) {
		/* The shorter chain is a payment its payer disclosed: the payee
		 * (H) spent it on. The payer exchanging after the window, the
		 * payee or its successors bringing it: first come stands. */
		ecash_evidence_clear(ev);
		out->result = prev_short ? OBOL_E_ECASH_COIN_RETIRED : OBOL_E_ECASH_ALREADY_DEPOSITED;
		return OBOL_OK;
	}
	/* H brought the shorter chain itself and made the longer one's next
	 * claim: it took the coin's value and spent it on. */
	ev->kind = short_kind == ECASH_ENTRY_REFUND     ? ECASH_FRAUD_REFUNDED_AND_SPENT
		   : short_kind == ECASH_ENTRY_EXCHANGE ? ECASH_FRAUD_EXCHANGED_AND_SPENT
							: ECASH_FRAUD_DEPOSITED_AND_SPENT;
	name_maker(ev, lng, &lng->chain[k], k, in->issued_to, in->issued_key);
	if (k == 0 && !lng->coin.has_owner && ev->culprit_account != in->issued_to) {
		/* A coin without owner key: its first claim need not be its
		 * owner's, and proves nothing against whoever redeemed it. */
		ev->culprit_account = 0;
		ev->culprit_key_known = false;
	}
	out->result = OBOL_E_ECASH_DOUBLE_SPENT;
	return OBOL_OK;
}

obol_err ecash_bank_withdraw_settle(const struct ecash_bank *b, const struct ecash_coins_terms *terms,
				    const struct obol_amount *credited, int64_t now, struct obol_amount *pay,
				    struct ecash_coin *change, bool *has_change)
{
	struct obol_amount rest;
	int cmp = 0;
	obol_err err;
	*has_change = false;
	*pay = *credited;
	if (terms == NULL || !terms->has_amount)
		return OBOL_OK;
	if ((err = obol_amount_cmp(&terms->amount, credited, &cmp)) != OBOL_OK)
		return err;
	if (cmp >= 0)
		return OBOL_OK; /* the coins accepted are worth no more than asked: all of it */
	*pay = terms->amount;
	if ((err = obol_amount_sub(&rest, credited, &terms->amount)) != OBOL_OK)
		return err;
	if ((err = ecash_bank_issue(b, &rest, terms->change_owner, now, change)) != OBOL_OK)
		return err;
	*has_change = true;
	return OBOL_OK;
}

obol_err ecash_bank_sign_rl_page(const struct ecash_bank *b, int64_t now, struct ecash_rl_page *p)
{
	struct ecash_bytes msg;
	obol_err err = ecash_rl_page_bytes(p, &msg);
	if (err != OBOL_OK)
		return err;
	err = bank_sign(b, now, &msg, p->sig, &p->sig_len);
	ecash_bytes_free(&msg);
	return err;
}

obol_err ecash_bank_sign_directory(const struct ecash_bank *b, struct ecash_directory *d)
{
	struct ecash_bytes msg;
	obol_err err = ecash_directory_bytes(d, &msg);
	if (err != OBOL_OK)
		return err;
	err = bank_sign(b, d->issued, &msg, d->sig, &d->sig_len);
	ecash_bytes_free(&msg);
	return err;
}
