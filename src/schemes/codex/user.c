/* The user's TransactionMonitor (seed 004 §III) and the axioms of §V.A:
 * make payment, receive payment, the TokenDispatcher's acknowledgement,
 * blacklist updates and the wallet side of a sync (codex.h). */
#include <string.h>

#include "core/parse.h"
#include "crypto/secret.h"
#include "schemes/codex/codex.h"

static bool cert_current(const struct codex_cert *c, const uint8_t bank_pk[static OBOL_SIGN_PK_LEN], int64_t now)
{
	return codex_cert_verify(c, bank_pk) == OBOL_OK && now <= c->not_after;
}

obol_err codex_request(const struct codex *c, const struct obol_amount *amount, struct codex_msg_request *out)
{
	memset(out, 0, sizeof(*out));
	if (amount) {
		if (!obol_amount_same_currency(amount, &c->balance) || amount->units <= 0)
			return OBOL_E_CODEX_AMOUNT_INVALID;
		out->amount = *amount;
		out->has_amount = true;
	}
	return codex_cert_encode(&c->cert, out->cert, sizeof(out->cert), &out->cert_len);
}

/* Appends a log record for token t (kind) and moves the head. */
static obol_err log_append(struct codex *c, uint8_t kind, int64_t now, const struct codex_token *t,
			   const uint8_t peer_pk[static OBOL_SIGN_PK_LEN])
{
	struct codex_log_rec *r;
	obol_err e;
	if (c->nlog >= CODEX_LOG_MAX)
		return OBOL_E_CODEX_FULL;
	r = &c->log[c->nlog];
	memset(r, 0, sizeof(*r));
	r->e.kind = kind;
	r->e.time = now;
	r->e.token = *t;
	if ((e = codex_token_hash(t, r->token_hash)) != OBOL_OK)
		return e;
	memcpy(r->peer_pk, peer_pk, OBOL_SIGN_PK_LEN);
	codex_log_step(r->hash, c->head, kind, c->nlog + 1, now, r->token_hash);
	memcpy(c->head, r->hash, OBOL_HASH_LEN);
	c->nlog++;
	return OBOL_OK;
}

static bool id_generated(const struct codex *c, const uint8_t id[static CODEX_TOKEN_ID_LEN])
{
	for (size_t i = 0; i < c->nlog; i++)
		if (memcmp(c->log[i].e.token.id, id, CODEX_TOKEN_ID_LEN) == 0)
			return true;
	return false;
}

obol_err codex_spent(const struct codex *c, struct obol_amount *out)
{
	obol_err e;
	if ((e = obol_amount_zero(c->state.balance.currency, out)) != OBOL_OK)
		return e;
	for (size_t i = 0; i < c->nlog; i++)
		if (c->log[i].e.kind == CODEX_ENTRY_PAY && (e = obol_amount_add(out, out, &c->log[i].e.token.amount)) != OBOL_OK)
			return e;
	return OBOL_OK;
}

/* The amount to pay: the one given, else the one asked; equal when both
 * are; at most the payer's cap. */
static obol_err pay_amount(const struct codex_pay_req *r, struct obol_amount *out)
{
	int cmp;
	if (r->amount)
		*out = *r->amount;
	else if (r->req->has_amount)
		*out = r->req->amount;
	else
		return OBOL_E_CODEX_AMOUNT_INVALID;
	if (r->amount && r->req->has_amount &&
	    (obol_amount_cmp(r->amount, &r->req->amount, &cmp) != OBOL_OK || cmp != 0))
		return OBOL_E_CODEX_AMOUNT_INVALID;
	if (r->max && (obol_amount_cmp(out, r->max, &cmp) != OBOL_OK || cmp > 0))
		return OBOL_E_CODEX_OVER_CAP;
	return OBOL_OK;
}

