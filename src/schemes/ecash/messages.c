/* Field specs of the ecash objects and messages. See messages.h. CBOR keys
 * are small integers per object; JSON names are the same words. */
#include "schemes/ecash/messages.h"

#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "wire/json.h"

/* ---- objects ---- */

void ecash_cert_spec(struct ecash_cert_spec *sp, struct ecash_cert *c)
{
	const struct obol_field f[5] = {
		OBOL_F_BYTES("key", 1, c->key, 1, ECASH_KEY_DER_MAX, &c->key_len),
		OBOL_F_INT("account", 2, &c->account),
		OBOL_F_INT("issued", 3, &c->issued),
		OBOL_F_INT("expiry", 4, &c->expiry),
		OBOL_F_BYTES("sig", 5, c->sig, 1, ECASH_SIG_MAX, &c->sig_len),
	};
	memcpy(sp->f, f, sizeof(f));
	sp->s = (struct obol_fields){ sp->f, 5 };
}

void ecash_coin_spec(struct ecash_coin_spec *sp, struct ecash_coin *c)
{
	const struct obol_field f[6] = {
		OBOL_F_FIXED("serial", 1, c->serial, ECASH_SERIAL_LEN),
		OBOL_F_AMOUNT("value", 2, &c->value),
		OBOL_F_INT("issued", 3, &c->issued),
		OBOL_F_INT("expiry", 4, &c->expiry),
		OBOL_F_BYTES("sig", 5, c->sig, 1, ECASH_SIG_MAX, &c->sig_len),
		OBOL_F_FIXED("owner", 6, c->owner, ECASH_OWNER_LEN, OBOL_OPT(&c->has_owner)),
	};
	memcpy(sp->f, f, sizeof(f));
	sp->s = (struct obol_fields){ sp->f, 6 };
}

static obol_err claim_cert_element(void *ctx, size_t i, struct obol_fields *out)
{
	struct ecash_claim_spec *sp = ctx;
	struct ecash_claim *c = sp->c;
	if (i >= ECASH_RING_MAX)
		return OBOL_E_WIRE_OVERSIZED;
	if (sp->decode) {
		/* The decoder sets ncerts at the end; grow one element at a time. */
		struct ecash_cert *nc = realloc(c->certs, (i + 1) * sizeof(*nc));
		if (nc == NULL)
			return OBOL_E_NO_MEMORY;
		memset(&nc[i], 0, sizeof(nc[i]));
		c->certs = nc;
	}
	ecash_cert_spec(&sp->cert, &c->certs[i]);
	*out = sp->cert.s;
	return OBOL_OK;
}

obol_err ecash_claim_spec(struct ecash_claim_spec *sp, struct ecash_claim *c, bool decode)
{
	memset(sp, 0, sizeof(*sp));
	sp->c = c;
	sp->decode = decode;
	if (decode && c->sig == NULL) {
		c->sig = malloc(ECASH_RINGSIG_MAX);
		if (c->sig == NULL)
			return OBOL_E_NO_MEMORY;
	}
	sp->certs = (struct obol_field_array){ claim_cert_element, sp, &c->ncerts, ECASH_RING_MAX };
	sp->has_sig = c->sig_len > 0;
	const struct obol_field f[5] = {
		OBOL_F_FIXED("payee", 1, c->payee, ECASH_ID_LEN),
		OBOL_F_INT("ts", 2, &c->ts),
		OBOL_F_ARRAY("certs", 3, &sp->certs),
		OBOL_F_BYTES("sig", 4, c->sig, 1, ECASH_RINGSIG_MAX, &c->sig_len, OBOL_OPT(&sp->has_sig)),
		OBOL_F_FIXED("owner_sig", 6, c->owner_sig, ECASH_OWNER_SIG_LEN, OBOL_OPT(&c->has_owner_sig)),
	};
	memcpy(sp->f, f, sizeof(f));
	sp->s = (struct obol_fields){ sp->f, 5 };
	return OBOL_OK;
}

