/* The codex world of the simulator (codex.h): the bank F, an honest vendor
 * daemon v (a payee on the device link), three honest users u1..u3 driven
 * through the real `obol wallet codex` commands (offline payments to each
 * other through files, payments at the vendor, syncs with and without a
 * load), and two users a strategy may make cheat: a payer m (copies, rolls
 * back and closes its Codex, re-signs token ids with its own key) and a
 * payee p (takes a payment and signs a refusal of it too). The strategies
 * are the world's faults and those cheaters; each cheating one names the
 * case of issue 14 it finds on code that has the defect. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "codex.h"

struct cx_world *cx(struct sim *sim)
{
	return sim_scheme_data(sim);
}

int cx_honest_index(struct cx_world *w, const struct sim_node *n)
{
	for (int i = 0; i < CX_WALLETS; i++)
		if (w->u[i] == n)
			return i;
	return -1;
}

/* ---- the template -------------------------------------------------------- */

/* Each user opens a Codex of EUR 10 with a safe deposit of EUR 5: what it
 * may pay offline per epoch. */
static obol_err open_codex(struct sim *sim, struct sim_node *n)
{
	const char *args[] = { "wallet", "codex", "open", "--wallet", n->wallet, "--key-file", n->key_file, "--amount",
			       "EUR:10", "--deposit", "EUR:5", NULL };
	return sim_run_command(sim, args) == 0 ? OBOL_OK : OBOL_E_INTERNAL;
}

static obol_err cx_template(struct sim *sim)
{
	static const char *const users[] = { "u1", "u2", "u3", "m", "p" };
	obol_err e;
	struct sim_node *f = sim_node_add(sim, SIM_ISSUER, "F", true);
	if ((e = sim_template_issuer(sim, f, NULL)) != OBOL_OK ||
	    (e = sim_template_vendor(sim, sim_node_add(sim, SIM_VENDOR, "v", true), f)) != OBOL_OK)
		return e;
	for (size_t i = 0; i < 5; i++) {
		struct sim_node *n = sim_node_add(sim, SIM_WALLET, users[i], true);
		if ((e = sim_template_wallet(sim, n, f, "EUR:50")) != OBOL_OK || (e = open_codex(sim, n)) != OBOL_OK)
			return e;
	}
	return OBOL_OK;
}

/* ---- a payment between two wallets ------------------------------------------ */

struct pay_run {
	struct cx_pay p;
	void (*done)(struct sim *, struct cx_pay *, int);
	unsigned tries;
};

static void pay_step(struct sim *sim, void *arg);

static void pay_end(struct sim *sim, struct pay_run *r, int rc)
{
	if (r->done)
		r->done(sim, &r->p, rc);
	free(r);
}

static void step_done(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	struct pay_run *r = arg;
	if (rc != 0 && rc != -2)
		sim_trace(sim, n, "exit %d (payment step %u)", rc, r->p.step);
	if (rc == -2 && ++r->tries < 40) { /* the node was busy: try the step again */
		sim_at(sim, 2 * SIM_S, pay_step, r);
		return;
	}
	r->tries = 0;
	switch (r->p.step) {
	case 0: /* the request */
	case 1: /* the payment */
		if (rc != 0)
			return pay_end(sim, r, rc);
		break;
	case 2: /* the payee's answer: an ack, or a refusal in the same file */
		if (rc == 0 && r->p.payee->honest)
			cx_note_received(sim, r->p.payee);
		break;
	case 3: /* the payer synced before it took the answer (its outcome is the bank's) */
		break;
	case 4: /* the payer takes the answer */
		if (rc == 0 && r->p.payer->honest && r->p.payee_refuses)
			cx_note_refusal(sim, r->p.payer, r->p.ans);
		else if (rc == 0 && r->p.payer->honest) {
			FILE *f = fopen(r->p.ans, "rb");
			if (f) {
				fclose(f);
				cx_note_refusal(sim, r->p.payer, r->p.ans);
			}
		}
		return pay_end(sim, r, rc);
	}
	r->p.step++;
	pay_step(sim, r);
}