obol_err codex_pay(struct codex *c, const struct codex_pay_req *r, int64_t now, struct codex_msg_pay *out,
		   struct codex_token *token_out)
{
	struct codex_cert payee;
	struct codex_token t;
	struct obol_amount amount, after, spent;
	uint8_t plain[CODEX_PAYMENT_MAX];
	size_t plen;
	int cmp;
	obol_err e;

	memset(&t, 0, sizeof(t));
	if (c->sync_pending)
		return OBOL_E_CODEX_SYNC_PENDING;
	if (codex_cert_decode(r->req->cert, r->req->cert_len, &payee) != OBOL_OK ||
	    !cert_current(&payee, c->bank_pk, now))
		return OBOL_E_CODEX_CERT_INVALID;
	if (payee.user_id == c->cert.user_id)
		return OBOL_E_CODEX_SELF_PAYMENT;
	if ((e = codex_check_live(c, now)) != OBOL_OK) /* axiom: ¬expired(X) */
		return e;
	if ((e = pay_amount(r, &amount)) != OBOL_OK)
		return e;
	/* axioms: Amount(X) > 0 and value(Token) ≤ current_balance(X) (the seed
	 * writes "<", but its own example spends a whole balance; DESIGN §8) */
	if (!obol_amount_same_currency(&amount, &c->balance) || !codex_amount_positive(&amount))
		return OBOL_E_CODEX_AMOUNT_INVALID;
	if (obol_amount_sub_nonneg(&after, &c->balance, &amount) != OBOL_OK)
		return OBOL_E_CODEX_INSUFFICIENT;
	/* the bank's offline limits, which every payee checks too */
	if ((e = codex_spent(c, &spent)) != OBOL_OK || (e = obol_amount_add(&spent, &spent, &amount)) != OBOL_OK)
		return e == OBOL_E_AMOUNT_OVERFLOW ? OBOL_E_CODEX_OVER_LIMIT : e;
	if (obol_amount_cmp(&amount, &c->state.token_max, &cmp) != OBOL_OK || cmp > 0 ||
	    obol_amount_cmp(&spent, &c->state.spent_max, &cmp) != OBOL_OK || cmp > 0)
		return OBOL_E_CODEX_OVER_LIMIT;
	if (c->nlog >= CODEX_LOG_MAX)
		return OBOL_E_CODEX_FULL;

	/* create token: a fresh id, unique among the ids this Codex generated
	 * (axiom: ∀ Ti ≠ Tj, Ti.tokenID ≠ Tj.tokenID; 128 random bits make a
	 * collision with another Codex's ids negligible) */
	do
		obol_random(t.id, sizeof(t.id));
	while (id_generated(c, t.id));
	t.version = CODEX_TOKEN_VERSION;
	t.payer_id = c->cert.user_id;
	memcpy(t.payer_name, c->cert.name, sizeof(t.payer_name));
	t.payee_id = payee.user_id;
	memcpy(t.payee_name, payee.name, sizeof(t.payee_name));
	t.amount = amount;
	t.time = now;
	t.epoch = c->state.epoch;
	t.seq = c->nlog + 1;
	t.spent = spent;
	memcpy(t.prev, c->head, OBOL_HASH_LEN);
	if ((e = codex_token_sign(&t, c->sign_sk)) != OBOL_OK)
		return e;
	if ((e = codex_payment_encode(&t, &c->cert, &c->state, plain, sizeof(plain), &plen)) != OBOL_OK)
		return e;
	memset(out, 0, sizeof(*out));
	if ((e = obol_sealbox_seal(out->sealed, plain, plen, payee.box_pk)) != OBOL_OK)
		goto out;
	out->sealed_len = plen + OBOL_SEALBOX_OVERHEAD;
	/* write log, update Codex: debit before the token leaves */
	if ((e = log_append(c, CODEX_ENTRY_PAY, now, &t, payee.sign_pk)) != OBOL_OK)
		goto out;
	c->balance = after;
	if (token_out)
		*token_out = t;
out:
	obol_wipe(plain, sizeof(plain));
	return e;
}

