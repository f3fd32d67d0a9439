/* The Codex: its layers, serialisation and self-checks (codex.h; seed 004 §IV). */
#include "schemes/codex/codex.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"
#include "schemes/codex/bytes.h"

struct codex *codex_alloc(void)
{
	return calloc(1, sizeof(struct codex));
}

void codex_free(struct codex *c)
{
	if (!c)
		return;
	codex_blset_free(&c->blocked);
	obol_wipe(c, sizeof(*c));
	free(c);
}

static bool keys_match(const struct codex_cert *cert, const uint8_t sign_sk[static OBOL_SIGN_SK_LEN],
		       const struct obol_box_keypair *box)
{
	/* libsodium's Ed25519 secret key ends with its public key. */
	return memcmp(sign_sk + 32, cert->sign_pk, OBOL_SIGN_PK_LEN) == 0 &&
	       memcmp(box->pk, cert->box_pk, OBOL_BOX_PK_LEN) == 0;
}

obol_err codex_init(struct codex *c, const uint8_t bank_pk[static OBOL_SIGN_PK_LEN], const struct codex_cert *cert,
		    const struct codex_state *state, const struct codex_blacklist *bl,
		    const uint8_t sign_sk[static OBOL_SIGN_SK_LEN], const struct obol_box_keypair *box, int64_t now)
{
	obol_err e;
	uint8_t sh[OBOL_HASH_LEN];

	if (codex_cert_verify(cert, bank_pk) != OBOL_OK || codex_state_verify(state, bank_pk) != OBOL_OK)
		return OBOL_E_CODEX_SIGNATURE;
	if ((e = codex_blacklist_verify(bl, bank_pk)) != OBOL_OK)
		return e;
	if (!keys_match(cert, sign_sk, box) || state->user_id != cert->user_id ||
	    strcmp(state->name, cert->name) != 0 || cert->kind != CODEX_PARTY_USER)
		return OBOL_E_CODEX_CERT_INVALID;
	if ((e = codex_state_hash(state, sh)) != OBOL_OK)
		return e;
	memset(c, 0, sizeof(*c));
	c->cert = *cert;
	memcpy(c->sign_sk, sign_sk, OBOL_SIGN_SK_LEN);
	c->box = *box;
	memcpy(c->bank_pk, bank_pk, OBOL_SIGN_PK_LEN);
	c->created = now;
	c->state = *state;
	c->balance = state->balance;
	codex_log_start(c->head, sh);
	memcpy(&c->blacklist, bl, sizeof(*bl));
	return OBOL_OK;
}

uint64_t codex_tx_count(const struct codex *c)
{
	return c->state.tx_total + c->nlog;
}

size_t codex_pending_count(const struct codex *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->nlog; i++)
		if (c->log[i].e.kind == CODEX_ENTRY_PAY && !c->log[i].acked && !c->log[i].e.refused)
			n++;
	return n;
}

size_t codex_refused_count(const struct codex *c)
{
	size_t n = 0;
	for (size_t i = 0; i < c->nlog; i++)
		if (c->log[i].e.kind == CODEX_ENTRY_PAY && c->log[i].e.refused)
			n++;
	return n;
}

obol_err codex_check_live(const struct codex *c, int64_t now)
{
	if (c->state.version < 2)
		return OBOL_E_CODEX_STATE_OLD_FORMAT;
	if (now > c->state.not_after)
		return OBOL_E_CODEX_EXPIRED;
	if (c->nlog >= c->state.tx_limit)
		return OBOL_E_CODEX_TX_LIMIT;
	return OBOL_OK;
}