static obol_err coins_element(void *ctx, size_t i, struct obol_fields *out)
{
	struct ecash_coins_spec *sp = ctx;
	if (i >= sp->max)
		return OBOL_E_ECASH_TOO_MANY_COINS;
	if (sp->decode) {
		struct ecash_held_coin *nc = realloc(*sp->coins, (i + 1) * sizeof(*nc));
		if (nc == NULL)
			return OBOL_E_NO_MEMORY;
		memset(&nc[i], 0, sizeof(nc[i]));
		*sp->coins = nc;
		sp->allocated = i + 1;
	}
	ecash_coin_spec(&sp->coin, &(*sp->coins)[i].coin);
	*out = sp->coin.s;
	return OBOL_OK;
}

static obol_err claims_element(void *ctx, size_t i, struct obol_fields *out)
{
	struct ecash_coins_spec *sp = ctx;
	if (sp->decode) {
		if (i >= sp->max * ECASH_CHAIN_MAX)
			return OBOL_E_ECASH_CHAIN_TOO_LONG;
		struct ecash_flat_claim *nf = realloc(sp->flat, (i + 1) * sizeof(*nf));
		if (nf == NULL)
			return OBOL_E_NO_MEMORY;
		memset(&nf[i], 0, sizeof(nf[i]));
		sp->flat = nf;
		sp->flat_alloc = i + 1;
	}
	struct ecash_flat_claim *fc = &sp->flat[i];
	obol_err err = ecash_claim_spec(&sp->claim, &fc->c, sp->decode);
	if (err != OBOL_OK)
		return err;
	sp->claim_f[0] = (struct obol_field)OBOL_F_UINT("coin", 5, &fc->coin, ECASH_COINS_MAX - 1);
	memcpy(sp->claim_f + 1, sp->claim.f, sizeof(sp->claim.f));
	*out = (struct obol_fields){ sp->claim_f, 6 };
	return OBOL_OK;
}

obol_err ecash_coins_spec(struct ecash_coins_spec *sp, struct ecash_held_coin **coins, size_t *n, size_t max,
			  bool decode, bool last_unsigned, uint32_t key, struct obol_field f[2])
{
	memset(sp, 0, sizeof(*sp));
	sp->coins = coins;
	sp->n = n;
	sp->max = max;
	sp->decode = decode;
	sp->last_unsigned = last_unsigned;
	if (!decode) {
		/* Flatten the chains (shallow: the claims stay the coins'); in
		 * PAY's form, each last claim without its signatures. */
		size_t total = 0;
		for (size_t i = 0; i < *n; i++)
			total += (*coins)[i].nchain;
		sp->flat = calloc(total ? total : 1, sizeof(*sp->flat));
		if (sp->flat == NULL)
			return OBOL_E_NO_MEMORY;
		for (size_t i = 0; i < *n; i++)
			for (size_t j = 0; j < (*coins)[i].nchain; j++) {
				struct ecash_claim *c = &sp->flat[sp->nflat].c;
				sp->flat[sp->nflat++].coin = i;
				*c = (*coins)[i].chain[j];
				if (last_unsigned && j + 1 == (*coins)[i].nchain) {
					c->sig_len = 0;
					c->has_owner_sig = false;
				}
			}
	}
	sp->coins_arr = (struct obol_field_array){ coins_element, sp, n, max };
	sp->claims_arr = (struct obol_field_array){ claims_element, sp, &sp->nflat, max * ECASH_CHAIN_MAX };
	f[0] = (struct obol_field)OBOL_F_ARRAY("coins", key, &sp->coins_arr);
	f[1] = (struct obol_field)OBOL_F_ARRAY("claims", key + 1, &sp->claims_arr);
	return OBOL_OK;
}

