/* The ecash world of the simulator (ecash.h): one bank F, two honest vendor
 * daemons v1 and v2 (merchants: they take payments and deposit them through
 * their outbox), three honest wallets w1..w3 driven through the real `obol
 * wallet ecash ...` commands (top-up, plain and ring payments, refresh,
 * release, withdrawal to an account, redemption of expired coins, renewal),
 * an honest wallet r that takes payments as a merchant (the real receiving
 * core, as `wallet ecash receive` runs it) and spends the coins on
 * (transfer, seed 002 §3.5.6) or deposits them, and the parties a strategy
 * may make cheat: an eavesdropper eve, a merchant x and a payer m with a
 * second wallet m2 on the same account, each with a registered key. The
 * strategies are the world's faults and the cheaters of issue 12; all of
 * them are withstood by today's code (docs/threats.md, "Defects found",
 * has what each found with its fix reverted). */
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ecash.h"
#include "store/store.h"

#define DAY_NS SIM_DAY
/* The bank's deposit window (a payee has this long to deposit before its
 * payer may exchange an unconfirmed payment) and coin lifetime. */
#define EW_WINDOW_S 259200 /* 3 days */

static const char *const issuer_args[] = { "--ecash-deposit-window", "259200", "--ecash-coin-lifetime", "2592000",
					    NULL };
static const char *const wallet_names[] = { "w1", "w2", "w3", "r", "x", "eve", "m" };

struct ew_world *ew(struct sim *sim)
{
	return sim_scheme_data(sim);
}

int ew_wallet_index(const struct ew_world *w, const struct sim_node *n)
{
	for (int i = 0; i < EW_WALLETS; i++)
		if (w->w[i] == n)
			return i;
	return -1;
}

int64_t ew_account(struct sim *sim, const char *name)
{
	struct obol_store *s = sim_issuer_db(sim);
	struct obol_stmt *st;
	bool row;
	int64_t id = 0;
	if (s == NULL || obol_store_begin_read(s) != OBOL_OK)
		return 0;
	if (obol_stmt_prepare(s, "SELECT id FROM accounts WHERE name = ?", &st) == OBOL_OK) {
		if (obol_stmt_bind_text(st, 1, name) == OBOL_OK && obol_stmt_step(st, &row) == OBOL_OK && row)
			id = obol_stmt_column_int64(st, 0);
		obol_stmt_finish(st);
	}
	obol_store_rollback(s);
	return id;
}

obol_err ew_issuer_store(struct sim *sim, struct obol_store **out)
{
	char url[PATH_MAX + 32];
	snprintf(url, sizeof url, "sqlite:%s/issuer.db", ew(sim)->issuer->dir);
	return obol_store_open(url, false, out);
}

/* ---- the template ------------------------------------------------------------ */

static int wallet_cmd(struct sim *sim, struct sim_node *n, const char *const *args)
{
	const char *argv[24];
	size_t k = 0;
	for (; args[k] != NULL && k < 19; k++)
		argv[k] = args[k];
	argv[k++] = "--wallet";
	argv[k++] = n->wallet;
	argv[k++] = "--key-file";
	argv[k++] = n->key_file;
	argv[k] = NULL;
	return sim_run_command(sim, argv);
}

int ew_copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = in != NULL ? fopen(to, "wb") : NULL;
	char buf[65536];
	size_t n;
	int rc = in != NULL && out != NULL ? 0 : -1;
	while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (in != NULL)
		fclose(in);
	if (out != NULL && fclose(out) != 0)
		rc = -1;
	return rc;
}

