/* The payword scheme at the issuer (the seed's agent): tables, settings,
 * `issuer init` options, the GET /keys part, and the routes of registration
 * and token generation (seed 003 §3.5 registering, steps A-D). Every route
 * a user calls is signed with the user's account key (Obol-Auth) and, as
 * the seed asks, carries the user's name and password:
 *
 *   POST /payword/register         user {username, password}            -> {account, username}
 *   POST /payword/vendor/register  vendor {mode, batch_interval}        -> {vendor, mode}
 *   POST /payword/buy              user {request_id, username, password, tokens, scope, position?}
 *                                  -> {serial, first_order, n, carried, cost, held, held_until}
 *   POST /payword/cert             user {username, password, serial}    -> {serial, ucert} (step D)
 *   GET  /payword/crl/page         one signed page of the CRL (seed §3.2)
 *
 * The decisions are the core's (schemes/payword/agent.h); this file reads,
 * applies and writes. Reports are in payword_report.c. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "crypto/seal.h"
#include "crypto/secret.h"
#include "issuer/issuer.h"
#include "issuer/payword_db.h"
#include "issuer/payword_issuer.h"
#include "schemes/payword/wire.h"
#include "store/ledger.h"
#include "wire/json.h"

static obol_err pw_migrate(struct obol_store *s)
{
	return payword_db_migrate(s);
}

static const char *const pw_init_options[] = { "payword-token-value", "payword-grace", "payword-validity-days", NULL };

static obol_err pw_init(struct obol_store *s, const struct obol_issuer_keys *keys, const char *currency,
			const struct obol_init_arg *args, size_t nargs, FILE *out)
{
	struct payword_settings st;
	char tv[OBOL_AMOUNT_STR_MAX];
	uint64_t v;
	obol_err e;
	(void)keys;
	snprintf(tv, sizeof(tv), "%s:0.01", currency);
	if ((e = obol_amount_parse(tv, &st.token_value)) != OBOL_OK)
		return e;
	st.grace = PAYWORD_GRACE_DEFAULT;
	st.validity = 365 * 86400;
	for (size_t i = 0; i < nargs; i++) {
		if (strcmp(args[i].name, "payword-token-value") == 0) {
			e = obol_amount_parse(args[i].value, &st.token_value);
			if (e == OBOL_OK && (strcmp(st.token_value.currency, currency) != 0 || st.token_value.units <= 0))
				e = OBOL_E_PAYWORD_TOKEN_VALUE;
		} else if (strcmp(args[i].name, "payword-grace") == 0) {
			if ((e = obol_parse_u64(args[i].value, 0, 86400 * 365, &v)) == OBOL_OK)
				st.grace = (int64_t)v;
		} else if (strcmp(args[i].name, "payword-validity-days") == 0) {
			if ((e = obol_parse_u64(args[i].value, 1, 3650, &v)) == OBOL_OK)
				st.validity = (int64_t)v * 86400;
		}
		if (e)
			return e;
	}
	if ((e = payword_db_settings_put(s, &st)) != OBOL_OK)
		return e;
	obol_amount_format(&st.token_value, tv);
	fprintf(out, "payword: token value %s, grace for late reports %llds, certificates valid %lld days\n", tv,
		(long long)st.grace, (long long)(st.validity / 86400));
	return OBOL_OK;
}

static void pw_stop(struct obol_issuer *iss, void *state)
{
	struct payword_issuer_state *st = state;
	(void)iss;
	if (st == NULL)
		return;
	payword_guard_free(st->guard);
	OBOL_WIPE(st->decoy);
	free(st);
}

static obol_err pw_start(struct obol_issuer *iss, struct obol_store *s, void **state)
{
	struct payword_issuer_state *st = calloc(1, sizeof(*st));
	struct payword_account_view acc = { .user_kind = true, .active = true };
	uint8_t pw[24];
	char text[OBOL_B64_LEN(sizeof(pw))];
	bool fast = false;
	obol_err e;
	if (st == NULL)
		return OBOL_E_NO_MEMORY;
	if ((e = payword_db_settings_get(s, obol_issuer_currency(iss), &st->settings)) != OBOL_OK ||
	    (e = obol_argon2_fast(&fast)) != OBOL_OK || (e = payword_guard_new(PAYWORD_GUARD_SLOTS, &st->guard)) != OBOL_OK)
		goto out;
	st->pw.opslimit = fast ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
	st->pw.memlimit = fast ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
	/* The decoy an unknown user's password is checked against: a random
	 * password nobody knows, hashed at the same cost. */
	obol_random(pw, sizeof(pw));
	if ((e = obol_b64_encode(pw, sizeof(pw), text, sizeof(text))) == OBOL_OK)
		e = payword_agent_user_new(&acc, "decoy", text, &st->pw, &st->decoy);