obol_err ecash_coins_done(struct ecash_coins_spec *sp, obol_err err)
{
	if (!sp->decode) {
		free(sp->flat);
		sp->flat = NULL;
		return err;
	}
	/* Move each claim onto its coin, trimming its signature buffer. */
	for (size_t i = 0; err == OBOL_OK && i < sp->nflat; i++) {
		struct ecash_flat_claim *fc = &sp->flat[i];
		if (fc->coin >= *sp->n) {
			err = OBOL_E_WIRE_MALFORMED;
			break;
		}
		if (fc->c.ncerts == 0) {
			err = OBOL_E_WIRE_MISSING_FIELD;
			break;
		}
		struct ecash_held_coin *h = &(*sp->coins)[fc->coin];
		if (h->nchain >= ECASH_CHAIN_MAX) {
			err = OBOL_E_ECASH_CHAIN_TOO_LONG;
			break;
		}
		/* Signatures: on every claim but, in PAY, each coin's last. */
		bool last = true;
		for (size_t j = i + 1; j < sp->nflat && last; j++)
			last = sp->flat[j].coin != fc->coin;
		if (sp->last_unsigned && last ? fc->c.sig_len != 0 || fc->c.has_owner_sig : fc->c.sig_len == 0) {
			err = fc->c.sig_len == 0 ? OBOL_E_WIRE_MISSING_FIELD : OBOL_E_WIRE_MALFORMED;
			break;
		}
		uint8_t *s = realloc(fc->c.sig, fc->c.sig_len ? fc->c.sig_len : 1);
		if (s != NULL)
			fc->c.sig = s;
		h->chain[h->nchain++] = fc->c;
		memset(&fc->c, 0, sizeof(fc->c));
	}
	for (size_t i = 0; i < sp->flat_alloc; i++)
		ecash_claim_clear(&sp->flat[i].c);
	free(sp->flat);
	sp->flat = NULL;
	if (err != OBOL_OK) {
		for (size_t i = 0; i < sp->allocated; i++)
			ecash_held_clear(&(*sp->coins)[i]);
		free(*sp->coins);
		*sp->coins = NULL;
		*sp->n = 0;
	}
	return err;
}

/* ---- device-link messages ---- */

void ecash_hello_spec(struct ecash_hello_spec *sp, struct ecash_hello *m)
{
	const struct obol_field f[2] = {
		OBOL_F_UINT("ring", 1, &m->ring, ECASH_RING_MAX),
		OBOL_F_TEXT("product", 2, m->product, 64, OBOL_OPT(&m->has_product)),
	};
	memcpy(sp->f, f, sizeof(f));
	sp->s = (struct obol_fields){ sp->f, 2 };
}

void ecash_offer_spec(struct ecash_offer_spec *sp, struct ecash_offer *o)
{
	ecash_cert_spec(&sp->cert, &o->cert);
	const struct obol_field f[5] = {
		OBOL_F_FIXED("merchant", 1, o->merchant, ECASH_ID_LEN),
		OBOL_F_FIXED("nonce", 2, o->nonce, ECASH_NONCE_LEN),
		OBOL_F_AMOUNT("price", 3, &o->price),
		OBOL_F_INT("expiry", 4, &o->expiry),
		OBOL_F_MAP("cert", 5, &sp->cert.s),
	};
	memcpy(sp->f, f, sizeof(f));
	sp->s = (struct obol_fields){ sp->f, 5 };
}

obol_err ecash_payment_spec(struct ecash_payment_spec *sp, struct ecash_payment *p, bool decode)
{
	memset(sp, 0, sizeof(*sp));
	sp->p = p;
	sp->decode = decode;
	if (decode && p->sigma1 == NULL) {
		p->sigma1 = malloc(ECASH_RINGSIG_MAX);
		if (p->sigma1 == NULL)
			return OBOL_E_NO_MEMORY;
	}
	sp->f[0] = (struct obol_field)OBOL_F_FIXED("nonce", 1, p->nonce, ECASH_NONCE_LEN);
	sp->f[1] = (struct obol_field)OBOL_F_BYTES("sigma1", 2, p->sigma1, 1, ECASH_RINGSIG_MAX, &p->sigma1_len);
	sp->s = (struct obol_fields){ sp->f, 4 };
	obol_err err = ecash_coins_spec(&sp->coins, &p->coins, &p->ncoins, ECASH_COINS_MAX, decode, true, 3, sp->f + 2);
	if (err != OBOL_OK && decode) {
		free(p->sigma1);
		p->sigma1 = NULL;
	}
	return err;
}

obol_err ecash_payment_done(struct ecash_payment_spec *sp, obol_err err)
{
	err = ecash_coins_done(&sp->coins, err);
	if (!sp->decode)
		return err;
	if (err != OBOL_OK) {
		free(sp->p->sigma1);
		memset(sp->p, 0, sizeof(*sp->p));
		return err;
	}
	uint8_t *s = realloc(sp->p->sigma1, sp->p->sigma1_len ? sp->p->sigma1_len : 1);
	if (s != NULL)
		sp->p->sigma1 = s;
	return OBOL_OK;
}