obol_err codex_check(const struct codex *c)
{
	uint8_t h[OBOL_HASH_LEN], th[OBOL_HASH_LEN];
	struct obol_amount bal = c->state.balance;
	obol_err e;

	if (c->nlog > CODEX_LOG_MAX || c->nseen > CODEX_SEEN_MAX || c->npeers > CODEX_PEERS_MAX ||
	    c->nrefusals > CODEX_REFUSALS_MAX)
		return OBOL_E_CODEX_MALFORMED;
	/* the refusals kept: this Codex's own as payee, or its payees' of its tokens */
	for (size_t i = 0; i < c->nrefusals; i++) {
		const struct codex_refusal_rec *rr = &c->refusals[i];
		if (rr->role == CODEX_REFUSAL_ISSUED ? rr->f.payee_id != c->cert.user_id
		    : rr->role == CODEX_REFUSAL_HELD ? rr->f.payer_id != c->cert.user_id || rr->reported
						     : true)
			return OBOL_E_CODEX_MALFORMED;
		if (rr->in_sync && (!c->sync_pending || rr->reported))
			return OBOL_E_CODEX_MALFORMED;
	}
	if ((e = codex_state_hash(&c->state, h)) != OBOL_OK)
		return e;
	codex_log_start(h, h);
	for (size_t i = 0; i < c->nlog; i++) {
		const struct codex_log_rec *r = &c->log[i];
		const struct codex_token *t = &r->e.token;
		if ((e = codex_token_hash(t, th)) != OBOL_OK)
			return e;
		if (memcmp(th, r->token_hash, OBOL_HASH_LEN) != 0)
			return OBOL_E_CODEX_LOG_BROKEN;
		if (r->e.kind == CODEX_ENTRY_PAY) {
			if (t->payer_id != c->cert.user_id || t->epoch != c->state.epoch || t->seq != i + 1 ||
			    memcmp(t->prev, h, OBOL_HASH_LEN) != 0)
				return OBOL_E_CODEX_LOG_BROKEN;
			if (obol_amount_sub_nonneg(&bal, &bal, &t->amount) != OBOL_OK)
				return OBOL_E_CODEX_INCONSISTENT;
			/* a refusal held is the payee's, for this token, and never
			 * beside its acknowledgement */
			if (r->e.refused &&
			    (r->acked || (e = codex_refusal_check(&r->e.refusal, t, th, r->peer_pk)) != OBOL_OK))
				return r->acked ? OBOL_E_CODEX_REFUSAL_CONFLICT : e;
		} else {
			if (r->e.refused || t->payee_id != c->cert.user_id)
				return OBOL_E_CODEX_LOG_BROKEN;
			if (obol_amount_add(&bal, &bal, &t->amount) != OBOL_OK)
				return OBOL_E_CODEX_INCONSISTENT;
		}
		codex_log_step(h, h, r->e.kind, i + 1, r->e.time, th);
		if (memcmp(h, r->hash, OBOL_HASH_LEN) != 0)
			return OBOL_E_CODEX_LOG_BROKEN;
	}
	if (memcmp(h, c->head, OBOL_HASH_LEN) != 0)
		return OBOL_E_CODEX_LOG_BROKEN;
	if (!obol_amount_same_currency(&bal, &c->balance) || bal.units != c->balance.units)
		return OBOL_E_CODEX_INCONSISTENT;
	return OBOL_OK;
}

/* ---- serialisation ------------------------------------------------------ *
 * "OCXW" | v 1 | u16 cert | sign_sk 64 | box pk 32 | box sk 32 | bank_pk 32 |
 * created 8 | u16 state | balance units 8 | head 32 |
 * u32 nlog, each: u16 entry | token_hash 32 | hash 32 | peer_pk 32 | acked 1 |
 * u32 blacklist | u32 nseen, each: id 16 | time 8 |
 * sync_pending 1 | request id 1+n (n may be 0) | has_load 1 | load units 8 | sync_close 1 |
 * (v2:) u32 npeers, each: payer_id 8 | epoch 8 | seq 8 | spent units 8 | until 8 |
 *       u32 nrefusals, each: refusal CODEX_REFUSAL_LEN | role 1 | in_sync 1 | reported 1
 * (v3:) the paged blacklist copy: version 8 | u32 n | base until 8 |
 *       n x (varint user - previous user | varint until - base until)
 * Version 1 (before the offline limits) ends after sync_close, version 2
 * after the refusals; both are read, and written back as version 3. */
#define CODEX_WALLET_VERSION 3

/* LEB128, at most 10 bytes for a u64. */
static void w_varint(struct wr *w, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;
	do {
		b[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	w_bytes(w, b, n);
}

static uint64_t r_varint(struct rd *r)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		uint8_t b = r_u8(r);
		if (r->fail)
			return 0;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			if (shift == 63 && b > 1)
				r->fail = true;
			return v;
		}
	}
	r->fail = true;
	return 0;
}

/* The paged copy, compact: ascending ids as deltas, untils from the
 * smallest (an id and an until take 2 to 8 bytes together where ids are
 * dense, at most 20). */