obol_err codex_payment_open(const struct codex_cert *me, const struct obol_box_keypair *my_box,
			    const struct codex_msg_pay *m, struct codex_token *t, struct codex_cert *payer_cert,
			    struct codex_state *payer_state)
{
	uint8_t plain[CODEX_PAYMENT_MAX];
	size_t plen;
	obol_err e;

	if (m->sealed_len <= OBOL_SEALBOX_OVERHEAD || m->sealed_len > CODEX_SEALED_MAX)
		return OBOL_E_CODEX_MALFORMED;
	plen = m->sealed_len - OBOL_SEALBOX_OVERHEAD;
	if ((e = obol_sealbox_open(plain, m->sealed, m->sealed_len, my_box)) != OBOL_OK)
		goto out;
	if ((e = codex_payment_decode(plain, plen, t, payer_cert, payer_state)) != OBOL_OK)
		goto out;
	/* tokens are payee-specific (§VI.A double spending, first case) */
	if (t->payee_id != me->user_id || strcmp(t->payee_name, me->name) != 0)
		e = OBOL_E_CODEX_NOT_FOR_ME;
out:
	obol_wipe(plain, sizeof(plain));
	return e;
}

obol_err codex_payment_check(const uint8_t bank_pk[static OBOL_SIGN_PK_LEN], const struct codex_blacklist *bl,
			     const struct codex_token *t, const struct codex_cert *payer_cert,
			     const struct codex_state *payer_state, int64_t now)
{
	int cmp;
	/* date and time stamps hint an old token (§VI.A) */
	if (t->time < now - CODEX_FRESH_WINDOW || t->time > now + CODEX_FRESH_WINDOW)
		return OBOL_E_CODEX_TOKEN_STALE;
	if (codex_blacklist_has(bl, t->payer_id))
		return OBOL_E_CODEX_PAYER_BLACKLISTED;
	if (!cert_current(payer_cert, bank_pk, now) || payer_cert->user_id != t->payer_id ||
	    strcmp(payer_cert->name, t->payer_name) != 0)
		return OBOL_E_CODEX_CERT_INVALID;
	if (codex_state_verify(payer_state, bank_pk) != OBOL_OK || payer_state->user_id != t->payer_id ||
	    payer_state->epoch != t->epoch)
		return OBOL_E_CODEX_STATE_STALE;
	/* a Codex expires after a date or a count of transactions (§VI.B) */
	if (t->time > payer_state->not_after)
		return OBOL_E_CODEX_EXPIRED;
	if (t->seq == 0 || t->seq > payer_state->tx_limit)
		return OBOL_E_CODEX_TX_LIMIT;
	/* without the bank's limits nothing bounds what the token may carry */
	if (payer_state->version < 2 || t->version < 2)
		return OBOL_E_CODEX_STATE_OLD_FORMAT;
	if (!codex_amount_positive(&t->amount) || !obol_amount_same_currency(&t->amount, &payer_state->balance))
		return OBOL_E_CODEX_AMOUNT_INVALID;
	/* the offline limits the bank set for this Codex (P5) */
	if (obol_amount_cmp(&t->amount, &payer_state->token_max, &cmp) != OBOL_OK || cmp > 0 ||
	    obol_amount_cmp(&t->amount, &t->spent, &cmp) != OBOL_OK || cmp > 0 ||
	    obol_amount_cmp(&t->spent, &payer_state->spent_max, &cmp) != OBOL_OK || cmp > 0)
		return OBOL_E_CODEX_OVER_LIMIT;
	/* the payer's signature defeats the man in the middle (§VI.A) */
	return codex_token_verify(t, payer_cert->sign_pk);
}

