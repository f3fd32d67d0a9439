/* The coupon world of the simulator (coupon.h): one issuer F with two
 * denominations, two honest vendor daemons v1 and v2, three honest wallets
 * w1..w3 driven through the real `obol wallet withdraw` and `obol wallet
 * pay` commands, and the parties a strategy may make cheat: a vendor x (a
 * genuine certificate), a payer m (a genuine account), and an adversary on
 * the device links. The strategies are the world's faults and the cheaters of
 * THREATS.md; each names the defect of issue 11 it finds, or none when the
 * code withstands it (those make up the bounded run of make check). */
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "coupon.h"
#include "core/clock.h"
#include "crypto/secret.h"
#include "issuer/coupon_store.h"
#include "issuer/keys.h"
#include "store/store.h"
#include "wire/json.h"

#define DAY_NS SIM_DAY

/* The denominations: coins of 100 and of 10 tokens, so that coins run out,
 * payments span coins and a coin's last token is a lock token (p = 0); and
 * coins of CW_BIG_N tokens (EUR 0.000005 each), only for the strategies of
 * long sessions (w->big_coins). */
static const char *const denom_args[] = { "--coupon-denom", "EUR:0.1,100",   "--coupon-denom", "EUR:0.05,10",
					  "--coupon-denom", "EUR:1,200000", NULL };
static const char *const vendor_price[2] = { "EUR:0.001", "EUR:0.002" };

struct cw_world *cw(struct sim *sim)
{
	return sim_scheme_data(sim);
}

const struct coupon_denom *cw_denom(struct cw_world *w, uint64_t id)
{
	for (size_t i = 0; i < w->ndenoms; i++)
		if (w->denoms[i].id == id)
			return &w->denoms[i];
	return NULL;
}

struct cw_wallet *cw_wallet_of(struct cw_world *w, const struct sim_node *n)
{
	for (int i = 0; i < 3; i++)
		if (w->w[i] == n)
			return &w->wallet[i];
	return NULL;
}

/* ---- the template -------------------------------------------------------- */

static obol_err cw_template(struct sim *sim)
{
	static const char *const names[] = { "w1", "w2", "w3", "m" };
	obol_err e;
	struct sim_node *f = sim_node_add(sim, SIM_ISSUER, "F", true);
	if ((e = sim_template_issuer(sim, f, denom_args)) != OBOL_OK)
		return e;
	static const char *const vendors[] = { "v1", "v2", "x" };
	for (size_t i = 0; i < 3; i++)
		if ((e = sim_template_vendor(sim, sim_node_add(sim, SIM_VENDOR, vendors[i], true), f)) != OBOL_OK)
			return e;
	for (size_t i = 0; i < 4; i++)
		if ((e = sim_template_wallet(sim, sim_node_add(sim, SIM_WALLET, names[i], true), f, "EUR:20")) != OBOL_OK)
			return e;
	return OBOL_OK;
}

/* ---- honest wallets -------------------------------------------------------- */

static void wallet_act(struct sim *sim, void *arg);

static void schedule_act(struct sim *sim, struct sim_node *n)
{
	struct cw_world *w = cw(sim);
	if (sim_quiescing(sim))
		return;
	uint64_t mean = w->act_every_s ? w->act_every_s : 20;
	sim_at(sim, (int64_t)(1 + sim_below(sim, 2 * mean)) * SIM_S + (int64_t)sim_below(sim, 1000) * SIM_MS, wallet_act,
	       n);
}

static void withdraw_done(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	(void)arg;
	(void)rc;
	struct cw_wallet *cwl = cw_wallet_of(cw(sim), n);
	if (cwl != NULL)
		cwl->withdrawals++;
	if (rc != -2)
		cw_check_withdrawals(sim, n);
	schedule_act(sim, n);
}

static void pay_done(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	(void)arg;
	(void)rc;
	struct cw_wallet *cwl = cw_wallet_of(cw(sim), n);
	if (cwl != NULL)
		cwl->paying = false;
	schedule_act(sim, n);
}

