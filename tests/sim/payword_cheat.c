/* The payword world's cheating parties (payword.h):
 *   m  a user with a genuine account, registration and certificate, using
 *      the real wallet commands and rolling its wallet file back between
 *      them (rollback);
 *   x  a vendor with a genuine certificate: a real vendor daemon sells (the
 *      honest wallets buy from it), and the simulator, in x's name and with
 *      x's key, keeps x's reports back and sends the agent claims of its own
 *      making, built from what x's sales gave it: one range across two of
 *      its sales of a certificate with other vendors' orders between them
 *      (hiding-vendor), or the orders below a range it was paid, whose
 *      tokens it computes by hashing the token it holds
 *      (fabricating-vendor);
 *   m  as a thief (thief): it knows u1's name and password, and asks the
 *      agent, signing with its own key, for u1's certificate and seed and
 *      for tokens in u1's name. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/hash.h"
#include "crypto/secret.h"
#include "payword.h"
#include "schemes/payword/wire.h"
#include "store/store.h"
#include "vendor/vendor.h"
#include "wire/json.h"

/* ---- m: rollback ------------------------------------------------------------------ */

struct mround {
	unsigned round;
	bool across_regeneration; /* this time the copy is older than a token purchase */
};

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

static void rollback_step(struct sim *sim, struct sim_node *n, int rc, void *arg);

static void rollback_next(struct sim *sim, void *arg)
{
	rollback_step(sim, pw(sim)->m, 0, arg);
}

/* m copies its file and pays the batch vendor v2 (whose report leaves up
 * to a minute later), or buys new tokens (which moves its unspent ones);
 * then it rolls the file back and pays v1 with the same orders. */
static void rollback_step(struct sim *sim, struct sim_node *n, int rc, void *arg)
{
	struct mround *mr = arg;
	char backup[PATH_MAX + 8];
	(void)rc;
	if (sim_quiescing(sim))
		return;
	snprintf(backup, sizeof backup, "%s.copy", n->wallet);
	switch (mr->round++ % 3) {
	case 0:
		if (copy_file(n->wallet, backup) != 0)
			return;
		mr->across_regeneration = sim_chance(sim, 300);
		sim_trace(sim, n, "copies its wallet file");
		if (mr->across_regeneration) {
			const char *args[] = { "wallet", "payword", "buy-tokens", "--tokens", "10", NULL };
			sim_command(sim, n, rollback_step, mr, args);
		} else {
			const char *args[] = { "wallet", "payword", "buy", "--vendor", "sim:v2", "--product", "b", NULL };
			sim_command(sim, n, rollback_step, mr, args);
		}
		return;
	case 1: {
		if (copy_file(backup, n->wallet) != 0)
			return;
		sim_trace(sim, n, "rolls its wallet file back and spends the same orders at v1");
		const char *args[] = { "wallet", "payword", "buy", "--vendor", "sim:v1", "--product",
				       sim_chance(sim, 500) ? "a" : "b", NULL };
		sim_command(sim, n, rollback_step, mr, args);
		return;
	}
	default:
		sim_at(sim, (int64_t)(5 + sim_below(sim, 200)) * SIM_S, rollback_next, mr);
		return;
	}
}

void pw_cheat_rollback(struct sim *sim)
{
	struct pw_world *w = pw(sim);
	struct mround *mr = calloc(1, sizeof *mr);
	if (mr == NULL)
		abort();
	w->cheat = mr;
	sim_at(sim, (int64_t)(5 + sim_below(sim, 60)) * SIM_S, rollback_next, mr);
}

/* ---- x: claims of its own making ------------------------------------------------- */

#define X_SALES_MAX 256
#define X_DONE_MAX 256

struct xsale {
	uint64_t serial, from, to;
	int64_t auth;
	uint8_t token[PAYWORD_TOKEN_LEN];
	uint8_t sig[OBOL_SIGN_LEN];
	char product[PAYWORD_PRODUCT_MAX + 1];
};

struct xvendor {
	bool hiding;                  /* its own reports are kept back until the end */
	bool fabricating;             /* claims the orders below its ranges */
	uint8_t sk[OBOL_SIGN_SK_LEN]; /* its signing key: authenticates its requests */
	uint64_t done[X_DONE_MAX];    /* serials (or auth numbers) already used */
	size_t ndone;
};

