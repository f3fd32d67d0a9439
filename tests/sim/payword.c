/* The payword world of the simulator (payword.h): one issuer F (the payword
 * agent, token value EUR 0.01, a grace of 600 s for late reports,
 * certificates valid 20 days), two honest vendor daemons (v1 reports almost
 * online, v2 in batches every 60 s), each selling a product "a" at EUR 0.01
 * (one token) and "b" at EUR 0.03 (three), three honest wallets u1..u3
 * registered at the agent with 200 tokens each, driven through the real
 * `obol wallet payword buy | buy-tokens | regenerate` commands, and the
 * parties a strategy may make cheat: a vendor x (a real vendor daemon with a
 * genuine certificate, batch reports every 30 s, and the simulator acting
 * in its name beside it), and a user m (a genuine account, registration and
 * certificate, using the real commands and rolling its wallet file back).
 * The strategies are the world's faults and the cheaters of issue 13; each
 * keeps every invariant on today's code (docs/threats.md, "Defects found",
 * has what each found with the fix it checks reverted). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issuer/payword_db.h"
#include "payword.h"
#include "store/store.h"

#define DAY_NS SIM_DAY
#define PW_TEXT(x) #x
#define PW_TEXT_OF(x) PW_TEXT(x)
#define PW_CRL_MAX_AGE_TEXT PW_TEXT_OF(PW_CRL_MAX_AGE)

static const char *const issuer_args[] = { "--payword-token-value", "EUR:0.01", "--payword-grace", "600",
					   "--payword-validity-days", "20", NULL };
static const char *const vendor_names[3] = { "v1", "v2", "x" };
static const char *const wallet_names[4] = { "u1", "u2", "u3", "m" };

struct pw_world *pw(struct sim *sim)
{
	return sim_scheme_data(sim);
}

struct pw_wallet *pw_wallet_of(struct pw_world *w, const struct sim_node *n)
{
	for (int i = 0; i < 3; i++)
		if (w->w[i] == n)
			return &w->wallet[i];
	return NULL;
}

struct sim_node *pw_vendor_node(struct pw_world *w, uint64_t id)
{
	struct sim_node *v[3] = { w->v[0], w->v[1], w->x };
	for (int i = 0; i < 3; i++)
		if (w->vendor_id[i] > 0 && (uint64_t)w->vendor_id[i] == id)
			return v[i];
	return NULL;
}

/* The password of every user of the world; Argon2id at its cheapest (the
 * simulator is a test build: src/crypto/seal.c). */
static void pw_env(void)
{
	setenv("OBOL_PAYWORD_PASSWORD", PW_PASSWORD, 1);
	setenv("OBOL_ARGON2_FAST", "1", 1);
}

/* ---- the template -------------------------------------------------------- */

static obol_err vendor_setup(struct sim *sim, struct sim_node *n, const char *report, const char *interval,
			     const char *product_file)
{
	const char *setup[] = { "vendor", "payword", "setup", "--dir", n->dir, "--mode", "generic", "--report", report,
				"--interval", interval, "--crl-interval", "30", "--crl-max-age", PW_CRL_MAX_AGE_TEXT, NULL };
	const char *a[] = { "vendor", "payword", "product", "--dir", n->dir, "--id", "a", "--price", "EUR:0.01",
			    "--file", product_file, NULL };
	const char *b[] = { "vendor", "payword", "product", "--dir", n->dir, "--id", "b", "--price", "EUR:0.03",
			    "--file", product_file, NULL };
	if (sim_run_command(sim, setup) != 0 || sim_run_command(sim, a) != 0 || sim_run_command(sim, b) != 0)
		return OBOL_E_INTERNAL;
	return OBOL_OK;
}

static obol_err pw_template(struct sim *sim)
{
	char product[PATH_MAX];
	obol_err e;
	pw_env();
	struct sim_node *f = sim_node_add(sim, SIM_ISSUER, "F", true);
	if ((e = sim_template_issuer(sim, f, issuer_args)) != OBOL_OK)
		return e;
	snprintf(product, sizeof product, "%s/product.txt", sim_dir(sim));
	FILE *pf = fopen(product, "w");
	if (pf == NULL || fputs("the product\n", pf) < 0 || fclose(pf) != 0)
		return OBOL_E_IO;
	static const char *const report[3] = { "almost-online", "batch", "batch" };
	static const char *const interval[3] = { "5", "60", "30" };
	for (size_t i = 0; i < 3; i++) {
		struct sim_node *v = sim_node_add(sim, SIM_VENDOR, vendor_names[i], true);
		if ((e = sim_template_vendor(sim, v, f)) != OBOL_OK ||
		    (e = vendor_setup(sim, v, report[i], interval[i], product)) != OBOL_OK)
			return e;
	}
	for (size_t i = 0; i < 4; i++) {
		struct sim_node *n = sim_node_add(sim, SIM_WALLET, wallet_names[i], true);
		if ((e = sim_template_wallet(sim, n, f, "EUR:20")) != OBOL_OK)
			return e;
		const char *reg[] = { "wallet", "payword", "register", "--wallet", n->wallet, "--key-file", n->key_file,
				      "--username", n->name, NULL };
		const char *buy[] = { "wallet", "payword", "buy-tokens", "--wallet", n->wallet, "--key-file", n->key_file,
				      "--tokens", "200", NULL };
		if (sim_run_command(sim, reg) != 0 || sim_run_command(sim, buy) != 0)
			return OBOL_E_INTERNAL;
	}
	return OBOL_OK;
}