static obol_err ew_template(struct sim *sim)
{
	static const char *const reg[] = { "wallet", "ecash", "register", NULL };
	static const char *const refresh[] = { "wallet", "ecash", "refresh", NULL };
	obol_err e;
	struct sim_node *f = sim_node_add(sim, SIM_ISSUER, "F", true);
	if ((e = sim_template_issuer(sim, f, issuer_args)) != OBOL_OK)
		return e;
	/* The vendors register their merchant keys at their first start. */
	static const char *const vendors[] = { "v1", "v2" };
	for (size_t i = 0; i < 2; i++) {
		struct sim_node *v = sim_node_add(sim, SIM_VENDOR, vendors[i], true);
		snprintf(v->price, sizeof v->price, "EUR:1");
		if ((e = sim_template_vendor(sim, v, f)) != OBOL_OK || (e = sim_vendor_start(sim, v, f)) != OBOL_OK)
			return e;
	}
	struct sim_node *nodes[8];
	for (size_t i = 0; i < sizeof wallet_names / sizeof *wallet_names; i++) {
		nodes[i] = sim_node_add(sim, SIM_WALLET, wallet_names[i], true);
		if ((e = sim_template_wallet(sim, nodes[i], f, "EUR:50")) != OBOL_OK)
			return e;
	}
	/* m2: a second wallet of m's account (its copy before registration),
	 * with a key of its own. */
	struct sim_node *m = nodes[6], *m2 = sim_node_add(sim, SIM_WALLET, "m2", true);
	if (ew_copy_file(m->wallet, m2->wallet) != 0 || ew_copy_file(m->key_file, m2->key_file) != 0)
		return OBOL_E_IO;
	nodes[7] = m2;
	for (size_t i = 0; i < 8; i++)
		if (wallet_cmd(sim, nodes[i], reg) != 0)
			return OBOL_E_INTERNAL;
	for (size_t i = 0; i < 8; i++)
		if (wallet_cmd(sim, nodes[i], refresh) != 0)
			return OBOL_E_INTERNAL;
	return OBOL_OK;
}

/* ---- honest wallets -------------------------------------------------------- */

static void wallet_act(struct sim *sim, void *arg);
static void r_act(struct sim *sim, void *arg);

static void schedule_act(struct sim *sim, struct sim_node *n)
{
	struct ew_world *w = ew(sim);
	if (sim_quiescing(sim))
		return;
	uint64_t mean = w->act_every_s ? w->act_every_s : 20;
	sim_at(sim, (int64_t)(1 + sim_below(sim, 2 * mean)) * SIM_S + (int64_t)sim_below(sim, 1000) * SIM_MS,
	       n == w->r ? r_act : wallet_act, n);
}

/* arg: how the command changes the wallet's coins when it succeeds. */
static void act_done(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	struct ew_world *w = ew(sim);
	int i = ew_wallet_index(w, n);
	if (i >= 0 && rc == 0)
		w->coins[i] += (int)(intptr_t)arg;
	else if (i >= 0 && (intptr_t)arg < 0)
		w->coins[i] = 0; /* a payment that failed: top up next (the coins may have expired) */
	schedule_act(sim, n);
}

/* A renewed key joins a new block of registrations: its rings start anew
 * (docs/threats.md P7). */
static void renew_done(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	struct ew_world *w = ew(sim);
	int i = ew_wallet_index(w, n);
	(void)arg;
	if (i >= 0 && rc == 0)
		memset(&w->rings[i], 0, sizeof w->rings[i]);
	schedule_act(sim, n);
}

static void release_done(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	struct ew_world *w = ew(sim);
	if (w->on_release != NULL)
		w->on_release(sim, n, rc);
	act_done(sim, n, rc, arg);
}

static void pay(struct sim *sim, struct sim_node *n, struct sim_node *to)
{
	char addr[40];
	snprintf(addr, sizeof addr, "sim:%s", to->name);
	uint64_t r = sim_below(sim, 10);
	if (r < 2) {
		const char *args[] = { "wallet", "ecash", "pay", "--vendor", addr, "--ring", r == 0 ? "2" : "4", NULL };
		sim_command(sim, n, act_done, (void *)(intptr_t)-1, args);
	} else {
		const char *args[] = { "wallet", "ecash", "pay", "--vendor", addr, NULL };
		sim_command(sim, n, act_done, (void *)(intptr_t)-1, args);
	}
}