obol_err codex_place_check(const struct codex_peer *last, const struct codex_token *t, int64_t now)
{
	struct obol_amount floor;
	int cmp;
	if (!last || last->until < now || t->epoch > last->epoch)
		return OBOL_OK;
	if (t->epoch < last->epoch || t->seq <= last->seq)
		return OBOL_E_CODEX_PLACE_REUSED;
	/* the running total must have grown by this token's amount at least */
	if (obol_amount_add(&floor, &last->spent, &t->amount) != OBOL_OK ||
	    obol_amount_cmp(&t->spent, &floor, &cmp) != OBOL_OK || cmp < 0)
		return OBOL_E_CODEX_PLACE_REUSED;
	return OBOL_OK;
}

void codex_place_next(const struct codex_token *t, const struct codex_state *ps, struct codex_peer *out)
{
	memset(out, 0, sizeof(*out));
	out->payer_id = t->payer_id;
	out->epoch = t->epoch;
	out->seq = t->seq;
	out->spent = t->spent;
	out->until = ps->not_after > INT64_MAX - CODEX_FRESH_WINDOW ? INT64_MAX : ps->not_after + CODEX_FRESH_WINDOW;
}

obol_err codex_make_ack(const struct codex_token *t, uint64_t payee_id, const uint8_t sk[static OBOL_SIGN_SK_LEN],
			int64_t now, struct codex_msg_ack *out)
{
	struct codex_ack a;
	obol_err e;
	memset(&a, 0, sizeof(a));
	if ((e = codex_token_hash(t, a.token_hash)) != OBOL_OK)
		return e;
	a.payee_id = payee_id;
	a.time = now;
	if ((e = codex_ack_sign(&a, sk)) != OBOL_OK)
		return e;
	return codex_ack_encode(&a, out->ack);
}

static bool id_received(const struct codex *c, const uint8_t id[static CODEX_TOKEN_ID_LEN])
{
	for (size_t i = 0; i < c->nseen; i++)
		if (memcmp(c->seen[i].id, id, CODEX_TOKEN_ID_LEN) == 0)
			return true;
	for (size_t i = 0; i < c->nlog; i++)
		if (c->log[i].e.kind == CODEX_ENTRY_RECEIVE &&
		    memcmp(c->log[i].e.token.id, id, CODEX_TOKEN_ID_LEN) == 0)
			return true;
	for (size_t i = 0; i < c->nrefusals; i++)
		if (c->refusals[i].role == CODEX_REFUSAL_ISSUED &&
		    memcmp(c->refusals[i].f.token_id, id, CODEX_TOKEN_ID_LEN) == 0)
			return true;
	return false;
}

/* Makes room in the lists a payee keeps: received ids of tokens older than
 * twice the freshness window can no longer pass the time check; a payer's
 * last place is forgotten once none of its state's tokens can pass; a
 * refusal the bank has is forgotten once its token is stale. */
static void prune(struct codex *c, int64_t now)
{
	size_t k = 0;
	for (size_t i = 0; i < c->nseen; i++)
		if (c->seen[i].time >= now - 2 * CODEX_FRESH_WINDOW)
			c->seen[k++] = c->seen[i];
	c->nseen = k;
	k = 0;
	for (size_t i = 0; i < c->npeers; i++)
		if (c->peers[i].until >= now)
			c->peers[k++] = c->peers[i];
	c->npeers = k;
	k = 0;
	for (size_t i = 0; i < c->nrefusals; i++)
		if (!c->refusals[i].reported || c->refusals[i].f.time >= now - 2 * CODEX_FRESH_WINDOW)
			c->refusals[k++] = c->refusals[i];
	c->nrefusals = k;
}

static struct codex_peer *peer_find(struct codex *c, uint64_t payer_id)
{
	for (size_t i = 0; i < c->npeers; i++)
		if (c->peers[i].payer_id == payer_id)
			return &c->peers[i];
	return NULL;
}

obol_err codex_receive(struct codex *c, const struct codex_msg_pay *m, int64_t now, struct codex_msg_ack *ack,
		       struct codex_token *token_out)
{
	struct codex_token t;
	struct codex_cert payer;
	struct codex_state pst;
	struct codex_peer *peer;
	struct obol_amount after;
	obol_err e;