static void blocked_write(struct wr *w, const struct codex_blset *b)
{
	int64_t base = INT64_MAX;
	uint64_t prev = 0;
	for (size_t i = 0; i < b->n; i++)
		if (b->items[i].until < base)
			base = b->items[i].until;
	if (b->n == 0)
		base = 0;
	w_u64(w, b->version);
	if (b->n > UINT32_MAX)
		w->fail = true;
	w_u32(w, (uint32_t)b->n);
	w_u64(w, (uint64_t)base);
	for (size_t i = 0; i < b->n; i++) {
		w_varint(w, b->items[i].user - prev);
		w_varint(w, (uint64_t)b->items[i].until - (uint64_t)base);
		prev = b->items[i].user;
	}
}

static obol_err blocked_read(struct rd *r, struct codex_blset *b)
{
	uint64_t prev = 0;
	int64_t base;
	uint32_t n;
	b->version = r_u64(r);
	n = r_u32(r);
	base = (int64_t)r_u64(r);
	/* two bytes at least per entry: a count the input cannot hold is malformed */
	if (r->fail || n > (r->len - r->off) / 2 || r->len - r->off > 20 + (size_t)CODEX_BLOCKED_BYTES_MAX)
		return OBOL_E_CODEX_MALFORMED;
	if (n > 0 && (b->items = malloc((size_t)n * sizeof(*b->items))) == NULL)
		return OBOL_E_NO_MEMORY;
	b->cap = n;
	for (uint32_t i = 0; i < n && !r->fail; i++) {
		uint64_t d = r_varint(r), u = r_varint(r);
		if ((i > 0 && d == 0) || d > UINT64_MAX - prev || u > (uint64_t)INT64_MAX - (uint64_t)(base < 0 ? 0 : base))
			r->fail = true;
		prev += d;
		b->items[i].user = prev;
		b->items[i].until = (int64_t)((uint64_t)base + u);
		b->n = i + 1;
	}
	return r->fail ? OBOL_E_CODEX_MALFORMED : OBOL_OK;
}

#define REC_FIXED (2 + 32 + 32 + 32 + 1)