/* ---- honest wallets -------------------------------------------------------- */

static void wallet_act(struct sim *sim, void *arg);

static void schedule_act(struct sim *sim, struct sim_node *n)
{
	struct pw_world *w = pw(sim);
	if (sim_quiescing(sim))
		return;
	uint64_t mean = w->act_every_s ? w->act_every_s : 20;
	sim_at(sim, (int64_t)(1 + sim_below(sim, 2 * mean)) * SIM_S + (int64_t)sim_below(sim, 1000) * SIM_MS, wallet_act,
	       n);
}

static void tokens_done(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	struct pw_wallet *pwl = pw_wallet_of(pw(sim), n);
	(void)arg;
	if (pwl != NULL)
		pwl->failures = rc == 0 ? 0 : pwl->failures + 1;
	schedule_act(sim, n);
}

static void buy_tokens(struct sim *sim, struct sim_node *n, bool lost)
{
	char tokens[16];
	snprintf(tokens, sizeof tokens, "%u", 20 + (unsigned)sim_below(sim, 40));
	if (lost) {
		const char *args[] = { "wallet", "payword", "regenerate", "--lost", "--tokens", tokens, NULL };
		sim_command(sim, n, tokens_done, NULL, args);
	} else {
		const char *args[] = { "wallet", "payword", "buy-tokens", "--tokens", tokens, NULL };
		sim_command(sim, n, tokens_done, NULL, args);
	}
}

static void purchase_done(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	struct pw_world *w = pw(sim);
	struct pw_wallet *pwl = pw_wallet_of(w, n);
	if (pwl != NULL) {
		pwl->failures = rc == 0 ? 0 : pwl->failures + 1;
		pwl->bought_at_batch = rc == 0 && arg == w->v[1];
		/* lost-batch: the device is lost right after a purchase at the
		 * batch vendor, whose report has not left yet */
		if (pwl->bought_at_batch && w->lost_permille > 0 && !sim_quiescing(sim) &&
		    sim_chance(sim, w->lost_permille)) {
			sim_trace(sim, n, "loses its certificate with a purchase at v2 not yet reported");
			buy_tokens(sim, n, true);
			return;
		}
	}
	schedule_act(sim, n);
}

static void purchase(struct sim *sim, struct sim_node *n, struct sim_node *vendor)
{
	char addr[40];
	snprintf(addr, sizeof addr, "sim:%s", vendor->name);
	const char *args[] = { "wallet", "payword", "buy", "--vendor", addr, "--product", sim_chance(sim, 600) ? "a" : "b",
			       NULL };
	sim_command(sim, n, purchase_done, vendor, args);
}

static void wallet_act(struct sim *sim, void *arg)
{
	struct sim_node *n = arg;
	struct pw_world *w = pw(sim);
	struct pw_wallet *pwl = pw_wallet_of(w, n);
	if (sim_quiescing(sim))
		return;
	if (n->busy || n->dead) {
		sim_at(sim, 5 * SIM_S, wallet_act, n);
		return;
	}
	/* New tokens now and then, and after failures (no tokens left, a
	 * certificate that expired, a token purchase to finish). */
	if (sim_chance(sim, 100) || (pwl != NULL && pwl->failures >= 2 && sim_chance(sim, 600))) {
		buy_tokens(sim, n, false);
		return;
	}
	struct sim_node *vendors[3] = { w->v[0], w->v[1], w->x };
	size_t k = w->drivers_visit_x ? 3 : 2;
	purchase(sim, n, vendors[sim_below(sim, k)]);
}

/* ---- a run ------------------------------------------------------------------- */

static int64_t lookup(struct obol_store *s, const char *sql, const char *arg)
{
	struct obol_stmt *st;
	bool row;
	int64_t v = -1;
	if (obol_stmt_prepare(s, sql, &st) != OBOL_OK)
		return -1;
	if (obol_stmt_bind_text(st, 1, arg) == OBOL_OK && obol_stmt_step(st, &row) == OBOL_OK && row)
		v = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	return v;
}