out:
	OBOL_WIPE(pw);
	OBOL_WIPE(text);
	if (e) {
		pw_stop(iss, st);
		return e;
	}
	*state = st;
	return OBOL_OK;
}

/* GET /keys part "payword": {token_value, chain_max, grace}. */
static obol_err pw_keys_part(struct obol_issuer *iss, struct obol_store *s, json_t **part)
{
	struct payword_issuer_state *st = obol_issuer_scheme_state(iss, "payword");
	uint64_t chain_max = PAYWORD_CHAIN_MAX, grace;
	(void)s;
	if (st == NULL)
		return OBOL_E_INTERNAL;
	grace = (uint64_t)st->settings.grace;
	struct obol_field f[] = {
		OBOL_F_AMOUNT("token_value", 1, &st->settings.token_value),
		OBOL_F_UINT("chain_max", 2, &chain_max, 0),
		OBOL_F_UINT("grace", 3, &grace, 0),
	};
	return obol_json_encode(&OBOL_FIELDS(f), part);
}

OBOL_ISSUER_SCHEME(payword_issuer_scheme, .name = "payword", .migrate = pw_migrate, .init_options = pw_init_options,
		   .init_help = "  --payword-token-value CUR:V.F  value of one payword token (default CUR:0.01)\n"
				"  --payword-grace SECONDS        how long unreported tokens wait for late reports before\n"
				"                                 their value returns to the user; a vendor's batch\n"
				"                                 interval may not exceed it (default 86400)\n"
				"  --payword-validity-days N      lifetime of a payword certificate (default 365)",
		   .init = pw_init, .start = pw_start, .stop = pw_stop, .keys_part = pw_keys_part)

struct payword_issuer_state *payword_issuer_state(struct obol_issuer *iss)
{
	return obol_issuer_scheme_state(iss, "payword");
}

/* --- the user's signed request, name and password (seed §3.5 A) ----------- */

/* The account a user request is signed with: a user account. */
static obol_err user_account(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_account *acc)
{
	obol_err e = obol_issuer_authenticate(iss, NULL, req, acc);
	if (e == OBOL_OK && acc->kind != OBOL_ACCOUNT_USER)
		e = OBOL_E_AUTH_FAILED;
	return e;
}

struct login {
	int64_t account;
	struct payword_db_user u;
	bool found;
};

static obol_err login_read(struct obol_store *s, void *ctx)
{
	struct login *l = ctx;
	obol_err e = payword_db_user_by_account(s, l->account, &l->u);
	l->found = e == OBOL_OK;
	return e == OBOL_E_NOT_FOUND ? OBOL_OK : e;
}

/* Step A: the name and password of the user whose key signed the request.
 * Refused early for a user or address that failed too often; the Argon2id
 * check runs in one of the guard's slots, on this thread (never on the
 * committer), and costs the same for a name that is not this account's. */
static obol_err login(struct obol_issuer *iss, const struct obol_http_req *req, int64_t account, const char *username,
		      const char *password, struct payword_db_user *out)
{
	struct payword_issuer_state *st = payword_issuer_state(iss);
	char peer[OBOL_HTTP_PEER_MAX];
	const char *addr = obol_http_req_peer(req, peer);
	struct login l;
	int64_t now = obol_now();
	obol_err e;
	memset(&l, 0, sizeof(l));
	l.account = account;
	if ((e = payword_guard_check(st->guard, account, addr, now)) != OBOL_OK ||
	    (e = obol_issuer_read(iss, login_read, &l)) != OBOL_OK)
		goto out;
	if (l.found && strcmp(l.u.u.username, username) != 0)
		l.found = false;
	if ((e = payword_guard_enter(st->guard)) != OBOL_OK)
		goto out;
	e = payword_agent_login(l.found ? &l.u.u : NULL, &st->decoy, password);
	payword_guard_leave(st->guard);
	if (e == OBOL_E_PAYWORD_BAD_PASSWORD)
		payword_guard_failed(st->guard, account, addr, now);
	if (e == OBOL_OK && l.u.revoked != 0)
		e = OBOL_E_PAYWORD_USER_REVOKED;
	if (e == OBOL_OK)
		*out = l.u;
out:
	OBOL_WIPE(l.u);
	return e;
}

