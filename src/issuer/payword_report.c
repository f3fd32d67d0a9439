/* The agent's report ingestion (seed 003 §3.5 "transaction informing and
 * verification": "a servlet is responsible for parsing the data and storing
 * it in the database, checking immediately for frauds and errors"; DESIGN §7).
 *
 *   POST /payword/report   vendor-authenticated, keyed by content:
 *     {serial, range: {from, to, sig}, token, value, auth, product}
 *   -> {accepted, verdict, paid?, held?, error?}
 *
 * Each report is self-contained (its own signed range), so reports may
 * arrive in any order. On a read connection: the certificate and the
 * nearest claimed token below the range's end, and the core's stateless
 * checks (the user's signature on the range, the value, the hash chain). A
 * range the user did not sign is the vendor's fabrication: the evidence
 * (the vendor's signed request) is kept, its registration revoked, its
 * account suspended, and the answer is 200 with accepted false, so that all
 * of it commits. Then one unit of work reads the claims the range shares
 * orders with, the vendor and the user's balance, runs the core's judgement
 * (payword_agent_claim_apply) and writes what its effect says: the claim,
 * the debt taken from the user's account, the vendor's pay, the
 * certificate's counters, and for a fraud the user proved by its own
 * signatures the evidence and the revocation of the user and all its
 * certificates. Any other refusal is an error body and changes nothing. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "issuer/issuer.h"
#include "issuer/payword_db.h"
#include "issuer/payword_issuer.h"
#include "net/reqauth.h"
#include "schemes/payword/wire.h"
#include "store/ledger.h"
#include "wire/json.h"

/* --- evidence --------------------------------------------------------------- */

/* What proves a fraud, as stored in payword_evidence (JSON through this
 * spec): the claim and its user-signed range; the other signed range, or
 * the user's signed position, that it contradicts; or the vendor's signed
 * request (body and Obol-Auth) that carried a range the user never signed. */
struct evidence_wire {
	uint64_t serial, vendor;
	struct payword_range_wire range;
	uint8_t token[PAYWORD_TOKEN_LEN];
	int64_t auth, received;
	bool has_other;
	uint64_t other_vendor;
	struct payword_range_wire other;
	bool has_position;
	uint64_t position_next;
	uint8_t position_sig[OBOL_SIGN_LEN];
	bool has_request;
	char request[OBOL_JSON_MAX / 4];
	char request_auth[OBOL_AUTH_HEADER_MAX];
};

struct evidence_spec {
	struct obol_field rf[3], of[3], pf[2], f[11];
	struct obol_fields r, o, p, spec;
};

static void evidence_spec_init(struct evidence_spec *s, struct evidence_wire *m)
{
	memset(s, 0, sizeof(*s));
	s->rf[0] = (struct obol_field)OBOL_F_UINT("from", 1, &m->range.from, 0);
	s->rf[1] = (struct obol_field)OBOL_F_UINT("to", 2, &m->range.to, 0);
	s->rf[2] = (struct obol_field)OBOL_F_FIXED("sig", 3, m->range.sig, OBOL_SIGN_LEN);
	s->r = (struct obol_fields){ s->rf, 3 };
	s->of[0] = (struct obol_field)OBOL_F_UINT("from", 1, &m->other.from, 0);
	s->of[1] = (struct obol_field)OBOL_F_UINT("to", 2, &m->other.to, 0);
	s->of[2] = (struct obol_field)OBOL_F_FIXED("sig", 3, m->other.sig, OBOL_SIGN_LEN);
	s->o = (struct obol_fields){ s->of, 3 };
	s->pf[0] = (struct obol_field)OBOL_F_UINT("next", 1, &m->position_next, 0);
	s->pf[1] = (struct obol_field)OBOL_F_FIXED("sig", 2, m->position_sig, OBOL_SIGN_LEN);
	s->p = (struct obol_fields){ s->pf, 2 };
	const struct obol_field f[11] = {
		OBOL_F_UINT("serial", 1, &m->serial, 0),
		OBOL_F_UINT("vendor", 2, &m->vendor, 0),
		OBOL_F_MAP("range", 3, &s->r),
		OBOL_F_FIXED("token", 4, m->token, PAYWORD_TOKEN_LEN),
		OBOL_F_INT("auth", 5, &m->auth),
		OBOL_F_INT("received", 6, &m->received),
		OBOL_F_UINT("other_vendor", 7, &m->other_vendor, 0, OBOL_OPT(&m->has_other)),
		OBOL_F_MAP("other_range", 8, &s->o, OBOL_OPT(&m->has_other)),
		OBOL_F_MAP("position", 9, &s->p, OBOL_OPT(&m->has_position)),
		OBOL_F_TEXT("request", 10, m->request, sizeof(m->request) - 1, OBOL_OPT(&m->has_request)),
		OBOL_F_TEXT("request_auth", 11, m->request_auth, sizeof(m->request_auth) - 1, OBOL_OPT(&m->has_request)),
	};
	memcpy(s->f, f, sizeof(f));
	s->spec = (struct obol_fields){ s->f, 11 };
}