void ecash_ready_spec(struct ecash_ready_spec *sp, struct ecash_ready *r)
{
	sp->f[0] = (struct obol_field)OBOL_F_FIXED("nonce", 1, r->nonce, ECASH_NONCE_LEN);
	sp->s = (struct obol_fields){ sp->f, 1 };
}

static obol_err sigs_element(void *ctx, size_t i, struct obol_fields *out)
{
	struct ecash_signatures_spec *sp = ctx;
	struct ecash_signatures *m = sp->m;
	if (i >= ECASH_COINS_MAX)
		return OBOL_E_ECASH_TOO_MANY_COINS;
	if (sp->decode) {
		struct ecash_claim_sigs *ns = realloc(m->s, (i + 1) * sizeof(*ns));
		if (ns == NULL)
			return OBOL_E_NO_MEMORY;
		memset(&ns[i], 0, sizeof(ns[i]));
		m->s = ns;
		if ((ns[i].sig = malloc(ECASH_RINGSIG_MAX)) == NULL)
			return OBOL_E_NO_MEMORY;
		m->n = i + 1; /* so that a failure frees what was allocated */
	}
	struct ecash_claim_sigs *c = &m->s[i];
	sp->ef[0] = (struct obol_field)OBOL_F_BYTES("sig", 1, c->sig, 1, ECASH_RINGSIG_MAX, &c->sig_len);
	sp->ef[1] = (struct obol_field)OBOL_F_FIXED("owner_sig", 2, c->owner_sig, ECASH_OWNER_SIG_LEN,
						    OBOL_OPT(&c->has_owner_sig));
	*out = (struct obol_fields){ sp->ef, 2 };
	return OBOL_OK;
}

void ecash_signatures_spec(struct ecash_signatures_spec *sp, struct ecash_signatures *m, bool decode)
{
	memset(sp, 0, sizeof(*sp));
	sp->m = m;
	sp->decode = decode;
	sp->arr = (struct obol_field_array){ sigs_element, sp, &m->n, ECASH_COINS_MAX };
	sp->f[0] = (struct obol_field)OBOL_F_FIXED("nonce", 1, m->nonce, ECASH_NONCE_LEN);
	sp->f[1] = (struct obol_field)OBOL_F_ARRAY("sigs", 2, &sp->arr);
	sp->s = (struct obol_fields){ sp->f, 2 };
}

obol_err ecash_signatures_done(struct ecash_signatures_spec *sp, obol_err err)
{
	if (!sp->decode)
		return err;
	if (err != OBOL_OK) {
		ecash_signatures_clear(sp->m);
		return err;
	}
	for (size_t i = 0; i < sp->m->n; i++) {
		uint8_t *t = realloc(sp->m->s[i].sig, sp->m->s[i].sig_len ? sp->m->s[i].sig_len : 1);
		if (t != NULL)
			sp->m->s[i].sig = t;
	}
	return OBOL_OK;
}

void ecash_receipt_spec(struct ecash_receipt_spec *sp, struct ecash_receipt *r)
{
	const struct obol_field f[4] = {
		OBOL_F_FIXED("nonce", 1, r->nonce, ECASH_NONCE_LEN),
		OBOL_F_AMOUNT("value", 2, &r->value),
		OBOL_F_UINT("coins", 3, &r->ncoins, ECASH_COINS_MAX),
		OBOL_F_BYTES("sig", 4, r->sig, 1, ECASH_SIG_MAX, &r->sig_len),
	};
	memcpy(sp->f, f, sizeof(f));
	sp->s = (struct obol_fields){ sp->f, 4 };
}

/* ---- bank-signed lists ---- */

/* An array of revoked keys {id, at}, ascending ids; decoded entries are
 * allocated as they come, grown by doubling (linear time), at most max. */