/* --- registration (seed §3.5 registering) ------------------------------- */

struct reg {
	struct obol_account acc;
	struct payword_account_view view;
	struct payword_db_user u;
};

static obol_err register_read(struct obol_store *s, void *ctx)
{
	struct reg *r = ctx;
	struct payword_db_user u;
	obol_err e = payword_db_user_by_account(s, r->acc.id, &u);
	r->view.has_payword_user = e == OBOL_OK;
	OBOL_WIPE(u);
	return e == OBOL_E_NOT_FOUND ? OBOL_OK : e;
}

static obol_err register_unit(struct obol_store *s, void *ctx, json_t **reply)
{
	struct reg *r = ctx;
	struct payword_register_wire w;
	struct payword_register_spec spec;
	obol_err e = payword_db_user_insert(s, &r->u);
	if (e)
		return e;
	memset(&w, 0, sizeof(w));
	w.account = r->u.account;
	memcpy(w.username, r->u.u.username, sizeof(w.username));
	payword_register_reply_spec_init(&spec, &w);
	return obol_json_encode(&spec.spec, reply);
}

/* Registration is for an account the operator opened (`issuer account add
 * --kind user --auth-key`), signed with its key: nobody opens a ledger
 * account by asking. */
static obol_err post_register(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct payword_issuer_state *st = payword_issuer_state(iss);
	struct payword_register_wire w;
	struct payword_register_spec spec;
	struct reg r;
	obol_err e;
	memset(&r, 0, sizeof(r));
	memset(&w, 0, sizeof(w));
	if ((e = user_account(iss, req, &r.acc)) != OBOL_OK)
		goto out;
	payword_register_spec_init(&spec, &w);
	if ((e = obol_json_decode(req->json, &spec.spec)) != OBOL_OK ||
	    (e = obol_issuer_read(iss, register_read, &r)) != OBOL_OK)
		goto out;
	r.view.user_kind = true;
	r.view.active = r.acc.status == OBOL_ACCOUNT_ACTIVE;
	memcpy(r.view.auth_pk, r.acc.auth_pk, OBOL_SIGN_PK_LEN);
	if ((e = payword_guard_enter(st->guard)) != OBOL_OK)
		goto out;
	e = payword_agent_user_new(&r.view, w.username, w.password, &st->pw, &r.u.u); /* Argon2id, off the committer */
	payword_guard_leave(st->guard);
	r.u.account = r.acc.id;
	if (e == OBOL_OK)
		e = obol_issuer_run_idem(iss, req, r.acc.id, NULL, register_unit, &r, rep);
out:
	OBOL_WIPE(w.password);
	OBOL_WIPE(r.u);
	return e;
}
OBOL_ROUTE(route_pw_register, "POST", "/payword/register", post_register)

struct vreg {
	int64_t vendor, grace;
	enum payword_vendor_mode mode;
	int64_t batch_interval;
};

static obol_err vendor_register_unit(struct obol_store *s, void *ctx, json_t **reply)
{
	struct vreg *v = ctx;
	struct payword_agent_vendor cur;
	struct payword_vendor_register_effect eff;
	struct payword_vendor_register_wire w;
	struct payword_vendor_register_spec spec;
	int64_t now = obol_now();
	obol_err e;
	if ((e = payword_db_vendor_get(s, v->vendor, &cur)) != OBOL_OK ||
	    (e = payword_agent_vendor_register(&cur, v->mode, v->batch_interval, v->grace, now, &eff)) != OBOL_OK)
		return e;
	if (eff.store && (e = payword_db_vendor_put(s, v->vendor, &eff.next, now)) != OBOL_OK)
		return e;
	memset(&w, 0, sizeof(w));
	w.vendor = (uint64_t)v->vendor;
	snprintf(w.mode, sizeof(w.mode), "%s", payword_vendor_mode_name(v->mode));
	payword_vendor_register_reply_spec_init(&spec, &w);
	return obol_json_encode(&spec.spec, reply);
}

