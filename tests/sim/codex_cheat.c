/* The codex world's cheating parties (codex.h), played on the main thread
 * with the real cores where they behave:
 *   m  a payer with a genuine account and Codex. It copies its wallet file
 *      and rolls it back, closes its Codex and pays on from a copy (all
 *      through the real `obol wallet codex` commands), and re-signs a token
 *      under an id it already used, with its own key (the user core builds
 *      the token, m changes its id and signs it again);
 *   p  a payee with a genuine Codex that takes a payment (the user core's
 *      receive, so it deposits the token at its next sync) and hands its
 *      payer a signed refusal of it too.
 * m follows a script: a list of moves run one after the other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codex.h"
#include "crypto/secret.h"
#include "schemes/codex/codex.h"
#include "wallet/codex_wallet.h"
#include "wallet/file.h"

/* ---- the Codex in a wallet file, on the main thread ------------------------- */

static obol_err codex_open_node(struct sim_node *n, struct obol_wallet **wl, struct codex **c)
{
	struct obol_wallet_keysrc ks = { .key_file = n->key_file };
	obol_err e = obol_wallet_open(n->wallet, &ks, wl);
	*c = NULL;
	if (e == OBOL_OK && (e = codex_wallet_load(*wl, c)) != OBOL_OK) {
		obol_wallet_close(*wl);
		*wl = NULL;
	}
	return e;
}

static obol_err codex_close_node(struct obol_wallet *wl, struct codex *c, bool store)
{
	obol_err e = store ? codex_wallet_store(wl, c) : OBOL_OK;
	codex_free(c);
	obol_wallet_close(wl);
	return e;
}

static int copy_file(const char *from, const char *to)
{
	FILE *a = fopen(from, "rb"), *b = a != NULL ? fopen(to, "wb") : NULL;
	char buf[8192];
	size_t n;
	int rc = a != NULL && b != NULL ? 0 : -1;
	while (rc == 0 && (n = fread(buf, 1, sizeof buf, a)) > 0)
		if (fwrite(buf, 1, n, b) != n)
			rc = -1;
	if (a != NULL)
		fclose(a);
	if (b != NULL && fclose(b) != 0)
		rc = -1;
	return rc;
}

/* ---- m's payment with a re-signed id ------------------------------------------ */

/* Pays p->payee with the user core, then gives the token the id of m's
 * last token to another payee and signs it again: two different tokens
 * under one id, both signed by m. */
static void craft_resign(struct sim *sim, struct cx_pay *p)
{
	struct obol_wallet *wl = NULL;
	struct codex *c = NULL;
	struct codex_msg_request req;
	struct codex_msg_pay *pay = calloc(1, sizeof *pay);
	struct codex_token t;
	struct codex_cert payee;
	struct obol_amount amount;
	struct obol_field f[2];
	struct obol_fields spec;
	uint8_t plain[CODEX_SEALED_MAX];
	size_t plen;
	uint8_t old[CODEX_TOKEN_ID_LEN];
	bool has_old = false;
	obol_err e;
	if (pay == NULL)
		abort();
	memset(&req, 0, sizeof req);
	codex_msg_request_spec(&req, f, &spec);
	if (codex_frame_read(p->req, CODEX_MSG_REQUEST, &spec) != OBOL_OK || obol_amount_parse(p->amount, &amount) != OBOL_OK ||
	    codex_cert_decode(req.cert, req.cert_len, &payee) != OBOL_OK ||
	    codex_open_node(p->payer, &wl, &c) != OBOL_OK)
		goto out;
	for (size_t i = c->nlog; i-- > 0 && !has_old;)
		if (c->log[i].e.kind == CODEX_ENTRY_PAY && c->log[i].e.token.payee_id != payee.user_id) {
			memcpy(old, c->log[i].e.token.id, CODEX_TOKEN_ID_LEN);
			has_old = true;
		}
	{
		struct codex_pay_req pr = { .req = &req, .amount = &amount, .max = NULL };
		e = codex_pay(c, &pr, sim_node_now(sim, p->payer), pay, &t);
	}
	if (e != OBOL_OK || !has_old) {
		sim_trace(sim, p->payer, "cannot re-sign a token: %s", e != OBOL_OK ? obol_strerror(e) : "no earlier token");
		codex_close_node(wl, c, false);
		goto out;
	}
	memcpy(t.id, old, CODEX_TOKEN_ID_LEN);
	if (codex_token_sign(&t, c->sign_sk) != OBOL_OK ||
	    codex_payment_encode(&t, &c->cert, &c->state, plain, sizeof plain, &plen) != OBOL_OK ||
	    obol_sealbox_seal(pay->sealed, plain, plen, payee.box_pk) != OBOL_OK) {
		codex_close_node(wl, c, false);
		goto out;
	}
	pay->sealed_len = plen + OBOL_SEALBOX_OVERHEAD;
	/* m keeps the debit of the token it did not send (what it signed is what counts) */
	if (codex_close_node(wl, c, true) != OBOL_OK)
		goto out;
	sim_trace(sim, p->payer, "re-signs a used token id for %s", p->payee->name);
	codex_msg_pay_spec(pay, f, &spec);
	if (codex_frame_write(p->pay, CODEX_MSG_PAY, &spec) != OBOL_OK)
		remove(p->pay);
out:
	obol_wipe(plain, sizeof plain);
	free(pay);
}

