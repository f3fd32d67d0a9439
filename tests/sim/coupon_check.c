/* The coupon world's invariants (coupon.h). What the simulator knows for
 * sure comes from the frames each party wrote (it opens every sealed
 * authorisation with the issuer's box key) and from the durable state of
 * each process (wallet files, the issuer's database). The invariants:
 *
 *   P2 an honest wallet never reveals a token once the tokens it revealed in
 *      a session are worth what it agreed to pay (units x price, or its
 *      --amount), whatever the vendor reports;
 *   P3 an honest wallet never counts a coin as used up while it still holds
 *      unrevealed tokens of it (its file, every time it changes); the issuer debited it
 *      for no withdrawal it holds neither the coin nor the pending request
 *      of (after each withdraw command); at rest, no value sits in a coin
 *      whose denomination no longer spends, every honest vendor is credited
 *      at least the price of every unit it served, and no honest vendor's
 *      expired lock holds tokens revealed to it and never credited;
 *   P7 the issuer never tells a lock requester a coin's index (INDEX_MISMATCH
 *      last_index) unless the request proved a token of that coin.
 * P1 and P4 are the simulator's own (main.c). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/parse.h"
#include "coupon.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "issuer/coupon_store.h"
#include "store/store.h"
#include "wire/cbor.h"
#include "wire/json.h"

/* ---- what the simulator knows ----------------------------------------------- */

struct cw_coin *cw_coin_find(struct cw_world *w, const uint8_t id[COUPON_ID_LEN])
{
	for (size_t i = w->ncoins; i-- > 0;)
		if (memcmp(w->coins[i].id, id, COUPON_ID_LEN) == 0)
			return &w->coins[i];
	return NULL;
}

static struct cw_coin *coin_add(struct cw_world *w, const uint8_t id[COUPON_ID_LEN], uint64_t denom,
				struct sim_node *holder)
{
	const struct coupon_denom *d = cw_denom(w, denom);
	if (d == NULL || w->ncoins == CW_COINS_MAX)
		return NULL;
	if (w->coins == NULL && (w->coins = calloc(CW_COINS_MAX, sizeof *w->coins)) == NULL)
		abort();
	struct cw_coin *c = &w->coins[w->ncoins++];
	memcpy(c->id, id, COUPON_ID_LEN);
	c->denom = d->id;
	c->n = d->n;
	c->tv = d->token_value;
	c->revealed = d->n;
	c->holder = holder;
	return c;
}

struct cw_session *cw_session(struct cw_world *w, const struct sim_link *l)
{
	if (l->id >= w->nsessions) {
		size_t n = w->nsessions ? w->nsessions : 64;
		while (n <= l->id)
			n *= 2;
		struct cw_session *s = realloc(w->sessions, n * sizeof *s);
		if (s == NULL)
			abort();
		memset(s + w->nsessions, 0, (n - w->nsessions) * sizeof *s);
		w->sessions = s;
		w->nsessions = n;
	}
	struct cw_session *s = &w->sessions[l->id];
	if (s->link != l->id) {
		memset(s, 0, sizeof *s);
		s->link = l->id;
		s->wallet = l->a;
		s->vendor = l->b;
	}
	return s;
}

static void fmt(const struct obol_amount *a, char out[OBOL_AMOUNT_STR_MAX])
{
	obol_amount_format(a, out);
}

static void coin_name(const uint8_t id[COUPON_ID_LEN], char out[17])
{
	obol_hex_encode(id, 8, out);
}

