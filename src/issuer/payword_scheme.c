/* The payword scheme at the issuer (the seed's agent): tables, settings,
 * `issuer init` options, the GET /keys part, and the routes of registration
 * and token generation (seed 003 §3.5 registering, steps A-D):
 *
 *   POST /payword/register         {username, password, user_pk}  -> {account, username}
 *   POST /payword/vendor/register  vendor-authenticated {mode}    -> {vendor, mode}
 *   POST /payword/buy              {request_id, username, password, tokens, scope, [pos]}
 *                                  -> {serial, first_order, n, carried, cost}
 *   POST /payword/cert             {username, password, serial}   -> {ucert} (step D download)
 *   GET  /payword/crl              the signed CRL (seed §3.2)
 *
 * Reports are in payword_report.c. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "issuer/issuer.h"
#include "issuer/payword_db.h"
#include "issuer/payword_issuer.h"
#include "schemes/payword/wire.h"
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
	st.grace = 3600;
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
	fprintf(out, "payword: token value %s, in-doubt grace %llds, certificates valid %lld days\n", tv,
		(long long)st.grace, (long long)(st.validity / 86400));
	return OBOL_OK;
}

static obol_err pw_start(struct obol_issuer *iss, struct obol_store *s, void **state)
{
	struct payword_issuer_state *st = calloc(1, sizeof(*st));
	if (st == NULL)
		return OBOL_E_NO_MEMORY;
	obol_err e = payword_db_settings_get(s, obol_issuer_currency(iss), &st->settings);
	if (e) {
		free(st);
		return e;
	}
	const char *fast = getenv("OBOL_ARGON2_FAST");
	if (fast != NULL && strcmp(fast, "1") == 0) {
		st->pw.opslimit = crypto_pwhash_OPSLIMIT_MIN;
		st->pw.memlimit = crypto_pwhash_MEMLIMIT_MIN;
	} else {
		st->pw.opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		st->pw.memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	}
	*state = st;
	return OBOL_OK;
}

static void pw_stop(struct obol_issuer *iss, void *state)
{
	(void)iss;
	free(state);
}

static obol_err pw_keys_part(struct obol_issuer *iss, struct obol_store *s, json_t **part)
{
	struct payword_issuer_state *st = obol_issuer_scheme_state(iss, "payword");
	char tv[OBOL_AMOUNT_STR_MAX];
	(void)s;
	if (st == NULL)
		return OBOL_E_INTERNAL;
	obol_amount_format(&st->settings.token_value, tv);
	*part = json_pack("{s:s, s:I}", "token_value", tv, "chain_max", (json_int_t)PAYWORD_CHAIN_MAX);
	return *part != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
}

OBOL_ISSUER_SCHEME(payword_issuer_scheme, .name = "payword", .migrate = pw_migrate, .init_options = pw_init_options,
		   .init_help = "  --payword-token-value CUR:V.F  value of one payword token (default CUR:0.01)\n"
				"  --payword-grace SECONDS        how long in-doubt tokens wait for late reports before\n"
				"                                 their value returns to the user (default 3600)\n"
				"  --payword-validity-days N      lifetime of a payword certificate (default 365)",
		   .init = pw_init, .start = pw_start, .stop = pw_stop, .keys_part = pw_keys_part)

struct payword_issuer_state *payword_issuer_state(struct obol_issuer *iss)
{
	return obol_issuer_scheme_state(iss, "payword");
}

/* --- registration (seed §3.5 registering) ------------------------------- */

struct reg {
	struct payword_db_user u;
	json_t *reply;
};

static obol_err register_unit(struct obol_store *s, void *ctx, json_t **reply)
{
	struct reg *r = ctx;
	struct obol_account acc;
	/* An account the operator opened for this wallet's key is taken over;
	 * any other holder of the name keeps it. */
	obol_err e = obol_account_by_name(s, r->u.u.username, &acc);
	if (e == OBOL_OK) {
		if (acc.kind != OBOL_ACCOUNT_USER || !acc.has_auth_pk ||
		    memcmp(acc.auth_pk, r->u.u.user_pk, OBOL_SIGN_PK_LEN) != 0)
			return OBOL_E_PAYWORD_USER_EXISTS;
		r->u.account = acc.id;
	} else if (e == OBOL_E_LEDGER_ACCOUNT_UNKNOWN) {
		e = obol_account_create(s, OBOL_ACCOUNT_USER, r->u.u.username, r->u.u.user_pk, &r->u.account);
		if (e == OBOL_E_LEDGER_NAME_TAKEN)
			e = OBOL_E_PAYWORD_USER_EXISTS;
	}
	if (e == OBOL_OK)
		e = payword_db_user_insert(s, &r->u);
	if (e)
		return e;
	*reply = json_pack("{s:I, s:s}", "account", (json_int_t)r->u.account, "username", r->u.u.username);
	return *reply != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
}