/* ---- p: takes the payment and refuses it too ---------------------------------- */

void cx_cheat_payee_answer(struct sim *sim, struct cx_pay *p)
{
	struct obol_wallet *wl = NULL;
	struct codex *c = NULL;
	struct codex_msg_pay *pay = calloc(1, sizeof *pay);
	struct codex_msg_ack ack;
	struct codex_msg_refusal ref;
	struct codex_token t;
	struct obol_field f[1];
	struct obol_fields spec;
	int64_t now = sim_node_now(sim, p->payee);
	obol_err e;
	if (pay == NULL)
		abort();
	remove(p->ans);
	codex_msg_pay_spec(pay, f, &spec);
	if (codex_frame_read(p->pay, CODEX_MSG_PAY, &spec) != OBOL_OK || codex_open_node(p->payee, &wl, &c) != OBOL_OK)
		goto out;
	if ((e = codex_receive(c, pay, now, &ack, &t)) == OBOL_OK) {
		/* the token is in p's log (it claims it at its next sync); the
		 * payer gets a refusal signed with p's key */
		e = codex_make_refusal(&t, c->cert.user_id, c->sign_sk, OBOL_E_CODEX_TOKEN_STALE, now, &ref);
		sim_trace(sim, p->payee, "takes the token from %s and refuses it too", p->payer->name);
	} else
		e = codex_refuse(c, pay, e, now, &ref);
	if (e != OBOL_OK || codex_close_node(wl, c, true) != OBOL_OK)
		goto out;
	codex_msg_refusal_spec(&ref, f, &spec);
	if (codex_frame_write(p->ans, CODEX_MSG_REFUSAL, &spec) != OBOL_OK)
		remove(p->ans);
	free(pay);
	return;
out:
	if (wl)
		codex_close_node(wl, c, false);
	free(pay);
}

/* p hands in its log (its claims) now and then. */
static void p_sync(struct sim *sim, void *arg);

static void p_synced(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	(void)n;
	(void)rc;
	if (!sim_quiescing(sim))
		sim_at(sim, (int64_t)(30 + sim_below(sim, 90)) * SIM_S, p_sync, arg);
}

static void p_sync(struct sim *sim, void *arg)
{
	struct sim_node *n = cx(sim)->p;
	const char *args[] = { "wallet", "codex", "sync", NULL };
	(void)arg;
	if (sim_quiescing(sim))
		return;
	if (n->busy) {
		sim_at(sim, 5 * SIM_S, p_sync, arg);
		return;
	}
	sim_command(sim, n, p_synced, arg, args);
}

/* ---- m's scripts ---------------------------------------------------------------- */

enum move_kind {
	MV_SNAP,     /* copy the wallet file aside */
	MV_RESTORE,  /* put the copy back */
	MV_PAY,      /* pay an honest user (target 0..2) or, target -1, one at random */
	MV_RESIGN,   /* pay another honest user than the last one, under the last token's id */
	MV_VENDOR,   /* pay the vendor */
	MV_SYNC,
	MV_CLOSE,
	MV_RELEASE,
	MV_WAIT,     /* arg seconds, and as many again at random */
	MV_JUMP,     /* once every honest user has synced since m last paid, and all is idle: arg days pass */
	MV_END,
};

struct move {
	enum move_kind kind;
	int arg;              /* MV_PAY: target; MV_WAIT: seconds */
	const char *amount;   /* MV_PAY, MV_RESIGN */
};

struct mscript {
	const struct move *moves;
	size_t at;
	unsigned rounds;      /* how many times the script runs (0: until the run quiesces) */
	unsigned round;
	int last;             /* the honest user m paid last */
	int64_t paid_ns;      /* when m last paid */
	char copy[PATH_MAX + 8];
};