/* P2: tokens j..R-1 of c revealed by an honest wallet in session s. */
static void revealed(struct sim *sim, struct cw_session *s, struct cw_coin *c, uint64_t index)
{
	struct cw_world *w = cw(sim);
	struct obol_amount v, limit;
	char a[OBOL_AMOUNT_STR_MAX], b[OBOL_AMOUNT_STR_MAX];
	int cmp;
	if (index >= c->revealed)
		return;
	uint64_t fresh = c->revealed - index;
	c->revealed = index;
	struct cw_wallet *cwl = cw_wallet_of(w, s->wallet);
	if (cwl == NULL || !s->wallet->honest || !cwl->paying)
		return;
	if (!s->has_allowed && s->offered) {
		s->has_allowed = true;
		if (cwl->has_budget)
			s->allowed = cwl->budget;
		else if (obol_amount_mul(&s->allowed, &s->price, cwl->units) != OBOL_OK)
			s->has_allowed = false;
		if (s->has_allowed && obol_amount_zero(c->tv.currency, &s->revealed) != OBOL_OK)
			s->has_allowed = false;
	}
	if (!s->has_allowed || obol_amount_mul(&v, &c->tv, fresh) != OBOL_OK ||
	    obol_amount_add(&s->revealed, &s->revealed, &v) != OBOL_OK ||
	    obol_amount_add(&limit, &s->allowed, &c->tv) != OBOL_OK || obol_amount_cmp(&s->revealed, &limit, &cmp) != OBOL_OK)
		return;
	/* the last token may round up past the agreed value; one more may not */
	if (cmp >= 0) {
		fmt(&s->revealed, a);
		fmt(&s->allowed, b);
		sim_fail(sim, "P2", "%s revealed tokens worth %s to %s in one session, which it agreed to pay %s (%s)",
			 s->wallet->name, a, s->vendor->name, b, cwl->has_budget ? "its --amount" : "units x price");
	}
}

void cw_on_frame(struct sim *sim, struct sim_link *l, struct sim_node *from, uint32_t type, const uint8_t *body,
		 size_t len)
{
	struct cw_world *w = cw(sim);
	struct cw_session *s = cw_session(w, l);
	struct coupon_spec spec;
	switch (type) {
	case COUPON_MSG_BUY: {
		struct coupon_buy m = { 0 };
		coupon_spec_buy(&spec, &m);
		if (obol_cbor_decode(body, len, &spec.fields) == OBOL_OK)
			s->buy_units = m.units;
		break;
	}
	case COUPON_MSG_OFFER: {
		static struct coupon_offer m;
		memset(&m, 0, sizeof m);
		coupon_spec_offer(&spec, &m);
		if (from == s->vendor && !s->offered && obol_cbor_decode(body, len, &spec.fields) == OBOL_OK) {
			s->offered = true;
			s->price = m.price;
		}
		break;
	}
	case COUPON_MSG_PAY: {
		static struct coupon_pay m;
		struct coupon_auth a;
		memset(&m, 0, sizeof m);
		coupon_spec_pay(&spec, &m);
		if (obol_cbor_decode(body, len, &spec.fields) != OBOL_OK ||
		    coupon_auth_open(m.auth, &w->box, &a) != OBOL_OK)
			break;
		/* the lock token is sealed to the issuer: it is revealed when the
		 * issuer's lock answer carries it to the vendor (cw_on_http) */
		struct cw_coin *c = cw_coin_find(w, m.coin.id);
		if (c == NULL)
			c = coin_add(w, m.coin.id, m.coin.denom, from);
		if (c != NULL && from == c->holder && memcmp(a.coin_id, c->id, COUPON_ID_LEN) == 0) {
			s->coin = c;
			c->pay_link = l->id;
		}
		OBOL_WIPE(a);
		break;
	}
	case COUPON_MSG_TOKEN: {
		struct coupon_token m;
		coupon_spec_token(&spec, &m);
		if (s->coin != NULL && from == s->coin->holder && obol_cbor_decode(body, len, &spec.fields) == OBOL_OK)
			revealed(sim, s, s->coin, m.index);
		OBOL_WIPE(m);
		break;
	}
	case COUPON_MSG_SERVED: {
		static struct coupon_served m;
		coupon_spec_served(&spec, &m);
		if (from == s->vendor && obol_cbor_decode(body, len, &spec.fields) == OBOL_OK && m.unit > s->served)
			s->served = m.unit;
		break;
	}
	default:
		break;
	}
}

/* ---- the issuer's answers ---------------------------------------------------- */

bool cw_take_just_locked(struct sim *sim, struct sim_node *n)
{
	struct cw_world *w = cw(sim);
	bool was = w->just_locked[n->index % 32];
	w->just_locked[n->index % 32] = false;
	return was;
}