static obol_err post_register(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct payword_issuer_state *st = payword_issuer_state(iss);
	char username[PAYWORD_USERNAME_MAX + 1], password[PAYWORD_PASSWORD_MAX + 1];
	uint8_t pk[OBOL_SIGN_PK_LEN];
	struct obol_field f[] = {
		OBOL_F_TEXT("username", 1, username, PAYWORD_USERNAME_MAX, .min = 1),
		OBOL_F_TEXT("password", 2, password, PAYWORD_PASSWORD_MAX),
		OBOL_F_FIXED("user_pk", 3, pk, OBOL_SIGN_PK_LEN),
	};
	struct reg r;
	obol_err e;
	memset(&r, 0, sizeof(r));
	e = obol_json_decode(req->json, &OBOL_FIELDS(f));
	if (e == OBOL_OK)
		e = payword_agent_user_new(username, password, pk, &st->pw, &r.u.u); /* Argon2id, off the committer */
	if (e == OBOL_OK)
		e = obol_issuer_run_idem(iss, req, 0, NULL, register_unit, &r, rep);
	OBOL_WIPE(password);
	OBOL_WIPE(r.u);
	return e;
}
OBOL_ROUTE(route_pw_register, "POST", "/payword/register", post_register)

struct vreg {
	int64_t vendor;
	enum payword_vendor_mode mode;
};

static obol_err vendor_register_unit(struct obol_store *s, void *ctx, json_t **reply)
{
	struct vreg *v = ctx;
	enum payword_vendor_mode mode;
	int64_t revoked;
	obol_err e = payword_db_vendor_get(s, v->vendor, &mode, &revoked);
	if (e == OBOL_E_NOT_FOUND)
		e = payword_db_vendor_put(s, v->vendor, v->mode, obol_now());
	else if (e == OBOL_OK && revoked != 0)
		e = OBOL_E_PAYWORD_VENDOR_REVOKED;
	else if (e == OBOL_OK && mode != v->mode)
		e = OBOL_E_PAYWORD_VENDOR_MODE; /* the choice is made once, at registration */
	if (e)
		return e;
	*reply = json_pack("{s:I, s:s}", "vendor", (json_int_t)v->vendor, "mode", payword_vendor_mode_name(v->mode));
	return *reply != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
}

static obol_err post_vendor_register(struct obol_issuer *iss, const struct obol_http_req *req,
				     struct obol_http_reply *rep)
{
	char mode[PAYWORD_MODE_TEXT_MAX + 1];
	struct obol_field f[] = { OBOL_F_TEXT("mode", 1, mode, PAYWORD_MODE_TEXT_MAX, .min = 1) };
	struct obol_account acc;
	struct vreg v;
	obol_err e = obol_issuer_authenticate(iss, NULL, req, &acc);
	if (e)
		return e;
	if (acc.kind != OBOL_ACCOUNT_VENDOR)
		return OBOL_E_AUTH_FAILED;
	if ((e = obol_json_decode(req->json, &OBOL_FIELDS(f))) != OBOL_OK ||
	    (e = payword_vendor_mode_parse(mode, &v.mode)) != OBOL_OK)
		return e;
	v.vendor = acc.id;
	return obol_issuer_run_idem(iss, req, acc.id, NULL, vendor_register_unit, &v, rep);
}
OBOL_ROUTE(route_pw_vendor_register, "POST", "/payword/vendor/register", post_vendor_register)

/* --- token generation (steps A-D) -------------------------------------- */

/* Step A: the user's name and password, checked against the Argon2id hash
 * on a read connection (never on the committer thread). */
struct login {
	char username[PAYWORD_USERNAME_MAX + 1];
	struct payword_db_user u;
};

static obol_err login_read(struct obol_store *s, void *ctx)
{
	struct login *l = ctx;
	return payword_db_user_get(s, l->username, &l->u);
}

static obol_err login(struct obol_issuer *iss, const char *username, const char *password, struct payword_db_user *out)
{
	struct login l;
	obol_err e;
	memset(&l, 0, sizeof(l));
	if ((e = obol_strlcpy_checked(l.username, username, sizeof(l.username))) != OBOL_OK)
		return OBOL_E_PAYWORD_BAD_PASSWORD;
	e = obol_issuer_read(iss, login_read, &l);
	if (e == OBOL_E_NOT_FOUND)
		e = OBOL_E_PAYWORD_BAD_PASSWORD;
	if (e == OBOL_OK)
		e = payword_agent_user_auth(&l.u.u, password);
	if (e == OBOL_OK && l.u.revoked != 0)
		e = OBOL_E_PAYWORD_USER_REVOKED;
	if (e == OBOL_OK)
		*out = l.u;
	OBOL_WIPE(l.u);
	return e;
}

