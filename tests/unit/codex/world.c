/* The in-memory codex world of the unit tests (world.h). */
#include "world.h"

#include <string.h>

#include "crypto/secret.h"

static const char *const names[WORLD_USERS] = { "alice", "bob", "carol", "dave" };

struct obol_amount eur(int64_t units)
{
	struct obol_amount a;
	memset(&a, 0, sizeof(a));
	strcpy(a.currency, "EUR");
	a.units = units;
	return a;
}

obol_err world_init(struct world *w, int64_t load, int64_t deposit, uint64_t tx_limit)
{
	obol_err e;
	memset(w, 0, sizeof(*w));
	w->now = WORLD_T0;
	obol_sign_keypair_new(&w->bank);
	codex_bank_policy_default(&w->pol);
	w->pol.currency = "EUR";
	obol_ed25519_signer_local(&w->bank_sg, &w->bank);
	w->pol.signer = &w->bank_sg;
	w->pol.sign_pk = w->bank.pk;
	w->pol.tx_limit = tx_limit;
	w->pol.token_max = eur(0);
	if ((e = codex_blacklist_sign(&w->bl, &w->bank_sg)) != OBOL_OK)
		return e;
	for (int i = 0; i < WORLD_USERS; i++) {
		struct obol_sign_keypair kp;
		struct obol_box_keypair box;
		struct codex_cert cert;
		struct codex_state st;
		struct codex_bank_user *u = &w->rec[i];

		obol_sign_keypair_new(&kp);
		obol_box_keypair_new(&box);
		u->p.id = 101 + (uint64_t)i;
		strcpy(u->p.name, names[i]);
		u->p.kind = CODEX_PARTY_USER;
		memcpy(u->p.sign_pk, kp.pk, 32);
		memcpy(u->box_pk, box.pk, 32);
		u->loaded = eur(load);
		u->deposit = eur(deposit);
		u->credits = u->debits = u->account = u->advanced = eur(0);
		if ((e = codex_bank_issue_cert(&w->pol, u, w->now, &cert)) != OBOL_OK)
			return e;
		if ((e = codex_bank_issue_state(&w->pol, u, 0, w->now, &st)) != OBOL_OK)
			return e;
		if (!(w->cx[i] = codex_alloc()))
			return OBOL_E_NO_MEMORY;
		if ((e = codex_init(w->cx[i], w->bank.pk, &cert, &st, &w->bl, kp.sk, &box, w->now)) != OBOL_OK)
			return e;
		OBOL_WIPE(kp);
		OBOL_WIPE(box);
	}
	return OBOL_OK;
}

void world_free(struct world *w)
{
	for (int i = 0; i < WORLD_USERS; i++)
		codex_free(w->cx[i]);
	OBOL_WIPE(w->bank);
}

obol_err world_pay_req(struct codex *payer, const struct codex_msg_request *req, int64_t units, int64_t now,
		       struct codex_msg_pay *m, struct codex_token *t)
{
	struct obol_amount a = eur(units);
	struct codex_pay_req r = { .req = req, .amount = &a, .max = NULL };
	return codex_pay(payer, &r, now, m, t);
}

obol_err world_pay_msg(struct world *w, int from, int to, int64_t units, struct codex_msg_pay *m)
{
	struct codex_msg_request req;
	obol_err e;
	if ((e = codex_request(w->cx[to], NULL, &req)) != OBOL_OK)
		return e;
	return world_pay_req(w->cx[from], &req, units, w->now, m, NULL);
}

obol_err world_blacklist_with(struct world *w, uint64_t id, struct codex_blacklist *out)
{
	size_t at = 0;
	*out = w->bl;
	if (codex_blacklist_has(out, id))
		return OBOL_OK;
	while (at < out->n && out->ids[at] < id)
		at++;
	memmove(&out->ids[at + 1], &out->ids[at], (out->n - at) * sizeof(out->ids[0]));
	out->ids[at] = id;
	out->n++;
	out->version++;
	out->issued = w->now;
	return codex_blacklist_sign(out, &w->bank_sg);
}