static void sync_done(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	(void)arg;
	(void)rc;
	schedule_act(sim, n);
}

static void withdraw(struct sim *sim, struct sim_node *n)
{
	struct cw_world *w = cw(sim);
	const struct coupon_denom *pick[CW_DENOMS_MAX];
	size_t npick = 0;
	char denom[16];
	for (size_t i = 0; i < w->ndenoms; i++)
		if ((w->denoms[i].n == CW_BIG_N) == w->big_coins)
			pick[npick++] = &w->denoms[i];
	if (npick == 0)
		abort();
	snprintf(denom, sizeof denom, "%u", pick[sim_below(sim, npick)]->id);
	const char *args[] = { "wallet", "withdraw", "--count", "1", "--denom", denom, NULL };
	sim_command(sim, n, withdraw_done, NULL, args);
}

static void pay(struct sim *sim, struct sim_node *n, struct sim_node *vendor)
{
	struct cw_world *w = cw(sim);
	struct cw_wallet *cwl = cw_wallet_of(w, n);
	char addr[40], what[32];
	const char *opt;
	snprintf(addr, sizeof addr, "sim:%s", vendor->name);
	memset(cwl, 0, offsetof(struct cw_wallet, ino));
	if (w->big_coins) {
		/* 330 to 400 units: 66000 to 80000 tokens at v1, 132000 to
		 * 160000 at v2, each more than one settle may claim */
		cwl->units = 330 + sim_below(sim, 71);
		snprintf(what, sizeof what, "%" PRIu64, cwl->units);
		opt = "--units";
	} else if (sim_chance(sim, 700)) {
		cwl->units = 1 + sim_below(sim, 15);
		snprintf(what, sizeof what, "%" PRIu64, cwl->units);
		opt = "--units";
	} else {
		snprintf(what, sizeof what, "EUR:0.0%02u", (unsigned)(1 + sim_below(sim, 30)));
		if (obol_amount_parse(what, &cwl->budget) != OBOL_OK)
			abort();
		cwl->has_budget = true;
		opt = "--amount";
	}
	cwl->paying = true;
	const char *args[] = { "wallet", "pay", "--vendor", addr, opt, what, NULL };
	sim_command(sim, n, pay_done, NULL, args);
}

static void wallet_act(struct sim *sim, void *arg)
{
	struct sim_node *n = arg;
	struct cw_world *w = cw(sim);
	if (sim_quiescing(sim))
		return;
	if (n->busy || n->dead) {
		sim_at(sim, 5 * SIM_S, wallet_act, n);
		return;
	}
	if (sim_chance(sim, w->big_coins ? 500 : 250)) {
		withdraw(sim, n);
		return;
	}
	if (sim_chance(sim, 30)) {
		/* the coins in doubt, if any: asked while locks may still hold them */
		const char *args[] = { "wallet", "sync", NULL };
		sim_command(sim, n, sync_done, NULL, args);
		return;
	}
	struct sim_node *vendors[3] = { w->v[0], w->v[1], w->x };
	size_t k = w->only_v1 ? 1 : w->drivers_visit_x ? 3 : 2;
	pay(sim, n, w->only_x ? w->x : vendors[sim_below(sim, k)]);
}

/* ---- a run ------------------------------------------------------------------- */

static obol_err load_issuer_view(struct sim *sim, struct cw_world *w)
{
	char url[PATH_MAX + 32];
	struct obol_store *s = NULL;
	struct obol_issuer_keys keys;
	snprintf(url, sizeof url, "sqlite:%s/issuer.db", w->issuer->dir);
	obol_err e = obol_store_open(url, false, &s);
	(void)sim;
	if (e == OBOL_OK && (e = obol_store_begin_read(s)) == OBOL_OK) {
		if ((e = obol_issuer_keys_load(s, &keys)) == OBOL_OK) {
			w->box = keys.box;
			obol_issuer_keys_wipe(&keys);
		}
		if (e == OBOL_OK)
			e = coupon_store_denoms(s, obol_now(), w->denoms, CW_DENOMS_MAX, &w->ndenoms);
		obol_store_rollback(s);
	}
	obol_store_close(s);
	return e;
}