obol_err codex_serialize(const struct codex *c, uint8_t **out, size_t *len)
{
	uint8_t buf[CODEX_ENTRY_MAX > CODEX_STATE_MAX ? CODEX_ENTRY_MAX : CODEX_STATE_MAX];
	uint8_t *bl = NULL;
	size_t n, bl_len = 0;
	size_t cap = 4 + 1 + 2 + CODEX_CERT_MAX + 64 + 96 + 8 + 2 + CODEX_STATE_MAX + 8 + 32 + 4 +
		     c->nlog * (CODEX_ENTRY_MAX + REC_FIXED) + 4 + CODEX_BLACKLIST_LEN(c->blacklist.n) + 4 +
		     c->nseen * 24 + 4 + CODEX_REQUEST_ID_MAX + 8 + 4 + c->npeers * 40 + 4 +
		     c->nrefusals * (CODEX_REFUSAL_LEN + 3) + 20 + c->blocked.n * 20;
	struct wr w = { NULL, cap, 0, false };
	obol_err e;

	*out = NULL;
	if (c->nlog > CODEX_LOG_MAX || c->nseen > CODEX_SEEN_MAX || c->blacklist.n > CODEX_BLACKLIST_MAX ||
	    c->npeers > CODEX_PEERS_MAX || c->nrefusals > CODEX_REFUSALS_MAX)
		return OBOL_E_INVALID_ARGUMENT;
	if (!(w.p = malloc(cap)))
		return OBOL_E_NO_MEMORY;
	w_bytes(&w, "OCXW", 4);
	w_u8(&w, CODEX_WALLET_VERSION);
	if ((e = codex_cert_encode(&c->cert, buf, sizeof(buf), &n)) != OBOL_OK)
		goto out;
	w_u16(&w, n);
	w_bytes(&w, buf, n);
	w_bytes(&w, c->sign_sk, OBOL_SIGN_SK_LEN);
	w_bytes(&w, c->box.pk, OBOL_BOX_PK_LEN);
	w_bytes(&w, c->box.sk, OBOL_BOX_SK_LEN);
	w_bytes(&w, c->bank_pk, OBOL_SIGN_PK_LEN);
	w_u64(&w, (uint64_t)c->created);
	if ((e = codex_state_encode(&c->state, buf, sizeof(buf), &n)) != OBOL_OK)
		goto out;
	w_u16(&w, n);
	w_bytes(&w, buf, n);
	w_u64(&w, (uint64_t)c->balance.units);
	w_bytes(&w, c->head, OBOL_HASH_LEN);
	w_u32(&w, (uint32_t)c->nlog);
	for (size_t i = 0; i < c->nlog; i++) {
		const struct codex_log_rec *r = &c->log[i];
		if ((e = codex_entry_encode(&r->e, buf, sizeof(buf), &n)) != OBOL_OK)
			goto out;
		w_u16(&w, n);
		w_bytes(&w, buf, n);
		w_bytes(&w, r->token_hash, OBOL_HASH_LEN);
		w_bytes(&w, r->hash, OBOL_HASH_LEN);
		w_bytes(&w, r->peer_pk, OBOL_SIGN_PK_LEN);
		w_u8(&w, r->acked ? 1 : 0);
	}
	if ((e = codex_blacklist_encode(&c->blacklist, &bl, &bl_len)) != OBOL_OK)
		goto out;
	w_u32(&w, (uint32_t)bl_len);
	w_bytes(&w, bl, bl_len);
	w_u32(&w, (uint32_t)c->nseen);
	for (size_t i = 0; i < c->nseen; i++) {
		w_bytes(&w, c->seen[i].id, CODEX_TOKEN_ID_LEN);
		w_u64(&w, (uint64_t)c->seen[i].time);
	}
	w_u8(&w, c->sync_pending ? 1 : 0);
	n = strnlen(c->sync_request_id, CODEX_REQUEST_ID_MAX + 1);
	if (n > CODEX_REQUEST_ID_MAX)
		w.fail = true;
	w_u8(&w, (uint8_t)n);
	w_bytes(&w, c->sync_request_id, n);
	w_u8(&w, c->sync_has_load ? 1 : 0);
	w_u64(&w, c->sync_has_load ? (uint64_t)c->sync_load.units : 0);
	w_u8(&w, c->sync_close ? 1 : 0);
	w_u32(&w, (uint32_t)c->npeers);
	for (size_t i = 0; i < c->npeers; i++) {
		const struct codex_peer *p = &c->peers[i];
		w_u64(&w, p->payer_id);
		w_u64(&w, p->epoch);
		w_u64(&w, p->seq);
		if (p->spent.units < 0)
			w.fail = true;
		w_u64(&w, (uint64_t)p->spent.units);
		w_u64(&w, (uint64_t)p->until);
	}
	w_u32(&w, (uint32_t)c->nrefusals);
	for (size_t i = 0; i < c->nrefusals; i++) {
		uint8_t ref[CODEX_REFUSAL_LEN];
		if ((e = codex_refusal_encode(&c->refusals[i].f, ref)) != OBOL_OK)
			goto out;
		w_bytes(&w, ref, sizeof(ref));
		w_u8(&w, c->refusals[i].role);
		w_u8(&w, c->refusals[i].in_sync ? 1 : 0);
		w_u8(&w, c->refusals[i].reported ? 1 : 0);
	}
	n = w.len;
	blocked_write(&w, &c->blocked);
	if (!w.fail && w.len - n > CODEX_BLOCKED_BYTES_MAX) {
		e = OBOL_E_CODEX_BLACKLIST_TOO_LONG;
		goto out;
	}
	if (w.fail) {
		e = OBOL_E_INVALID_ARGUMENT;
		goto out;
	}
	*out = w.p;
	*len = w.len;
	w.p = NULL;
	e = OBOL_OK;
out:
	free(bl);
	if (w.p) {
		obol_wipe(w.p, cap);
		free(w.p);
	}
	obol_wipe(buf, sizeof(buf));
	return e;
}

/* A flag byte: 0 or 1, anything else is malformed. */
static bool r_flag(struct rd *r)
{
	uint8_t v = r_u8(r);
	if (v > 1)
		r->fail = true;
	return v == 1;
}

static const uint8_t *r_blob16(struct rd *r, size_t *n)
{
	*n = r_u16(r);
	return r_bytes(r, *n);
}

