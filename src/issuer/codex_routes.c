/* The codex scheme's issuer endpoints (seed 004 §III ActivityMonitor). All
 * POST routes are authenticated (Obol-Auth) and idempotent by request_id
 * (or by content for /codex/vendor); bodies are the field specs of
 * schemes/codex/api.h, binary fields base64url.
 *
 *   POST /codex/open     create account
 *   POST /codex/vendor   a vendor as payee
 *   POST /codex/sync     update Codex
 *   POST /codex/close    delete account (the deposit is held)
 *   POST /codex/release  a closed or blacklisted Codex's remainder back
 *   POST /codex/deposit  a vendor's tokens and refusals
 *   GET  /codex/blacklist
 *   GET  /codex/blacklist/page?since=&version=&after=
 * Each handler: decode → one unit of work (read, the core's decision,
 * write) → the answer, sent only after the commit. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "issuer/codex_bank.h"
#include "issuer/issuer.h"
#include "schemes/codex/api.h"
#include "wire/json.h"

static void ctx_init(struct codex_issuer_ctx *c, struct obol_issuer *iss, struct obol_store *s)
{
	const struct codex_issuer_settings *set = obol_issuer_scheme_state(iss, "codex");
	memset(c, 0, sizeof(*c));
	c->s = s;
	c->keys = obol_issuer_keys(iss);
	c->currency = obol_issuer_currency(iss);
	c->now = obol_now();
	if (obol_issuer_signer(iss, c->now, &c->signer) != OBOL_OK)
		memset(&c->signer, 0, sizeof c->signer); /* signs nothing: KEY_ONLINE_MISSING */
	if (set)
		c->set = *set;
}

/* The current blacklist into buf (CODEX_BLACKLIST_BYTES_MAX). */
static obol_err blacklist_bytes(const struct codex_issuer_ctx *c, uint8_t *buf, size_t *len)
{
	struct codex_blacklist *bl = malloc(sizeof(*bl));
	uint8_t *enc = NULL;
	obol_err e;
	if (!bl)
		return OBOL_E_NO_MEMORY;
	if ((e = codex_issuer_blacklist(c, bl)) == OBOL_OK && (e = codex_blacklist_encode(bl, &enc, len)) == OBOL_OK)
		memcpy(buf, enc, *len);
	free(enc);
	free(bl);
	return e;
}

/* The start of every POST: the caller's account from Obol-Auth (*acc), then
 * the body decoded into spec. */
static obol_err read_post(struct obol_issuer *iss, const struct obol_http_req *req, const struct obol_fields *spec,
			  struct obol_account *acc)
{
	obol_err e = obol_issuer_authenticate(iss, NULL, req, acc);
	return e == OBOL_OK ? obol_json_decode(req->json, spec) : e;
}

/* ---- create account and vendor --------------------------------------------------- */

struct open_ctx {
	struct obol_issuer *iss;
	const struct obol_http_req *req;
	struct codex_api_open_req in;
	struct codex_api_vendor_req vin;
	struct codex_api_open_reply out;
};

static obol_err open_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct open_ctx *o = arg;
	struct codex_issuer_ctx c;
	struct obol_account acc;
	struct codex_open_out res;
	struct codex_issuer_open_req r;
	obol_err e;
	if ((e = obol_issuer_authenticate(o->iss, s, o->req, &acc)) != OBOL_OK)
		return e;
	ctx_init(&c, o->iss, s);
	r = (struct codex_issuer_open_req){ .account = acc.id, .box_pk = o->in.box_pk, .amount = o->in.amount,
					    .deposit = o->in.deposit };
	if ((e = codex_issuer_open(&c, &r, &res)) != OBOL_OK ||
	    (e = codex_cert_encode(&res.cert, o->out.cert, sizeof(o->out.cert), &o->out.cert_len)) != OBOL_OK ||
	    (e = codex_state_encode(&res.state, o->out.state, sizeof(o->out.state), &o->out.state_len)) != OBOL_OK ||
	    (e = blacklist_bytes(&c, o->out.blacklist, &o->out.blacklist_len)) != OBOL_OK)
		return e;
	o->out.has_state = true;
	codex_api_open_reply_spec(&o->out);
	return obol_json_encode(&o->out.spec, reply);
}