obol_err world_pay(struct world *w, int from, int to, int64_t units)
{
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	obol_err e;
	if ((e = world_pay_msg(w, from, to, units, &m)) != OBOL_OK)
		return e;
	if ((e = codex_receive(w->cx[to], &m, w->now, &ack, NULL)) != OBOL_OK)
		return e;
	return codex_take_ack(w->cx[from], &ack);
}

obol_err world_craft(struct world *w, int from, int to, struct codex_token *t, struct codex_msg_pay *m)
{
	struct codex *p = w->cx[from], *q = w->cx[to];
	uint8_t plain[CODEX_PAYMENT_MAX];
	size_t n;
	obol_err e;
	if (!t->payer_id) {
		t->payer_id = p->cert.user_id;
		strcpy(t->payer_name, p->cert.name);
	}
	if (!t->payee_id) {
		t->payee_id = q->cert.user_id;
		strcpy(t->payee_name, q->cert.name);
	}
	if (!t->version)
		t->version = CODEX_TOKEN_VERSION;
	if (!t->amount.currency[0])
		t->amount = eur(1000);
	if (!t->spent.currency[0])
		t->spent = t->amount;
	if (!t->time)
		t->time = w->now;
	if (!t->epoch)
		t->epoch = p->state.epoch;
	if ((e = codex_token_sign(t, p->sign_sk)) != OBOL_OK)
		return e;
	if ((e = codex_payment_encode(t, &p->cert, &p->state, plain, sizeof(plain), &n)) != OBOL_OK)
		return e;
	if ((e = obol_sealbox_seal(m->sealed, plain, n, q->box.pk)) != OBOL_OK)
		return e;
	m->sealed_len = n + OBOL_SEALBOX_OVERHEAD;
	return OBOL_OK;
}

size_t world_entries(struct world *w, int i, struct codex_entry *out)
{
	for (size_t k = 0; k < w->cx[i]->nlog; k++)
		out[k] = w->cx[i]->log[k].e;
	return w->cx[i]->nlog;
}

size_t world_parties(struct world *w, struct codex_party *out)
{
	for (int i = 0; i < WORLD_USERS; i++)
		out[i] = w->rec[i].p;
	return WORLD_USERS;
}

obol_err world_bank(struct world *w, struct codex_bank_unit *k)
{
	obol_err e = OBOL_OK;
	codex_bank_unit_init(k, &w->pol, w->now);
	for (int i = 0; e == OBOL_OK && i < WORLD_USERS; i++)
		e = codex_bank_unit_add_user(k, &w->rec[i]);
	return e;
}

obol_err world_sync(struct world *w, struct codex_bank_unit *k, int i, const struct obol_amount *load, bool close,
		    struct codex_sync_out *out)
{
	static struct codex_entry ents[CODEX_LOG_MAX];
	static struct codex_refusal refs[CODEX_SYNC_REFUSALS_MAX];
	struct codex *c = w->cx[i];
	struct codex_sync_req req;
	size_t nref = 0;
	obol_err e;
	k->now = w->now;
	if ((e = codex_sync_begin(c, "world", load, close)) != OBOL_OK)
		return e;
	for (size_t j = 0; j < c->nrefusals; j++)
		if (c->refusals[j].in_sync)
			refs[nref++] = c->refusals[j].f;
	req = (struct codex_sync_req){ .account = c->cert.user_id, .state = &c->state, .entries = ents,
				       .n = world_entries(w, i, ents), .claimed = &c->balance,
				       .load = c->sync_has_load ? &c->sync_load : NULL, .close = close, .refusals = refs,
				       .nrefusals = nref };
	e = codex_bank_sync(k, &req, out);
	if (e == OBOL_OK && out->renewed)
		return codex_sync_apply(c, &(struct codex_sync_answer){ .state = &out->state, .bl = &w->bl,
									.cert = out->cert_renewed ? &out->cert : NULL },
					w->now);
	codex_sync_abandon(c);
	return e;
}

int64_t world_value(struct codex_bank_unit *k, struct world *w, int i)
{
	struct obol_amount v;
	struct codex_bank_user *u = codex_bank_unit_user(k, w->rec[i].p.id);
	if (!u || codex_bank_value(u, &v) != OBOL_OK)
		return INT64_MIN;
	return v.units;
}