static obol_err cw_start(struct sim *sim)
{
	struct cw_world *w = calloc(1, sizeof *w);
	obol_err e;
	if (w == NULL)
		return OBOL_E_NO_MEMORY;
	sim_set_scheme_data(sim, w);
	w->issuer = sim_node_add(sim, SIM_ISSUER, "F", true);
	if ((e = sim_issuer_start(sim, w->issuer)) != OBOL_OK || (e = load_issuer_view(sim, w)) != OBOL_OK)
		return e;
	for (int i = 0; i < 2; i++) {
		char name[8];
		snprintf(name, sizeof name, "v%d", i + 1);
		w->v[i] = sim_node_add(sim, SIM_VENDOR, name, true);
		snprintf(w->v[i]->price, sizeof w->v[i]->price, "%s", vendor_price[i]);
		if ((e = sim_vendor_start(sim, w->v[i], w->issuer)) != OBOL_OK)
			return e;
	}
	w->x = sim_node_add(sim, SIM_SCRIPTED, "x", false);
	for (int i = 0; i < 3; i++) {
		char name[8];
		snprintf(name, sizeof name, "w%d", i + 1);
		w->w[i] = sim_node_add(sim, SIM_WALLET, name, true);
	}
	w->m = sim_node_add(sim, SIM_SCRIPTED, "m", false);
	struct sim_hooks *h = sim_hooks(sim);
	h->on_frame = cw_on_frame;
	h->on_http = cw_on_http;
	for (int i = 0; i < 3; i++)
		sim_at(sim, (int64_t)sim_below(sim, 10000) * SIM_MS, wallet_act, w->w[i]);
	return OBOL_OK;
}

/* At rest each honest wallet runs what a careful user runs now and then:
 * `wallet withdraw` once more, which first finishes every withdrawal a lost
 * answer left pending; `wallet sync`, which asks the issuer about the coins
 * in doubt; `wallet refund`, which credits the rest of the coins past their
 * spend-until to the wallet's account. */
static const char *const recovery[][3] = {
	{ "wallet", "sync", NULL },
	{ "wallet", "refund", NULL },
};

static void recover_next(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	size_t k = (size_t)(uintptr_t)arg;
	(void)rc;
	if (k == 0)
		cw_check_withdrawals(sim, n);
	if (k < OBOL_ARRAY_LEN(recovery))
		sim_command(sim, n, recover_next, (void *)(uintptr_t)(k + 1), recovery[k]);
}

static void cw_recover(struct sim *sim)
{
	struct cw_world *w = cw(sim);
	for (int i = 0; i < 3; i++)
		if (!w->w[i]->busy && !w->w[i]->dead) {
			const char *args[] = { "wallet", "withdraw", "--count", "0", NULL };
			sim_command(sim, w->w[i], recover_next, (void *)(uintptr_t)0, args);
		}
}

static void cw_stop(struct sim *sim)
{
	struct cw_world *w = cw(sim);
	if (w->cheat_free != NULL)
		w->cheat_free(w->cheat);
	else
		free(w->cheat);
	for (size_t i = 0; i < w->ndenoms; i++)
		EVP_PKEY_free(w->denoms[i].key);
	obol_wipe(&w->box, sizeof w->box);
	free(w->coins);
	free(w->sessions);
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
	f->http_delay_max_ns = 30 * SIM_S; /* well inside a lock's T: see late-settle */
	f->link_break = 15;
}

static bool cw_just_locked(struct sim *sim, struct sim_node *n);

static void st_world_crash(struct sim *sim)
{
	struct sim_faults *f = sim_faults(sim);
	f->crash = 8;
	f->kill_at_wait = 8;
	f->restart_min_ns = 2 * SIM_S;
	f->restart_max_ns = 90 * SIM_S;
}

static int kill_after_lock(struct sim *sim, struct sim_node *n, const char *where)
{
	return strcmp(where, "store unit") == 0 && cw_just_locked(sim, n) && sim_chance(sim, 500) ? 1 : 0;
}