/* The vendors' account ids and the token value, from the issuer's database. */
static obol_err load_issuer_view(struct pw_world *w)
{
	char url[PATH_MAX + 32];
	struct obol_store *s = NULL;
	struct payword_settings st;
	snprintf(url, sizeof url, "sqlite:%s/issuer.db", w->issuer->dir);
	obol_err e = obol_store_open(url, false, &s);
	if (e == OBOL_OK && (e = obol_store_begin_read(s)) == OBOL_OK) {
		for (int i = 0; i < 3; i++)
			w->vendor_id[i] = lookup(s, "SELECT id FROM accounts WHERE name = ?", vendor_names[i]);
		if ((e = payword_db_settings_get(s, "EUR", &st)) == OBOL_OK)
			w->tv = st.token_value;
		obol_store_rollback(s);
	}
	obol_store_close(s);
	return e;
}

static obol_err pw_start(struct sim *sim)
{
	struct pw_world *w = calloc(1, sizeof *w);
	obol_err e;
	if (w == NULL)
		return OBOL_E_NO_MEMORY;
	pw_env();
	sim_set_scheme_data(sim, w);
	w->issuer = sim_node_add(sim, SIM_ISSUER, "F", true);
	if ((e = sim_issuer_start(sim, w->issuer)) != OBOL_OK || (e = load_issuer_view(w)) != OBOL_OK)
		return e;
	/* the hooks first: a vendor fetches its first CRL as it starts */
	struct sim_hooks *h = sim_hooks(sim);
	h->on_frame = pw_on_frame;
	h->on_http = pw_on_http;
	for (int i = 0; i < 3; i++) {
		struct sim_node *v = sim_node_add(sim, SIM_VENDOR, vendor_names[i], i < 2);
		if (i < 2)
			w->v[i] = v;
		else
			w->x = v;
		if ((e = sim_vendor_start(sim, v, w->issuer)) != OBOL_OK)
			return e;
	}
	for (int i = 0; i < 3; i++)
		w->w[i] = sim_node_add(sim, SIM_WALLET, wallet_names[i], true);
	w->m = sim_node_add(sim, SIM_WALLET, "m", false);
	for (int i = 0; i < 3; i++)
		sim_at(sim, (int64_t)sim_below(sim, 10000) * SIM_MS, wallet_act, w->w[i]);
	return OBOL_OK;
}

/* At rest: a token purchase whose answer was lost is finished (the wallet
 * sends the recorded request again). */
static void pw_recover(struct sim *sim)
{
	struct pw_world *w = pw(sim);
	static const char *const finish[] = { "wallet", "payword", "regenerate", NULL };
	/* only a wallet with a pending purchase: a regeneration with nothing
	 * pending would move value for no reason */
	for (int i = 0; i < 3; i++)
		if (!w->w[i]->busy && !w->w[i]->dead && pw_pending_buy(w->w[i]))
			sim_command(sim, w->w[i], NULL, NULL, finish);
}