	if (c->sync_pending)
		return OBOL_E_CODEX_SYNC_PENDING;
	if ((e = codex_check_live(c, now)) != OBOL_OK)
		return e;
	if ((e = codex_payment_open(&c->cert, &c->box, m, &t, &payer, &pst)) != OBOL_OK)
		return e;
	/* the same token id twice is a replay (§VI.A double spending, second case) */
	if (id_received(c, t.id))
		return OBOL_E_CODEX_TOKEN_SEEN;
	if ((e = codex_payment_check(c->bank_pk, &c->blacklist, &t, &payer, &pst, now)) != OBOL_OK)
		return e;
	if (codex_blset_has(&c->blocked, t.payer_id))
		return OBOL_E_CODEX_PAYER_BLACKLISTED;
	if (!obol_amount_same_currency(&t.amount, &c->balance))
		return OBOL_E_CODEX_AMOUNT_INVALID;
	if (t.payer_id == c->cert.user_id)
		return OBOL_E_CODEX_SELF_PAYMENT;
	/* ... and the same place of the payer's log twice is a copied Codex */
	peer = peer_find(c, t.payer_id);
	if ((e = codex_place_check(peer, &t, now)) != OBOL_OK)
		return e;
	if (obol_amount_add(&after, &c->balance, &t.amount) != OBOL_OK)
		return OBOL_E_CODEX_AMOUNT_INVALID;
	if (c->nseen >= CODEX_SEEN_MAX || (!peer && c->npeers >= CODEX_PEERS_MAX))
		prune(c, now);
	peer = peer_find(c, t.payer_id);
	if (c->nseen >= CODEX_SEEN_MAX || c->nlog >= CODEX_LOG_MAX || (!peer && c->npeers >= CODEX_PEERS_MAX))
		return OBOL_E_CODEX_FULL;
	if ((e = codex_make_ack(&t, c->cert.user_id, c->sign_sk, now, ack)) != OBOL_OK)
		return e;
	/* write log, update Codex */
	if ((e = log_append(c, CODEX_ENTRY_RECEIVE, now, &t, payer.sign_pk)) != OBOL_OK)
		return e;
	memcpy(c->seen[c->nseen].id, t.id, CODEX_TOKEN_ID_LEN);
	c->seen[c->nseen].time = t.time;
	c->nseen++;
	codex_place_next(&t, &pst, peer ? peer : &c->peers[c->npeers++]);
	c->balance = after;
	if (token_out)
		*token_out = t;
	return OBOL_OK;
}

obol_err codex_take_ack(struct codex *c, const struct codex_msg_ack *m)
{
	struct codex_ack a;
	if (codex_ack_decode(m->ack, sizeof(m->ack), &a) != OBOL_OK)
		return OBOL_E_CODEX_MALFORMED;
	for (size_t i = 0; i < c->nlog; i++) {
		struct codex_log_rec *r = &c->log[i];
		if (r->e.kind != CODEX_ENTRY_PAY || !obol_ct_equal(r->token_hash, a.token_hash, OBOL_HASH_LEN))
			continue;
		if (a.payee_id != r->e.token.payee_id)
			return OBOL_E_CODEX_ACK_UNKNOWN;
		if (codex_ack_verify(&a, r->peer_pk) != OBOL_OK)
			return OBOL_E_CODEX_SIGNATURE;
		if (r->e.refused)
			return OBOL_E_CODEX_REFUSAL_CONFLICT;
		r->acked = true;
		return OBOL_OK;
	}
	return OBOL_E_CODEX_ACK_UNKNOWN;
}