static obol_err post_vendor_register(struct obol_issuer *iss, const struct obol_http_req *req,
				     struct obol_http_reply *rep)
{
	struct payword_vendor_register_wire w;
	struct payword_vendor_register_spec spec;
	struct obol_account acc;
	struct vreg v;
	obol_err e = obol_issuer_authenticate(iss, NULL, req, &acc);
	if (e)
		return e;
	if (acc.kind != OBOL_ACCOUNT_VENDOR)
		return OBOL_E_AUTH_FAILED;
	memset(&w, 0, sizeof(w));
	payword_vendor_register_spec_init(&spec, &w);
	if ((e = obol_json_decode(req->json, &spec.spec)) != OBOL_OK || (e = payword_vendor_mode_parse(w.mode, &v.mode)) != OBOL_OK)
		return e;
	v.vendor = acc.id;
	v.batch_interval = (int64_t)w.batch_interval;
	v.grace = payword_issuer_state(iss)->settings.grace;
	return obol_issuer_run_idem(iss, req, acc.id, NULL, vendor_register_unit, &v, rep);
}
OBOL_ROUTE(route_pw_vendor_register, "POST", "/payword/vendor/register", post_vendor_register)

/* --- token generation (steps A-D) -------------------------------------- */

struct buy {
	struct obol_issuer *iss;
	int64_t account;
	struct payword_buy_wire w;
};

static obol_err scope_check(struct obol_store *s, uint64_t scope)
{
	struct payword_agent_vendor v;
	obol_err e;
	if (scope == PAYWORD_GENERIC)
		return OBOL_OK;
	if ((e = payword_db_vendor_get(s, (int64_t)scope, &v)) != OBOL_OK)
		return e;
	if (!v.registered || v.mode != PAYWORD_MODE_SPECIFIC)
		return OBOL_E_PAYWORD_WRONG_VENDOR; /* a specific chain needs a vendor of the specific system */
	return v.revoked != 0 ? OBOL_E_PAYWORD_VENDOR_REVOKED : OBOL_OK;
}

/* The claims held as the user's debts are paid from the new chain: each
 * goes to its vendor through the certificate it names. */
static obol_err pay_debts(struct obol_store *s, const struct payword_db_claims *held, const struct obol_amount *tv,
			  int64_t liab)
{
	obol_err e = OBOL_OK;
	for (size_t i = 0; i < held->n && e == OBOL_OK; i++) {
		struct payword_db_cert c;
		struct payword_agent_claim cl = held->c[i];
		struct obol_amount amt;
		char ref[64];
		int64_t tokens = cl.held_tokens;
		if ((e = payword_db_cert_get(s, held->serials[i], &c)) != OBOL_OK)
			break;
		payword_agent_debt_paid(&cl, &c.c);
		snprintf(ref, sizeof(ref), "payword:%llu:%llu", (unsigned long long)held->serials[i],
			 (unsigned long long)cl.to);
		if ((e = payword_db_claim_update(s, held->ids[i], &cl)) != OBOL_OK ||
		    (e = payword_db_cert_update(s, &c)) != OBOL_OK ||
		    (e = obol_amount_mul(&amt, tv, (uint64_t)tokens)) != OBOL_OK)
			break;
		e = obol_ledger_transfer(s, liab, (int64_t)cl.vendor, &amt, "payword-debt", ref, NULL);
	}
	return e;
}