static obol_err post_open(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct obol_account acc;
	struct open_ctx *o = calloc(1, sizeof(*o));
	obol_err e;
	if (!o)
		return OBOL_E_NO_MEMORY;
	o->iss = iss;
	o->req = req;
	codex_api_open_req_spec(&o->in);
	if ((e = read_post(iss, req, &o->in.spec, &acc)) == OBOL_OK)
		e = obol_issuer_run_idem(iss, req, acc.id, o->in.request_id, open_unit, o, rep);
	free(o);
	return e;
}
OBOL_ROUTE(route_codex_open, "POST", "/codex/open", post_open)

static obol_err vendor_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct open_ctx *o = arg;
	struct codex_issuer_ctx c;
	struct obol_account acc;
	struct codex_cert cert;
	obol_err e;
	if ((e = obol_issuer_authenticate(o->iss, s, o->req, &acc)) != OBOL_OK)
		return e;
	ctx_init(&c, o->iss, s);
	if ((e = codex_issuer_vendor(&c, acc.id, o->vin.box_pk, &cert)) != OBOL_OK ||
	    (e = codex_cert_encode(&cert, o->out.cert, sizeof(o->out.cert), &o->out.cert_len)) != OBOL_OK ||
	    (e = blacklist_bytes(&c, o->out.blacklist, &o->out.blacklist_len)) != OBOL_OK)
		return e;
	o->out.has_state = false;
	codex_api_open_reply_spec(&o->out);
	return obol_json_encode(&o->out.spec, reply);
}

static obol_err post_vendor(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct obol_account acc;
	struct open_ctx *o = calloc(1, sizeof(*o));
	obol_err e;
	if (!o)
		return OBOL_E_NO_MEMORY;
	o->iss = iss;
	o->req = req;
	codex_api_vendor_req_spec(&o->vin);
	if ((e = read_post(iss, req, &o->vin.spec, &acc)) == OBOL_OK)
		e = obol_issuer_run_idem(iss, req, acc.id, o->vin.has_request_id ? o->vin.request_id : NULL, vendor_unit,
					 o, rep);
	free(o);
	return e;
}
OBOL_ROUTE(route_codex_vendor, "POST", "/codex/vendor", post_vendor)

/* ---- update Codex and delete account ------------------------------------------------ */

struct sync_ctx {
	struct obol_issuer *iss;
	const struct obol_http_req *req;
	bool close;
	struct codex_api_sync_req in;
	struct codex_state st;
	struct codex_entry ents[CODEX_LOG_MAX];
	struct codex_refusal refs[CODEX_SYNC_REFUSALS_MAX];
	struct codex_api_sync_reply out;
};

static obol_err sync_reply(struct sync_ctx *r, const struct codex_issuer_ctx *c, const struct codex_sync_out *res,
			   json_t **reply)
{
	struct codex_api_sync_reply *o = &r->out;
	obol_err e;
	o->blacklisted = res->blacklisted;
	o->findings = res->findings;
	if (r->close) {
		o->closed = res->closed;
		o->has_closed = true;
		o->paid_out = res->paid_out;
		o->held = res->held;
		o->has_paid_out = o->has_held = true;
		o->held_until = res->held_until;
		o->has_held_until = res->closed;
	} else {
		o->renewed = res->renewed;
		o->has_renewed = true;
		if (res->renewed &&
		    (e = codex_state_encode(&res->state, o->state, sizeof(o->state), &o->state_len)) != OBOL_OK)
			return e;
		o->has_state = res->renewed;
		if (res->cert_renewed && (e = codex_cert_encode(&res->cert, o->cert, sizeof(o->cert), &o->cert_len)) != OBOL_OK)
			return e;
		o->has_cert = res->cert_renewed;
		if ((e = blacklist_bytes(c, o->blacklist, &o->blacklist_len)) != OBOL_OK)
			return e;
		o->has_blacklist = true;
		o->value = res->value;
		o->has_value = true;
		o->nsettled = res->nsettled < CODEX_SETTLED_MAX ? res->nsettled : CODEX_SETTLED_MAX;
		for (size_t i = 0; i < o->nsettled; i++) {
			memcpy(o->settled[i].id, res->settled_ids[i], CODEX_TOKEN_ID_LEN);
			o->settled[i].time = res->settled_times[i];
		}
		o->has_settled = true;
	}
	codex_api_sync_reply_spec(o);
	return obol_json_encode(&o->spec, reply);
}