static void pay_step(struct sim *sim, void *arg)
{
	struct pay_run *r = arg;
	struct cx_pay *p = &r->p;
	if (p->payer->dead || p->payee->dead)
		return pay_end(sim, r, -1);
	switch (p->step) {
	case 0: {
		const char *args[] = { "wallet", "codex", "request", "--out", p->req, NULL };
		sim_command(sim, p->payee, step_done, r, args);
		return;
	}
	case 1: {
		if (p->craft) {
			if (p->payer->busy) {
				sim_at(sim, 2 * SIM_S, pay_step, r);
				return;
			}
			p->craft(sim, p);
			p->step++;
			return pay_step(sim, r);
		}
		const char *args[] = { "wallet", "codex", "pay", "--request", p->req, "--amount", p->amount, "--out", p->pay,
				       NULL };
		sim_command(sim, p->payer, step_done, r, args);
		return;
	}
	case 2: {
		if (p->payee_refuses) {
			/* the cheating payee, on the main thread: takes it and signs a refusal */
			if (p->payee->busy) {
				sim_at(sim, 2 * SIM_S, pay_step, r);
				return;
			}
			cx_cheat_payee_answer(sim, p);
			p->step++;
			return pay_step(sim, r);
		}
		remove(p->ans);
		const char *args[] = { "wallet", "codex", "receive", "--in", p->pay, "--out", p->ans, NULL };
		sim_command(sim, p->payee, step_done, r, args);
		return;
	}
	case 3: {
		struct cx_world *w = cx(sim);
		if (!p->payer->honest || !sim_chance(sim, w->sync_before_ack)) {
			p->step++;
			return pay_step(sim, r);
		}
		const char *args[] = { "wallet", "codex", "sync", NULL };
		sim_command(sim, p->payer, step_done, r, args);
		return;
	}
	default: {
		FILE *f = fopen(p->ans, "rb");
		if (!f) /* no answer to take (the payment could not be opened) */
			return pay_end(sim, r, 1);
		fclose(f);
		const char *args[] = { "wallet", "codex", "ack", "--in", p->ans, NULL };
		sim_command(sim, p->payer, step_done, r, args);
		return;
	}
	}
}

static struct pay_run *pay_new(struct sim *sim, struct sim_node *payer, struct sim_node *payee, const char *amount)
{
	unsigned k = ++cx(sim)->npays;
	struct pay_run *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	r->p.payer = payer;
	r->p.payee = payee;
	snprintf(r->p.amount, sizeof r->p.amount, "%s", amount);
	snprintf(r->p.req, sizeof r->p.req, "%s/cx%u-req.cbor", payee->dir, k);
	snprintf(r->p.pay, sizeof r->p.pay, "%s/cx%u-pay.cbor", payee->dir, k);
	snprintf(r->p.ans, sizeof r->p.ans, "%s/cx%u-ans.cbor", payer->dir, k);
	return r;
}

void cx_pay_start(struct sim *sim, struct sim_node *payer, struct sim_node *payee, const char *amount,
		  void (*done)(struct sim *, struct cx_pay *, int))
{
	struct pay_run *r = pay_new(sim, payer, payee, amount);
	r->done = done;
	r->p.payee_refuses = !payee->honest && payee == cx(sim)->p;
	pay_step(sim, r);
}

void cx_pay_cheat(struct sim *sim, struct sim_node *payer, struct sim_node *payee, const char *amount,
		  void (*craft)(struct sim *, struct cx_pay *), bool refuses_too,
		  void (*done)(struct sim *, struct cx_pay *, int))
{
	struct pay_run *r = pay_new(sim, payer, payee, amount);
	r->done = done;
	r->p.craft = craft;
	r->p.payee_refuses = refuses_too;
	pay_step(sim, r);
}

/* ---- honest users ----------------------------------------------------------- */

static void user_act(struct sim *sim, void *arg);