static void wallet_act(struct sim *sim, void *arg)
{
	struct sim_node *n = arg;
	struct ew_world *w = ew(sim);
	int i = ew_wallet_index(w, n);
	if (sim_quiescing(sim) || i < 0)
		return;
	if (n->busy || n->dead) {
		sim_at(sim, 5 * SIM_S, wallet_act, n);
		return;
	}
	if (w->retired[i])
		return;
	if (w->renew_due[i]) {
		static const char *const renew[] = { "wallet", "ecash", "renew", NULL };
		w->renew_due[i] = false;
		sim_command(sim, n, renew_done, NULL, renew);
		return;
	}
	if (w->release_due[i]) {
		static const char *const release[] = { "wallet", "ecash", "release", NULL };
		w->release_due[i] = false;
		sim_command(sim, n, release_done, NULL, release);
		return;
	}
	uint64_t r = sim_below(sim, 1000);
	if (r < 100 || w->coins[i] <= 0) {
		unsigned k = 1 + (unsigned)sim_below(sim, 3);
		char amount[16];
		snprintf(amount, sizeof amount, "EUR:%u", k);
		const char *args[] = { "wallet", "ecash", "topup", "--amount", amount, "--coin", "EUR:1", NULL };
		sim_command(sim, n, act_done, (void *)(intptr_t)k, args);
	} else if (r < 720) {
		struct sim_node *to[4] = { w->v[1], w->r, w->x, w->v[0] };
		size_t k = w->drivers_visit_x ? 3 : 2;
		if (!w->avoid_v1)
			to[k++] = w->v[0];
		pay(sim, n, to[sim_below(sim, k)]);
	} else if (r < 780) {
		const char *args[] = { "wallet", "ecash", "refresh", NULL };
		sim_command(sim, n, act_done, NULL, args);
	} else if (r < 840) {
		const char *args[] = { "wallet", "ecash", "release", NULL };
		sim_command(sim, n, act_done, NULL, args);
	} else if (r < 890) {
		/* a withdrawal of EUR:1, to the wallet's own account or another's */
		char to[24];
		struct sim_node *dest = sim_chance(sim, 500) ? n : w->w[sim_below(sim, EW_WALLETS)];
		snprintf(to, sizeof to, "%" PRId64, ew_account(sim, dest->name));
		const char *args[] = { "wallet", "ecash", "withdraw", "--amount", "EUR:1", "--to", to, NULL };
		sim_command(sim, n, act_done, (void *)(intptr_t)-1, args);
	} else if (r < 920) {
		const char *args[] = { "wallet", "ecash", "redeem-expired", NULL };
		sim_command(sim, n, act_done, NULL, args);
	} else if (r < 928) {
		const char *args[] = { "wallet", "ecash", "renew", NULL };
		sim_command(sim, n, renew_done, NULL, args);
	} else {
		const char *args[] = { "wallet", "ecash", "coins", NULL };
		sim_command(sim, n, act_done, NULL, args);
	}
}

/* r, the honest receiving wallet: between payments it takes, it spends
 * what it received on at a vendor (a transfer) or deposits it. */
static void r_done(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	(void)rc;
	(void)arg;
	schedule_act(sim, n);
}

static void r_act(struct sim *sim, void *arg)
{
	struct sim_node *n = arg;
	struct ew_world *w = ew(sim);
	if (sim_quiescing(sim))
		return;
	if (n->busy || n->dead || w->r_serving) {
		sim_at(sim, 5 * SIM_S, r_act, n);
		return;
	}
	if (w->renew_due[EW_WALLETS]) {
		static const char *const renew[] = { "wallet", "ecash", "renew", NULL };
		w->renew_due[EW_WALLETS] = false;
		sim_command(sim, n, r_done, NULL, renew);
		return;
	}
	uint64_t r = sim_below(sim, 10);
	if (r < 5) {
		char addr[40];
		snprintf(addr, sizeof addr, "sim:%s", w->v[w->avoid_v1 ? 1 : sim_below(sim, 2)]->name);
		const char *args[] = { "wallet", "ecash", "pay", "--vendor", addr, NULL };
		sim_command(sim, n, r_done, NULL, args);
	} else if (r < 9) {
		const char *args[] = { "wallet", "ecash", "deposit", NULL };
		sim_command(sim, n, r_done, NULL, args);
	} else {
		const char *args[] = { "wallet", "ecash", "refresh", NULL };
		sim_command(sim, n, r_done, NULL, args);
	}
}

