/* Offline payment verification and the merchant registry. See merchant.h;
 * seed 002 §3.3.2, §3.5.1, §4.3.2. */
#include "schemes/ecash/merchant.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"

void ecash_payment_clear(struct ecash_payment *p)
{
	for (size_t i = 0; i < p->ncoins; i++)
		ecash_held_clear(&p->coins[i]);
	free(p->coins);
	free(p->sigma1);
	memset(p, 0, sizeof(*p));
}

void ecash_signatures_clear(struct ecash_signatures *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->s[i].sig);
	free(s->s);
	memset(s, 0, sizeof(*s));
}

obol_err ecash_payment_signatures(const struct ecash_payment *p, struct ecash_signatures *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->nonce, p->nonce, ECASH_NONCE_LEN);
	if ((out->s = calloc(p->ncoins ? p->ncoins : 1, sizeof(*out->s))) == NULL)
		return OBOL_E_NO_MEMORY;
	for (size_t i = 0; i < p->ncoins; i++) {
		const struct ecash_held_coin *h = &p->coins[i];
		const struct ecash_claim *c = h->nchain ? &h->chain[h->nchain - 1] : NULL;
		struct ecash_claim_sigs *s = &out->s[i];
		if (c == NULL || c->sig_len == 0 || (s->sig = malloc(c->sig_len)) == NULL) {
			ecash_signatures_clear(out);
			return c == NULL || c->sig_len == 0 ? OBOL_E_INVALID_ARGUMENT : OBOL_E_NO_MEMORY;
		}
		memcpy(s->sig, c->sig, c->sig_len);
		s->sig_len = c->sig_len;
		memcpy(s->owner_sig, c->owner_sig, ECASH_OWNER_SIG_LEN);
		s->has_owner_sig = c->has_owner_sig;
		out->n = i + 1;
	}
	return OBOL_OK;
}

obol_err ecash_payment_attach(struct ecash_payment *p, struct ecash_signatures *s)
{
	if (s->n != p->ncoins || memcmp(s->nonce, p->nonce, ECASH_NONCE_LEN) != 0)
		return OBOL_E_WIRE_MALFORMED;
	for (size_t i = 0; i < p->ncoins; i++)
		if (p->coins[i].nchain == 0 || p->coins[i].chain[p->coins[i].nchain - 1].sig_len != 0)
			return OBOL_E_WIRE_MALFORMED;
	for (size_t i = 0; i < p->ncoins; i++) {
		struct ecash_claim *c = &p->coins[i].chain[p->coins[i].nchain - 1];
		free(c->sig);
		c->sig = s->s[i].sig;
		c->sig_len = s->s[i].sig_len;
		memcpy(c->owner_sig, s->s[i].owner_sig, ECASH_OWNER_SIG_LEN);
		c->has_owner_sig = s->s[i].has_owner_sig;
		s->s[i].sig = NULL;
	}
	ecash_signatures_clear(s);
	return OBOL_OK;
}

obol_err ecash_receipt_bytes(const uint8_t merchant[static ECASH_ID_LEN], const struct ecash_receipt *r,
			     const struct ecash_payment *p, struct ecash_bytes *out)
{
	char v[OBOL_AMOUNT_STR_MAX];
	uint8_t link[OBOL_HASH_LEN];
	obol_err err = OBOL_OK;
	memset(out, 0, sizeof(*out));
	obol_amount_format(&r->value, v);
	ecash_bytes_label(out, "obol-ecash-receipt-v1");
	ecash_bytes_put(out, r->nonce, ECASH_NONCE_LEN);
	ecash_bytes_put(out, merchant, ECASH_ID_LEN);
	ecash_bytes_put(out, v, strlen(v));
	ecash_bytes_i64(out, (int64_t)p->ncoins);
	for (size_t i = 0; i < p->ncoins && err == OBOL_OK; i++) {
		if ((err = ecash_chain_digest(&p->coins[i], link)) != OBOL_OK)
			break;
		ecash_bytes_put(out, p->coins[i].coin.serial, ECASH_SERIAL_LEN);
		ecash_bytes_put(out, link, sizeof(link));
	}
	if (err != OBOL_OK) {
		ecash_bytes_free(out);
		return err;
	}
	return ecash_bytes_done(out);
}