static void pw_stop(struct sim *sim)
{
	struct pw_world *w = pw(sim);
	if (w->cheat_free != NULL)
		w->cheat_free(w->cheat);
	else
		free(w->cheat);
	free(w->ranges);
	free(w);
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
	f->link_break_write = 10;
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

/* Days pass while nothing is under way and every process is up: CRLs go
 * stale, certificates expire (after 20 days), held value passes its grace. */
static void jump_event(struct sim *sim, void *arg)
{
	int64_t *left = arg;
	if (sim_quiescing(sim)) {
		free(left);
		return;
	}
	if (!sim_idle(sim) || !all_up(sim)) {
		sim_at(sim, SIM_S, jump_event, left);
		return;
	}
	int64_t d = (1 + (int64_t)sim_below(sim, 5)) * DAY_NS;
	if (d <= *left) {
		*left -= d;
		sim_jump(sim, d);
	}
	sim_at(sim, (int64_t)(300 + sim_below(sim, 1200)) * SIM_S, jump_event, left);
}

static void st_world_time(struct sim *sim)
{
	struct sim_node **all;
	size_t n = sim_nodes(sim, &all);
	for (size_t i = 0; i < n; i++)
		if (all[i]->kind != SIM_ISSUER)
			all[i]->skew_s = (int64_t)sim_below(sim, 121) - 60;
	int64_t *left = malloc(sizeof *left);
	if (left == NULL)
		abort();
	*left = 40 * DAY_NS;
	sim_at(sim, (int64_t)(60 + sim_below(sim, 600)) * SIM_S, jump_event, left);
}

static void st_world(struct sim *sim)
{
	st_world_net(sim);
	st_world_crash(sim);
	st_world_time(sim);
}

/* lost-batch (issue 13 case 3): a wallet loses its certificate right after
 * a purchase at the batch vendor and regenerates with --lost. */
static void st_lost_batch(struct sim *sim)
{
	struct pw_world *w = pw(sim);
	w->lost_permille = 500;
	w->act_every_s = 15;
}

/* lost-buy (issue 13 case 9): answers to token purchases lost; the wallets
 * buy from the vendors meanwhile. */
static bool lose_buys(struct sim *sim, const struct sim_http_msg *m, enum sim_fate *fate, int64_t *delay)
{
	(void)delay;
	if (strcmp(m->path, "/payword/buy") != 0 || !sim_chance(sim, 500))
		return false;
	*fate = SIM_LOSE_REPLY;
	return true;
}

static void st_lost_buy(struct sim *sim)
{
	sim_hooks(sim)->http_hook = lose_buys;
	pw(sim)->act_every_s = 10;
}

/* reorder (issue 13 case 4): reports lost, late (arriving after the vendor
 * gave up, and after later ones) or twice. */
static bool reorder_reports(struct sim *sim, const struct sim_http_msg *m, enum sim_fate *fate, int64_t *delay)
{
	if (strcmp(m->path, "/payword/report") != 0)
		return false;
	uint64_t r = sim_below(sim, 100);
	if (r >= 55)
		return false;
	*fate = r < 25 ? SIM_LOSE_REQUEST : r < 45 ? SIM_DELAY : SIM_DUPLICATE;
	*delay = (int64_t)(11 + sim_below(sim, 90)) * SIM_S;
	return true;
}

static void st_reorder(struct sim *sim)
{
	sim_hooks(sim)->http_hook = reorder_reports;
	pw(sim)->act_every_s = 10;
}

/* crl-outage (issue 13 case 6): the agent's CRL cannot be fetched for 250 s
 * in every 400 s (past the vendors' 120 s bound), while processes crash and
 * restart (a vendor then starts with no list). */
static bool crl_outage(struct sim *sim, const struct sim_http_msg *m, enum sim_fate *fate, int64_t *delay)
{
	(void)delay;
	if (strncmp(m->path, "/payword/crl", strlen("/payword/crl")) != 0 || sim_quiescing(sim) || sim_time_ns(sim) % (400 * SIM_S) < 150 * SIM_S)
		return false;
	*fate = SIM_LOSE_REQUEST;
	return true;
}

static void st_crl_outage(struct sim *sim)
{
	st_world_crash(sim);
	sim_hooks(sim)->http_hook = crl_outage;
}

/* ---- the table --------------------------------------------------------------- */

static const struct sim_strategy payword_strategies[] = {
	{ "honest", "honest parties only; messages arrive at once", NULL, st_honest },
	{ "world-net", "HTTP requests and answers lost, duplicated, delayed up to 30 s; device links break", NULL,
	  st_world_net },
	{ "world-crash", "honest processes killed at crash points and while waiting, restarted later", NULL,
	  st_world_crash },
	{ "world-time", "clocks skewed by up to a minute; days pass while nothing is under way", NULL,
	  st_world_time },
	{ "world", "world-net, world-crash and world-time together", NULL, st_world },
	{ "lost-batch", "wallets regenerate --lost right after a purchase at the batch vendor v2 (13.3)", NULL,
	  st_lost_batch },
	{ "lost-buy", "answers to token purchases lost while the wallets go on buying (13.9)", NULL, st_lost_buy },
	{ "reorder", "reports lost, arriving late after later ones, or twice (13.4)", NULL, st_reorder },
	{ "thief", "user m, with u1's name and password but its own key, asks for u1's certificate and seed, and buys in "
	  "u1's name (13.7)",
	  NULL, pw_cheat_thief },
	{ "crl-outage", "the agent's CRL out of reach 250 s in every 400 s while processes crash and restart (13.6)", NULL,
	  st_crl_outage },
	{ "rollback",
	  "user m rolls its wallet file back and pays v1 the orders it paid the batch vendor v2, or moved to new tokens "
	  "(13.1, 13.5)",
	  NULL, pw_cheat_rollback },
	{ "hiding-vendor",
	  "vendor x keeps its reports back and claims one range across two of its sales with other vendors' between "
	  "(13.2)",
	  NULL, pw_cheat_hiding_vendor },
	{ "fabricating-vendor", "vendor x claims the orders below each range it was paid, computed from its token",
	  NULL, pw_cheat_fabricating_vendor },
	{ NULL, NULL, NULL, NULL },
};

const struct sim_scheme sim_payword = {
	.name = "payword",
	.make_template = pw_template,
	.start = pw_start,
	.check_step = pw_check_step,
	.recover = pw_recover,
	.check_rest = pw_check_rest,
	.stop = pw_stop,
	.describe = pw_describe,
	.rest_ns = 3600 * SIM_S, /* past the grace (600 s), the batch intervals and the outbox's longest backoff */
	.strategies = payword_strategies,
};