static void range_to_wire(const struct payword_range *r, struct payword_range_wire *w)
{
	w->from = r->from;
	w->to = r->to;
	memcpy(w->sig, r->sig, OBOL_SIGN_LEN);
}

/* Stores ev under kind, blaming culprit, and logs it. */
static obol_err evidence_add(struct obol_store *s, const char *kind, const char *culprit, struct evidence_wire *ev)
{
	struct evidence_spec spec;
	json_t *j = NULL;
	char *text = NULL;
	evidence_spec_init(&spec, ev);
	obol_err e = obol_json_encode(&spec.spec, &j);
	if (e == OBOL_OK && (text = obol_json_dump_canonical(j)) == NULL)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = payword_db_evidence_add(s, kind, ev->serial, culprit, text, ev->received);
	if (e == OBOL_OK)
		obol_log(OBOL_LOG_WARN, "payword: %s by %s on certificate %llu", kind, culprit,
			 (unsigned long long)ev->serial);
	free(text);
	json_decref(j);
	return e;
}

static void evidence_of_claim(const struct payword_claim *c, int64_t now, struct evidence_wire *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->serial = c->range.serial;
	ev->vendor = c->vendor;
	range_to_wire(&c->range, &ev->range);
	memcpy(ev->token, c->token, PAYWORD_TOKEN_LEN);
	ev->auth = c->auth;
	ev->received = now;
}

/* --- the judgement ---------------------------------------------------------- */

static obol_err reply_encode(const struct payword_report_reply *r, json_t **reply)
{
	struct payword_report_reply m = *r;
	struct payword_report_reply_spec spec;
	payword_report_reply_spec_init(&spec, &m);
	return obol_json_encode(&spec.spec, reply);
}

/* Whole tokens the account's balance covers. */
static obol_err account_tokens(struct obol_store *s, int64_t account, const struct obol_amount *tv, int64_t *out)
{
	struct obol_amount bal;
	uint64_t k = 0;
	obol_err e = obol_ledger_balance(s, account, &bal);
	if (e == OBOL_OK && bal.units > 0)
		e = obol_amount_count_floor(&bal, tv, &k);
	*out = (int64_t)k;
	return e;
}

/* Applies a user fraud the effect proved: evidence, then the user and all
 * its certificates revoked. */
static obol_err user_fraud(struct obol_store *s, const struct payword_db_cert *cert,
			   const struct payword_claim_effect *eff, const struct payword_db_claims *others,
			   const struct payword_claim *c, int64_t now)
{
	struct evidence_wire *ev = calloc(1, sizeof(*ev));
	char culprit[48];
	obol_err e;
	if (ev == NULL)
		return OBOL_E_NO_MEMORY;
	evidence_of_claim(c, now, ev);
	if (eff->finding == PAYWORD_FINDING_DOUBLE_SPEND && eff->conflict >= 0) {
		const struct payword_agent_claim *k = &others->c[eff->conflict];
		ev->has_other = true;
		ev->other_vendor = k->vendor;
		ev->other.from = k->from;
		ev->other.to = k->to;
		memcpy(ev->other.sig, k->sig, OBOL_SIGN_LEN);
	} else if (eff->finding == PAYWORD_FINDING_POSITION) {
		ev->has_position = true;
		ev->position_next = cert->c.position.next;
		memcpy(ev->position_sig, cert->c.position.sig, OBOL_SIGN_LEN);
	}
	snprintf(culprit, sizeof(culprit), "user %lld", (long long)cert->user);
	e = evidence_add(s, "user-double-spend", culprit, ev);
	if (e == OBOL_OK)
		e = payword_db_user_revoke(s, cert->user, now);
	free(ev);
	return e;
}

struct report {
	struct payword_claim claim;
	int64_t grace, now;
};