static obol_err sync_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct sync_ctx *r = arg;
	struct codex_issuer_ctx c;
	struct obol_account acc;
	struct codex_sync_out res;
	struct codex_sync_req req;
	obol_err e;
	if ((e = obol_issuer_authenticate(r->iss, s, r->req, &acc)) != OBOL_OK)
		return e;
	ctx_init(&c, r->iss, s);
	req = (struct codex_sync_req){ .account = (uint64_t)acc.id, .state = &r->st, .entries = r->ents,
				       .n = r->in.nentries, .claimed = &r->in.balance,
				       .load = r->in.has_load && !r->close ? &r->in.load : NULL, .close = r->close,
				       .refusals = r->refs, .nrefusals = r->in.has_refusals ? r->in.nrefusals : 0 };
	if ((e = codex_issuer_sync(&c, &req, &res)) != OBOL_OK)
		return e;
	memset(&r->out, 0, sizeof(r->out));
	e = sync_reply(r, &c, &res, reply);
	codex_sync_out_free(&res);
	return e;
}

static obol_err post_sync_common(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep,
				 bool close)
{
	struct obol_account acc;
	struct sync_ctx *r = calloc(1, sizeof(*r));
	obol_err e;
	if (!r)
		return OBOL_E_NO_MEMORY;
	r->iss = iss;
	r->req = req;
	r->close = close;
	codex_api_sync_req_spec(&r->in, close);
	if ((e = read_post(iss, req, &r->in.spec, &acc)) != OBOL_OK)
		goto out;
	if ((e = codex_state_decode(r->in.state, r->in.state_len, &r->st)) != OBOL_OK) {
		obol_http_reply_detail(rep, "state");
		goto out;
	}
	for (size_t i = 0; i < r->in.nentries; i++)
		if ((e = codex_entry_decode(r->in.entries[i], r->in.entry_len[i], &r->ents[i])) != OBOL_OK) {
			obol_http_reply_detail(rep, "entry %zu", i);
			goto out;
		}
	for (size_t i = 0; r->in.has_refusals && i < r->in.nrefusals; i++)
		if ((e = codex_refusal_decode(r->in.refusals[i], CODEX_REFUSAL_LEN, &r->refs[i])) != OBOL_OK) {
			obol_http_reply_detail(rep, "refusal %zu", i);
			goto out;
		}
	e = obol_issuer_run_idem(iss, req, acc.id, r->in.request_id, sync_unit, r, rep);
out:
	free(r);
	return e;
}

static obol_err post_sync(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	return post_sync_common(iss, req, rep, false);
}
OBOL_ROUTE(route_codex_sync, "POST", "/codex/sync", post_sync)

static obol_err post_close(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	return post_sync_common(iss, req, rep, true);
}
OBOL_ROUTE(route_codex_close, "POST", "/codex/close", post_close)

/* ---- release ------------------------------------------------------------------------- */

struct release_ctx {
	struct obol_issuer *iss;
	const struct obol_http_req *req;
	struct codex_api_release_req in;
	struct codex_api_release_reply out;
	int64_t held_until;
};

static obol_err release_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct release_ctx *r = arg;
	struct codex_issuer_ctx c;
	struct obol_account acc;
	struct codex_release_out res;
	obol_err e;
	if ((e = obol_issuer_authenticate(r->iss, s, r->req, &acc)) != OBOL_OK)
		return e;
	ctx_init(&c, r->iss, s);
	e = codex_issuer_release(&c, acc.id, &res);
	r->held_until = res.held_until;
	if (e != OBOL_OK)
		return e;
	r->out.paid = res.paid;
	codex_api_release_reply_spec(&r->out);
	return obol_json_encode(&r->out.spec, reply);
}

static obol_err post_release(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct obol_account acc;
	struct release_ctx r = { .iss = iss, .req = req };
	obol_err e;
	codex_api_release_req_spec(&r.in);
	if ((e = read_post(iss, req, &r.in.spec, &acc)) != OBOL_OK)
		return e;
	e = obol_issuer_run_idem(iss, req, acc.id, r.in.request_id, release_unit, &r, rep);
	if (e == OBOL_E_CODEX_DEPOSIT_HELD)
		obol_http_reply_detail(rep, "held_until=%" PRId64, r.held_until);
	return e;
}
OBOL_ROUTE(route_codex_release, "POST", "/codex/release", post_release)

/* ---- a vendor's deposit ---------------------------------------------------------------- */