/* ---- a run ------------------------------------------------------------------- */

static obol_err ew_start(struct sim *sim)
{
	struct ew_world *w = calloc(1, sizeof *w);
	obol_err e;
	if (w == NULL)
		return OBOL_E_NO_MEMORY;
	sim_set_scheme_data(sim, w);
	w->issuer = sim_node_add(sim, SIM_ISSUER, "F", true);
	if ((e = sim_issuer_start(sim, w->issuer)) != OBOL_OK)
		return e;
	for (int i = 0; i < 2; i++) {
		char name[8], db[PATH_MAX + 16], bak[PATH_MAX + 16];
		snprintf(name, sizeof name, "v%d", i + 1);
		w->v[i] = sim_node_add(sim, SIM_VENDOR, name, true);
		snprintf(w->v[i]->price, sizeof w->v[i]->price, "EUR:1");
		/* the vendor's store as it was before any payment (same-merchant
		 * restores it) */
		snprintf(db, sizeof db, "%s/vendor.db", w->v[i]->dir);
		snprintf(bak, sizeof bak, "%s/vendor.db.bak", w->v[i]->dir);
		if (ew_copy_file(db, bak) != 0)
			return OBOL_E_IO;
		if ((e = sim_vendor_start(sim, w->v[i], w->issuer)) != OBOL_OK)
			return e;
	}
	for (int i = 0; i < EW_WALLETS; i++) {
		char name[8];
		snprintf(name, sizeof name, "w%d", i + 1);
		w->w[i] = sim_node_add(sim, SIM_WALLET, name, true);
	}
	w->r = sim_node_add(sim, SIM_SCRIPTED, "r", true);
	w->r->serve = ew_receiver_serve;
	w->r_clean = true;
	w->x = sim_node_add(sim, SIM_SCRIPTED, "x", false);
	w->eve = sim_node_add(sim, SIM_SCRIPTED, "eve", false);
	w->m = sim_node_add(sim, SIM_SCRIPTED, "m", false);
	w->m2 = sim_node_add(sim, SIM_SCRIPTED, "m2", false);
	struct sim_hooks *h = sim_hooks(sim);
	h->on_frame = ew_on_frame;
	h->on_http = ew_on_http;
	for (int i = 0; i < EW_WALLETS; i++)
		sim_at(sim, (int64_t)sim_below(sim, 10000) * SIM_MS, wallet_act, w->w[i]);
	sim_at(sim, (int64_t)(20000 + sim_below(sim, 10000)) * SIM_MS, r_act, w->r);
	return OBOL_OK;
}

static void ew_stop(struct sim *sim)
{
	struct ew_world *w = ew(sim);
	if (w->cheat_free != NULL)
		w->cheat_free(w->cheat);
	else
		free(w->cheat);
	free(w->sessions);
	free(w->events);
	free(w);
}

/* At rest (time is past the deposit window): r first deposits what it
 * holds (a payee deposits within the window: the jump to rest is the
 * simulator's, not r's); then each honest wallet sends again a request
 * whose answer was lost and exchanges the coins of payments left without a
 * receipt. Each command runs twice: a command that resends a lost request
 * stops there. */
struct chain {
	const char *const *steps[5]; /* NULL-terminated */
	size_t i;
	void (*then)(struct sim *sim); /* when the chain ends */
};

static void chain_next(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	struct chain *c = arg;
	(void)rc;
	if (c->steps[c->i] == NULL || n->dead) {
		if (c->then != NULL)
			c->then(sim);
		free(c);
		return;
	}
	const char *const *args = c->steps[c->i++];
	sim_command(sim, n, chain_next, c, args);
}

static void run_chain(struct sim *sim, struct sim_node *n, const char *const *a, const char *const *b,
		      void (*then)(struct sim *sim))
{
	struct chain *c = calloc(1, sizeof *c);
	if (c == NULL)
		abort();
	c->steps[0] = a;
	c->steps[1] = a;
	c->steps[2] = b;
	c->steps[3] = b;
	c->steps[4] = NULL;
	c->then = then;
	chain_next(sim, n, 0, c);
}