/* Settles. P2: the issuer credits nobody for a token below what the coin's
 * holder revealed. A settle that claims more tokens than one request may
 * walk (COUPON_SETTLE_SPAN_MAX below the issuer's last index) is refused
 * before any walk, with COUPON_SETTLE_SPAN (issue 11 case 7: its name is
 * what the simulator can see of the work not done); and an honest vendor,
 * which checkpoints, never claims that much (P3, case 11: else what it
 * served could not be settled). */
static void on_settle(struct sim *sim, const struct sim_http_msg *m, long status, const char *reply)
{
	struct cw_world *w = cw(sim);
	static struct coupon_settle_req req;
	struct coupon_spec spec;
	char name[17];
	json_t *j = json_loadb((const char *)m->body, m->body_len, 0, NULL);
	memset(&req, 0, sizeof req);
	coupon_spec_settle_req(&spec, &req);
	bool parsed = j != NULL && obol_json_decode(j, &spec.fields) == OBOL_OK;
	json_decref(j);
	if (!parsed)
		return;
	struct cw_coin *c = cw_coin_find(w, req.coin_id);
	coin_name(req.coin_id, name);
	if (status == 200) {
		if (c != NULL && req.index < c->revealed)
			sim_fail(sim, "P2",
				 "the issuer credited %s for coin %s down to index %" PRIu64
				 ", but nothing below index %" PRIu64 " of it was ever revealed",
				 m->from->name, name, req.index, c->revealed);
		return;
	}
	json_t *ans = reply != NULL ? json_loads(reply, 0, NULL) : NULL;
	obol_err code = (obol_err)json_integer_value(json_object_get(ans, "code"));
	json_decref(ans);
	if (code == OBOL_E_COUPON_SETTLE_SPAN) {
		if (m->from->honest && m->from->kind == SIM_VENDOR)
			sim_fail(sim, "P3",
				 "%s's settle of coin %s down to index %" PRIu64
				 " claims more than one settle may: it cannot be paid what it served",
				 m->from->name, name, req.index);
		return;
	}
	/* the chain was walked (and nothing found), which a settle claiming too
	 * much must not get; a refusal changed nothing, so the issuer's record
	 * is as the settle found it */
	if (code != OBOL_E_COUPON_SETTLE_NOT_IN_CHAIN)
		return;
	struct obol_store *s = sim_issuer_db(sim);
	struct coupon_coin_state cs;
	bool found = false;
	if (s == NULL || obol_store_begin_read(s) != OBOL_OK)
		return;
	obol_err e = coupon_store_coin_get(s, req.coin_id, &cs, &found);
	obol_store_rollback(s);
	if (e == OBOL_OK && found && cs.locked && cs.last_index > req.index &&
	    cs.last_index - req.index > COUPON_SETTLE_SPAN_MAX)
		sim_fail(sim, "WORK",
			 "the issuer walked %s's settle of coin %s claiming %" PRIu64
			 " tokens, more than one settle may, to find it false (%ld): it was not refused unwalked",
			 m->from->name, name, cs.last_index - req.index, status);
}

/* P7: an answer that names a coin's index went to a lock request whose box
 * held a token of that coin. */