static obol_err revoked_element(void *ctx, size_t i, struct obol_fields *out)
{
	struct ecash_revoked_array *a = ctx;
	if (i >= a->max)
		return OBOL_E_WIRE_OVERSIZED;
	if (a->decode && i >= a->allocated) {
		size_t cap = a->allocated ? 2 * a->allocated : 64;
		if (cap > a->max)
			cap = a->max;
		struct ecash_revoked *nk = realloc(*a->keys, cap * sizeof(*nk));
		if (nk == NULL)
			return OBOL_E_NO_MEMORY;
		*a->keys = nk;
		a->allocated = cap;
	}
	struct ecash_revoked *k = &(*a->keys)[i];
	a->ef[0] = (struct obol_field)OBOL_F_FIXED("id", 1, k->id, ECASH_ID_LEN);
	a->ef[1] = (struct obol_field)OBOL_F_INT("at", 2, &k->at);
	*out = (struct obol_fields){ a->ef, 2 };
	return OBOL_OK;
}

static void revoked_array(struct ecash_revoked_array *a, struct ecash_revoked **keys, size_t *n, size_t max,
			  bool decode)
{
	memset(a, 0, sizeof(*a));
	a->keys = keys;
	a->max = max;
	a->decode = decode;
	a->arr = (struct obol_field_array){ revoked_element, a, n, max };
}

obol_err ecash_revocations_spec(struct ecash_revocations_spec *sp, struct ecash_revocations *rl, bool decode)
{
	memset(sp, 0, sizeof(*sp));
	sp->rl = rl;
	sp->decode = decode;
	revoked_array(&sp->keys, &rl->keys, &rl->n, ECASH_REVOKED_MAX, decode);
	const struct obol_field f[3] = {
		OBOL_F_INT("issued", 1, &rl->issued),
		OBOL_F_INT("whole_at", 2, &rl->whole_at),
		OBOL_F_ARRAY("keys", 3, &sp->keys.arr),
	};
	memcpy(sp->f, f, sizeof(f));
	sp->s = (struct obol_fields){ sp->f, 3 };
	return OBOL_OK;
}

obol_err ecash_revocations_done(struct ecash_revocations_spec *sp, obol_err err)
{
	if (sp->decode && err != OBOL_OK)
		ecash_revocations_clear(sp->rl);
	else if (sp->decode)
		sp->rl->held = true;
	return err;
}

void ecash_rl_page_spec(struct ecash_rl_page_spec *sp, struct ecash_rl_page *p, bool decode)
{
	memset(sp, 0, sizeof(*sp));
	sp->p = p;
	sp->decode = decode;
	revoked_array(&sp->keys, &p->keys, &p->n, ECASH_RL_PAGE_MAX, decode);
	const struct obol_field f[6] = {
		OBOL_F_INT("version", 1, &p->version),
		OBOL_F_INT("since", 2, &p->since),
		OBOL_F_FIXED("after", 3, p->after, ECASH_ID_LEN),
		OBOL_F_FIXED("through", 4, p->through, ECASH_ID_LEN),
		OBOL_F_ARRAY("keys", 5, &sp->keys.arr),
		OBOL_F_BYTES("sig", 6, p->sig, 1, ECASH_SIG_MAX, &p->sig_len),
	};
	memcpy(sp->f, f, sizeof(f));
	sp->s = (struct obol_fields){ sp->f, 6 };
}

obol_err ecash_rl_page_done(struct ecash_rl_page_spec *sp, obol_err err)
{
	if (sp->decode && err != OBOL_OK)
		ecash_rl_page_clear(sp->p);
	return err;
}

static obol_err directory_element(void *ctx, size_t i, struct obol_fields *out)
{
	struct ecash_directory_spec *sp = ctx;
	if (sp->decode) {
		struct ecash_dir_entry *ne = realloc(sp->d->e, (i + 1) * sizeof(*ne));
		if (ne == NULL)
			return OBOL_E_NO_MEMORY;
		memset(&ne[i], 0, sizeof(ne[i]));
		sp->d->e = ne;
	}
	struct ecash_dir_entry *e = &sp->d->e[i];
	ecash_cert_spec(&sp->cert, &e->cert);
	sp->ef[0] = (struct obol_field)OBOL_F_UINT("seq", 1, &e->seq, 0);
	sp->ef[1] = (struct obol_field)OBOL_F_MAP("cert", 2, &sp->cert.s);
	*out = (struct obol_fields){ sp->ef, 2 };
	return OBOL_OK;
}

