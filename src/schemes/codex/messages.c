/* The codex scheme's fixed binary forms and signatures (messages.h). */
#include "schemes/codex/messages.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"
#include "schemes/codex/bytes.h"
#include "core/clock.h"
#include "schemes/common/issuer_sig.h"

static bool name_ok(const char *s)
{
	size_t n = strnlen(s, CODEX_NAME_MAX + 1);
	if (n == 0 || n > CODEX_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* An amount as units, then (for states and tokens) its currency. */
static void w_amount(struct wr *w, const struct obol_amount *a)
{
	if (a->units < 0)
		w->fail = true;
	w_u64(w, (uint64_t)a->units);
}

static void r_amount_units(struct rd *r, int64_t *units)
{
	uint64_t v = r_u64(r);
	if (v > INT64_MAX)
		r->fail = true;
	*units = (int64_t)v;
}

static void r_currency(struct rd *r, char cur[OBOL_CURRENCY_MAX + 1])
{
	r_text(r, cur, OBOL_CURRENCY_MAX);
	if (!r->fail && !obol_currency_valid(cur))
		r->fail = true;
}

/* ---- certificate -------------------------------------------------------- */

static void cert_body(struct wr *w, const struct codex_cert *c)
{
	w_bytes(w, "OCXC", 4);
	w_u8(w, CODEX_BIN_VERSION);
	w_u64(w, c->user_id);
	if (!name_ok(c->name))
		w->fail = true;
	w_text(w, c->name, CODEX_NAME_MAX);
	w_u8(w, c->kind);
	w_bytes(w, c->sign_pk, OBOL_SIGN_PK_LEN);
	w_bytes(w, c->box_pk, OBOL_BOX_PK_LEN);
	w_u64(w, (uint64_t)c->not_after);
}

obol_err codex_cert_encode(const struct codex_cert *c, uint8_t *out, size_t cap, size_t *len)
{
	struct wr w = { out, cap, 0, false };
	cert_body(&w, c);
	w_bytes(&w, c->sig, OBOL_SIGN_LEN);
	return w_end(&w, len);
}

obol_err codex_cert_decode(const uint8_t *in, size_t len, struct codex_cert *c)
{
	struct rd r = { in, len, 0, false };
	memset(c, 0, sizeof(*c));
	r_magic(&r, "OCXC");
	c->user_id = r_u64(&r);
	r_text(&r, c->name, CODEX_NAME_MAX);
	c->kind = r_u8(&r);
	if (c->kind != CODEX_PARTY_USER && c->kind != CODEX_PARTY_VENDOR)
		r.fail = true;
	r_copy(&r, c->sign_pk, OBOL_SIGN_PK_LEN);
	r_copy(&r, c->box_pk, OBOL_BOX_PK_LEN);
	c->not_after = (int64_t)r_u64(&r);
	r_copy(&r, c->sig, OBOL_SIGN_LEN);
	return r_end(&r);
}

obol_err codex_cert_sign(struct codex_cert *c, const struct obol_ed25519_signer *signer)
{
	uint8_t buf[CODEX_CERT_MAX];
	struct wr w = { buf, sizeof(buf), 0, false };
	cert_body(&w, c);
	if (w.fail)
		return OBOL_E_INVALID_ARGUMENT;
	return obol_ed25519_sign(signer, CODEX_CTX_CERT, buf, w.len, c->sig);
}

obol_err codex_cert_verify(const struct codex_cert *c, const uint8_t bank_pk[static OBOL_SIGN_PK_LEN])
{
	uint8_t buf[CODEX_CERT_MAX];
	struct wr w = { buf, sizeof(buf), 0, false };
	cert_body(&w, c);
	if (w.fail)
		return OBOL_E_CODEX_MALFORMED;
	if (obol_issuer_sig_verify(c->sig, CODEX_CTX_CERT, buf, w.len, bank_pk, obol_now()) != OBOL_OK)
		return OBOL_E_CODEX_SIGNATURE;
	return OBOL_OK;
}

/* ---- state -------------------------------------------------------------- */

static void state_body(struct wr *w, const struct codex_state *s)
{
	w_bytes(w, "OCXS", 4);
	w_u8(w, s->version);
	if (s->version < 1 || s->version > CODEX_STATE_VERSION)
		w->fail = true;
	w_u64(w, s->user_id);
	if (!name_ok(s->name) || !obol_amount_same_currency(&s->balance, &s->deposit))
		w->fail = true;
	w_text(w, s->name, CODEX_NAME_MAX);
	w_u64(w, s->epoch);
	w_amount(w, &s->balance);
	w_amount(w, &s->deposit);
	w_text(w, s->balance.currency, OBOL_CURRENCY_MAX);
	if (s->version >= 2) {
		if (!obol_amount_same_currency(&s->balance, &s->token_max) ||
		    !obol_amount_same_currency(&s->balance, &s->spent_max))
			w->fail = true;
		w_amount(w, &s->token_max);
		w_amount(w, &s->spent_max);
	}
	w_u64(w, s->tx_total);
	w_u64(w, s->tx_limit);
	w_u64(w, (uint64_t)s->not_after);
	w_u64(w, (uint64_t)s->issued);
	w_u64(w, s->perf);
}

obol_err codex_state_encode(const struct codex_state *s, uint8_t *out, size_t cap, size_t *len)
{
	struct wr w = { out, cap, 0, false };
	state_body(&w, s);
	w_bytes(&w, s->sig, OBOL_SIGN_LEN);
	return w_end(&w, len);
}

obol_err codex_state_decode(const uint8_t *in, size_t len, struct codex_state *s)
{
	struct rd r = { in, len, 0, false };
	memset(s, 0, sizeof(*s));
	s->version = r_magic_upto(&r, "OCXS", CODEX_STATE_VERSION);
	s->user_id = r_u64(&r);
	r_text(&r, s->name, CODEX_NAME_MAX);
	s->epoch = r_u64(&r);
	r_amount_units(&r, &s->balance.units);
	r_amount_units(&r, &s->deposit.units);
	r_currency(&r, s->balance.currency);
	memcpy(s->deposit.currency, s->balance.currency, sizeof(s->deposit.currency));
	memcpy(s->token_max.currency, s->balance.currency, sizeof(s->token_max.currency));
	memcpy(s->spent_max.currency, s->balance.currency, sizeof(s->spent_max.currency));
	if (s->version >= 2) {
		r_amount_units(&r, &s->token_max.units);
		r_amount_units(&r, &s->spent_max.units);
	}
	s->tx_total = r_u64(&r);
	s->tx_limit = r_u64(&r);
	if (s->tx_limit > CODEX_LOG_MAX)
		r.fail = true;
	s->not_after = (int64_t)r_u64(&r);
	s->issued = (int64_t)r_u64(&r);
	s->perf = r_u64(&r);
	r_copy(&r, s->sig, OBOL_SIGN_LEN);
	return r_end(&r);
}

obol_err codex_state_sign(struct codex_state *s, const struct obol_ed25519_signer *signer)
{
	uint8_t buf[CODEX_STATE_MAX];
	struct wr w = { buf, sizeof(buf), 0, false };
	state_body(&w, s);
	if (w.fail)
		return OBOL_E_INVALID_ARGUMENT;
	return obol_ed25519_sign(signer, CODEX_CTX_STATE, buf, w.len, s->sig);
}

obol_err codex_state_verify(const struct codex_state *s, const uint8_t bank_pk[static OBOL_SIGN_PK_LEN])
{
	uint8_t buf[CODEX_STATE_MAX];
	struct wr w = { buf, sizeof(buf), 0, false };
	state_body(&w, s);
	if (w.fail)
		return OBOL_E_CODEX_MALFORMED;
	if (obol_issuer_sig_verify(s->sig, CODEX_CTX_STATE, buf, w.len, bank_pk, obol_now()) != OBOL_OK)
		return OBOL_E_CODEX_SIGNATURE;
	return OBOL_OK;
}

obol_err codex_state_hash(const struct codex_state *s, uint8_t out[static OBOL_HASH_LEN])
{
	uint8_t buf[CODEX_STATE_MAX];
	size_t len;
	obol_err e = codex_state_encode(s, buf, sizeof(buf), &len);
	if (e == OBOL_OK)
		obol_sha256(out, buf, len);
	return e;
}

/* ---- token -------------------------------------------------------------- */

static void token_body(struct wr *w, const struct codex_token *t)
{
	w_bytes(w, "OCXT", 4);
	w_u8(w, t->version);
	if (t->version < 1 || t->version > CODEX_TOKEN_VERSION)
		w->fail = true;
	w_bytes(w, t->id, CODEX_TOKEN_ID_LEN);
	w_u64(w, t->payer_id);
	if (!name_ok(t->payer_name) || !name_ok(t->payee_name))
		w->fail = true;
	w_text(w, t->payer_name, CODEX_NAME_MAX);
	w_u64(w, t->payee_id);
	w_text(w, t->payee_name, CODEX_NAME_MAX);
	w_amount(w, &t->amount);
	w_text(w, t->amount.currency, OBOL_CURRENCY_MAX);
	w_u64(w, (uint64_t)t->time);
	w_u64(w, t->epoch);
	w_u64(w, t->seq);
	if (t->version >= 2) {
		if (!obol_amount_same_currency(&t->amount, &t->spent))
			w->fail = true;
		w_amount(w, &t->spent);
	}
	w_bytes(w, t->prev, OBOL_HASH_LEN);
}

obol_err codex_token_encode(const struct codex_token *t, uint8_t *out, size_t cap, size_t *len)
{
	struct wr w = { out, cap, 0, false };
	token_body(&w, t);
	w_bytes(&w, t->sig, OBOL_SIGN_LEN);
	return w_end(&w, len);
}

obol_err codex_token_decode(const uint8_t *in, size_t len, struct codex_token *t)
{
	struct rd r = { in, len, 0, false };
	memset(t, 0, sizeof(*t));
	t->version = r_magic_upto(&r, "OCXT", CODEX_TOKEN_VERSION);
	r_copy(&r, t->id, CODEX_TOKEN_ID_LEN);
	t->payer_id = r_u64(&r);
	r_text(&r, t->payer_name, CODEX_NAME_MAX);
	t->payee_id = r_u64(&r);
	r_text(&r, t->payee_name, CODEX_NAME_MAX);
	r_amount_units(&r, &t->amount.units);
	r_currency(&r, t->amount.currency);
	memcpy(t->spent.currency, t->amount.currency, sizeof(t->spent.currency));
	t->time = (int64_t)r_u64(&r);
	t->epoch = r_u64(&r);
	t->seq = r_u64(&r);
	if (t->version >= 2)
		r_amount_units(&r, &t->spent.units);
	r_copy(&r, t->prev, OBOL_HASH_LEN);
	r_copy(&r, t->sig, OBOL_SIGN_LEN);
	return r_end(&r);
}

obol_err codex_token_sign(struct codex_token *t, const uint8_t sk[static OBOL_SIGN_SK_LEN])
{
	uint8_t buf[CODEX_TOKEN_MAX];
	struct wr w = { buf, sizeof(buf), 0, false };
	token_body(&w, t);
	if (w.fail)
		return OBOL_E_INVALID_ARGUMENT;
	obol_sign(t->sig, CODEX_CTX_TOKEN, buf, w.len, sk);
	return OBOL_OK;
}

obol_err codex_token_verify(const struct codex_token *t, const uint8_t pk[static OBOL_SIGN_PK_LEN])
{
	uint8_t buf[CODEX_TOKEN_MAX];
	struct wr w = { buf, sizeof(buf), 0, false };
	token_body(&w, t);
	if (w.fail)
		return OBOL_E_CODEX_MALFORMED;
	if (obol_sign_verify(t->sig, CODEX_CTX_TOKEN, buf, w.len, pk) != OBOL_OK)
		return OBOL_E_CODEX_SIGNATURE;
	return OBOL_OK;
}

obol_err codex_token_hash(const struct codex_token *t, uint8_t out[static OBOL_HASH_LEN])
{
	uint8_t buf[CODEX_TOKEN_MAX];
	size_t len;
	obol_err e = codex_token_encode(t, buf, sizeof(buf), &len);
	if (e == OBOL_OK)
		obol_sha256(out, buf, len);
	return e;
}

/* ---- acknowledgement ---------------------------------------------------- */

static void ack_body(struct wr *w, const struct codex_ack *a)
{
	w_bytes(w, "OCXA", 4);
	w_u8(w, CODEX_BIN_VERSION);
	w_bytes(w, a->token_hash, OBOL_HASH_LEN);
	w_u64(w, a->payee_id);
	w_u64(w, (uint64_t)a->time);
}

obol_err codex_ack_encode(const struct codex_ack *a, uint8_t out[static CODEX_ACK_LEN])
{
	struct wr w = { out, CODEX_ACK_LEN, 0, false };
	size_t len;
	ack_body(&w, a);
	w_bytes(&w, a->sig, OBOL_SIGN_LEN);
	return w_end(&w, &len);
}

obol_err codex_ack_decode(const uint8_t *in, size_t len, struct codex_ack *a)
{
	struct rd r = { in, len, 0, false };
	memset(a, 0, sizeof(*a));
	r_magic(&r, "OCXA");
	r_copy(&r, a->token_hash, OBOL_HASH_LEN);
	a->payee_id = r_u64(&r);
	a->time = (int64_t)r_u64(&r);
	r_copy(&r, a->sig, OBOL_SIGN_LEN);
	return r_end(&r);
}

obol_err codex_ack_sign(struct codex_ack *a, const uint8_t sk[static OBOL_SIGN_SK_LEN])
{
	uint8_t buf[CODEX_ACK_LEN];
	struct wr w = { buf, sizeof(buf), 0, false };
	ack_body(&w, a);
	if (w.fail)
		return OBOL_E_INTERNAL;
	obol_sign(a->sig, CODEX_CTX_ACK, buf, w.len, sk);
	return OBOL_OK;
}

obol_err codex_ack_verify(const struct codex_ack *a, const uint8_t pk[static OBOL_SIGN_PK_LEN])
{
	uint8_t buf[CODEX_ACK_LEN];
	struct wr w = { buf, sizeof(buf), 0, false };
	ack_body(&w, a);
	if (w.fail)
		return OBOL_E_INTERNAL;
	if (obol_sign_verify(a->sig, CODEX_CTX_ACK, buf, w.len, pk) != OBOL_OK)
		return OBOL_E_CODEX_SIGNATURE;
	return OBOL_OK;
}

/* ---- refusal ------------------------------------------------------------ */

static void refusal_body(struct wr *w, const struct codex_refusal *f)
{
	w_bytes(w, "OCXR", 4);
	w_u8(w, CODEX_BIN_VERSION);
	w_bytes(w, f->token_id, CODEX_TOKEN_ID_LEN);
	w_bytes(w, f->token_hash, OBOL_HASH_LEN);
	w_u64(w, f->payer_id);
	w_u64(w, f->payee_id);
	w_u64(w, (uint64_t)f->time);
	if (f->reason == 0 || !obol_err_is_known((int)f->reason))
		w->fail = true;
	w_u32(w, f->reason);
}

obol_err codex_refusal_encode(const struct codex_refusal *f, uint8_t out[static CODEX_REFUSAL_LEN])
{
	struct wr w = { out, CODEX_REFUSAL_LEN, 0, false };
	size_t len;
	refusal_body(&w, f);
	w_bytes(&w, f->sig, OBOL_SIGN_LEN);
	return w_end(&w, &len);
}

obol_err codex_refusal_decode(const uint8_t *in, size_t len, struct codex_refusal *f)
{
	struct rd r = { in, len, 0, false };
	memset(f, 0, sizeof(*f));
	r_magic(&r, "OCXR");
	r_copy(&r, f->token_id, CODEX_TOKEN_ID_LEN);
	r_copy(&r, f->token_hash, OBOL_HASH_LEN);
	f->payer_id = r_u64(&r);
	f->payee_id = r_u64(&r);
	f->time = (int64_t)r_u64(&r);
	f->reason = r_u32(&r);
	if (!r.fail && (f->reason == 0 || !obol_err_is_known((int)f->reason)))
		r.fail = true;
	r_copy(&r, f->sig, OBOL_SIGN_LEN);
	return r_end(&r);
}

obol_err codex_refusal_sign(struct codex_refusal *f, const uint8_t sk[static OBOL_SIGN_SK_LEN])
{
	uint8_t buf[CODEX_REFUSAL_LEN];
	struct wr w = { buf, sizeof(buf), 0, false };
	refusal_body(&w, f);
	if (w.fail)
		return OBOL_E_INVALID_ARGUMENT;
	obol_sign(f->sig, CODEX_CTX_REFUSAL, buf, w.len, sk);
	return OBOL_OK;
}

obol_err codex_refusal_verify(const struct codex_refusal *f, const uint8_t pk[static OBOL_SIGN_PK_LEN])
{
	uint8_t buf[CODEX_REFUSAL_LEN];
	struct wr w = { buf, sizeof(buf), 0, false };
	refusal_body(&w, f);
	if (w.fail)
		return OBOL_E_CODEX_MALFORMED;
	if (obol_sign_verify(f->sig, CODEX_CTX_REFUSAL, buf, w.len, pk) != OBOL_OK)
		return OBOL_E_CODEX_REFUSAL_FORGED;
	return OBOL_OK;
}

obol_err codex_refusal_check(const struct codex_refusal *f, const struct codex_token *t,
			     const uint8_t th[static OBOL_HASH_LEN], const uint8_t payee_pk[static OBOL_SIGN_PK_LEN])
{
	if (memcmp(f->token_id, t->id, CODEX_TOKEN_ID_LEN) != 0 || memcmp(f->token_hash, th, OBOL_HASH_LEN) != 0 ||
	    f->payer_id != t->payer_id || f->payee_id != t->payee_id)
		return OBOL_E_CODEX_REFUSAL_WRONG_PARTY;
	return codex_refusal_verify(f, payee_pk);
}

/* ---- blacklist ---------------------------------------------------------- */

static void blacklist_body(struct wr *w, const struct codex_blacklist *b)
{
	w_bytes(w, "OCXB", 4);
	w_u8(w, CODEX_BIN_VERSION);
	w_u64(w, b->version);
	w_u64(w, (uint64_t)b->issued);
	if (b->n > CODEX_BLACKLIST_MAX) {
		w->fail = true;
		return;
	}
	{
		uint8_t n4[4] = { (uint8_t)(b->n >> 24), (uint8_t)(b->n >> 16), (uint8_t)(b->n >> 8), (uint8_t)b->n };
		w_bytes(w, n4, 4);
	}
	for (size_t i = 0; i < b->n; i++) {
		if (i > 0 && b->ids[i] <= b->ids[i - 1])
			w->fail = true;
		w_u64(w, b->ids[i]);
	}
}

obol_err codex_blacklist_encode(const struct codex_blacklist *b, uint8_t **out, size_t *len)
{
	size_t cap = CODEX_BLACKLIST_LEN(b->n > CODEX_BLACKLIST_MAX ? 0 : b->n);
	uint8_t *buf = malloc(cap);
	struct wr w = { buf, cap, 0, false };
	obol_err e;
	*out = NULL;
	if (!buf)
		return OBOL_E_NO_MEMORY;
	blacklist_body(&w, b);
	w_bytes(&w, b->sig, OBOL_SIGN_LEN);
	e = w_end(&w, len);
	if (e != OBOL_OK) {
		free(buf);
		return e;
	}
	*out = buf;
	return OBOL_OK;
}

obol_err codex_blacklist_decode(const uint8_t *in, size_t len, struct codex_blacklist *b)
{
	struct rd r = { in, len, 0, false };
	const uint8_t *n4;
	size_t n = 0;
	b->n = 0;
	r_magic(&r, "OCXB");
	b->version = r_u64(&r);
	b->issued = (int64_t)r_u64(&r);
	n4 = r_bytes(&r, 4);
	if (n4)
		n = ((size_t)n4[0] << 24) | ((size_t)n4[1] << 16) | ((size_t)n4[2] << 8) | n4[3];
	if (n > CODEX_BLACKLIST_MAX || (!r.fail && n * 8 > r.len - r.off))
		r.fail = true;
	for (size_t i = 0; !r.fail && i < n; i++) {
		b->ids[i] = r_u64(&r);
		if (i > 0 && b->ids[i] <= b->ids[i - 1])
			r.fail = true;
	}
	if (!r.fail)
		b->n = n;
	r_copy(&r, b->sig, OBOL_SIGN_LEN);
	return r_end(&r);
}

static obol_err blacklist_bytes(const struct codex_blacklist *b, uint8_t **buf, size_t *len)
{
	size_t cap = CODEX_BLACKLIST_LEN(b->n > CODEX_BLACKLIST_MAX ? 0 : b->n);
	struct wr w = { NULL, cap, 0, false };
	*buf = malloc(cap);
	if (!*buf)
		return OBOL_E_NO_MEMORY;
	w.p = *buf;
	blacklist_body(&w, b);
	if (w.fail) {
		free(*buf);
		*buf = NULL;
		return OBOL_E_CODEX_MALFORMED;
	}
	*len = w.len;
	return OBOL_OK;
}

obol_err codex_blacklist_sign(struct codex_blacklist *b, const struct obol_ed25519_signer *signer)
{
	uint8_t *buf;
	size_t len;
	obol_err e = blacklist_bytes(b, &buf, &len);
	if (e != OBOL_OK)
		return e == OBOL_E_CODEX_MALFORMED ? OBOL_E_INVALID_ARGUMENT : e;
	e = obol_ed25519_sign(signer, CODEX_CTX_BLACKLIST, buf, len, b->sig);
	free(buf);
	return e;
}

obol_err codex_blacklist_verify(const struct codex_blacklist *b, const uint8_t bank_pk[static OBOL_SIGN_PK_LEN])
{
	uint8_t *buf;
	size_t len;
	obol_err e = blacklist_bytes(b, &buf, &len);
	if (e != OBOL_OK)
		return e;
	if (obol_issuer_sig_verify(b->sig, CODEX_CTX_BLACKLIST, buf, len, bank_pk, obol_now()) != OBOL_OK)
		e = OBOL_E_CODEX_SIGNATURE;
	free(buf);
	return e;
}

bool codex_blacklist_signed_by(const struct codex_blacklist *b, const uint8_t pk[static OBOL_SIGN_PK_LEN])
{
	uint8_t *buf;
	size_t len;
	if (blacklist_bytes(b, &buf, &len) != OBOL_OK)
		return false;
	bool ok = obol_sign_verify(b->sig, CODEX_CTX_BLACKLIST, buf, len, pk) == OBOL_OK;
	free(buf);
	return ok;
}

bool codex_blacklist_has(const struct codex_blacklist *b, uint64_t user_id)
{
	size_t lo = 0, hi = b->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (b->ids[mid] == user_id)
			return true;
		if (b->ids[mid] < user_id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* ---- log chain ---------------------------------------------------------- */

static const char LOG_TAG[] = "codex-log-v1";

void codex_log_start(uint8_t out[static OBOL_HASH_LEN], const uint8_t state_hash[static OBOL_HASH_LEN])
{
	struct obol_hash_part p[] = { { LOG_TAG, sizeof(LOG_TAG) - 1 }, { state_hash, OBOL_HASH_LEN } };
	obol_sha256_parts(out, p, OBOL_ARRAY_LEN(p));
}

void codex_log_step(uint8_t out[static OBOL_HASH_LEN], const uint8_t prev[static OBOL_HASH_LEN], uint8_t kind,
		    uint64_t seq, int64_t time, const uint8_t token_hash[static OBOL_HASH_LEN])
{
	uint8_t num[17];
	struct wr w = { num, sizeof(num), 0, false };
	uint8_t p_copy[OBOL_HASH_LEN];
	w_u8(&w, kind);
	w_u64(&w, seq);
	w_u64(&w, (uint64_t)time);
	memcpy(p_copy, prev, OBOL_HASH_LEN); /* out may alias prev */
	struct obol_hash_part p[] = {
		{ LOG_TAG, sizeof(LOG_TAG) - 1 },
		{ p_copy, OBOL_HASH_LEN },
		{ num, sizeof(num) },
		{ token_hash, OBOL_HASH_LEN },
	};
	obol_sha256_parts(out, p, OBOL_ARRAY_LEN(p));
}

/* ---- log entries and the sealed payment --------------------------------- */

obol_err codex_entry_encode(const struct codex_entry *e, uint8_t *out, size_t cap, size_t *len)
{
	uint8_t tok[CODEX_TOKEN_MAX];
	size_t tlen;
	obol_err err = codex_token_encode(&e->token, tok, sizeof(tok), &tlen);
	struct wr w = { out, cap, 0, false };
	if (err != OBOL_OK)
		return err;
	w_u8(&w, e->kind);
	w_u64(&w, (uint64_t)e->time);
	w_u16(&w, tlen);
	w_bytes(&w, tok, tlen);
	if (e->refused) {
		uint8_t ref[CODEX_REFUSAL_LEN];
		if (e->kind != CODEX_ENTRY_PAY || (err = codex_refusal_encode(&e->refusal, ref)) != OBOL_OK)
			return OBOL_E_INVALID_ARGUMENT;
		w_bytes(&w, ref, sizeof(ref));
	}
	return w_end(&w, len);
}

obol_err codex_entry_decode(const uint8_t *in, size_t len, struct codex_entry *e)
{
	struct rd r = { in, len, 0, false };
	size_t tlen;
	const uint8_t *tok;
	memset(e, 0, sizeof(*e));
	e->kind = r_u8(&r);
	if (e->kind != CODEX_ENTRY_PAY && e->kind != CODEX_ENTRY_RECEIVE)
		r.fail = true;
	e->time = (int64_t)r_u64(&r);
	tlen = r_u16(&r);
	tok = r_bytes(&r, tlen);
	if (!r.fail && e->kind == CODEX_ENTRY_PAY && r.len - r.off == CODEX_REFUSAL_LEN) {
		if (codex_refusal_decode(r_bytes(&r, CODEX_REFUSAL_LEN), CODEX_REFUSAL_LEN, &e->refusal) != OBOL_OK)
			return OBOL_E_CODEX_MALFORMED;
		e->refused = true;
	}
	if (r_end(&r) != OBOL_OK || !tok)
		return OBOL_E_CODEX_MALFORMED;
	return codex_token_decode(tok, tlen, &e->token);
}

obol_err codex_payment_encode(const struct codex_token *t, const struct codex_cert *payer_cert,
			      const struct codex_state *payer_state, uint8_t *out, size_t cap, size_t *len)
{
	uint8_t buf[CODEX_TOKEN_MAX > CODEX_STATE_MAX ? CODEX_TOKEN_MAX : CODEX_STATE_MAX];
	size_t n;
	struct wr w = { out, cap, 0, false };
	obol_err e;

	if ((e = codex_token_encode(t, buf, sizeof(buf), &n)) != OBOL_OK)
		return e;
	w_u16(&w, n);
	w_bytes(&w, buf, n);
	if ((e = codex_cert_encode(payer_cert, buf, sizeof(buf), &n)) != OBOL_OK)
		return e;
	w_u16(&w, n);
	w_bytes(&w, buf, n);
	if ((e = codex_state_encode(payer_state, buf, sizeof(buf), &n)) != OBOL_OK)
		return e;
	w_u16(&w, n);
	w_bytes(&w, buf, n);
	return w_end(&w, len);
}

obol_err codex_payment_decode(const uint8_t *in, size_t len, struct codex_token *t,
			      struct codex_cert *payer_cert, struct codex_state *payer_state)
{
	struct rd r = { in, len, 0, false };
	const uint8_t *p[3];
	size_t n[3];
	obol_err e;
	for (int i = 0; i < 3; i++) {
		n[i] = r_u16(&r);
		p[i] = r_bytes(&r, n[i]);
	}
	if (r_end(&r) != OBOL_OK)
		return OBOL_E_CODEX_MALFORMED;
	if ((e = codex_token_decode(p[0], n[0], t)) != OBOL_OK)
		return e;
	if ((e = codex_cert_decode(p[1], n[1], payer_cert)) != OBOL_OK)
		return e;
	return codex_state_decode(p[2], n[2], payer_state);
}

/* ---- device-link bodies ------------------------------------------------- */

void codex_msg_hello_spec(struct codex_msg_hello *m, struct obol_field f[1], struct obol_fields *spec)
{
	f[0] = (struct obol_field)OBOL_F_AMOUNT("amount", 1, &m->amount, OBOL_OPT(&m->has_amount));
	*spec = (struct obol_fields){ f, 1 };
}

void codex_msg_request_spec(struct codex_msg_request *m, struct obol_field f[2], struct obol_fields *spec)
{
	f[0] = (struct obol_field)OBOL_F_BYTES("cert", 1, m->cert, 1, CODEX_CERT_MAX, &m->cert_len);
	f[1] = (struct obol_field)OBOL_F_AMOUNT("amount", 2, &m->amount, OBOL_OPT(&m->has_amount));
	*spec = (struct obol_fields){ f, 2 };
}

void codex_msg_pay_spec(struct codex_msg_pay *m, struct obol_field f[1], struct obol_fields *spec)
{
	f[0] = (struct obol_field)OBOL_F_BYTES("sealed", 1, m->sealed, 1, CODEX_SEALED_MAX, &m->sealed_len);
	*spec = (struct obol_fields){ f, 1 };
}

void codex_msg_ack_spec(struct codex_msg_ack *m, struct obol_field f[1], struct obol_fields *spec)
{
	f[0] = (struct obol_field)OBOL_F_FIXED("ack", 1, m->ack, CODEX_ACK_LEN);
	*spec = (struct obol_fields){ f, 1 };
}

void codex_msg_refusal_spec(struct codex_msg_refusal *m, struct obol_field f[1], struct obol_fields *spec)
{
	f[0] = (struct obol_field)OBOL_F_FIXED("refusal", 1, m->refusal, CODEX_REFUSAL_LEN);
	*spec = (struct obol_fields){ f, 1 };
}