void cw_on_http(struct sim *sim, const struct sim_http_msg *m, long status, const char *reply, size_t len)
{
	struct cw_world *w = cw(sim);
	static struct coupon_lock_req req;
	struct coupon_spec spec;
	struct coupon_auth a;
	(void)len;
	if (strcmp(m->path, "/coupon/settle") == 0 && m->from != NULL) {
		on_settle(sim, m, status, reply);
		return;
	}
	if (strcmp(m->path, "/coupon/refund") == 0 && status == 200 && reply != NULL) {
		/* the coin's rest went to an account: the holder is done with it */
		static struct coupon_refund_reply r;
		json_t *j = json_loads(reply, 0, NULL);
		memset(&r, 0, sizeof r);
		coupon_spec_refund_reply(&spec, &r);
		if (j != NULL && obol_json_decode(j, &spec.fields) == OBOL_OK) {
			struct cw_coin *c = cw_coin_find(w, r.coin_id);
			if (c != NULL)
				c->refunded = true;
		}
		json_decref(j);
		return;
	}
	if (strcmp(m->path, "/coupon/lock") != 0 || m->from == NULL)
		return;
	if (status == 200 && m->from->kind == SIM_VENDOR)
		w->just_locked[m->from->index % 32] = true;
	if (status == 200 && reply != NULL) {
		/* the lock token goes to the vendor now */
		struct coupon_lock_reply r;
		json_t *j = json_loads(reply, 0, NULL);
		memset(&r, 0, sizeof r);
		coupon_spec_lock_reply(&spec, &r);
		if (j != NULL && obol_json_decode(j, &spec.fields) == OBOL_OK) {
			struct cw_coin *c = cw_coin_find(w, r.coin_id);
			if (c != NULL && c->pay_link != 0 && c->pay_link < w->nsessions &&
			    w->sessions[c->pay_link].link == c->pay_link)
				revealed(sim, &w->sessions[c->pay_link], c, r.index);
			else if (c != NULL && r.index < c->revealed)
				c->revealed = r.index;
		}
		json_decref(j);
		OBOL_WIPE(r);
		return;
	}
	if (status < 400 || reply == NULL || strstr(reply, "last_index=") == NULL)
		return;
	json_t *j = json_loadb((const char *)m->body, m->body_len, 0, NULL);
	memset(&req, 0, sizeof req);
	coupon_spec_lock_req(&spec, &req);
	bool parsed = j != NULL && obol_json_decode(j, &spec.fields) == OBOL_OK &&
		      coupon_auth_open(req.auth, &w->box, &a) == OBOL_OK;
	json_decref(j);
	if (!parsed)
		return;
	const struct coupon_denom *d = cw_denom(w, req.coin.denom);
	bool proved = d != NULL && a.index <= d->n &&
		      obol_hashchain_verify(a.token, d->n - a.index, req.coin.id, d->n) == OBOL_OK;
	char c[17];
	coin_name(req.coin.id, c);
	if (!proved)
		sim_fail(sim, "P7",
			 "the issuer told %s the last index of coin %s (%s) for a lock whose box holds no token of it",
			 m->from->name, c, reply);
	OBOL_WIPE(a);
}

/* ---- wallet files ------------------------------------------------------------------ */

/* The "coupon" section of a wallet file, read without its lock (a command
 * may hold it): (id, last) of each coin and the number of pending
 * withdrawals. */
struct wfile {
	size_t ncoins, npending;
	struct {
		uint8_t id[COUPON_ID_LEN];
		uint64_t denom, last;
		bool doubt; /* the wallet knows it does not know (`wallet sync` asks) */
	} coin[512];
};

static obol_err wallet_read(struct sim_node *n, struct wfile *out)
{
	uint8_t key[32], *sealed = NULL, *plain = NULL;
	size_t slen = 0, plen = 0;
	struct obol_filekey k;
	obol_err e = OBOL_E_WALLET_FILE;
	memset(out, 0, sizeof *out);
	FILE *f = fopen(n->key_file, "rb");
	if (f == NULL)
		return OBOL_E_IO;
	size_t got = fread(key, 1, sizeof key, f);
	fclose(f);
	if (got != sizeof key)
		return OBOL_E_IO;
	obol_filekey_from_bytes(&k, key);
	OBOL_WIPE(key);
	f = fopen(n->wallet, "rb");
	if (f == NULL)
		goto out;
	if ((sealed = malloc(1 << 20)) == NULL)
		abort();
	slen = fread(sealed, 1, 1 << 20, f);
	fclose(f);
	if ((e = obol_fileseal_open(&k, sealed, slen, &plain, &plen)) != OBOL_OK)
		goto out;
	json_t *doc = json_loadb((const char *)plain, plen, 0, NULL);
	json_t *sec = json_object_get(doc, "coupon");
	json_t *coins = json_object_get(sec, "coins"), *pend = json_object_get(sec, "pending");
	out->npending = json_array_size(pend);
	for (size_t i = 0; i < json_array_size(coins) && out->ncoins < OBOL_ARRAY_LEN(out->coin); i++) {
		json_t *c = json_array_get(coins, i);
		size_t idlen;
		const char *id = json_string_value(json_object_get(c, "id"));
		if (id == NULL || obol_b64_decode(id, out->coin[out->ncoins].id, COUPON_ID_LEN, &idlen, 1) != OBOL_OK)
			continue;
		out->coin[out->ncoins].last = (uint64_t)json_integer_value(json_object_get(c, "last"));
		out->coin[out->ncoins].denom = (uint64_t)json_integer_value(json_object_get(c, "denom"));
		out->coin[out->ncoins].doubt = json_is_true(json_object_get(c, "doubt"));
		out->ncoins++;
	}
	json_decref(doc);
	e = OBOL_OK;
out:
	if (plain != NULL) {
		obol_wipe(plain, plen);
		free(plain);
	}
	free(sealed);
	obol_filekey_wipe(&k);
	return e;
}