obol_err payword_report_ingest(struct obol_store *s, const struct payword_claim *c, int64_t grace, int64_t now,
			       json_t **reply)
{
	struct payword_db_cert cert;
	struct payword_db_user user;
	struct payword_db_claims others;
	struct payword_agent_vendor vendor;
	struct payword_claim_state st;
	struct payword_claim_effect eff;
	struct payword_report_reply rep;
	struct obol_amount amt;
	int64_t liab = 0;
	char ref[64];
	obol_err e;

	memset(&others, 0, sizeof(others));
	memset(&user, 0, sizeof(user));
	memset(&st, 0, sizeof(st));
	memset(&rep, 0, sizeof(rep));
	if ((e = payword_db_vendor_get(s, (int64_t)c->vendor, &vendor)) != OBOL_OK ||
	    (e = payword_db_cert_get(s, c->range.serial, &cert)) != OBOL_OK ||
	    (e = payword_db_user_by_account(s, cert.user, &user)) != OBOL_OK ||
	    (e = payword_db_claims_overlapping(s, c->range.serial, c->range.from, c->range.to, &others)) != OBOL_OK ||
	    (e = account_tokens(s, cert.user, &cert.c.vc.token_value, &st.user_tokens)) != OBOL_OK ||
	    (e = obol_account_liability(s, "payword", &liab)) != OBOL_OK)
		goto out;
	st.cert = &cert.c;
	st.vendor = &vendor;
	st.user_revoked = user.revoked != 0;
	st.claims = others.c;
	st.nclaims = others.n;
	st.grace = grace;
	st.now = now;
	if ((e = payword_agent_claim_apply(&st, c, &eff)) != OBOL_OK)
		goto out;
	rep.accepted = true;
	snprintf(rep.verdict, sizeof(rep.verdict), "%s", eff.verdict);
	if (eff.duplicate) {
		e = reply_encode(&rep, reply);
		goto out;
	}
	snprintf(ref, sizeof(ref), "payword:%llu:%llu", (unsigned long long)c->range.serial,
		 (unsigned long long)c->range.to);
	/* The user's debt first (its account into the certificate), then the vendor's pay. */
	if (eff.cover_tokens > 0 &&
	    ((e = obol_amount_mul(&amt, &cert.c.vc.token_value, (uint64_t)eff.cover_tokens)) != OBOL_OK ||
	     (e = obol_ledger_transfer(s, cert.user, liab, &amt, "payword-debt", ref, NULL)) != OBOL_OK))
		goto out;
	if ((e = obol_amount_mul(&amt, &cert.c.vc.token_value, (uint64_t)eff.pay_tokens)) != OBOL_OK ||
	    (eff.pay_tokens > 0 &&
	     (e = obol_ledger_transfer(s, liab, (int64_t)c->vendor, &amt, "payword-claim", ref, NULL)) != OBOL_OK) ||
	    (e = payword_db_claim_insert(s, c->range.serial, &eff.store, c->product)) != OBOL_OK)
		goto out;
	cert.c = eff.next;
	if ((e = payword_db_cert_update(s, &cert)) != OBOL_OK)
		goto out;
	if (eff.revoke_user && (e = user_fraud(s, &cert, &eff, &others, c, now)) != OBOL_OK)
		goto out;
	rep.paid = amt;
	rep.has_paid = true;
	rep.held = (uint64_t)eff.store.held_tokens;
	rep.has_held = eff.store.held_tokens > 0;
	e = reply_encode(&rep, reply);
out:
	OBOL_WIPE(user);
	payword_db_claims_free(&others);
	return e;
}

obol_err payword_review_apply(struct obol_store *s, int64_t claim_id, bool pay, int64_t *paid)
{
	struct payword_agent_claim cl;
	struct payword_db_cert cert;
	struct payword_review_effect eff;
	struct obol_amount amt;
	uint64_t serial = 0;
	int64_t liab = 0, user_tokens = 0;
	char ref[64];
	obol_err e;
	*paid = 0;
	if ((e = payword_db_claim_get(s, claim_id, &serial, &cl)) != OBOL_OK ||
	    (e = payword_db_cert_get(s, serial, &cert)) != OBOL_OK ||
	    (e = account_tokens(s, cert.user, &cert.c.vc.token_value, &user_tokens)) != OBOL_OK ||
	    (e = obol_account_liability(s, "payword", &liab)) != OBOL_OK ||
	    (e = payword_agent_review(&cert.c, &cl, pay, user_tokens, &eff)) != OBOL_OK)
		return e;
	snprintf(ref, sizeof(ref), "payword:%llu:%llu", (unsigned long long)serial, (unsigned long long)cl.to);
	if (eff.cover_tokens > 0 &&
	    ((e = obol_amount_mul(&amt, &cert.c.vc.token_value, (uint64_t)eff.cover_tokens)) != OBOL_OK ||
	     (e = obol_ledger_transfer(s, cert.user, liab, &amt, "payword-debt", ref, NULL)) != OBOL_OK))
		return e;
	if (eff.pay_tokens > 0 &&
	    ((e = obol_amount_mul(&amt, &cert.c.vc.token_value, (uint64_t)eff.pay_tokens)) != OBOL_OK ||
	     (e = obol_ledger_transfer(s, liab, (int64_t)cl.vendor, &amt, "payword-claim", ref, NULL)) != OBOL_OK))
		return e;
	cert.c = eff.next;
	if ((e = payword_db_claim_update(s, claim_id, &eff.claim)) != OBOL_OK ||
	    (e = payword_db_cert_update(s, &cert)) != OBOL_OK)
		return e;
	*paid = eff.pay_tokens;
	return OBOL_OK;
}