bool codex_refusable(obol_err e)
{
	switch (e) {
	case OBOL_E_CODEX_TOKEN_STALE:
	case OBOL_E_CODEX_PAYER_BLACKLISTED:
	case OBOL_E_CODEX_CERT_INVALID:
	case OBOL_E_CODEX_STATE_STALE:
	case OBOL_E_CODEX_EXPIRED:
	case OBOL_E_CODEX_TX_LIMIT:
	case OBOL_E_CODEX_AMOUNT_INVALID:
	case OBOL_E_CODEX_SIGNATURE:
	case OBOL_E_CODEX_SELF_PAYMENT:
	case OBOL_E_CODEX_SYNC_PENDING:
	case OBOL_E_CODEX_FULL:
	case OBOL_E_CODEX_OVER_LIMIT:
	case OBOL_E_CODEX_PLACE_REUSED:
	case OBOL_E_CODEX_STATE_OLD_FORMAT:
		return true;
	default:
		return false;
	}
}

obol_err codex_make_refusal(const struct codex_token *t, uint64_t payee_id, const uint8_t sk[static OBOL_SIGN_SK_LEN],
			    obol_err reason, int64_t now, struct codex_msg_refusal *out)
{
	struct codex_refusal f;
	obol_err e;
	memset(&f, 0, sizeof(f));
	if (reason == OBOL_OK)
		return OBOL_E_INVALID_ARGUMENT;
	memcpy(f.token_id, t->id, CODEX_TOKEN_ID_LEN);
	if ((e = codex_token_hash(t, f.token_hash)) != OBOL_OK)
		return e;
	f.payer_id = t->payer_id;
	f.payee_id = payee_id;
	f.time = now;
	f.reason = (uint32_t)reason;
	if ((e = codex_refusal_sign(&f, sk)) != OBOL_OK)
		return e;
	return codex_refusal_encode(&f, out->refusal);
}

/* A free record in the list of refusals (pruned first when full). */
static struct codex_refusal_rec *refusal_slot(struct codex *c, const int64_t *now)
{
	if (c->nrefusals >= CODEX_REFUSALS_MAX && now)
		prune(c, *now);
	if (c->nrefusals >= CODEX_REFUSALS_MAX)
		return NULL;
	memset(&c->refusals[c->nrefusals], 0, sizeof(c->refusals[0]));
	return &c->refusals[c->nrefusals++];
}

obol_err codex_refuse(struct codex *c, const struct codex_msg_pay *m, obol_err reason, int64_t now,
		      struct codex_msg_refusal *out)
{
	struct codex_token t;
	struct codex_cert payer;
	struct codex_state pst;
	struct codex_refusal_rec *rec;
	obol_err e;

	if (!codex_refusable(reason))
		return OBOL_E_INVALID_ARGUMENT;
	if ((e = codex_payment_open(&c->cert, &c->box, m, &t, &payer, &pst)) != OBOL_OK)
		return e;
	/* never refuse an id this Codex took (or answered) before */
	if (id_received(c, t.id))
		return OBOL_E_CODEX_TOKEN_SEEN;
	if (!(rec = refusal_slot(c, &now)))
		return OBOL_E_CODEX_FULL;
	if ((e = codex_make_refusal(&t, c->cert.user_id, c->sign_sk, reason, now, out)) != OBOL_OK ||
	    (e = codex_refusal_decode(out->refusal, sizeof(out->refusal), &rec->f)) != OBOL_OK) {
		c->nrefusals--;
		return e;
	}
	/* kept for the bank (the payer is refunded even if the refusal is lost
	 * on its way) and so that the refused id is never taken later */
	rec->role = CODEX_REFUSAL_ISSUED;
	return OBOL_OK;
}