/* P3: a coin the wallet counts as used up (its last index 0) must be one it
 * revealed every token of. A belief above 0 but below what it revealed is
 * no loss: the wallet wrote off tokens it could not know had left (a write
 * that failed), and its next payment with the coin resyncs upwards from the
 * issuer's index; a coin at 0 is never offered again, unless the wallet
 * keeps it in doubt, for `wallet sync` to ask the issuer once the lock is
 * settled. At rest (s: the issuer's database, in a read transaction) the
 * honest wallets have run `wallet sync`: a coin still in doubt is excused
 * only while a lock still holds it at the issuer. */
static void check_beliefs(struct sim *sim, struct sim_node *n, const struct wfile *f, struct obol_store *s)
{
	struct cw_world *w = cw(sim);
	for (size_t i = 0; i < f->ncoins; i++) {
		struct cw_coin *c = cw_coin_find(w, f->coin[i].id);
		if (c == NULL || c->holder != n || f->coin[i].last != 0 || c->revealed == 0 || c->refunded)
			continue;
		if (f->coin[i].doubt) {
			struct coupon_coin_state cs;
			bool found;
			if (s == NULL || coupon_store_coin_get(s, c->id, &cs, &found) != OBOL_OK || (found && cs.locked))
				continue;
		}
		char name[17], v[OBOL_AMOUNT_STR_MAX];
		struct obol_amount lost;
		coin_name(c->id, name);
		if (obol_amount_mul(&lost, &c->tv, c->revealed) != OBOL_OK)
			continue;
		fmt(&lost, v);
		sim_fail(sim, "P3",
			 "%s's file says coin %s is used up, but it never revealed a token below index %" PRIu64
			 ": the %s it still holds is written off for good",
			 n->name, name, c->revealed, v);
		return;
	}
}

void cw_check_step(struct sim *sim)
{
	struct cw_world *w = cw(sim);
	for (int i = 0; i < 3 && !sim_failed(sim); i++) {
		struct sim_node *n = w->w[i];
		struct cw_wallet *cwl = &w->wallet[i];
		struct stat sb;
		static struct wfile f;
		if (!n->honest || stat(n->wallet, &sb) != 0)
			continue;
		int64_t mt = (int64_t)sb.st_mtim.tv_sec * SIM_S + sb.st_mtim.tv_nsec;
		if ((unsigned long)sb.st_ino == cwl->ino && mt == cwl->mtime_ns)
			continue;
		cwl->ino = (unsigned long)sb.st_ino;
		cwl->mtime_ns = mt;
		if (wallet_read(n, &f) == OBOL_OK)
			check_beliefs(sim, n, &f, NULL);
	}
}

/* ---- the issuer's records ------------------------------------------------------- */