static void m_next(struct sim *sim, void *arg);

static void m_then(struct sim *sim, void *arg)
{
	struct mscript *s = arg;
	s->at++;
	m_next(sim, s);
}

static void m_cmd_done(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	if (rc != 0)
		sim_trace(sim, n, "exit %d", rc);
	m_then(sim, arg);
}

static void m_pay_done(struct sim *sim, struct cx_pay *p, int rc)
{
	(void)p;
	(void)rc;
	m_then(sim, cx(sim)->cheat);
}

static void m_next(struct sim *sim, void *arg)
{
	struct mscript *s = arg;
	struct cx_world *w = cx(sim);
	struct sim_node *m = w->m;
	const struct move *mv;
	if (sim_quiescing(sim))
		return;
	if (m->busy || m->dead) {
		sim_at(sim, 3 * SIM_S, m_next, s);
		return;
	}
	mv = &s->moves[s->at];
	switch (mv->kind) {
	case MV_SNAP:
		if (copy_file(m->wallet, s->copy) == 0)
			sim_trace(sim, m, "copies its wallet file");
		break;
	case MV_RESTORE:
		if (copy_file(s->copy, m->wallet) == 0)
			sim_trace(sim, m, "puts the copy of its wallet file back");
		break;
	case MV_PAY: {
		int to = mv->arg >= 0 ? mv->arg : (int)sim_below(sim, CX_WALLETS);
		s->last = to;
		s->paid_ns = sim_time_ns(sim);
		cx_pay_start(sim, m, w->u[to], mv->amount, m_pay_done);
		return;
	}
	case MV_RESIGN: {
		int to = (s->last + 1 + (int)sim_below(sim, CX_WALLETS - 1)) % CX_WALLETS;
		cx_pay_cheat(sim, m, w->u[to], mv->amount, craft_resign, false, m_pay_done);
		return;
	}
	case MV_VENDOR: {
		char addr[40];
		snprintf(addr, sizeof addr, "sim:%s", w->v->name);
		const char *args[] = { "wallet", "codex", "pay", "--vendor", addr, NULL };
		sim_command(sim, m, m_cmd_done, s, args);
		return;
	}
	case MV_SYNC: {
		const char *args[] = { "wallet", "codex", "sync", NULL };
		sim_command(sim, m, m_cmd_done, s, args);
		return;
	}
	case MV_CLOSE: {
		const char *args[] = { "wallet", "codex", "close", NULL };
		sim_command(sim, m, m_cmd_done, s, args);
		return;
	}
	case MV_RELEASE: {
		const char *args[] = { "wallet", "codex", "release", NULL };
		sim_command(sim, m, m_cmd_done, s, args);
		return;
	}
	case MV_JUMP: {
		/* the honest payees hand in what they took within the window,
		 * and nothing is under way. m looks again at a random instant:
		 * its moves fall on whole seconds, and the vendor's outbox timer
		 * spawns a pass every 5 s (SIM_OUTBOX_EVERY_NS), so looking again
		 * 5 s later, once on that timer's instant, m would be on it every
		 * time, find the pass just spawned (not idle) and never jump */
		bool handed_in = sim_idle(sim);
		for (int i = 0; i < CX_WALLETS; i++)
			handed_in = handed_in && w->synced_ns[i] > s->paid_ns;
		if (!handed_in) {
			sim_at(sim, (int64_t)(1000 + sim_below(sim, 6000)) * SIM_MS, m_next, s);
			return;
		}
		sim_jump(sim, (int64_t)mv->arg * 86400 * SIM_S);
		break;
	}
	case MV_WAIT:
		s->at++;
		sim_at(sim, (int64_t)(mv->arg + (int)sim_below(sim, (uint64_t)mv->arg + 1)) * SIM_S, m_next, s);
		return;
	case MV_END:
		if (s->rounds == 0 || ++s->round < s->rounds) {
			s->at = 0;
			sim_at(sim, (int64_t)(20 + sim_below(sim, 60)) * SIM_S, m_next, s);
		}
		return;
	}
	m_then(sim, s);
}

static void m_start(struct sim *sim, const struct move *moves, unsigned rounds)
{
	struct cx_world *w = cx(sim);
	struct mscript *s = calloc(1, sizeof *s);
	if (s == NULL)
		abort();
	s->moves = moves;
	s->rounds = rounds;
	snprintf(s->copy, sizeof s->copy, "%s.copy", w->m->wallet);
	w->cheat = s;
	sim_at(sim, (int64_t)(5 + sim_below(sim, 30)) * SIM_S, m_next, s);
}