struct buy {
	struct obol_issuer *iss;
	int64_t account;
	uint64_t tokens, scope, pos;
	bool has_pos;
	char request_id[65];
};

static obol_err buy_unit(struct obol_store *s, void *ctx, json_t **reply)
{
	struct buy *b = ctx;
	struct payword_issuer_state *st = payword_issuer_state(b->iss);
	struct payword_db_user u;
	struct payword_db_cert *certs = NULL, nc;
	struct payword_agent_cert *ac = NULL;
	struct payword_buy_params p;
	struct payword_buy_result r;
	int64_t *moved = NULL, liab;
	size_t n = 0;
	char cost[OBOL_AMOUNT_STR_MAX], ref[48];
	obol_err e;

	memset(&u, 0, sizeof(u));
	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	e = payword_db_user_by_account(s, b->account, &u);
	if (e == OBOL_OK && u.revoked != 0)
		e = OBOL_E_PAYWORD_USER_REVOKED;
	if (e == OBOL_OK && b->scope != PAYWORD_GENERIC) {
		enum payword_vendor_mode mode;
		int64_t revoked;
		e = payword_db_vendor_get(s, (int64_t)b->scope, &mode, &revoked);
		if (e == OBOL_E_NOT_FOUND || (e == OBOL_OK && mode != PAYWORD_MODE_SPECIFIC))
			e = OBOL_E_PAYWORD_WRONG_VENDOR; /* a specific chain needs a vendor of the specific system */
		else if (e == OBOL_OK && revoked != 0)
			e = OBOL_E_PAYWORD_VENDOR_REVOKED;
	}
	if (e == OBOL_OK)
		e = payword_db_certs_of(s, u.account, b->scope, &certs, &n);
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
	if ((e = payword_db_next_serial(s, &p.serial)) != OBOL_OK)
		goto out;
	p.scope = b->scope;
	p.buy_tokens = b->tokens;
	p.token_value = st->settings.token_value;
	p.has_pos = b->has_pos;
	p.pos = b->pos;
	p.now = obol_now();
	p.validity = st->settings.validity;
	p.grace = st->settings.grace;
	r.moved = moved;
	/* Step C: generate, sign, revoke the previous certificate, store. */
	e = payword_agent_buy(&u.u, ac, n, &p, obol_issuer_keys(b->iss)->master.sk, &r);
	if (e)
		goto out;
	snprintf(ref, sizeof(ref), "payword:%llu", (unsigned long long)p.serial);
	if (!obol_amount_is_zero(&r.cost)) {
		e = obol_account_liability(s, "payword", &liab);
		if (e == OBOL_OK)
			e = obol_ledger_transfer(s, u.account, liab, &r.cost, "payword-buy", ref, NULL);
		if (e)
			goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (moved[i] == 0 && !(r.superseded_live && r.live_index == i))
			continue;
		certs[i].c.moved_out += moved[i];
		if (r.superseded_live && r.live_index == i) {
			certs[i].c.status = PAYWORD_CERT_SUPERSEDED;
			certs[i].c.ended_at = p.now;
			certs[i].c.pos = r.live_pos;
		}
		if ((e = payword_db_cert_update(s, &certs[i])) != OBOL_OK)
			goto out;
	}
	memset(&nc, 0, sizeof(nc));
	nc.user = u.account;
	nc.c.vc = r.vc;
	nc.c.status = PAYWORD_CERT_LIVE;
	if ((e = payword_db_cert_insert(s, &nc)) != OBOL_OK)
		goto out;
	obol_amount_format(&r.cost, cost);
	*reply = json_pack("{s:I, s:I, s:I, s:I, s:s, s:I}", "serial", (json_int_t)r.vc.serial, "first_order",
			   (json_int_t)r.vc.first_order, "n", (json_int_t)r.vc.n, "carried", (json_int_t)r.carried,
			   "cost", cost, "revoked", (json_int_t)(r.superseded_live ? certs[r.live_index].c.vc.serial : 0));
	if (*reply == NULL)
		e = OBOL_E_NO_MEMORY;
	else
		obol_log(OBOL_LOG_INFO, "payword: %s bought %llu tokens, certificate %llu of %llu tokens (%lld carried)",
			 u.u.username, (unsigned long long)b->tokens, (unsigned long long)r.vc.serial,
			 (unsigned long long)r.vc.n, (long long)r.carried);
out:
	OBOL_WIPE(u);
	free(certs);
	free(ac);
	free(moved);
	return e;
}