static void schedule_act(struct sim *sim, struct sim_node *n)
{
	struct cx_world *w = cx(sim);
	uint64_t mean = w->act_every_s ? w->act_every_s : 20;
	if (sim_quiescing(sim))
		return;
	sim_at(sim, (int64_t)(1 + sim_below(sim, 2 * mean)) * SIM_S + (int64_t)sim_below(sim, 1000) * SIM_MS, user_act, n);
}

static void act_done(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	(void)arg;
	if (rc != 0)
		sim_trace(sim, n, "exit %d", rc);
	schedule_act(sim, n);
}

static void pay_done(struct sim *sim, struct cx_pay *p, int rc)
{
	(void)rc;
	schedule_act(sim, p->payer);
}

static void user_act(struct sim *sim, void *arg)
{
	struct sim_node *n = arg, *to;
	struct cx_world *w = cx(sim);
	char amount[24];
	if (sim_quiescing(sim))
		return;
	if (n->busy || n->dead) {
		sim_at(sim, 5 * SIM_S, user_act, n);
		return;
	}
	if (sim_chance(sim, w->sync_permille ? w->sync_permille : 200)) {
		const char *load[] = { "wallet", "codex", "sync", "--load", "EUR:1", NULL };
		const char *plain[] = { "wallet", "codex", "sync", NULL };
		sim_command(sim, n, act_done, NULL, sim_chance(sim, 200) && !(w->spender && n == w->u[0]) ? load : plain);
		return;
	}
	if (sim_chance(sim, 300)) {
		char addr[40];
		snprintf(addr, sizeof addr, "sim:%s", w->v->name);
		const char *args[] = { "wallet", "codex", "pay", "--vendor", addr, NULL };
		sim_command(sim, n, act_done, NULL, args);
		return;
	}
	do
		to = w->pay_p && sim_chance(sim, 250) ? w->p : w->u[sim_below(sim, CX_WALLETS)];
	while (to == n);
	if (to->busy || to->dead) {
		sim_at(sim, 3 * SIM_S, user_act, n);
		return;
	}
	{
		unsigned c = (unsigned)(1 + sim_below(sim, w->spender && n == w->u[0] ? 300 : 60));
		snprintf(amount, sizeof amount, "EUR:%u.%02u", c / 100, c % 100);
	}
	cx_pay_start(sim, n, to, amount, pay_done);
}

/* ---- a run ------------------------------------------------------------------- */

/* The bank's refusals, in the trace (what the wallet printed is not kept). */
static void cx_on_http(struct sim *sim, const struct sim_http_msg *m, long status, const char *reply, size_t len)
{
	if (sim_tracing(sim) && status >= 400 && reply != NULL)
		sim_trace(sim, m->from, "%s answered %ld: %.*s", m->path, status, (int)(len > 160 ? 160 : len), reply);
	if (status == 200 && reply != NULL && m->from == cx(sim)->v && strcmp(m->path, "/codex/vendor") == 0)
		cx_check_vendor_cert(sim, reply, len);
	if (status == 200 && strcmp(m->path, "/codex/sync") == 0 && cx_honest_index(cx(sim), m->from) >= 0)
		cx(sim)->synced_ns[cx_honest_index(cx(sim), m->from)] = sim_time_ns(sim);
	if (m->from == cx(sim)->m && strcmp(m->path, "/codex/release") == 0)
		cx(sim)->release_asked_ns = sim_time_ns(sim);
}