void ecash_directory_spec(struct ecash_directory_spec *sp, struct ecash_directory *d, bool decode)
{
	memset(sp, 0, sizeof(*sp));
	sp->d = d;
	sp->decode = decode;
	sp->arr = (struct obol_field_array){ directory_element, sp, &d->n, ECASH_DIRECTORY_SPAN };
	const struct obol_field f[5] = {
		OBOL_F_INT("issued", 1, &d->issued),
		OBOL_F_UINT("first", 2, &d->first, 0),
		OBOL_F_UINT("span", 3, &d->span, ECASH_DIRECTORY_SPAN),
		OBOL_F_ARRAY("entries", 4, &sp->arr),
		OBOL_F_BYTES("sig", 5, d->sig, 1, ECASH_SIG_MAX, &d->sig_len),
	};
	memcpy(sp->f, f, sizeof(f));
	sp->s = (struct obol_fields){ sp->f, 5 };
}

obol_err ecash_directory_done(struct ecash_directory_spec *sp, obol_err err)
{
	if (sp->decode && err != OBOL_OK)
		ecash_directory_clear(sp->d);
	return err;
}

/* ---- issuer API bodies ---- */

void ecash_nonce_req_spec(struct ecash_nonce_spec *sp, struct ecash_nonce_req *m)
{
	sp->f[0] = (struct obol_field)OBOL_F_TEXT("purpose", 1, m->purpose, 16, .min = 1);
	sp->s = (struct obol_fields){ sp->f, 1 };
}

void ecash_nonce_reply_spec(struct ecash_nonce_spec *sp, struct ecash_nonce_reply *m)
{
	sp->f[0] = (struct obol_field)OBOL_F_FIXED("nonce", 1, m->nonce, ECASH_NONCE_LEN);
	sp->f[1] = (struct obol_field)OBOL_F_INT("expiry", 2, &m->expiry);
	sp->s = (struct obol_fields){ sp->f, 2 };
}

void ecash_register_req_spec(struct ecash_register_spec *sp, struct ecash_register_req *m)
{
	const struct obol_field f[3] = {
		OBOL_F_FIXED("nonce", 1, m->nonce, ECASH_NONCE_LEN),
		OBOL_F_BYTES("key", 2, m->key, 1, ECASH_KEY_DER_MAX, &m->key_len),
		OBOL_F_BYTES("sig", 3, m->sig, 1, ECASH_SIG_MAX, &m->sig_len),
	};
	memcpy(sp->f, f, sizeof(f));
	sp->s = (struct obol_fields){ sp->f, 3 };
}

static obol_err topup_value_element(void *ctx, size_t i, struct obol_fields *out)
{
	struct ecash_topup_req_spec *sp = ctx;
	if (i >= ECASH_COINS_MAX)
		return OBOL_E_ECASH_TOO_MANY_COINS;
	sp->vf[0] = (struct obol_field)OBOL_F_AMOUNT("value", 1, &sp->m->values[i].value);
	sp->vf[1] = (struct obol_field)OBOL_F_FIXED("owner", 2, sp->m->values[i].owner, ECASH_OWNER_LEN);
	*out = (struct obol_fields){ sp->vf, 2 };
	return OBOL_OK;
}

void ecash_topup_req_spec(struct ecash_topup_req_spec *sp, struct ecash_topup_req *m)
{
	memset(sp, 0, sizeof(*sp));
	sp->m = m;
	ecash_cert_spec(&sp->cert, &m->cert);
	sp->values = (struct obol_field_array){ topup_value_element, sp, &m->nvalues, ECASH_COINS_MAX };
	const struct obol_field f[4] = {
		OBOL_F_FIXED("nonce", 1, m->nonce, ECASH_NONCE_LEN),
		OBOL_F_MAP("cert", 2, &sp->cert.s),
		OBOL_F_ARRAY("values", 3, &sp->values),
		OBOL_F_BYTES("sig", 4, m->sig, 1, ECASH_SIG_MAX, &m->sig_len),
	};
	memcpy(sp->f, f, sizeof(f));
	sp->s = (struct obol_fields){ sp->f, 4 };
}

static obol_err topup_coin_element(void *ctx, size_t i, struct obol_fields *out)
{
	struct ecash_topup_reply_spec *sp = ctx;
	if (i >= ECASH_COINS_MAX)
		return OBOL_E_ECASH_TOO_MANY_COINS;
	ecash_coin_spec(&sp->coin, &sp->m->coins[i]);
	*out = sp->coin.s;
	return OBOL_OK;
}