struct deposit_ctx {
	struct obol_issuer *iss;
	const struct obol_http_req *req;
	struct codex_api_deposit_req in;
	struct codex_token toks[CODEX_DEPOSIT_MAX];
	struct codex_refusal refs[CODEX_DEPOSIT_MAX];
	obol_err results[CODEX_DEPOSIT_MAX];
	struct codex_api_deposit_reply out;
};

static obol_err deposit_unit(struct obol_store *s, void *arg, json_t **reply)
{
	struct deposit_ctx *d = arg;
	struct codex_issuer_ctx c;
	struct obol_account acc;
	struct codex_deposit_req req;
	struct codex_deposit_out res = { .results = d->results };
	obol_err e;
	if ((e = obol_issuer_authenticate(d->iss, s, d->req, &acc)) != OBOL_OK)
		return e;
	ctx_init(&c, d->iss, s);
	req = (struct codex_deposit_req){ .vendor = (uint64_t)acc.id, .tokens = d->toks, .n = d->in.ntokens,
					  .refusals = d->refs, .nrefusals = d->in.has_refusals ? d->in.nrefusals : 0 };
	if ((e = codex_issuer_deposit(&c, &req, &res)) != OBOL_OK)
		return e;
	memset(&d->out, 0, sizeof(d->out));
	d->out.nresults = d->in.ntokens;
	for (size_t i = 0; i < d->in.ntokens; i++)
		d->out.results[i] = d->results[i] == OBOL_OK ? 0 : (uint64_t)d->results[i];
	d->out.paid = res.paid;
	if ((e = blacklist_bytes(&c, d->out.blacklist, &d->out.blacklist_len)) != OBOL_OK)
		return e;
	codex_api_deposit_reply_spec(&d->out);
	return obol_json_encode(&d->out.spec, reply);
}

static obol_err post_deposit(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct obol_account acc;
	struct deposit_ctx *d = calloc(1, sizeof(*d));
	obol_err e;
	if (!d)
		return OBOL_E_NO_MEMORY;
	d->iss = iss;
	d->req = req;
	codex_api_deposit_req_spec(&d->in);
	if ((e = read_post(iss, req, &d->in.spec, &acc)) != OBOL_OK)
		goto out;
	for (size_t i = 0; i < d->in.ntokens; i++)
		if ((e = codex_token_decode(d->in.tokens[i], d->in.token_len[i], &d->toks[i])) != OBOL_OK) {
			obol_http_reply_detail(rep, "token %zu", i);
			goto out;
		}
	for (size_t i = 0; d->in.has_refusals && i < d->in.nrefusals; i++)
		if ((e = codex_refusal_decode(d->in.refusals[i], CODEX_REFUSAL_LEN, &d->refs[i])) != OBOL_OK) {
			obol_http_reply_detail(rep, "refusal %zu", i);
			goto out;
		}
	e = obol_issuer_run_idem(iss, req, acc.id, d->in.request_id, deposit_unit, d, rep);
out:
	free(d);
	return e;
}
OBOL_ROUTE(route_codex_deposit, "POST", "/codex/deposit", post_deposit)

/* ---- the blacklist ----------------------------------------------------------------------- */

static obol_err blacklist_read(struct obol_store *s, void *arg)
{
	struct codex_api_blacklist_reply *m = arg;
	struct codex_blacklist *bl = malloc(sizeof(*bl));
	uint8_t *enc = NULL;
	obol_err e;
	if (!bl)
		return OBOL_E_NO_MEMORY;
	if ((e = codex_issuer_blacklist_read(s, bl)) == OBOL_OK &&
	    (e = codex_blacklist_encode(bl, &enc, &m->blacklist_len)) == OBOL_OK) {
		memcpy(m->blacklist, enc, m->blacklist_len);
		m->version = bl->version;
	}
	free(enc);
	free(bl);
	return e;
}

/* The blacklist's version 0, when the database has none yet (an issuer made
 * by `issuer init --no-ceremony` and started before its ceremony): signed by
 * the online key usable now (KEY_ONLINE_MISSING without one). */
static obol_err blacklist_setup_unit(struct obol_store *s, void *arg)
{
	struct codex_issuer_ctx c;
	ctx_init(&c, arg, s);
	return c.signer.sign == NULL ? OBOL_E_KEY_ONLINE_MISSING : codex_issuer_setup(s, &c.signer, c.now);
}