static obol_err cx_start(struct sim *sim)
{
	struct cx_world *w = calloc(1, sizeof *w);
	static const char *const names[CX_WALLETS] = { "u1", "u2", "u3" };
	obol_err e;
	if (w == NULL || (w->accepted = calloc(CX_ACCEPTED_MAX, sizeof *w->accepted)) == NULL ||
	    (w->refused = calloc(CX_REFUSED_MAX, sizeof *w->refused)) == NULL) {
		if (w)
			free(w->accepted);
		free(w);
		return OBOL_E_NO_MEMORY;
	}
	sim_set_scheme_data(sim, w);
	sim_hooks(sim)->on_http = cx_on_http;
	w->issuer = sim_node_add(sim, SIM_ISSUER, "F", true);
	if ((e = sim_issuer_start(sim, w->issuer)) != OBOL_OK)
		return e;
	w->v = sim_node_add(sim, SIM_VENDOR, "v", true);
	snprintf(w->v->price, sizeof w->v->price, "EUR:0.05");
	if ((e = sim_vendor_start(sim, w->v, w->issuer)) != OBOL_OK)
		return e;
	for (int i = 0; i < CX_WALLETS; i++)
		w->u[i] = sim_node_add(sim, SIM_WALLET, names[i], true);
	w->m = sim_node_add(sim, SIM_WALLET, "m", false);
	w->p = sim_node_add(sim, SIM_WALLET, "p", false);
	for (int i = 0; i < CX_WALLETS; i++)
		sim_at(sim, (int64_t)sim_below(sim, 10000) * SIM_MS, user_act, w->u[i]);
	return OBOL_OK;
}

/* The run is over: what start and the strategies allocated. */
static void cx_stop(struct sim *sim)
{
	struct cx_world *w = cx(sim);
	if (w == NULL)
		return;
	free(w->accepted);
	free(w->refused);
	free(w->cheat);
	free(w);
	sim_set_scheme_data(sim, NULL);
}

/* At rest: each honest user syncs until the bank answers (a lost answer,
 * a crash, a pending request are finished there), then once more (the
 * refusals it took meanwhile go in). A user whose sync the bank keeps
 * refusing is wedged: check_rest reports it. */
struct recovery {
	int i;
	unsigned tries, done_ok;
};

static void recover_sync(struct sim *sim, void *arg);

static void recover_done(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	struct recovery *r = arg;
	struct cx_world *w = cx(sim);
	if (rc != 0)
		sim_trace(sim, n, "exit %d (recovery)", rc);
	if (rc == 0)
		r->done_ok++;
	if (r->done_ok >= 2 || ++r->tries >= 30) {
		w->recovered[r->i] = r->done_ok >= 2;
		free(r);
		return;
	}
	sim_at(sim, 20 * SIM_S, recover_sync, r);
}

static void recover_sync(struct sim *sim, void *arg)
{
	struct recovery *r = arg;
	struct sim_node *n = cx(sim)->u[r->i];
	const char *args[] = { "wallet", "codex", "sync", NULL };
	if (n->busy || n->dead) {
		sim_at(sim, 5 * SIM_S, recover_sync, r);
		return;
	}
	sim_command(sim, n, recover_done, r, args);
}

static void cx_recover(struct sim *sim)
{
	for (int i = 0; i < CX_WALLETS; i++) {
		struct recovery *r = calloc(1, sizeof *r);
		if (!r)
			abort();
		r->i = i;
		recover_sync(sim, r);
	}
}

/* ---- the world's strategies ---------------------------------------------------- */

static void st_honest(struct sim *sim)
{
	(void)sim;
}

static void st_world_net(struct sim *sim)
{
	struct sim_faults *f = sim_faults(sim);
	f->http_lose_request = 40;
	f->http_lose_reply = 60;
	f->http_duplicate = 30;
	f->http_delay = 40;
	f->http_delay_max_ns = 30 * SIM_S;
	f->link_break = 15;
	cx(sim)->sync_permille = 350;
}

static void st_world_crash(struct sim *sim)
{
	struct sim_faults *f = sim_faults(sim);
	f->crash = 8;
	f->kill_at_wait = 8;
	f->restart_min_ns = 2 * SIM_S;
	f->restart_max_ns = 90 * SIM_S;
}

/* Sync answers lost: the users sync often, refusals happen while their
 * syncs are pending (a payee whose sync is pending refuses), and they take
 * the refusals they get at once. */
static bool lose_sync_answers(struct sim *sim, const struct sim_http_msg *m, enum sim_fate *fate, int64_t *delay)
{
	(void)delay;
	if (strcmp(m->path, "/codex/sync") != 0 || sim_quiescing(sim))
		return false;
	*fate = sim_chance(sim, 450) ? SIM_LOSE_REPLY : SIM_DELIVER;
	return true;
}