static void xvendor_free(void *arg)
{
	struct xvendor *xv = arg;
	if (xv != NULL)
		OBOL_WIPE(xv->sk);
	free(xv);
}

static bool done_has(struct xvendor *xv, uint64_t key)
{
	for (size_t i = 0; i < xv->ndone; i++)
		if (xv->done[i] == key)
			return true;
	return false;
}

static void done_add(struct xvendor *xv, uint64_t key)
{
	if (xv->ndone < X_DONE_MAX)
		xv->done[xv->ndone++] = key;
}

/* x's sales, from its own vendor.db (the daemon's store, read beside it). */
static size_t x_sales(struct sim *sim, struct xsale *out, size_t cap)
{
	struct pw_world *w = pw(sim);
	struct obol_store *vs = NULL;
	struct obol_stmt *q;
	char url[PATH_MAX + 32];
	bool r;
	size_t n = 0;
	snprintf(url, sizeof url, "sqlite:%s/vendor.db", w->x->dir);
	if (obol_store_open(url, false, &vs) != OBOL_OK)
		return 0;
	if (obol_store_begin_read(vs) == OBOL_OK &&
	    obol_stmt_prepare(vs, "SELECT serial, order_no, range_from, auth, token, range_sig, product"
				  " FROM payword_v_sales WHERE range_sig IS NOT NULL ORDER BY serial, order_no",
			      &q) == OBOL_OK) {
		while (n < cap && obol_stmt_step(q, &r) == OBOL_OK && r) {
			struct xsale *s = &out[n];
			size_t tl, sl;
			const void *tok = obol_stmt_column_blob(q, 4, &tl), *sig = obol_stmt_column_blob(q, 5, &sl);
			if (tl != PAYWORD_TOKEN_LEN || sl != OBOL_SIGN_LEN)
				continue;
			s->serial = (uint64_t)obol_stmt_column_int64(q, 0);
			s->to = (uint64_t)obol_stmt_column_int64(q, 1);
			s->from = (uint64_t)obol_stmt_column_int64(q, 2);
			s->auth = obol_stmt_column_int64(q, 3);
			memcpy(s->token, tok, PAYWORD_TOKEN_LEN);
			memcpy(s->sig, sig, OBOL_SIGN_LEN);
			snprintf(s->product, sizeof s->product, "%s", obol_stmt_column_text(q, 6));
			n++;
		}
		obol_stmt_finish(q);
	}
	obol_store_close(vs);
	return n;
}

/* Sends the agent a claim in x's name, signed with x's key. */
static void x_claim(struct sim *sim, struct xvendor *xv, const struct xsale *s, uint64_t from, uint64_t to,
		    const uint8_t token[PAYWORD_TOKEN_LEN])
{
	struct pw_world *w = pw(sim);
	struct payword_claim_wire cw;
	struct payword_claim_spec spec;
	json_t *body = NULL;
	char *text = NULL, *reply = NULL, auth[160];
	long status = 0;
	memset(&cw, 0, sizeof cw);
	cw.serial = s->serial;
	cw.range.from = from;
	cw.range.to = to;
	memcpy(cw.range.sig, s->sig, OBOL_SIGN_LEN); /* the user signed s->from..s->to, not this */
	memcpy(cw.token, token, PAYWORD_TOKEN_LEN);
	if (obol_amount_mul(&cw.value, &w->tv, to - from + 1) != OBOL_OK)
		return;
	cw.auth = s->auth;
	snprintf(cw.product, sizeof cw.product, "%s", s->product);
	payword_claim_spec_init(&spec, &cw);
	if (obol_json_encode(&spec.spec, &body) != OBOL_OK || (text = json_dumps(body, JSON_COMPACT)) == NULL)
		goto out;
	sim_trace(sim, w->x, "claims orders %" PRIu64 "..%" PRIu64 " of certificate %" PRIu64
			     " under the signature of its sale %" PRIu64 "..%" PRIu64,
		  from, to, s->serial, s->from, s->to);
	if (sim_auth(sim, w->x, w->vendor_id[2], xv->sk, "POST", "/payword/report", text, auth) == OBOL_OK &&
	    sim_http(sim, w->x, w->issuer, "POST", "/payword/report", auth, text, &status, &reply) == OBOL_OK)
		sim_trace(sim, w->x, "the agent answers %ld %.160s", status, reply != NULL ? reply : "");
out:
	json_decref(body);
	free(text);
	free(reply);
}