static int64_t count(struct obol_store *s, const char *sql, const char *fmtc, ...)
{
	struct obol_stmt *st;
	bool row;
	int64_t n = -1;
	va_list ap;
	if (obol_stmt_prepare(s, sql, &st) != OBOL_OK)
		return -1;
	va_start(ap, fmtc);
	obol_err e = OBOL_OK;
	for (int i = 1; fmtc[i - 1] != '\0' && e == OBOL_OK; i++) {
		if (fmtc[i - 1] == 'i')
			e = obol_stmt_bind_int64(st, i, va_arg(ap, int64_t));
		else
			e = obol_stmt_bind_text(st, i, va_arg(ap, const char *));
	}
	va_end(ap);
	if (e == OBOL_OK && obol_stmt_step(st, &row) == OBOL_OK && row)
		n = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	return n;
}

static int64_t account_id(struct obol_store *s, const char *name)
{
	return count(s, "SELECT id FROM accounts WHERE name = ?", "t", name);
}

void cw_check_withdrawals(struct sim *sim, struct sim_node *n)
{
	struct obol_store *s = sim_issuer_db(sim);
	static struct wfile f;
	if (s == NULL || !n->honest || sim_failed(sim) || wallet_read(n, &f) != OBOL_OK ||
	    obol_store_begin_read(s) != OBOL_OK)
		return;
	int64_t acc = account_id(s, n->name);
	int64_t debited = count(s, "SELECT COUNT(*) FROM coupon_withdrawals WHERE account = ?", "i", acc);
	obol_store_rollback(s);
	if (debited >= 0 && (int64_t)(f.ncoins + f.npending) < debited)
		sim_fail(sim, "P3",
			 "the issuer debited %s's account for %" PRId64 " withdrawals, but its wallet holds %zu coins and "
			 "%zu pending withdrawals",
			 n->name, debited, f.ncoins, f.npending);
}