void ecash_topup_reply_spec(struct ecash_topup_reply_spec *sp, struct ecash_topup_reply *m)
{
	memset(sp, 0, sizeof(*sp));
	sp->m = m;
	sp->coins = (struct obol_field_array){ topup_coin_element, sp, &m->ncoins, ECASH_COINS_MAX };
	sp->f[0] = (struct obol_field)OBOL_F_ARRAY("coins", 1, &sp->coins);
	sp->f[1] = (struct obol_field)OBOL_F_AMOUNT("total", 2, &m->total);
	sp->s = (struct obol_fields){ sp->f, 2 };
}

void ecash_deposit_req_clear(struct ecash_deposit_req *m)
{
	for (size_t i = 0; i < m->ncoins; i++)
		ecash_held_clear(&m->coins[i]);
	free(m->coins);
	m->coins = NULL;
	m->ncoins = 0;
}

obol_err ecash_deposit_req_terms(const struct ecash_deposit_req *m, struct ecash_coins_terms *t)
{
	memset(t, 0, sizeof(*t));
	if (m->has_amount != m->has_change)
		return OBOL_E_WIRE_MISSING_FIELD;
	t->has_to = m->has_to;
	t->to = m->to;
	t->has_amount = m->has_amount;
	t->amount = m->amount;
	memcpy(t->change_owner, m->change, ECASH_OWNER_LEN);
	if (m->has_owners) {
		t->owners = (const uint8_t(*)[ECASH_OWNER_LEN])m->owners;
		t->nowners = m->nowners;
	}
	return OBOL_OK;
}

obol_err ecash_deposit_req_spec(struct ecash_deposit_req_spec *sp, struct ecash_deposit_req *m, bool decode)
{
	memset(sp, 0, sizeof(*sp));
	sp->m = m;
	ecash_cert_spec(&sp->cert, &m->cert);
	sp->f[0] = (struct obol_field)OBOL_F_FIXED("nonce", 1, m->nonce, ECASH_NONCE_LEN);
	sp->f[1] = (struct obol_field)OBOL_F_MAP("cert", 2, &sp->cert.s);
	sp->f[2] = (struct obol_field)OBOL_F_BYTES("sig", 3, m->sig, 1, ECASH_SIG_MAX, &m->sig_len);
	sp->f[5] = (struct obol_field)OBOL_F_INT("to", 6, &m->to, OBOL_OPT(&m->has_to));
	sp->f[6] = (struct obol_field)OBOL_F_AMOUNT("amount", 7, &m->amount, OBOL_OPT(&m->has_amount));
	sp->f[7] = (struct obol_field)OBOL_F_FIXED("change", 8, m->change, ECASH_OWNER_LEN, OBOL_OPT(&m->has_change));
	sp->f[8] = (struct obol_field)OBOL_F_FIXED_LIST("owners", 9, m->owners, ECASH_OWNER_LEN, &m->nowners,
							ECASH_COINS_MAX, OBOL_OPT(&m->has_owners));
	sp->s = (struct obol_fields){ sp->f, 9 };
	return ecash_coins_spec(&sp->coins, &m->coins, &m->ncoins, ECASH_COINS_MAX, decode, false, 4, sp->f + 3);
}

obol_err ecash_deposit_req_done(struct ecash_deposit_req_spec *sp, obol_err err)
{
	return ecash_coins_done(&sp->coins, err);
}

/* ---- JSON helpers ---- */

obol_err ecash_cert_to_json(const struct ecash_cert *c, json_t **out)
{
	struct ecash_cert copy = *c;
	struct ecash_cert_spec sp;
	ecash_cert_spec(&sp, &copy);
	return obol_json_encode(&sp.s, out);
}

obol_err ecash_cert_from_json(const json_t *j, struct ecash_cert *c)
{
	struct ecash_cert_spec sp;
	memset(c, 0, sizeof(*c));
	ecash_cert_spec(&sp, c);
	return obol_json_decode(j, &sp.s);
}