/* hiding-vendor: one range from the start of a sale to the end of a later
 * sale of the same certificate, with orders between them that the user paid
 * elsewhere. */
static void x_stretch(struct sim *sim, struct xvendor *xv, const struct xsale *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++) {
		const struct xsale *a = &s[i], *b = &s[i + 1];
		if (a->serial != b->serial || b->from <= a->to + 1 || done_has(xv, a->serial))
			continue;
		done_add(xv, a->serial);
		x_claim(sim, xv, sim_chance(sim, 500) ? a : b, a->from, b->to, b->token);
		return;
	}
}

/* fabricating-vendor: the orders just below a sale's range; their tokens
 * are the sale's token hashed (a token of order o hashes to the token of
 * order o' < o in o - o' steps). */
static void x_fabricate(struct sim *sim, struct xvendor *xv, const struct xsale *s, size_t n)
{
	for (size_t i = n; i-- > 0;) {
		const struct xsale *a = &s[i];
		uint64_t d = 1 + sim_below(sim, 3);
		uint8_t token[PAYWORD_TOKEN_LEN];
		if (a->from <= d || done_has(xv, (uint64_t)a->auth))
			continue;
		done_add(xv, (uint64_t)a->auth);
		/* orders from-d .. from-1: the token of from-1 */
		obol_hashchain_step(token, a->token, a->to - (a->from - 1));
		x_claim(sim, xv, a, a->from - d, a->from - 1, token);
		return;
	}
}

static void x_event(struct sim *sim, void *arg)
{
	struct xvendor *xv = arg;
	static struct xsale sales[X_SALES_MAX];
	if (sim_quiescing(sim))
		return;
	size_t n = x_sales(sim, sales, X_SALES_MAX);
	if (xv->hiding)
		x_stretch(sim, xv, sales, n);
	if (xv->fabricating)
		x_fabricate(sim, xv, sales, n);
	sim_at(sim, (int64_t)(30 + sim_below(sim, 90)) * SIM_S, x_event, xv);
}

/* x's own reports do not leave while it hides them (until the end). */
static bool x_hides(struct sim *sim, const struct sim_http_msg *m, enum sim_fate *fate, int64_t *delay)
{
	struct pw_world *w = pw(sim);
	(void)delay;
	if (m->from != w->x || strcmp(m->path, "/payword/report") != 0 || sim_quiescing(sim) || m->auth == NULL)
		return false;
	struct xvendor *xv = w->cheat;
	if (xv == NULL || !xv->hiding || sim_current() != w->x)
		return false; /* the simulator's own claims in x's name (main thread) go through */
	*fate = SIM_LOSE_REQUEST;
	return true;
}

static struct xvendor *x_start(struct sim *sim)
{
	struct pw_world *w = pw(sim);
	struct obol_sign_keypair sign;
	struct obol_box_keypair box;
	struct xvendor *xv = calloc(1, sizeof *xv);
	if (xv == NULL)
		abort();
	w->cheat = xv;
	w->cheat_free = xvendor_free;
	w->drivers_visit_x = true;
	if (obol_vendor_keys_load(w->x->dir, &sign, &box) != OBOL_OK) {
		sim_fail(sim, "SETUP", "vendor x cannot load its keys");
		return xv;
	}
	memcpy(xv->sk, sign.sk, sizeof xv->sk);
	OBOL_WIPE(sign);
	OBOL_WIPE(box);
	sim_at(sim, (int64_t)(60 + sim_below(sim, 60)) * SIM_S, x_event, xv);
	return xv;
}

void pw_cheat_hiding_vendor(struct sim *sim)
{
	struct xvendor *xv = x_start(sim);
	xv->hiding = true;
	sim_hooks(sim)->http_hook = x_hides;
}

void pw_cheat_fabricating_vendor(struct sim *sim)
{
	struct xvendor *xv = x_start(sim);
	xv->fabricating = true;
}