/* Lock answers lost, or requests that arrive after the vendor gave up. */
static bool lose_locks(struct sim *sim, const struct sim_http_msg *m, enum sim_fate *fate, int64_t *delay)
{
	if (strcmp(m->path, "/coupon/lock") != 0)
		return false;
	uint64_t r = sim_below(sim, 10);
	*fate = r < 3 ? SIM_LOSE_REPLY : r < 5 ? SIM_DELAY : SIM_DELIVER;
	*delay = (11 + (int64_t)sim_below(sim, 50)) * SIM_S;
	return true;
}

static void st_lost_lock(struct sim *sim)
{
	sim_hooks(sim)->http_hook = lose_locks;
}

static void st_crash_after_lock(struct sim *sim)
{
	struct sim_faults *f = sim_faults(sim);
	f->restart_min_ns = 2 * SIM_S;
	f->restart_max_ns = 30 * SIM_S;
	sim_hooks(sim)->crash_hook = kill_after_lock;
}

/* Time jumps of one to five days, whatever is under way (a machine
 * suspended mid-session, a vendor down for days with locks it has not
 * settled: they lapse, and a lapsed lock is settled late or paid when its
 * coin is locked again); 40 days at most in a run. */
static void jump_event(struct sim *sim, void *arg)
{
	int64_t *left = arg;
	if (sim_quiescing(sim)) {
		free(left);
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

/* The world loses withdrawal answers near the denominations' withdraw_until
 * (a year after the world began): the wallets' retries come after it. */
static bool lose_withdraw_replies(struct sim *sim, const struct sim_http_msg *m, enum sim_fate *fate, int64_t *delay)
{
	(void)delay;
	if (strcmp(m->path, "/coupon/withdraw") != 0 || !sim_chance(sim, 400))
		return false;
	*fate = SIM_LOSE_REPLY;
	return true;
}

static void st_withdraw_window(struct sim *sim)
{
	struct cw_world *w = cw(sim);
	int64_t until = INT64_MAX;
	for (size_t i = 0; i < w->ndenoms; i++)
		if (w->denoms[i].withdraw_until < until)
			until = w->denoms[i].withdraw_until;
	/* a few minutes before the window closes */
	sim_jump(sim, (until - 600) * SIM_S - sim_time_ns(sim));
	w->act_every_s = 60;
	sim_hooks(sim)->http_hook = lose_withdraw_replies;
}

/* Years pass with value in the wallets: the coins' spend_until goes by. */
static void years_event(struct sim *sim, void *arg)
{
	(void)arg;
	if (!sim_idle(sim)) {
		sim_at(sim, SIM_S, years_event, NULL);
		return;
	}
	sim_jump(sim, 800 * DAY_NS);
}

static void st_years(struct sim *sim)
{
	sim_at(sim, 1800 * SIM_S, years_event, NULL);
}

static void st_broken_write(struct sim *sim)
{
	sim_faults(sim)->link_break_write = 60;
}

/* Long sessions of coins of CW_BIG_N tokens, with processes killed and
 * restarted up to ten minutes later (past a lock's T): each session
 * checkpoints (issue 11 case 11) so that its settles stay within what one
 * request may walk (case 7), and a vendor down past T loses nothing. */
static void st_long_sessions(struct sim *sim)
{
	struct sim_faults *f = sim_faults(sim);
	cw(sim)->big_coins = true;
	f->crash = 1; /* a session of 330 units or more passes a crash point at each */
	f->kill_at_wait = 2;
	f->restart_min_ns = 2 * SIM_S;
	f->restart_max_ns = 600 * SIM_S;
}

/* ---- late-settle: the network holds a vendor's settles until it locks the
 * same coin again (issue 11 case 4) ---- */

struct held {
	struct sim_http_msg m;
	char *path, *body, *auth;
	size_t len;
	uint8_t coin[COUPON_ID_LEN];
	bool held, released;
};

#define HELD_MAX 64
struct late {
	struct held h[HELD_MAX];
	size_t n;
};

static bool body_coin(const struct sim_http_msg *m, uint8_t coin[COUPON_ID_LEN], bool lock)
{
	struct coupon_spec spec;
	static struct coupon_settle_req sreq;
	static struct coupon_lock_req lreq;
	json_t *j = json_loadb((const char *)m->body, m->body_len, 0, NULL);
	bool ok = false;
	if (j == NULL)
		return false;
	if (lock) {
		memset(&lreq, 0, sizeof lreq);
		coupon_spec_lock_req(&spec, &lreq);
		ok = obol_json_decode(j, &spec.fields) == OBOL_OK;
		memcpy(coin, lreq.coin.id, COUPON_ID_LEN);
	} else {
		memset(&sreq, 0, sizeof sreq);
		coupon_spec_settle_req(&spec, &sreq);
		ok = obol_json_decode(j, &spec.fields) == OBOL_OK;
		memcpy(coin, sreq.coin_id, COUPON_ID_LEN);
	}
	json_decref(j);
	return ok;
}

static bool late_hook(struct sim *sim, const struct sim_http_msg *m, enum sim_fate *fate, int64_t *delay)
{
	struct cw_world *w = cw(sim);
	struct late *lt = w->cheat;
	uint8_t coin[COUPON_ID_LEN];
	(void)delay;
	if (m->from != w->v[0] || strcmp(m->path, "/coupon/settle") != 0 || !body_coin(m, coin, false))
		return false;
	for (size_t i = 0; i < lt->n; i++)
		if (memcmp(lt->h[i].coin, coin, COUPON_ID_LEN) == 0) {
			if (lt->h[i].released)
				return false;
			*fate = SIM_LOSE_REQUEST; /* its retries are lost while the first is held */
			return true;
		}
	if (lt->n == HELD_MAX)
		return false;
	struct held *h = &lt->h[lt->n++];
	memcpy(h->coin, coin, COUPON_ID_LEN);
	h->m = *m;
	h->path = strdup(m->path);
	h->auth = m->auth != NULL ? strdup(m->auth) : NULL;
	h->body = malloc(m->body_len + 1);
	if (h->path == NULL || h->body == NULL)
		abort();
	memcpy(h->body, m->body, m->body_len);
	h->len = m->body_len;
	h->m.path = h->path;
	h->m.auth = h->auth;
	h->m.body = (const uint8_t *)h->body;
	h->held = true;
	sim_trace(sim, m->from, "the network holds this settle until %s locks the coin again", m->from->name);
	*fate = SIM_LOSE_REQUEST;
	return true;
}

/* A lock of v1 went through: a settle of the same coin held back arrives now. */
static void late_release(struct sim *sim, const struct sim_http_msg *m, long status)
{
	struct cw_world *w = cw(sim);
	struct late *lt = w->cheat;
	uint8_t coin[COUPON_ID_LEN];
	if (lt == NULL || m->from != w->v[0] || status != 200 || strcmp(m->path, "/coupon/lock") != 0 ||
	    !body_coin(m, coin, true))
		return;
	for (size_t i = 0; i < lt->n; i++)
		if (lt->h[i].held && !lt->h[i].released && memcmp(lt->h[i].coin, coin, COUPON_ID_LEN) == 0) {
			lt->h[i].released = true;
			sim_trace(sim, m->from, "the held settle of this coin is let through");
			sim_http_later(sim, &lt->h[i].m, SIM_MS);
		}
}

static void late_on_http(struct sim *sim, const struct sim_http_msg *m, long status, const char *reply, size_t len)
{
	cw_on_http(sim, m, status, reply, len);
	late_release(sim, m, status);
}

static void late_free(void *arg)
{
	struct late *lt = arg;
	for (size_t i = 0; lt != NULL && i < lt->n; i++) {
		free(lt->h[i].path);
		free(lt->h[i].auth);
		free(lt->h[i].body);
	}
	free(lt);
}

static void st_late_settle(struct sim *sim)
{
	struct cw_world *w = cw(sim);
	w->cheat_free = late_free;
	w->cheat = calloc(1, sizeof(struct late));
	if (w->cheat == NULL)
		abort();
	w->act_every_s = 200; /* sessions further apart than a lock's T */
	w->only_v1 = true;    /* so that only v1 may lock a coin again */
	sim_hooks(sim)->http_hook = late_hook;
	sim_hooks(sim)->on_http = late_on_http;
}

/* ---- which vendor locked what: for the crash strategies ---- */

static bool cw_just_locked(struct sim *sim, struct sim_node *n)
{
	return n->kind == SIM_VENDOR && cw_take_just_locked(sim, n);
}

/* ---- the table --------------------------------------------------------------- */

static const struct sim_strategy coupon_strategies[] = {
	{ "honest", "honest parties only; messages arrive at once", NULL, st_honest },
	{ "world-net", "HTTP requests and answers lost, duplicated, delayed up to 30 s; device links break", NULL,
	  st_world_net },
	{ "world-crash", "honest processes killed at crash points and while waiting, restarted later", NULL,
	  st_world_crash },
	{ "world-time", "clocks skewed by up to a minute; days pass while nothing is under way", NULL,
	  st_world_time },
	{ "world", "world-net, world-crash and world-time together", NULL, st_world },
	{ "withholding-vendor", "vendor x locks coins and never settles nor serves; wallets buy from it too", NULL,
	  cw_cheat_withholding_vendor },
	{ "rollback", "payer m copies and rolls back its wallet file and spends each copy at v1 and v2", NULL,
	  cw_cheat_rollback },
	{ "link-mitm", "an adversary on honest links drops, replays and holds back records of their sessions", NULL,
	  cw_cheat_link_mitm },
	{ "greedy-vendor", "vendor x answers every TOKEN with another TOKEN_REQ and never sends SERVED", NULL,
	  cw_cheat_greedy_vendor },
	{ "fake-refusal", "vendor x answers PAY with made-up REFUSED frames (COIN_SPENT, INDEX_MISMATCH 0)", NULL,
	  cw_cheat_fake_refusal },
	{ "withdraw-window", "withdrawal answers lost a few minutes before the denominations close", NULL,
	  st_withdraw_window },
	{ "late-settle", "the network holds v1's settle until v1 locks the same coin again", NULL,
	  st_late_settle },
	{ "probe", "vendor x polls the progress of coins it once saw with junk lock boxes", NULL, cw_cheat_probe },
	{ "denom-swap", "payer m makes one coin id under two denominations and spends it under the dearer one", NULL,
	  cw_cheat_denom_swap },
	{ "hold-link", "payer m holds v1's link past T with junk frames, then spends the same tokens at v2", NULL,
	  cw_cheat_hold_link },
	{ "crash-after-lock", "a vendor dies between the issuer's lock commit and its own insert", NULL,
	  st_crash_after_lock },
	{ "lost-lock", "lock answers lost, lock requests arriving after the vendor gave up", NULL, st_lost_lock },
	{ "years", "800 days pass with value in the wallets' coins", NULL, st_years },
	{ "broken-write", "device links break as a party writes a frame (its write fails)", NULL,
	  st_broken_write },
	{ "long-sessions", "coins of 200000 tokens, sessions of 66000 to 160000; processes killed, back up to 10 min later",
	  NULL, st_long_sessions },
	{ "far-settle", "vendor x, holding locks of long coins, claims settles far below what it was given", NULL,
	  cw_cheat_far_settle },
	{ NULL, NULL, NULL, NULL },
};

const struct sim_scheme sim_coupon = {
	.name = "coupon",
	.make_template = cw_template,
	.start = cw_start,
	.check_step = cw_check_step,
	.recover = cw_recover,
	.check_rest = cw_check_rest,
	.stop = cw_stop,
	.describe = cw_describe,
	.rest_ns = 2 * 3600 * SIM_S, /* past the longest lock (lock_max 3600 s) */
	.strategies = coupon_strategies,
};