static void st_lost_answer(struct sim *sim)
{
	struct cx_world *w = cx(sim);
	sim_hooks(sim)->http_hook = lose_sync_answers;
	w->sync_permille = 450;
	w->sync_before_ack = 500;
	w->act_every_s = 8;
}

/* An honest user that pays more than it receives and never loads: its value
 * at the bank runs out, and then it spends offline what it receives, before
 * the payer's log reaches the bank and often after its own payee's did. */
static void st_spend_received(struct sim *sim)
{
	struct cx_world *w = cx(sim);
	w->spender = true;
	w->sync_permille = 120;
	w->act_every_s = 10;
}

/* More than a year passes once the world is idle: certificates (365 days)
 * and states end; the users go on, their syncs renew both (14.6). */
static void years_event(struct sim *sim, void *arg)
{
	(void)arg;
	if (!sim_idle(sim)) {
		sim_at(sim, SIM_S, years_event, NULL);
		return;
	}
	sim_jump(sim, INT64_C(400) * 86400 * SIM_S);
	cx(sim)->years_jumped_ns = sim_time_ns(sim);
}

static void st_years(struct sim *sim)
{
	cx(sim)->years_due = true;
	sim_at(sim, 600 * SIM_S, years_event, NULL);
}

/* Everything at once: the network's and the crashes' faults, lost sync
 * answers, p claiming what it refuses and m paying from copies. */
static void st_world(struct sim *sim)
{
	st_world_net(sim);
	st_world_crash(sim);
	cx(sim)->sync_before_ack = 300;
	cx_cheat_claim_refuse(sim);
	cx_cheat_copy_many(sim);
}

/* Each cheating strategy finds the case of issue 14 it names on the code
 * with that fix reverted (docs/threats.md, "Defects found"); with the
 * fixes, every strategy keeps every invariant, so all make up the bounded
 * run (tests/sim/seeds/codex.txt). */
static const struct sim_strategy cx_strategies[] = {
	{ "honest", "honest users, no faults", NULL, st_honest },
	{ "world-net", "HTTP requests and answers lost, duplicated, delayed; device links broken", NULL, st_world_net },
	{ "world-crash", "processes killed at crash points and waits, restarted later", NULL, st_world_crash },
	{ "spend-received", "honest users spend offline what they received before their payers' logs reach the bank", NULL,
	  st_spend_received },
	{ "lost-answer", "sync answers lost while refusals are taken: a pending sync must not change (14.4)", NULL,
	  st_lost_answer },
	{ "resign-id", "payer m re-signs a token under an id it already used, to another payee (14.1)", NULL,
	  cx_cheat_resign },
	{ "rollback", "payer m pays one payee again and again from a copy of its Codex (14.3)", NULL, cx_cheat_rollback },
	{ "close-copy", "payer m closes its Codex and a copy of it pays on offline (14.2)", NULL, cx_cheat_close_copy },
	{ "claim-refuse", "payee p takes a payment and signs a refusal of it too (14.7)", NULL, cx_cheat_claim_refuse },
	{ "copy-many", "payer m pays every payee from copies of one state, epoch after epoch (the bound of P5)", NULL,
	  cx_cheat_copy_many },
	{ "release", "payer m is found, and after its hold what is left of its value and deposit goes back once (14.8)",
	  NULL, cx_cheat_release },
	{ "years", "400 days pass: certificates and states end, the users' syncs renew them (14.6)", NULL, st_years },
	{ "world", "all at once: faults, crashes, lost sync answers, p claiming what it refuses, m paying from copies",
	  NULL, st_world },
	{ NULL, NULL, NULL, NULL },
};

const struct sim_scheme sim_codex = {
	.name = "codex",
	.make_template = cx_template,
	.start = cx_start,
	.check_step = cx_check_step,
	.recover = cx_recover,
	.check_rest = cx_check_rest,
	.stop = cx_stop,
	.describe = NULL,
	.rest_ns = 3 * 3600 * SIM_S,
	.strategies = cx_strategies,
};