void ecash_merchant_init(struct ecash_merchant *m, const struct ecash_bank_keys *bank_pk, EVP_PKEY *sk, const struct ecash_cert *cert)
{
	memset(m, 0, sizeof(*m));
	m->bank_pk = bank_pk;
	m->sk = sk;
	m->cert = *cert;
	ecash_key_id_der(cert->key, cert->key_len, m->id);
	ecash_policy_default(&m->pol);
	m->nonce_lifetime = 120;
}

void ecash_merchant_free(struct ecash_merchant *m)
{
	ecash_revocations_clear(&m->rl);
	free(m->seen);
	memset(m, 0, sizeof(*m));
}

obol_err ecash_merchant_set_revocations(struct ecash_merchant *m, struct ecash_revocations *rl)
{
	if (!rl->held)
		return OBOL_E_INVALID_ARGUMENT;
	if (m->rl.held && rl->issued < m->rl.issued)
		return OBOL_E_ECASH_LIST_STALE;
	ecash_revocations_clear(&m->rl);
	m->rl = *rl;
	memset(rl, 0, sizeof(*rl));
	return OBOL_OK;
}

obol_err ecash_merchant_offer(struct ecash_merchant *m, const struct obol_amount *price, int64_t now,
			      struct ecash_offer *out)
{
	size_t slot = 0;
	int64_t oldest = INT64_MAX;
	if (obol_amount_is_negative(price))
		return OBOL_E_INVALID_ARGUMENT;
	/* A free slot, else a used or expired one, else the oldest offer. */
	for (size_t i = 0; i < ECASH_PENDING_MAX; i++) {
		const struct ecash_pending *p = &m->pending[i];
		int64_t key = (p->offer.expiry == 0 || p->used || p->offer.expiry < now) ? INT64_MIN : p->offer.expiry;
		if (key < oldest) {
			oldest = key;
			slot = i;
		}
	}
	memset(out, 0, sizeof(*out));
	memcpy(out->merchant, m->id, ECASH_ID_LEN);
	out->cert = m->cert;
	obol_random(out->nonce, ECASH_NONCE_LEN);
	out->price = *price;
	out->expiry = now + m->nonce_lifetime;
	m->pending[slot].offer = *out;
	m->pending[slot].used = false;
	return OBOL_OK;
}

static size_t slot_of(const uint8_t serial[static ECASH_SERIAL_LEN], size_t cap)
{
	/* Serials are random: their first bytes are a good hash. */
	uint64_t h = 0;
	memcpy(&h, serial, sizeof(h));
	return (size_t)h & (cap - 1);
}

static bool is_empty(const uint8_t *s)
{
	static const uint8_t zero[ECASH_SERIAL_LEN];
	return memcmp(s, zero, ECASH_SERIAL_LEN) == 0;
}