static const char *const release_args[] = { "wallet", "ecash", "release", NULL };

static void recover_payers(struct sim *sim)
{
	struct ew_world *w = ew(sim);
	for (int i = 0; i < EW_WALLETS; i++)
		run_chain(sim, w->w[i], release_args, NULL, NULL);
	run_chain(sim, w->r, release_args, NULL, NULL);
}

static void ew_recover(struct sim *sim)
{
	static const char *const deposit[] = { "wallet", "ecash", "deposit", NULL };
	run_chain(sim, ew(sim)->r, deposit, NULL, recover_payers);
}

/* ---- the world's strategies ------------------------------------------------ */

static void st_honest(struct sim *sim)
{
	(void)sim;
}

static void st_world_net(struct sim *sim)
{
	struct sim_faults *f = sim_faults(sim);
	f->http_lose_request = 40;
	f->http_lose_reply = 40;
	f->http_duplicate = 30;
	f->http_delay = 40;
	f->http_delay_max_ns = 30 * SIM_S;
	f->link_break = 15;
}

static void st_world_crash(struct sim *sim)
{
	struct sim_faults *f = sim_faults(sim);
	f->crash = 8;
	f->kill_at_wait = 8;
	f->restart_min_ns = 2 * SIM_S;
	f->restart_max_ns = 90 * SIM_S;
}

static bool all_up(struct sim *sim)
{
	struct sim_node **all;
	size_t n = sim_nodes(sim, &all);
	for (size_t i = 0; i < n; i++)
		if (all[i]->dead)
			return false;
	return true;
}

/* r deposits what it holds before a jump. */
static void r_deposited(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	struct ew_world *w = ew(sim);
	(void)n;
	if (rc == 0 && !w->r_serving && (unsigned)(uintptr_t)arg == w->r_serves)
		w->r_clean = true;
}

/* A day or two at once, only while nothing is under way, every process is
 * up and every payment a merchant took is deposited (a merchant deposits
 * within the deposit window: a jump across it is not the world's doing but
 * the merchant's, docs/threats.md P3 "Out of reach"); 30 days at most. */
static void jump_event(struct sim *sim, void *arg)
{
	int64_t *left = arg;
	if (sim_quiescing(sim))
		return;
	if (!sim_idle(sim) || !all_up(sim) || !ew_payments_settled(sim)) {
		struct ew_world *w = ew(sim);
		if (!w->r_clean && sim_idle(sim) && !w->r->dead) {
			static const char *const deposit[] = { "wallet", "ecash", "deposit", NULL };
			sim_command(sim, w->r, r_deposited, (void *)(uintptr_t)w->r_serves, deposit);
		}
		sim_at(sim, 10 * SIM_S, jump_event, left);
		return;
	}
	struct ew_world *w = ew(sim);
	int64_t d = (w->jump_min_days + (int64_t)sim_below(sim, (uint64_t)(w->jump_max_days - w->jump_min_days + 1))) * DAY_NS;
	if (d <= *left) {
		*left -= d;
		sim_jump(sim, d);
		if (w->jump_min_days >= 30) {
			/* years: wallets renew their keys once a quarter of the
			 * certificate's year is left; vendors restart (and renew
			 * theirs at start when it is) */
			w->since_renew_days += d / DAY_NS;
			if (w->since_renew_days >= 240) {
				w->since_renew_days = 0;
				for (int i = 0; i <= EW_WALLETS; i++)
					w->renew_due[i] = true;
			}
			for (int i = 0; i < 2; i++)
				sim_kill(sim, w->v[i], "restarted after the jump", 2 * SIM_S);
		}
	}
	sim_at(sim, (int64_t)(w->jump_min_days >= 30 ? 60 + sim_below(sim, 180) : 300 + sim_below(sim, 1200)) * SIM_S,
	       jump_event, left);
}