obol_err codex_parse(struct codex *c, const uint8_t *in, size_t len)
{
	struct rd r = { in, len, 0, false };
	const uint8_t *p;
	size_t n;
	uint32_t cnt;
	int64_t units;
	obol_err e;

	uint8_t version;

	memset(c, 0, sizeof(*c));
	p = r_bytes(&r, 4);
	version = r_u8(&r);
	if (!p || memcmp(p, "OCXW", 4) != 0 || version < 1 || version > CODEX_WALLET_VERSION)
		return OBOL_E_CODEX_MALFORMED;
	p = r_blob16(&r, &n);
	if (!p || (e = codex_cert_decode(p, n, &c->cert)) != OBOL_OK)
		goto bad;
	r_copy(&r, c->sign_sk, OBOL_SIGN_SK_LEN);
	r_copy(&r, c->box.pk, OBOL_BOX_PK_LEN);
	r_copy(&r, c->box.sk, OBOL_BOX_SK_LEN);
	r_copy(&r, c->bank_pk, OBOL_SIGN_PK_LEN);
	c->created = (int64_t)r_u64(&r);
	p = r_blob16(&r, &n);
	if (!p || codex_state_decode(p, n, &c->state) != OBOL_OK)
		goto bad;
	units = (int64_t)r_u64(&r);
	if (units < 0 || obol_amount_from_units(c->state.balance.currency, units, &c->balance) != OBOL_OK)
		goto bad;
	r_copy(&r, c->head, OBOL_HASH_LEN);
	cnt = r_u32(&r);
	if (cnt > CODEX_LOG_MAX)
		goto bad;
	for (uint32_t i = 0; i < cnt && !r.fail; i++) {
		struct codex_log_rec *rec = &c->log[i];
		p = r_blob16(&r, &n);
		if (!p || codex_entry_decode(p, n, &rec->e) != OBOL_OK)
			goto bad;
		r_copy(&r, rec->token_hash, OBOL_HASH_LEN);
		r_copy(&r, rec->hash, OBOL_HASH_LEN);
		r_copy(&r, rec->peer_pk, OBOL_SIGN_PK_LEN);
		rec->acked = r_flag(&r);
	}
	c->nlog = cnt;
	cnt = r_u32(&r);
	p = r_bytes(&r, cnt);
	if (!p || codex_blacklist_decode(p, cnt, &c->blacklist) != OBOL_OK)
		goto bad;
	cnt = r_u32(&r);
	if (cnt > CODEX_SEEN_MAX)
		goto bad;
	for (uint32_t i = 0; i < cnt; i++) {
		r_copy(&r, c->seen[i].id, CODEX_TOKEN_ID_LEN);
		c->seen[i].time = (int64_t)r_u64(&r);
	}
	c->nseen = cnt;
	c->sync_pending = r_flag(&r);
	n = r_u8(&r);
	if (n > CODEX_REQUEST_ID_MAX)
		goto bad;
	r_copy(&r, c->sync_request_id, n);
	for (size_t i = 0; i < n; i++)
		if (c->sync_request_id[i] < 0x21 || c->sync_request_id[i] > 0x7e)
			goto bad;
	c->sync_has_load = r_flag(&r);
	units = (int64_t)r_u64(&r);
	if (c->sync_has_load ? (units <= 0 || obol_amount_from_units(c->state.balance.currency, units, &c->sync_load) !=
						      OBOL_OK)
			     : units != 0)
		goto bad;
	c->sync_close = r_flag(&r);
	if (version >= 2) {
		cnt = r_u32(&r);
		if (cnt > CODEX_PEERS_MAX)
			goto bad;
		for (uint32_t i = 0; i < cnt && !r.fail; i++) {
			struct codex_peer *pe = &c->peers[i];
			pe->payer_id = r_u64(&r);
			pe->epoch = r_u64(&r);
			pe->seq = r_u64(&r);
			units = (int64_t)r_u64(&r);
			if (units < 0 || obol_amount_from_units(c->state.balance.currency, units, &pe->spent) != OBOL_OK)
				goto bad;
			pe->until = (int64_t)r_u64(&r);
		}
		c->npeers = cnt;
		cnt = r_u32(&r);
		if (cnt > CODEX_REFUSALS_MAX)
			goto bad;
		for (uint32_t i = 0; i < cnt && !r.fail; i++) {
			struct codex_refusal_rec *rr = &c->refusals[i];
			p = r_bytes(&r, CODEX_REFUSAL_LEN);
			if (!p || codex_refusal_decode(p, CODEX_REFUSAL_LEN, &rr->f) != OBOL_OK)
				goto bad;
			rr->role = r_u8(&r);
			rr->in_sync = r_flag(&r);
			rr->reported = r_flag(&r);
		}
		c->nrefusals = cnt;
	}
	if (version >= 3 && blocked_read(&r, &c->blocked) != OBOL_OK)
		goto bad;
	if (r.fail || r.off != r.len)
		goto bad;
	/* the bank's signatures: not again (codex.h) */
	if (!keys_match(&c->cert, c->sign_sk, &c->box) || c->state.user_id != c->cert.user_id)
		return OBOL_E_CODEX_CERT_INVALID;
	return codex_check(c);
bad:
	return OBOL_E_CODEX_MALFORMED;
}