obol_err codex_take_refusal(struct codex *c, const struct codex_msg_refusal *m)
{
	struct codex_refusal f;
	struct codex_refusal_rec *rec;
	struct codex_log_rec *r = NULL;
	obol_err e;
	if (codex_refusal_decode(m->refusal, sizeof(m->refusal), &f) != OBOL_OK)
		return OBOL_E_CODEX_MALFORMED;
	if (f.payer_id != c->cert.user_id)
		return OBOL_E_CODEX_REFUSAL_UNKNOWN;
	for (size_t i = 0; i < c->nlog && !r; i++)
		if (c->log[i].e.kind == CODEX_ENTRY_PAY &&
		    memcmp(c->log[i].e.token.id, f.token_id, CODEX_TOKEN_ID_LEN) == 0)
			r = &c->log[i];
	if (r) {
		if ((e = codex_refusal_check(&f, &r->e.token, r->token_hash, r->peer_pk)) != OBOL_OK)
			return e;
		if (r->acked)
			return OBOL_E_CODEX_REFUSAL_CONFLICT;
		if (r->e.refused)
			return OBOL_OK;
		/* the entry's bytes are part of a pending sync request: keep the
		 * refusal beside the log until the next sync instead */
		if (!c->sync_pending) {
			r->e.refusal = f;
			r->e.refused = true;
			return OBOL_OK;
		}
	}
	for (size_t i = 0; i < c->nrefusals; i++)
		if (c->refusals[i].role == CODEX_REFUSAL_HELD &&
		    memcmp(c->refusals[i].f.token_hash, f.token_hash, OBOL_HASH_LEN) == 0)
			return OBOL_OK;
	/* a refusal of a token of a synced epoch: the bank checks it */
	if (!(rec = refusal_slot(c, NULL)))
		return OBOL_E_CODEX_FULL;
	rec->f = f;
	rec->role = CODEX_REFUSAL_HELD;
	return OBOL_OK;
}

bool codex_payer_listed(const struct codex *c, uint64_t user_id)
{
	return codex_blacklist_has(&c->blacklist, user_id) || codex_blset_has(&c->blocked, user_id);
}

obol_err codex_set_blacklist(struct codex *c, const struct codex_blacklist *bl)
{
	obol_err e;
	if ((e = codex_blacklist_verify(bl, c->bank_pk)) != OBOL_OK)
		return e;
	if (bl->version < c->blacklist.version)
		return OBOL_E_CODEX_BLACKLIST_OLD;
	memcpy(&c->blacklist, bl, sizeof(*bl));
	return OBOL_OK;
}

obol_err codex_sync_begin(struct codex *c, const char *request_id, const struct obol_amount *load, bool close)
{
	if (c->sync_pending)
		return OBOL_OK;
	if (obol_strlcpy_checked(c->sync_request_id, request_id, sizeof(c->sync_request_id)) != OBOL_OK ||
	    request_id[0] == '\0')
		return OBOL_E_INVALID_ARGUMENT;
	c->sync_has_load = false;
	if (load) {
		if (!obol_amount_same_currency(load, &c->balance) || load->units <= 0)
			return OBOL_E_CODEX_AMOUNT_INVALID;
		c->sync_load = *load;
		c->sync_has_load = true;
	}
	{
		size_t n = 0;
		for (size_t i = 0; i < c->nrefusals; i++) {
			c->refusals[i].in_sync = !c->refusals[i].reported && n < CODEX_SYNC_REFUSALS_MAX;
			n += c->refusals[i].in_sync;
		}
	}
	c->sync_close = close;
	c->sync_pending = true;
	return OBOL_OK;
}

void codex_sync_abandon(struct codex *c)
{
	c->sync_pending = false;
	c->sync_close = false;
	c->sync_request_id[0] = '\0';
	c->sync_has_load = false;
	for (size_t i = 0; i < c->nrefusals; i++)
		c->refusals[i].in_sync = false;
}