/* At rest: the wallets' value is spendable, the vendors are paid. */
void cw_check_rest(struct sim *sim)
{
	struct cw_world *w = cw(sim);
	struct obol_store *s = sim_issuer_db(sim);
	static struct wfile f;
	int64_t now = sim_node_now(sim, w->issuer);
	char name[17], v[OBOL_AMOUNT_STR_MAX], v2[OBOL_AMOUNT_STR_MAX];
	for (int i = 0; i < 3 && !sim_failed(sim); i++) {
		struct sim_node *n = w->w[i];
		cw_check_withdrawals(sim, n);
		if (sim_failed(sim) || wallet_read(n, &f) != OBOL_OK)
			continue;
		if (s != NULL && obol_store_begin_read(s) == OBOL_OK) {
			check_beliefs(sim, n, &f, s);
			obol_store_rollback(s);
		}
		for (size_t k = 0; k < f.ncoins && !sim_failed(sim); k++) {
			const struct coupon_denom *d = cw_denom(w, f.coin[k].denom);
			struct obol_amount left;
			if (d == NULL || f.coin[k].last == 0 || d->spend_until >= now ||
			    obol_amount_mul(&left, &d->token_value, f.coin[k].last) != OBOL_OK)
				continue;
			coin_name(f.coin[k].id, name);
			fmt(&left, v);
			sim_fail(sim, "P3",
				 "%s's coin %s holds %s, but its denomination stopped spending %" PRId64
				 " days ago and nothing gives the rest back",
				 n->name, name, v, (now - d->spend_until) / 86400);
		}
	}
	if (sim_failed(sim) || s == NULL || obol_store_begin_read(s) != OBOL_OK)
		return;
	/* every token an honest vendor accepted is credited to it: the tokens
	 * of each lock it recorded (its own coupon_vcoins), lock token included */
	for (int i = 0; i < 2 && !sim_failed(sim); i++) {
		struct sim_node *vn = w->v[i];
		struct obol_amount owed, one, bal;
		struct obol_store *vs = NULL;
		struct obol_stmt *q;
		char url[PATH_MAX + 32];
		bool r;
		int cmp;
		uint64_t locks = 0;
		char refused[160] = "";
		if (!vn->honest || obol_amount_zero("EUR", &owed) != OBOL_OK)
			continue;
		snprintf(url, sizeof url, "sqlite:%s/vendor.db", vn->dir);
		if (obol_store_open(url, false, &vs) != OBOL_OK)
			continue;
		if (obol_store_begin_read(vs) == OBOL_OK &&
		    obol_stmt_prepare(vs, "SELECT denom, lock_index, last_index, state, coin_id FROM coupon_vcoins", &q) ==
			    OBOL_OK) {
			while (obol_stmt_step(q, &r) == OBOL_OK && r) {
				const struct coupon_denom *d = cw_denom(w, (uint64_t)obol_stmt_column_int64(q, 0));
				int64_t p = obol_stmt_column_int64(q, 1), j = obol_stmt_column_int64(q, 2);
				size_t idl;
				const void *id = obol_stmt_column_blob(q, 4, &idl);
				if (obol_stmt_column_int64(q, 3) == 3 && refused[0] == '\0' && idl == COUPON_ID_LEN) {
					coin_name(id, name);
					snprintf(refused, sizeof refused,
						 "; the issuer refused its settle of coin %s (lock at %" PRId64
						 ", tokens down to %" PRId64 ")",
						 name, p, j);
				}
				if (d == NULL || j > p || obol_amount_mul(&one, &d->token_value, (uint64_t)(p - j + 1)) != OBOL_OK ||
				    obol_amount_add(&owed, &owed, &one) != OBOL_OK)
					continue;
				locks++;
			}
			obol_stmt_finish(q);
		}
		obol_store_close(vs);
		int64_t units = count(s, "SELECT balance FROM accounts WHERE name = ?", "t", vn->name);
		if (units < 0 || obol_amount_from_units("EUR", units, &bal) != OBOL_OK ||
		    obol_amount_cmp(&bal, &owed, &cmp) != OBOL_OK || cmp >= 0)
			continue;
		fmt(&owed, v);
		fmt(&bal, v2);
		sim_fail(sim, "P3", "%s accepted tokens worth %s under %" PRIu64 " locks and is credited %s%s", vn->name, v,
			 locks, v2, refused);
	}
	/* no expired lock of an honest vendor holds uncredited tokens */
	struct obol_stmt *st;
	bool row;
	if (!sim_failed(sim) && obol_stmt_prepare(s, "SELECT coin_id FROM coupon_coins", &st) == OBOL_OK) {
		uint8_t (*ids)[COUPON_ID_LEN] = malloc(CW_COINS_MAX * COUPON_ID_LEN);
		size_t nids = 0;
		if (ids == NULL)
			abort();
		while (obol_stmt_step(st, &row) == OBOL_OK && row && nids < CW_COINS_MAX) {
			size_t l;
			const void *id = obol_stmt_column_blob(st, 0, &l);
			if (l == COUPON_ID_LEN)
				memcpy(ids[nids++], id, COUPON_ID_LEN);
		}
		obol_stmt_finish(st);
		for (size_t k = 0; k < nids && !sim_failed(sim); k++) {
			struct coupon_coin_state cs;
			bool found;
			if (coupon_store_coin_get(s, ids[k], &cs, &found) != OBOL_OK || !found || !cs.locked ||
			    cs.lock_until >= now || cs.credited_index <= cs.last_index)
				continue;
			for (int i = 0; i < 2; i++)
				if (w->v[i]->honest &&
				    account_id(s, w->v[i]->name) == cs.lock_vendor_account) {
					coin_name(cs.coin_id, name);
					sim_fail(sim, "P3",
						 "%s's lock on coin %s ended %" PRId64 " s ago with %" PRIu64
						 " token(s) revealed to it (index %" PRIu64 "..%" PRIu64
						 ") that it was never credited%s",
						 w->v[i]->name, name, now - cs.lock_until,
						 cs.credited_index - cs.last_index, cs.last_index, cs.credited_index - 1,
						 cs.last_index == 0 ? " and never will be (the coin is spent)" : "");
					break;
				}
		}
		free(ids);
	}
	obol_store_rollback(s);
}

/* ---- the trace ---------------------------------------------------------------- */