bool ecash_merchant_holds(const struct ecash_merchant *m, const uint8_t serial[static ECASH_SERIAL_LEN])
{
	if (m->cap == 0)
		return false;
	for (size_t i = slot_of(serial, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (is_empty(m->seen[i]))
			return false;
		if (memcmp(m->seen[i], serial, ECASH_SERIAL_LEN) == 0)
			return true;
	}
}

static void insert_raw(uint8_t (*tab)[ECASH_SERIAL_LEN], size_t cap, const uint8_t *serial)
{
	size_t i = slot_of(serial, cap);
	while (!is_empty(tab[i]) && memcmp(tab[i], serial, ECASH_SERIAL_LEN) != 0)
		i = (i + 1) & (cap - 1);
	memcpy(tab[i], serial, ECASH_SERIAL_LEN);
}

/* Makes room for k more serials (load factor at most 1/2). */
static obol_err reserve(struct ecash_merchant *m, size_t k)
{
	if ((m->nseen + k) * 2 <= m->cap)
		return OBOL_OK;
	size_t cap = m->cap ? m->cap : 64;
	while ((m->nseen + k) * 2 > cap)
		cap *= 2;
	uint8_t (*tab)[ECASH_SERIAL_LEN] = calloc(cap, ECASH_SERIAL_LEN);
	if (tab == NULL)
		return OBOL_E_NO_MEMORY;
	for (size_t i = 0; i < m->cap; i++)
		if (!is_empty(m->seen[i]))
			insert_raw(tab, cap, m->seen[i]);
	free(m->seen);
	m->seen = tab;
	m->cap = cap;
	return OBOL_OK;
}

obol_err ecash_merchant_remember(struct ecash_merchant *m, const uint8_t serial[static ECASH_SERIAL_LEN])
{
	if (is_empty(serial))
		return OBOL_E_INVALID_ARGUMENT;
	if (ecash_merchant_holds(m, serial))
		return OBOL_OK;
	obol_err err = reserve(m, 1);
	if (err != OBOL_OK)
		return err;
	insert_raw(m->seen, m->cap, serial);
	m->nseen++;
	return OBOL_OK;
}

const struct ecash_claim *ecash_payment_signers(const struct ecash_payment *p)
{
	if (p->ncoins == 0 || p->coins[0].nchain == 0)
		return NULL;
	return &p->coins[0].chain[p->coins[0].nchain - 1];
}

static const struct ecash_pending *find_offer(const struct ecash_merchant *m, const uint8_t nonce[static ECASH_NONCE_LEN])
{
	for (size_t i = 0; i < ECASH_PENDING_MAX; i++)
		if (m->pending[i].offer.expiry != 0 &&
		    obol_ct_equal(m->pending[i].offer.nonce, nonce, ECASH_NONCE_LEN))
			return &m->pending[i];
	return NULL;
}

obol_err ecash_merchant_verify(const struct ecash_merchant *m, const struct ecash_payment *p, int64_t now)
{
	const struct ecash_revocations *rl = m->rl.held ? &m->rl : NULL;
	const struct ecash_pending *pend = find_offer(m, p->nonce);
	const struct ecash_claim *signers = ecash_payment_signers(p);
	struct ecash_bytes nb = { 0 };
	struct obol_amount sum;
	int cmp;
	obol_err err;

	if (pend == NULL || pend->used)
		return OBOL_E_ECASH_NONCE_UNKNOWN;
	if (now > pend->offer.expiry)
		return OBOL_E_ECASH_NONCE_EXPIRED;
	if (p->ncoins == 0 || p->ncoins > ECASH_COINS_MAX)
		return OBOL_E_ECASH_TOO_MANY_COINS;
	if (signers == NULL)
		return OBOL_E_ECASH_WRONG_MERCHANT;
	for (size_t i = 0; i < p->ncoins; i++) {
		const struct ecash_held_coin *h = &p->coins[i];
		if (h->nchain == 0 || h->nchain > ECASH_CHAIN_MAX)
			return h->nchain ? OBOL_E_ECASH_CHAIN_TOO_LONG : OBOL_E_ECASH_WRONG_MERCHANT;
		if (!ecash_claim_same_signers(&h->chain[h->nchain - 1], signers))
			return OBOL_E_ECASH_SIGNER_MISMATCH;
	}
	/* Step 4: verify(pk_B, pk_C, σ3) for the payer, or every ring member. */
	if ((err = ecash_signers_verify(m->bank_pk, signers->certs, signers->ncerts, rl, &m->pol, now, false)) != OBOL_OK)
		return err;
	/* Step 5: verify(pk_C, n, σ1) — or ringverify over the same ring (§4.3.2). */
	if ((err = ecash_nonce_bytes(p->nonce, m->id, &nb)) != OBOL_OK)
		return err;
	err = ecash_group_verify(signers->certs, signers->ncerts, &nb, p->sigma1, p->sigma1_len,
				 OBOL_E_ECASH_NONCE_SIGNATURE, false);
	ecash_bytes_free(&nb);
	if (err != OBOL_OK)
		return err;
	if ((err = obol_amount_zero(pend->offer.price.currency, &sum)) != OBOL_OK)
		return err;
	for (size_t i = 0; i < p->ncoins; i++) {
		const struct ecash_held_coin *h = &p->coins[i];
		const struct ecash_claim *last = &h->chain[h->nchain - 1];
		/* Only coins whose first claim their owner key signs. */
		if (!h->coin.has_owner)
			return OBOL_E_ECASH_COIN_UNBOUND;
		/* Steps 6 and 7: σ0 and every earlier σ2 of the chain (with its σ3s). */
		if ((err = ecash_chain_verify(m->bank_pk, h, rl, &m->pol, ECASH_CHAIN_LAST_UNSIGNED, NULL)) != OBOL_OK)
			return err;
		if (h->nchain > 1 && m->pol.transfer_max_age > 0 && h->chain[0].ts < now - m->pol.transfer_max_age)
			return OBOL_E_ECASH_TRANSFER_TOO_OLD;
		if (memcmp(last->payee, m->id, ECASH_ID_LEN) != 0)
			return OBOL_E_ECASH_WRONG_MERCHANT;
		if (last->ts < now - m->pol.max_skew || last->ts > now + m->pol.max_skew)
			return OBOL_E_ECASH_TIMESTAMP_STALE;
		/* The last claim is the chain's newest (verify.c keeps times in
		 * order): a list that covers it covers every claim before it. */
		if (m->pol.list_covers_claims && (rl == NULL || last->ts >= rl->issued + m->pol.max_skew))
			return OBOL_E_ECASH_LIST_OLD;
		if (now > h->coin.expiry)
			return OBOL_E_ECASH_COIN_EXPIRED;
		/* its bank key still accepted (ECASH_BANK_KEY_RETIRED: the holder
		 * redeems it at the bank) */
		if ((err = ecash_coin_accepted(m->bank_pk, &h->coin, now)) != OBOL_OK)
			return err;
		if (h->coin.issued > now + m->pol.max_skew)
			return OBOL_E_ECASH_COIN_NOT_YET_VALID;
		/* §3.5.1: a coin already in the registry is being spent twice. */
		if (ecash_merchant_holds(m, h->coin.serial))
			return OBOL_E_ECASH_COIN_ALREADY_HELD;
		for (size_t j = 0; j < i; j++)
			if (memcmp(p->coins[j].coin.serial, h->coin.serial, ECASH_SERIAL_LEN) == 0)
				return OBOL_E_ECASH_DUPLICATE_COIN;
		if (!obol_amount_same_currency(&h->coin.value, &sum))
			return OBOL_E_ECASH_CURRENCY;
		if ((err = obol_amount_add(&sum, &sum, &h->coin.value)) != OBOL_OK)
			return err;
	}
	if ((err = obol_amount_cmp(&sum, &pend->offer.price, &cmp)) != OBOL_OK)
		return err;
	if (cmp < 0)
		return OBOL_E_ECASH_AMOUNT_SHORT;
	return OBOL_OK;
}

/* The new claim of coin h (its last) and its signatures, over the link of
 * the chain before it. */
static obol_err last_claim_verify(const struct ecash_held_coin *h)
{
	const struct ecash_claim *c = &h->chain[h->nchain - 1];
	struct ecash_held_coin before = *h;
	struct ecash_bytes b;
	uint8_t link[OBOL_HASH_LEN];
	obol_err err;
	before.nchain = h->nchain - 1; /* a shallow view: the chain without its last claim */
	if (c->sig_len == 0)
		return OBOL_E_ECASH_CLAIM_SIGNATURE;
	if ((err = ecash_chain_digest(&before, link)) != OBOL_OK || (err = ecash_claim_bytes(&h->coin, c, link, &b)) != OBOL_OK)
		return err;
	err = ecash_group_verify(c->certs, c->ncerts, &b, c->sig, c->sig_len, OBOL_E_ECASH_CLAIM_SIGNATURE, false);
	if (err == OBOL_OK && h->nchain == 1 && h->coin.has_owner)
		err = c->has_owner_sig ? ecash_owner_verify(h->coin.owner, &b, c->owner_sig) : OBOL_E_ECASH_OWNER_SIGNATURE;
	else if (err == OBOL_OK && c->has_owner_sig)
		err = OBOL_E_ECASH_CHAIN_BROKEN;
	ecash_bytes_free(&b);
	return err;
}

/* The offer a nonce belongs to, open (not used), or NULL. */
static struct ecash_pending *open_offer(struct ecash_merchant *m, const uint8_t nonce[static ECASH_NONCE_LEN])
{
	for (size_t i = 0; i < ECASH_PENDING_MAX; i++)
		if (m->pending[i].offer.expiry != 0 && obol_ct_equal(m->pending[i].offer.nonce, nonce, ECASH_NONCE_LEN))
			return m->pending[i].used ? NULL : &m->pending[i];
	return NULL;
}

/* What may have changed since PAY was verified: the offer is still open and
 * no coin was received meanwhile (another link). */
static obol_err still_open(const struct ecash_merchant *m, const struct ecash_payment *p)
{
	if (open_offer((struct ecash_merchant *)m, p->nonce) == NULL)
		return OBOL_E_ECASH_NONCE_UNKNOWN;
	if (p->ncoins == 0 || p->ncoins > ECASH_COINS_MAX)
		return OBOL_E_ECASH_TOO_MANY_COINS;
	for (size_t i = 0; i < p->ncoins; i++) {
		if (p->coins[i].nchain == 0)
			return OBOL_E_ECASH_WRONG_MERCHANT;
		if (ecash_merchant_holds(m, p->coins[i].coin.serial))
			return OBOL_E_ECASH_COIN_ALREADY_HELD;
	}
	return OBOL_OK;
}

obol_err ecash_merchant_verify_sigs(const struct ecash_merchant *m, const struct ecash_payment *p)
{
	obol_err err = still_open(m, p);
	for (size_t i = 0; i < p->ncoins && err == OBOL_OK; i++)
		err = last_claim_verify(&p->coins[i]);
	return err;
}

obol_err ecash_merchant_accept(struct ecash_merchant *m, const struct ecash_payment *p, struct ecash_receipt *rc)
{
	struct ecash_pending *pend;
	struct ecash_bytes b = { 0 };
	obol_err err;

	memset(rc, 0, sizeof(*rc));
	if ((err = still_open(m, p)) != OBOL_OK)
		return err;
	pend = open_offer(m, p->nonce);
	if ((err = obol_amount_zero(pend->offer.price.currency, &rc->value)) != OBOL_OK)
		return err;
	for (size_t i = 0; i < p->ncoins && err == OBOL_OK; i++)
		err = obol_amount_add(&rc->value, &rc->value, &p->coins[i].coin.value);
	if (err != OBOL_OK)
		return err;
	memcpy(rc->nonce, p->nonce, ECASH_NONCE_LEN);
	rc->ncoins = p->ncoins;
	if ((err = ecash_receipt_bytes(m->id, rc, p, &b)) != OBOL_OK)
		return err;
	err = ecash_sign_bytes(m->sk, &b, rc->sig, &rc->sig_len);
	ecash_bytes_free(&b);
	if (err != OBOL_OK || (err = reserve(m, p->ncoins)) != OBOL_OK)
		return err;
	for (size_t i = 0; i < p->ncoins; i++) {
		insert_raw(m->seen, m->cap, p->coins[i].coin.serial);
		m->nseen++;
	}
	pend->used = true;
	return OBOL_OK;
}