obol_err ecash_coins_to_json(const struct ecash_held_coin *coins, size_t n, json_t **out)
{
	struct ecash_coins_spec sp;
	struct obol_field f[2];
	struct ecash_held_coin *c = (struct ecash_held_coin *)coins; /* encoding only reads */
	size_t cnt = n;
	obol_err err = ecash_coins_spec(&sp, &c, &cnt, n ? n : 1, false, false, 1, f);
	if (err != OBOL_OK)
		return err;
	struct obol_fields s = { f, 2 };
	return ecash_coins_done(&sp, obol_json_encode(&s, out));
}

obol_err ecash_coins_from_json(const json_t *j, struct ecash_held_coin **coins, size_t *n, size_t max)
{
	struct ecash_coins_spec sp;
	struct obol_field f[2];
	*coins = NULL;
	*n = 0;
	obol_err err = ecash_coins_spec(&sp, coins, n, max, true, false, 1, f);
	if (err != OBOL_OK)
		return err;
	struct obol_fields s = { f, 2 };
	return ecash_coins_done(&sp, obol_json_decode(j, &s));
}

obol_err ecash_claim_to_json(const struct ecash_claim *c, json_t **out)
{
	struct ecash_claim copy = *c; /* shallow: encoding only reads */
	struct ecash_claim_spec sp;
	obol_err err = ecash_claim_spec(&sp, &copy, false);
	if (err != OBOL_OK)
		return err;
	return obol_json_encode(&sp.s, out);
}

const char *ecash_fraud_kind_name(enum ecash_fraud_kind k)
{
	switch (k) {
	case ECASH_FRAUD_TWO_CLAIMS:
		return "two-claims";
	case ECASH_FRAUD_DEPOSITED_AND_SPENT:
		return "deposited-and-spent";
	case ECASH_FRAUD_ISSUED_TWICE_SPENT:
		return "issued-twice-spent";
	case ECASH_FRAUD_REFUNDED_AND_SPENT:
		return "refunded-and-spent";
	case ECASH_FRAUD_EXCHANGED_AND_SPENT:
		return "exchanged-and-spent";
	}
	return "unknown";
}

static obol_err set_b64(json_t *o, const char *key, const uint8_t *p, size_t n)
{
	char buf[OBOL_B64_LEN(64)];
	obol_err err = obol_b64_encode(p, n, buf, sizeof(buf));
	if (err != OBOL_OK)
		return err;
	return json_object_set_new(o, key, json_string(buf)) == 0 ? OBOL_OK : OBOL_E_NO_MEMORY;
}

obol_err ecash_evidence_to_json(const struct ecash_evidence *e, json_t **out)
{
	json_t *o = json_object(), *c = NULL;
	obol_err err = o ? OBOL_OK : OBOL_E_NO_MEMORY;
	if (err == OBOL_OK)
		err = set_b64(o, "serial", e->serial, ECASH_SERIAL_LEN);
	if (err == OBOL_OK && (json_object_set_new(o, "kind", json_string(ecash_fraud_kind_name(e->kind))) != 0 ||
			       json_object_set_new(o, "fork", json_integer((json_int_t)e->fork)) != 0 ||
			       json_object_set_new(o, "culprit_account", json_integer(e->culprit_account)) != 0))
		err = OBOL_E_NO_MEMORY;
	if (err == OBOL_OK && e->culprit_key_known)
		err = set_b64(o, "culprit_key", e->culprit_key, ECASH_ID_LEN);
	if (err == OBOL_OK)
		err = set_b64(o, "first_depositor", e->first_depositor, ECASH_ID_LEN);
	if (err == OBOL_OK)
		err = set_b64(o, "second_depositor", e->second_depositor, ECASH_ID_LEN);
	if (err == OBOL_OK && e->first.ncerts > 0 && e->first.sig_len > 0) {
		err = ecash_claim_to_json(&e->first, &c);
		if (err == OBOL_OK && json_object_set_new(o, "first", c) != 0)
			err = OBOL_E_NO_MEMORY;
	}
	if (err == OBOL_OK && e->second.ncerts > 0 && e->second.sig_len > 0) {
		err = ecash_claim_to_json(&e->second, &c);
		if (err == OBOL_OK && json_object_set_new(o, "second", c) != 0)
			err = OBOL_E_NO_MEMORY;
	}
	if (err != OBOL_OK) {
		json_decref(o);
		return err;
	}
	*out = o;
	return OBOL_OK;
}