void cw_describe(struct sim *sim, uint32_t type, const uint8_t *body, size_t len, char *out, size_t cap)
{
	struct cw_world *w = cw(sim);
	struct coupon_spec spec;
	char c[17], a[OBOL_AMOUNT_STR_MAX];
	switch (type) {
	case COUPON_MSG_BUY: {
		struct coupon_buy m = { 0 };
		coupon_spec_buy(&spec, &m);
		if (obol_cbor_decode(body, len, &spec.fields) == OBOL_OK) {
			snprintf(out, cap, "BUY %" PRIu64 " units", m.units);
			return;
		}
		break;
	}
	case COUPON_MSG_OFFER: {
		static struct coupon_offer m;
		memset(&m, 0, sizeof m);
		coupon_spec_offer(&spec, &m);
		if (obol_cbor_decode(body, len, &spec.fields) == OBOL_OK) {
			fmt(&m.price, a);
			snprintf(out, cap, "OFFER %s x %" PRIu64 ", T=+%" PRId64 " s", a, m.units,
				 m.deadline - sim_time_ns(sim) / SIM_S);
			return;
		}
		break;
	}
	case COUPON_MSG_PAY: {
		static struct coupon_pay m;
		struct coupon_auth au;
		memset(&m, 0, sizeof m);
		coupon_spec_pay(&spec, &m);
		if (obol_cbor_decode(body, len, &spec.fields) == OBOL_OK) {
			coin_name(m.coin.id, c);
			if (coupon_auth_open(m.auth, &w->box, &au) == OBOL_OK)
				snprintf(out, cap, "PAY coin %.8s (denom %" PRIu64 ") p=%" PRIu64, c, m.coin.denom, au.index);
			else
				snprintf(out, cap, "PAY coin %.8s with a box the issuer cannot open", c);
			OBOL_WIPE(au);
			return;
		}
		break;
	}
	case COUPON_MSG_LOCKED: {
		struct coupon_lock_reply m;
		coupon_spec_lock_reply(&spec, &m);
		if (obol_cbor_decode(body, len, &spec.fields) == OBOL_OK) {
			coin_name(m.coin_id, c);
			snprintf(out, cap, "LOCKED coin %.8s p=%" PRIu64, c, m.index);
			return;
		}
		break;
	}
	case COUPON_MSG_TOKEN_REQ: {
		struct coupon_token_req m;
		coupon_spec_token_req(&spec, &m);
		if (obol_cbor_decode(body, len, &spec.fields) == OBOL_OK) {
			snprintf(out, cap, "TOKEN_REQ %" PRIu64, m.count);
			return;
		}
		break;
	}
	case COUPON_MSG_TOKEN: {
		struct coupon_token m;
		coupon_spec_token(&spec, &m);
		if (obol_cbor_decode(body, len, &spec.fields) == OBOL_OK) {
			snprintf(out, cap, "TOKEN j=%" PRIu64, m.index);
			return;
		}
		break;
	}
	case COUPON_MSG_SERVED: {
		static struct coupon_served m;
		coupon_spec_served(&spec, &m);
		if (obol_cbor_decode(body, len, &spec.fields) == OBOL_OK) {
			snprintf(out, cap, "SERVED unit %" PRIu64, m.unit);
			return;
		}
		break;
	}
	case COUPON_MSG_END:
		snprintf(out, cap, "END");
		return;
	case COUPON_MSG_RECEIPT: {
		struct coupon_receipt m;
		coupon_spec_receipt(&spec, &m);
		if (obol_cbor_decode(body, len, &spec.fields) == OBOL_OK) {
			fmt(&m.paid, a);
			snprintf(out, cap, "RECEIPT %" PRIu64 " units, %s, %s", m.units, a,
				 m.settled ? "settled" : "settles later");
			return;
		}
		break;
	}
	case COUPON_MSG_REFUSED: {
		struct coupon_error m;
		memset(&m, 0, sizeof m);
		coupon_spec_error(&spec, &m);
		if (obol_cbor_decode(body, len, &spec.fields) == OBOL_OK) {
			if (m.has_last_index)
				snprintf(out, cap, "REFUSED %s last_index=%" PRIu64, m.name, m.last_index);
			else
				snprintf(out, cap, "REFUSED %s", m.name);
			return;
		}
		break;
	}
	default:
		break;
	}
	snprintf(out, cap, "type %u", (unsigned)type);
}