static obol_err buy_unit(struct obol_store *s, void *ctx, json_t **reply)
{
	struct buy *b = ctx;
	struct payword_issuer_state *st = payword_issuer_state(b->iss);
	struct payword_db_user u;
	struct payword_db_cert *certs = NULL, nc;
	struct payword_agent_cert *ac = NULL;
	struct payword_db_claims held;
	struct payword_buy_params p;
	struct payword_buy_effect r;
	struct obol_ed25519_signer sg;
	struct payword_buy_reply rw;
	struct payword_buy_reply_spec rs;
	int64_t *moved = NULL, liab = 0;
	size_t n = 0;
	char ref[48];
	obol_err e;

	memset(&u, 0, sizeof(u));
	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	memset(&held, 0, sizeof(held));
	e = payword_db_user_by_account(s, b->account, &u);
	if (e == OBOL_OK && u.revoked != 0)
		e = OBOL_E_PAYWORD_USER_REVOKED;
	if (e == OBOL_OK)
		e = scope_check(s, b->w.scope);
	if (e == OBOL_OK)
		e = payword_db_certs_of(s, u.account, b->w.scope, &certs, &n);
	if (e == OBOL_OK)
		e = payword_db_claims_held(s, u.account, PAYWORD_HOLD_DEBT, &held);
	if (e == OBOL_OK)
		e = obol_account_liability(s, "payword", &liab);
	if (e)
		goto out;
	ac = calloc(n + 1, sizeof(*ac));
	moved = calloc(n + 1, sizeof(*moved));
	if (ac == NULL || moved == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		ac[i] = certs[i].c;
	for (size_t i = 0; i < held.n; i++)
		p.debt_tokens += held.c[i].held_tokens;
	if ((e = payword_db_next_serial(s, &p.serial)) != OBOL_OK)
		goto out;
	p.scope = b->w.scope;
	p.buy_tokens = b->w.tokens;
	p.token_value = st->settings.token_value;
	p.has_position = b->w.has_position;
	p.position = b->w.position;
	p.now = obol_now();
	p.validity = st->settings.validity;
	p.grace = st->settings.grace;
	r.moved = moved;
	/* Step C: generate, sign, end the previous certificate, store. */
	if ((e = obol_issuer_signer(b->iss, obol_now(), &sg)) != OBOL_OK ||
	    (e = payword_agent_buy(&u.u, ac, n, &p, &sg, &r)) != OBOL_OK)
		goto out;
	snprintf(ref, sizeof(ref), "payword:%llu", (unsigned long long)p.serial);
	if (!obol_amount_is_zero(&r.cost) &&
	    (e = obol_ledger_transfer(s, u.account, liab, &r.cost, "payword-buy", ref, NULL)) != OBOL_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		bool live = r.superseded_live && r.live_index == i;
		if (moved[i] == 0 && !live)
			continue;
		certs[i].c.moved_out += moved[i];
		if (live) {
			certs[i].c.status = PAYWORD_CERT_SUPERSEDED;
			certs[i].c.ended_at = p.now;
			certs[i].c.pos = r.live_pos;
			certs[i].c.pos_signed = r.live_pos_signed;
			certs[i].c.position = p.position;
		}
		if ((e = payword_db_cert_update(s, &certs[i])) != OBOL_OK)
			goto out;
	}
	if (r.debt_paid > 0 && (e = pay_debts(s, &held, &st->settings.token_value, liab)) != OBOL_OK)
		goto out;
	memset(&rw, 0, sizeof(rw));
	rw.cost = r.cost;
	rw.carried = r.carried;
	rw.held = (uint64_t)r.held;
	rw.held_until = r.held_until;
	if (r.issued) {
		memset(&nc, 0, sizeof(nc));
		nc.user = u.account;
		nc.c.vc = r.vc;
		nc.c.status = PAYWORD_CERT_LIVE;
		if ((e = payword_db_cert_insert(s, &nc)) != OBOL_OK)
			goto out;
		rw.serial = r.vc.serial;
		rw.first_order = r.vc.first_order;
		rw.n = r.vc.n;
	}
	payword_buy_reply_spec_init(&rs, &rw);
	if ((e = obol_json_encode(&rs.spec, reply)) == OBOL_OK)
		obol_log(OBOL_LOG_INFO,
			 "payword: %s bought %llu tokens, certificate %llu of %llu tokens (%lld carried, %lld held)",
			 u.u.username, (unsigned long long)b->w.tokens, (unsigned long long)rw.serial,
			 (unsigned long long)rw.n, (long long)r.carried, (long long)r.held);
out:
	OBOL_WIPE(u);
	free(certs);
	free(ac);
	free(moved);
	payword_db_claims_free(&held);
	return e;
}

static obol_err post_buy(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct obol_account acc;
	struct payword_buy_spec spec;
	struct payword_db_user u;
	struct buy *b = calloc(1, sizeof(*b));
	obol_err e = b != NULL ? user_account(iss, req, &acc) : OBOL_E_NO_MEMORY;
	memset(&u, 0, sizeof(u));
	if (e)
		goto out;
	payword_buy_spec_init(&spec, &b->w);
	if ((e = obol_json_decode(req->json, &spec.spec)) != OBOL_OK ||
	    (e = login(iss, req, acc.id, b->w.username, b->w.password, &u)) != OBOL_OK)
		goto out;
	OBOL_WIPE(b->w.password);
	b->iss = iss;
	b->account = acc.id;
	e = obol_issuer_run_idem(iss, req, acc.id, b->w.request_id, buy_unit, b, rep);
out:
	if (b != NULL)
		OBOL_WIPE(*b);
	free(b);
	OBOL_WIPE(u);
	return e;
}
OBOL_ROUTE(route_pw_buy, "POST", "/payword/buy", post_buy)

struct fetch {
	uint64_t serial;
	struct payword_db_cert c;
};

static obol_err fetch_read(struct obol_store *s, void *ctx)
{
	struct fetch *f = ctx;
	return payword_db_cert_get(s, f->serial, &f->c);
}

/* Step D: the user certificate (with its seed) for download, to the user
 * whose key signed the request and who knows the password. */
static obol_err post_cert(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct payword_cert_wire *w = calloc(1, sizeof(*w));
	struct payword_cert_spec spec;
	struct obol_account acc;
	struct payword_db_user u;
	struct payword_ucert uc;
	struct fetch f;
	obol_err e = w != NULL ? user_account(iss, req, &acc) : OBOL_E_NO_MEMORY;
	memset(&u, 0, sizeof(u));
	memset(&uc, 0, sizeof(uc));
	memset(&f, 0, sizeof(f));
	if (e)
		goto out;
	payword_cert_spec_init(&spec, w);
	if ((e = obol_json_decode(req->json, &spec.spec)) != OBOL_OK ||
	    (e = login(iss, req, acc.id, w->username, w->password, &u)) != OBOL_OK)
		goto out;
	f.serial = w->serial;
	e = obol_issuer_read(iss, fetch_read, &f);
	if (e == OBOL_OK)
		e = payword_agent_ucert(&u.u, u.account, f.c.user, &f.c.c, &uc);
	if (e == OBOL_OK)
		e = payword_ucert_encode(&uc, w->ucert, &w->ucert_len);
	if (e == OBOL_OK) {
		payword_cert_reply_spec_init(&spec, w);
		e = obol_json_encode(&spec.spec, &rep->body);
	}
out:
	if (w != NULL)
		OBOL_WIPE(*w);
	free(w);
	OBOL_WIPE(u);
	OBOL_WIPE(uc);
	return e;
}
OBOL_ROUTE(route_pw_cert, "POST", "/payword/cert", post_cert)

/* --- the CRL (seed §3.2) ------------------------------------------------ */

struct crl_page_read {
	struct payword_db_crl_query q;
	uint64_t *serials;
	size_t n;
	bool more;
};

static obol_err crl_page_read(struct obol_store *s, void *ctx)
{
	struct crl_page_read *c = ctx;
	return payword_db_crl_page(s, &c->q, c->serials, &c->n, &c->more);
}

/* One signed page of the CRL (docs/protocol.md "GET /payword/crl/page"):
 * ?since=T (unix seconds, 0 or absent: the whole list; else only the
 * certificates ended at or after T, a delta) and ?after=S (0 or absent: from
 * the first serial). A page holds at most PAYWORD_CRL_PAGE_MAX serials and
 * costs one index range read, however long the list. */
static obol_err get_crl_page(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct crl_page_read c = { .q = { .now = obol_now(), .limit = PAYWORD_CRL_PAGE_MAX } };
	struct payword_crl_page page = { 0 };
	struct payword_crl_page_spec spec;
	struct obol_ed25519_signer sg;
	const char *since = obol_http_req_query(req, "since"), *after = obol_http_req_query(req, "after");
	uint64_t v = 0;
	obol_err e = OBOL_OK;
	if (since != NULL && (e = obol_parse_u64(since, 0, INT64_MAX, &v)) == OBOL_OK)
		c.q.since = (int64_t)v;
	if (e == OBOL_OK && after != NULL)
		e = obol_parse_u64(after, 0, PAYWORD_CRL_END - 1, &c.q.after);
	if (e != OBOL_OK) {
		obol_http_reply_detail(rep, "since is unix seconds, after a serial, both decimal");
		return OBOL_E_INVALID_ARGUMENT;
	}
	if ((c.serials = malloc(PAYWORD_CRL_PAGE_MAX * sizeof(*c.serials))) == NULL)
		return OBOL_E_NO_MEMORY;
	e = obol_issuer_read(iss, crl_page_read, &c);
	if (e == OBOL_OK) {
		page = (struct payword_crl_page){ .issued = c.q.now, .since = c.q.since, .after = c.q.after,
						  .through = c.more ? c.serials[c.n - 1] : PAYWORD_CRL_END,
						  .count = c.n, .serials = c.serials };
		if ((e = obol_issuer_signer(iss, obol_now(), &sg)) == OBOL_OK)
			e = payword_crl_page_sign(&page, &sg);
	}
	if (e == OBOL_OK) {
		payword_crl_page_spec_init(&spec, &page);
		e = obol_json_encode(&spec.spec, &rep->body);
	}
	if (e)
		obol_log(OBOL_LOG_ERROR, "payword: cannot serve a CRL page: %s", obol_strerror(e));
	free(c.serials);
	return e;
}
OBOL_ROUTE(route_pw_crl_page, "GET", "/payword/crl/page", get_crl_page)