bool codex_sync_refused_for_good(obol_err e)
{
	switch (e) {
	/* the bank refused the request itself; its unit rolled back */
	case OBOL_E_CODEX_MALFORMED:
	case OBOL_E_CODEX_SIGNATURE:
	case OBOL_E_CODEX_STATE_STALE:
	case OBOL_E_CODEX_LOG_BROKEN:
	case OBOL_E_CODEX_INCONSISTENT:
	case OBOL_E_CODEX_UNKNOWN_USER:
	case OBOL_E_CODEX_TX_LIMIT:
	case OBOL_E_CODEX_TOKEN_SEEN:
	case OBOL_E_CODEX_AMOUNT_INVALID:
	case OBOL_E_CODEX_BLACKLISTED:
	case OBOL_E_CODEX_ACCOUNT_DELETED:
	case OBOL_E_CODEX_REFUSAL_FORGED:
	case OBOL_E_CODEX_REFUSAL_WRONG_PARTY:
	case OBOL_E_LEDGER_INSUFFICIENT_FUNDS:
	case OBOL_E_AUTH_FAILED:
	case OBOL_E_WIRE_MALFORMED:
	case OBOL_E_WIRE_MISSING_FIELD:
	case OBOL_E_WIRE_UNKNOWN_FIELD:
	case OBOL_E_WIRE_BAD_LENGTH:
	case OBOL_E_WIRE_TRUNCATED:
		return true;
	default:
		return false;
	}
}

obol_err codex_sync_apply(struct codex *c, const struct codex_sync_answer *a, int64_t now)
{
	const struct codex_state *st = a->state;
	uint8_t sh[OBOL_HASH_LEN];
	obol_err e;
	if (codex_state_verify(st, c->bank_pk) != OBOL_OK)
		return OBOL_E_CODEX_SIGNATURE;
	if (st->user_id != c->cert.user_id || st->epoch != c->state.epoch + 1 ||
	    !obol_amount_same_currency(&st->balance, &c->balance))
		return OBOL_E_CODEX_STATE_STALE;
	if (a->cert &&
	    (codex_cert_verify(a->cert, c->bank_pk) != OBOL_OK || a->cert->user_id != c->cert.user_id ||
	     a->cert->kind != CODEX_PARTY_USER || strcmp(a->cert->name, c->cert.name) != 0 ||
	     memcmp(a->cert->sign_pk, c->cert.sign_pk, OBOL_SIGN_PK_LEN) != 0 ||
	     memcmp(a->cert->box_pk, c->cert.box_pk, OBOL_BOX_PK_LEN) != 0))
		return OBOL_E_CODEX_CERT_INVALID;
	if ((e = codex_blacklist_verify(a->bl, c->bank_pk)) != OBOL_OK)
		return e;
	if ((e = codex_state_hash(st, sh)) != OBOL_OK)
		return e;
	/* a newer list fetched while the sync was pending stays */
	if (a->bl->version >= c->blacklist.version)
		memcpy(&c->blacklist, a->bl, sizeof(*a->bl));
	if (a->cert)
		c->cert = *a->cert;
	c->state = *st;
	c->balance = st->balance;
	codex_log_start(c->head, sh);
	obol_wipe(c->log, c->nlog * sizeof(c->log[0]));
	c->nlog = 0;
	/* the refusals the request carried are the bank's now */
	for (size_t i = 0; i < c->nrefusals; i++)
		if (c->refusals[i].in_sync)
			c->refusals[i].reported = true;
	{
		size_t k = 0;
		for (size_t i = 0; i < c->nrefusals; i++)
			if (!(c->refusals[i].role == CODEX_REFUSAL_HELD && c->refusals[i].reported))
				c->refusals[k++] = c->refusals[i];
		c->nrefusals = k;
	}
	codex_sync_abandon(c);
	prune(c, now);
	return OBOL_OK;
}

obol_err codex_note_settled(struct codex *c, const uint8_t id[static CODEX_TOKEN_ID_LEN], int64_t time, int64_t now)
{
	if (time < now - 2 * CODEX_FRESH_WINDOW || id_received(c, id))
		return OBOL_OK;
	if (c->nseen >= CODEX_SEEN_MAX)
		prune(c, now);
	if (c->nseen >= CODEX_SEEN_MAX)
		return OBOL_E_CODEX_FULL;
	memcpy(c->seen[c->nseen].id, id, CODEX_TOKEN_ID_LEN);
	c->seen[c->nseen].time = time;
	c->nseen++;
	return OBOL_OK;
}