static obol_err report_unit(struct obol_store *s, void *ctx, json_t **reply)
{
	struct report *r = ctx;
	return payword_report_ingest(s, &r->claim, r->grace, r->now, reply);
}

/* --- fabrication ------------------------------------------------------------ */

struct fabrication {
	struct payword_claim claim;
	const struct obol_http_req *req;
	obol_err why;
	int64_t now;
};

/* A range the user did not sign, in a request the vendor signed: the
 * evidence, the vendor's registration revoked and its account suspended. */
static obol_err fabrication_unit(struct obol_store *s, void *ctx, json_t **reply)
{
	struct fabrication *f = ctx;
	struct evidence_wire *ev = calloc(1, sizeof(*ev));
	struct payword_report_reply rep;
	char culprit[48];
	obol_err e = ev != NULL ? OBOL_OK : OBOL_E_NO_MEMORY;
	if (e)
		return e;
	evidence_of_claim(&f->claim, f->now, ev);
	ev->has_request = f->req->body_len < sizeof(ev->request) && f->req->auth != NULL &&
			  strlen(f->req->auth) < sizeof(ev->request_auth);
	if (ev->has_request) {
		memcpy(ev->request, f->req->body, f->req->body_len);
		snprintf(ev->request_auth, sizeof(ev->request_auth), "%s", f->req->auth);
	}
	snprintf(culprit, sizeof(culprit), "vendor %llu", (unsigned long long)f->claim.vendor);
	if ((e = evidence_add(s, "vendor-fabrication", culprit, ev)) == OBOL_OK &&
	    (e = payword_db_vendor_revoke(s, (int64_t)f->claim.vendor, f->now)) == OBOL_OK)
		e = obol_account_set_status(s, (int64_t)f->claim.vendor, OBOL_ACCOUNT_SUSPENDED);
	free(ev);
	if (e)
		return e;
	memset(&rep, 0, sizeof(rep));
	snprintf(rep.verdict, sizeof(rep.verdict), "vendor-fabrication");
	snprintf(rep.error, sizeof(rep.error), "%s", obol_strerror(f->why));
	rep.has_error = true;
	return reply_encode(&rep, reply);
}

/* --- the route --------------------------------------------------------------- */

struct precheck {
	const struct payword_claim *claim;
	struct payword_db_cert cert;
	obol_err verdict; /* the core's stateless answer */
};

static obol_err precheck_read(struct obol_store *s, void *ctx)
{
	struct precheck *p = ctx;
	struct payword_agent_claim near;
	bool found = false;
	obol_err e = payword_db_cert_get(s, p->claim->range.serial, &p->cert);
	if (e == OBOL_OK)
		e = payword_db_claim_below(s, p->claim->range.serial, p->claim->range.to, &near, &found);
	if (e == OBOL_OK)
		p->verdict = payword_agent_claim_verify(&p->cert.c.vc, found ? &near : NULL, p->claim);
	return e;
}

static obol_err post_report(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct payword_claim_wire w;
	struct payword_claim_spec spec;
	struct obol_account acc;
	struct precheck pc;
	struct report r;
	obol_err e = obol_issuer_authenticate(iss, NULL, req, &acc);
	if (e)
		return e;
	if (acc.kind != OBOL_ACCOUNT_VENDOR)
		return OBOL_E_AUTH_FAILED;
	payword_claim_spec_init(&spec, &w);
	if ((e = obol_json_decode(req->json, &spec.spec)) != OBOL_OK)
		return e;
	memset(&r, 0, sizeof(r));
	r.now = obol_now();
	r.grace = payword_issuer_state(iss)->settings.grace;
	payword_claim_from_wire(&w, (uint64_t)acc.id, &r.claim);
	/* The stateless checks, off the committer: the signature and the hashes. */
	memset(&pc, 0, sizeof(pc));
	pc.claim = &r.claim;
	if ((e = obol_issuer_read(iss, precheck_read, &pc)) != OBOL_OK)
		return e;
	if (pc.verdict == OBOL_E_PAYWORD_RANGE_INVALID) {
		struct fabrication f = { r.claim, req, pc.verdict, r.now };
		return obol_issuer_run_idem(iss, req, acc.id, NULL, fabrication_unit, &f, rep);
	}
	if (pc.verdict != OBOL_OK)
		return pc.verdict;
	return obol_issuer_run_idem(iss, req, acc.id, NULL, report_unit, &r, rep);
}
OBOL_ROUTE(route_pw_report, "POST", "/payword/report", post_report)