/* A read of the blacklist (fn), after its version 0 is made when missing.
 * These routes are unauthenticated: without an online key no write unit is
 * begun, so that requests before the ceremony cost a read only. */
static obol_err blacklist_read_made(struct obol_issuer *iss, obol_unit_fn fn, void *arg)
{
	struct obol_ed25519_signer sg;
	obol_err e = obol_issuer_read(iss, fn, arg);
	if (e != OBOL_E_NOT_FOUND)
		return e;
	if (obol_issuer_signer(iss, obol_now(), &sg) != OBOL_OK)
		return OBOL_E_KEY_ONLINE_MISSING;
	if ((e = obol_issuer_run(iss, blacklist_setup_unit, iss)) == OBOL_OK)
		e = obol_issuer_read(iss, fn, arg);
	return e;
}

static obol_err get_blacklist(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct codex_api_blacklist_reply *m = calloc(1, sizeof(*m));
	obol_err e;
	(void)req;
	if (!m)
		return OBOL_E_NO_MEMORY;
	if ((e = blacklist_read_made(iss, blacklist_read, m)) == OBOL_OK) {
		codex_api_blacklist_reply_spec(m);
		e = obol_json_encode(&m->spec, &rep->body);
	}
	free(m);
	return e;
}
OBOL_ROUTE(route_codex_blacklist, "GET", "/codex/blacklist", get_blacklist)

struct page_read {
	struct obol_issuer *iss;
	struct codex_issuer_page_req r;
	struct codex_api_blacklist_page_reply m;
};

static obol_err page_read(struct obol_store *s, void *arg)
{
	struct page_read *p = arg;
	struct codex_blacklist_page page = { 0 }; /* freed below even when no signer was found */
	uint8_t *enc = NULL;
	struct obol_ed25519_signer sg;
	obol_err e = obol_issuer_signer(p->iss, p->r.now, &sg);
	if (e == OBOL_OK)
		e = codex_issuer_blacklist_page(s, &sg, &p->r, &page);
	if (e == OBOL_OK && (e = codex_blacklist_page_encode(&page, &enc, &p->m.page_len)) == OBOL_OK)
		memcpy(p->m.page, enc, p->m.page_len);
	free(enc);
	codex_blacklist_page_free(&page);
	return e;
}

/* One signed page of the blacklist (docs/protocol.md "GET
 * /codex/blacklist/page"): ?since=V (absent or 0: the whole list; else the
 * delta since version V), ?version=W (absent: the current version; a fetch
 * asks its later pages for the version its first page named) and ?after=U
 * (absent: from the first user). At most CODEX_BLACKLIST_PAGE_MAX entries,
 * one index range read, however long the list. */
static obol_err get_blacklist_page(struct obol_issuer *iss, const struct obol_http_req *req,
				   struct obol_http_reply *rep)
{
	struct page_read *p = calloc(1, sizeof(*p));
	const char *since = obol_http_req_query(req, "since"), *version = obol_http_req_query(req, "version"),
		   *after = obol_http_req_query(req, "after");
	obol_err e = OBOL_OK;
	if (!p)
		return OBOL_E_NO_MEMORY;
	p->iss = iss;
	p->r.now = obol_now();
	if (since != NULL)
		e = obol_parse_u64(since, 0, INT64_MAX, &p->r.since);
	if (e == OBOL_OK && version != NULL)
		e = obol_parse_u64(version, 1, INT64_MAX, &p->r.version);
	if (e == OBOL_OK && after != NULL)
		e = obol_parse_u64(after, 0, INT64_MAX - 1, &p->r.after);
	if (e != OBOL_OK) {
		obol_http_reply_detail(rep, "since and version are blacklist versions, after a user id, all decimal");
		e = OBOL_E_INVALID_ARGUMENT;
		goto out;
	}
	if ((e = blacklist_read_made(iss, page_read, p)) == OBOL_E_INVALID_ARGUMENT)
		obol_http_reply_detail(rep, "version is at most the current one and at least since");
	if (e == OBOL_OK) {
		codex_api_blacklist_page_reply_spec(&p->m);
		e = obol_json_encode(&p->m.spec, &rep->body);
	}
out:
	free(p);
	return e;
}
OBOL_ROUTE(route_codex_blacklist_page, "GET", "/codex/blacklist/page", get_blacklist_page)