static void st_world_time(struct sim *sim)
{
	struct ew_world *w = ew(sim);
	struct sim_node **all;
	size_t n = sim_nodes(sim, &all);
	for (size_t i = 0; i < n; i++)
		if (all[i]->kind != SIM_ISSUER)
			all[i]->skew_s = (int64_t)sim_below(sim, 121) - 60;
	int64_t *left = malloc(sizeof *left);
	if (left == NULL)
		abort();
	*left = (w->jump_min_days >= 30 ? 500 : 30) * DAY_NS;
	if (w->jump_max_days == 0) {
		w->jump_min_days = 1;
		w->jump_max_days = 2;
	}
	w->cheat = left;
	sim_at(sim, (int64_t)(60 + sim_below(sim, 600)) * SIM_S, jump_event, left);
}

/* Years pass (500 days, 60 to 100 at once): coins expire and are redeemed,
 * keys are renewed, certificates expire; coins received under an old key
 * stay depositable. */
static void st_years(struct sim *sim)
{
	struct ew_world *w = ew(sim);
	w->jump_min_days = 60;
	w->jump_max_days = 100;
	st_world_time(sim);
}

static void st_world(struct sim *sim)
{
	st_world_net(sim);
	st_world_crash(sim);
	st_world_time(sim);
}

/* Top-up answers lost (issue 12 case 3): the bank debits and issues, the
 * wallet never hears. */
static bool lose_topups(struct sim *sim, const struct sim_http_msg *m, enum sim_fate *fate, int64_t *delay)
{
	(void)delay;
	if (strcmp(m->path, "/ecash/topup") != 0 || !sim_chance(sim, 400))
		return false;
	*fate = SIM_LOSE_REPLY;
	return true;
}

static void st_lost_topup(struct sim *sim)
{
	sim_hooks(sim)->http_hook = lose_topups;
}

/* ---- the table --------------------------------------------------------------- */

static const struct sim_strategy ecash_strategies[] = {
	{ "honest", "honest parties only; messages arrive at once", NULL, st_honest },
	{ "world-net", "HTTP requests and answers lost, duplicated, delayed up to 30 s; device links break", NULL,
	  st_world_net },
	{ "world-crash", "honest processes killed at crash points and while waiting, restarted later", NULL,
	  st_world_crash },
	{ "world-time", "clocks skewed by up to a minute; days pass while every payment is deposited", NULL,
	  st_world_time },
	{ "world", "world-net, world-crash and world-time together", NULL, st_world },
	{ "years", "500 days pass, 60 to 100 at once: coins expire, keys are renewed, certificates run out", NULL,
	  st_years },
	{ "front-run", "eve copies every payment off the link and deposits the coins first, as her own", NULL,
	  ew_cheat_front_run },
	{ "revoke-after-pay", "the operator revokes w1's key right after an honest payment, before the deposit", NULL,
	  ew_cheat_revoke_after_pay },
	{ "lost-topup", "top-up answers lost: the bank debits and issues, the wallet never hears", NULL,
	  st_lost_topup },
	{ "lying-merchant", "merchant x keeps the coins, answers ERROR instead of its receipt, and deposits", NULL,
	  ew_cheat_lying_merchant },
	{ "withholding-merchant", "merchant x keeps the coins, answers ERROR, and never deposits", NULL,
	  ew_cheat_withholding_merchant },
	{ "same-merchant", "payer m spends one coin twice at v1, which restored a backup in between", NULL,
	  ew_cheat_same_merchant },
	{ "two-keys", "payer m spends one coin at v1 with its key and at v2 with its account's second key", NULL,
	  ew_cheat_two_keys },
	{ "cut-receipt", "the link drops a vendor's receipt after SIGN; the payer releases at once, the deposit comes later",
	  NULL, ew_cheat_cut_receipt },
	{ NULL, NULL, NULL, NULL },
};

const struct sim_scheme sim_ecash = {
	.name = "ecash",
	.make_template = ew_template,
	.start = ew_start,
	.recover = ew_recover,
	.check_rest = ew_check_rest,
	.describe = ew_describe,
	.stop = ew_stop,
	.rest_ns = (EW_WINDOW_S + 86400) * SIM_S, /* past the deposit window */
	.strategies = ecash_strategies,
};