/* 14.1: m pays one honest user, then another under the same token id. */
static const struct move resign_moves[] = {
	{ MV_PAY, -1, "EUR:0.10" },
	{ MV_WAIT, 2, NULL },
	{ MV_RESIGN, 0, "EUR:0.10" },
	{ MV_END, 0, NULL },
};

void cx_cheat_resign(struct sim *sim)
{
	m_start(sim, resign_moves, 8);
}

/* 14.3: m pays u1 the whole epoch's limit again and again from the same
 * copy, one payment right after the other. */
static const struct move rollback_moves[] = {
	{ MV_SNAP, 0, NULL },
	{ MV_PAY, 0, "EUR:5" },
	{ MV_RESTORE, 0, NULL },
	{ MV_WAIT, 1, NULL },
	{ MV_PAY, 0, "EUR:5" },
	{ MV_RESTORE, 0, NULL },
	{ MV_WAIT, 1, NULL },
	{ MV_PAY, 0, "EUR:5" },
	{ MV_RESTORE, 0, NULL },
	{ MV_WAIT, 1, NULL },
	{ MV_PAY, 0, "EUR:5" },
	{ MV_RESTORE, 0, NULL },
	{ MV_WAIT, 1, NULL },
	{ MV_PAY, 0, "EUR:5" },
	{ MV_END, 0, NULL },
};

void cx_cheat_rollback(struct sim *sim)
{
	m_start(sim, rollback_moves, 1);
}

/* 14.2: m pays, copies its Codex, closes it, and pays on from the copy:
 * each honest user once from the copy as it was at the close. */
static const struct move close_moves[] = {
	{ MV_PAY, 1, "EUR:0.50" },
	{ MV_SNAP, 0, NULL },
	{ MV_CLOSE, 0, NULL },
	{ MV_RESTORE, 0, NULL },
	{ MV_PAY, 0, "EUR:4" },
	{ MV_RESTORE, 0, NULL },
	{ MV_PAY, 2, "EUR:4" },
	{ MV_RESTORE, 0, NULL },
	{ MV_PAY, 1, "EUR:4" },
	{ MV_WAIT, 600, NULL },
	{ MV_RELEASE, 0, NULL },
	{ MV_END, 0, NULL },
};

void cx_cheat_close_copy(struct sim *sim)
{
	m_start(sim, close_moves, 1);
}

/* 14.8: m pays two honest users at one place of its log (from a copy),
 * syncs and is found; once its payees have handed in and the hold has
 * passed (its state's 30 days, the freshness window, the 7 days' grace),
 * it asks for what is left, twice: it must come back, once. */
static const struct move release_moves[] = {
	{ MV_SNAP, 0, NULL },
	{ MV_PAY, 0, "EUR:3" },
	{ MV_RESTORE, 0, NULL },
	{ MV_PAY, 1, "EUR:3" },
	{ MV_WAIT, 60, NULL },
	{ MV_SYNC, 0, NULL },
	{ MV_JUMP, 40, NULL },
	{ MV_RELEASE, 0, NULL },
	{ MV_RELEASE, 0, NULL },
	{ MV_END, 0, NULL },
};

void cx_cheat_release(struct sim *sim)
{
	cx(sim)->release_due = true;
	m_start(sim, release_moves, 1);
}

/* 14.7: the honest users pay p now and then; p takes each payment and
 * refuses it too, and claims it at its syncs. */
void cx_cheat_claim_refuse(struct sim *sim)
{
	struct cx_world *w = cx(sim);
	w->pay_p = true;
	sim_at(sim, (int64_t)(30 + sim_below(sim, 60)) * SIM_S, p_sync, NULL);
}

/* The bound of P5: m pays each honest user and the vendor from copies of
 * one state, syncs, and does it again. */
static const struct move copy_moves[] = {
	{ MV_SNAP, 0, NULL },
	{ MV_PAY, 0, "EUR:5" },
	{ MV_RESTORE, 0, NULL },
	{ MV_PAY, 1, "EUR:5" },
	{ MV_RESTORE, 0, NULL },
	{ MV_PAY, 2, "EUR:5" },
	{ MV_RESTORE, 0, NULL },
	{ MV_VENDOR, 0, NULL },
	{ MV_WAIT, 30, NULL },
	{ MV_SYNC, 0, NULL },
	{ MV_END, 0, NULL },
};

void cx_cheat_copy_many(struct sim *sim)
{
	m_start(sim, copy_moves, 3);
}