/* ---- m: a thief with u1's name and password --------------------------------------- */

struct thief {
	int64_t account; /* m's own account: the only key m holds */
	uint8_t sk[OBOL_SIGN_SK_LEN];
	unsigned round;
};

static void thief_free(void *arg)
{
	struct thief *t = arg;
	if (t != NULL)
		OBOL_WIPE(t->sk);
	free(t);
}

/* u1's live serial (of the generic scope) at the agent, 0 if none. */
static uint64_t victim_serial(struct sim *sim)
{
	struct obol_store *s = sim_issuer_db(sim);
	struct obol_stmt *st;
	bool row;
	uint64_t serial = 0;
	if (s == NULL || obol_store_begin_read(s) != OBOL_OK)
		return 0;
	if (obol_stmt_prepare(s,
			      "SELECT k.serial FROM payword_certs k JOIN payword_users u ON u.account = k.user_id"
			      " WHERE u.username = 'u1' AND k.status = 1 ORDER BY k.serial DESC LIMIT 1",
			      &st) == OBOL_OK) {
		if (obol_stmt_step(st, &row) == OBOL_OK && row)
			serial = (uint64_t)obol_stmt_column_int64(st, 0);
		obol_stmt_finish(st);
	}
	obol_store_rollback(s);
	return serial;
}

/* m asks the agent, signing as itself, for u1's certificate (with its seed)
 * or for tokens in u1's name, with u1's password. */
static void thief_event(struct sim *sim, void *arg)
{
	struct pw_world *w = pw(sim);
	struct thief *t = arg;
	json_t *body = NULL;
	char *text = NULL, *reply = NULL, auth[160];
	const char *path;
	long status = 0;
	if (sim_quiescing(sim))
		return;
	if (t->round++ % 2 == 0) {
		struct payword_cert_wire *cw = calloc(1, sizeof *cw);
		struct payword_cert_spec spec;
		if (cw == NULL)
			abort();
		snprintf(cw->username, sizeof cw->username, "u1");
		snprintf(cw->password, sizeof cw->password, "%s", PW_PASSWORD);
		cw->serial = victim_serial(sim);
		payword_cert_spec_init(&spec, cw);
		if (obol_json_encode(&spec.spec, &body) != OBOL_OK)
			body = NULL;
		free(cw);
		path = "/payword/cert";
	} else {
		struct payword_buy_wire bw;
		struct payword_buy_spec spec;
		memset(&bw, 0, sizeof bw);
		snprintf(bw.request_id, sizeof bw.request_id, "thief-%u", t->round);
		snprintf(bw.username, sizeof bw.username, "u1");
		snprintf(bw.password, sizeof bw.password, "%s", PW_PASSWORD);
		bw.tokens = 5;
		payword_buy_spec_init(&spec, &bw);
		if (obol_json_encode(&spec.spec, &body) != OBOL_OK)
			body = NULL;
		path = "/payword/buy";
	}
	if (body != NULL && (text = json_dumps(body, JSON_COMPACT)) != NULL &&
	    sim_auth(sim, w->m, t->account, t->sk, "POST", path, text, auth) == OBOL_OK) {
		sim_trace(sim, w->m, "asks the agent, as itself, %s in u1's name with u1's password", path);
		if (sim_http(sim, w->m, w->issuer, "POST", path, auth, text, &status, &reply) == OBOL_OK)
			sim_trace(sim, w->m, "the agent answers %ld %.120s", status, reply != NULL ? reply : "");
	}
	json_decref(body);
	free(text);
	free(reply);
	sim_at(sim, (int64_t)(10 + sim_below(sim, 50)) * SIM_S, thief_event, t);
}

void pw_cheat_thief(struct sim *sim)
{
	struct pw_world *w = pw(sim);
	struct thief *t = calloc(1, sizeof *t);
	if (t == NULL)
		abort();
	w->cheat = t;
	w->cheat_free = thief_free;
	if (sim_wallet_account_key(sim, w->m, &t->account, t->sk) != OBOL_OK) {
		sim_fail(sim, "SETUP", "m's account key cannot be read");
		return;
	}
	sim_at(sim, (int64_t)(5 + sim_below(sim, 30)) * SIM_S, thief_event, t);
}
