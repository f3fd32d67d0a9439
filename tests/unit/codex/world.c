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
	if ((e = codex_blacklist_sign(&w->bl, w->bank.sk)) != OBOL_OK)
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
		u->loaded = load;
		u->deposit = deposit;
		if ((e = codex_bank_issue_cert(&u->p, box.pk, w->now, w->bank.sk, &cert)) != OBOL_OK)
			return e;
		if ((e = codex_bank_issue_state(u, "EUR", 0, w->now, CODEX_DEFAULT_LIFETIME, tx_limit, w->bank.sk,
						&st)) != OBOL_OK)
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

obol_err world_pay_msg(struct world *w, int from, int to, int64_t units, struct codex_msg_pay *m)
{
	struct codex_msg_request req;
	struct obol_amount a = eur(units);
	obol_err e;
	if ((e = codex_request(w->cx[to], NULL, &req)) != OBOL_OK)
		return e;
	return codex_pay(w->cx[from], &req, &a, w->now, m, NULL);
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
	if (!t->amount.currency[0])
		t->amount = eur(1000);
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