static obol_err post_buy(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	char username[PAYWORD_USERNAME_MAX + 1], password[PAYWORD_PASSWORD_MAX + 1];
	struct buy b;
	struct payword_db_user u;
	memset(&b, 0, sizeof(b));
	memset(&u, 0, sizeof(u));
	struct obol_field f[] = {
		OBOL_F_TEXT("request_id", 1, b.request_id, 64, .min = 1),
		OBOL_F_TEXT("username", 2, username, PAYWORD_USERNAME_MAX, .min = 1),
		OBOL_F_TEXT("password", 3, password, PAYWORD_PASSWORD_MAX),
		OBOL_F_UINT("tokens", 4, &b.tokens, PAYWORD_CHAIN_MAX),
		OBOL_F_UINT("scope", 5, &b.scope, 0),
		OBOL_F_UINT("pos", 6, &b.pos, 0, OBOL_OPT(&b.has_pos)),
	};
	obol_err e = obol_json_decode(req->json, &OBOL_FIELDS(f));
	if (e == OBOL_OK)
		e = login(iss, username, password, &u);
	OBOL_WIPE(password);
	if (e)
		return e;
	b.iss = iss;
	b.account = u.account;
	OBOL_WIPE(u);
	return obol_issuer_run_idem(iss, req, b.account, b.request_id, buy_unit, &b, rep);
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

/* Step D: the user certificate (with its seed) for download. */
static obol_err post_cert(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	char username[PAYWORD_USERNAME_MAX + 1], password[PAYWORD_PASSWORD_MAX + 1];
	char text[OBOL_B64_LEN(PAYWORD_UCERT_MAX)];
	uint8_t buf[PAYWORD_UCERT_MAX];
	struct payword_db_user u;
	struct payword_ucert uc;
	struct fetch f;
	size_t len = 0;
	memset(&u, 0, sizeof(u));
	memset(&uc, 0, sizeof(uc));
	memset(&f, 0, sizeof(f));
	struct obol_field fs[] = {
		OBOL_F_TEXT("username", 1, username, PAYWORD_USERNAME_MAX, .min = 1),
		OBOL_F_TEXT("password", 2, password, PAYWORD_PASSWORD_MAX),
		OBOL_F_UINT("serial", 3, &f.serial, 0),
	};
	obol_err e = obol_json_decode(req->json, &OBOL_FIELDS(fs));
	if (e == OBOL_OK)
		e = login(iss, username, password, &u);
	if (e == OBOL_OK)
		e = obol_issuer_read(iss, fetch_read, &f);
	if (e == OBOL_OK && f.c.user != u.account)
		e = OBOL_E_NOT_FOUND;
	if (e == OBOL_OK && f.c.c.status != PAYWORD_CERT_LIVE)
		e = OBOL_E_PAYWORD_CERT_REVOKED; /* step D delivers the live certificate only */
	if (e == OBOL_OK) {
		payword_agent_ucert(&u.u, &f.c.c.vc, &uc);
		e = payword_ucert_encode(&uc, buf, &len);
	}
	if (e == OBOL_OK)
		e = obol_b64_encode(buf, len, text, sizeof(text));
	if (e == OBOL_OK) {
		rep->body = json_pack("{s:s, s:I}", "ucert", text, "serial", (json_int_t)f.serial);
		if (rep->body == NULL)
			e = OBOL_E_NO_MEMORY;
	}
	OBOL_WIPE(password);
	OBOL_WIPE(u);
	OBOL_WIPE(uc);
	OBOL_WIPE(buf);
	OBOL_WIPE(text);
	return e;
}
OBOL_ROUTE(route_pw_cert, "POST", "/payword/cert", post_cert)

/* --- the CRL (seed §3.2) ------------------------------------------------ */

struct crl_read {
	uint64_t *serials;
	size_t n;
	uint64_t seq;
};

static obol_err crl_read(struct obol_store *s, void *ctx)
{
	struct crl_read *c = ctx;
	return payword_db_crl(s, obol_now(), &c->serials, &c->n, &c->seq);
}

static obol_err get_crl(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct crl_read c = { NULL, 0, 0 };
	struct payword_crl crl;
	struct payword_crl_wire *w = NULL;
	struct payword_crl_spec spec;
	(void)req;
	obol_err e = obol_issuer_read(iss, crl_read, &c);
	if (e == OBOL_OK)
		e = payword_agent_crl(c.serials, c.n, c.seq, obol_now(), obol_issuer_keys(iss)->master.sk, &crl);
	if (e == OBOL_OK && (w = calloc(1, sizeof(*w))) == NULL)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK) {
		payword_crl_to_wire(&crl, w);
		payword_crl_spec_init(&spec, w);
		e = obol_json_encode(&spec.spec, &rep->body);
	}
	free(w);
	free(c.serials);
	return e;
}
OBOL_ROUTE(route_pw_crl, "GET", "/payword/crl", get_crl)
