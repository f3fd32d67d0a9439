/* The agent's report ingestion (seed 003 §3.5 "transaction informing and
 * verification": "a servlet is responsible for parsing the data and storing
 * it in the database, checking immediately for frauds and errors"; DESIGN §7).
 *
 *   POST /payword/report   vendor-authenticated, keyed by content:
 *     {serial, commit: {vendor, start, time, sig}, order, token, value, auth, product}
 *   -> {"accepted": true, "paid": AMOUNT, "verdict": "ok" | "user-double-spend"}
 *    | {"accepted": false, "error": NAME, "verdict": "vendor-fabrication"}
 *
 * One unit of work loads the serial's certificate, visits and claims, runs
 * payword_agent_claim_check, and applies its verdict: the visit and the claim
 * are stored and the vendor paid from the "payword" liability account;
 * earlier claims proven fabricated are taken back from their vendor; the
 * culprit of a proven fraud is revoked (a user's certificate goes on the CRL
 * and the user cannot buy; a vendor's account is suspended) and the evidence
 * kept in payword_evidence. A refused fabrication is answered 200 with
 * accepted false, so that the revocation and the evidence commit. Any other
 * refusal is an error and changes nothing. */
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

struct report {
	struct payword_claim claim;
	int64_t now;
};

static json_t *commit_json(const struct payword_commit *c)
{
	char sig[OBOL_B64_LEN(OBOL_SIGN_LEN)];
	if (obol_b64_encode(c->sig, OBOL_SIGN_LEN, sig, sizeof(sig)) != OBOL_OK)
		return NULL;
	return json_pack("{s:I, s:I, s:I, s:I, s:s}", "serial", (json_int_t)c->serial, "vendor", (json_int_t)c->vendor,
			 "start", (json_int_t)c->start, "time", (json_int_t)c->time, "sig", sig);
}

/* Keeps what proves a fraud: the commitments (user-signed), the claim and
 * its token, and the agent's receipt times. */
static obol_err evidence(struct obol_store *s, const char *kind, const char *culprit, const struct report *r,
			 const struct payword_agent_visit *other, const struct payword_agent_claim *cut)
{
	char tok[OBOL_B64_LEN(PAYWORD_TOKEN_LEN)], val[OBOL_AMOUNT_STR_MAX];
	json_t *d;
	char *text;
	obol_err e;
	if (obol_b64_encode(r->claim.token, PAYWORD_TOKEN_LEN, tok, sizeof(tok)) != OBOL_OK)
		return OBOL_E_INTERNAL;
	obol_amount_format(&r->claim.value, val);
	d = json_pack("{s:o, s:{s:I, s:I, s:s, s:s, s:I, s:I}}", "commit", commit_json(&r->claim.commit), "claim",
		      "vendor", (json_int_t)r->claim.vendor, "order", (json_int_t)r->claim.order, "token", tok, "value",
		      val, "auth", (json_int_t)r->claim.auth, "received", (json_int_t)r->now);
	if (d != NULL && other != NULL)
		json_object_set_new(d, "other_visit",
				    json_pack("{s:o, s:I}", "commit", commit_json(&other->c), "received",
					      (json_int_t)other->received));
	if (d != NULL && cut != NULL)
		json_object_set_new(d, "cut_claim",
				    json_pack("{s:I, s:I, s:I, s:I, s:I}", "vendor", (json_int_t)cut->vendor, "visit_start",
					      (json_int_t)cut->visit_start, "from", (json_int_t)cut->from, "to",
					      (json_int_t)cut->to, "received", (json_int_t)cut->received));
	text = d != NULL ? obol_json_dump_canonical(d) : NULL;
	json_decref(d);
	if (text == NULL)
		return OBOL_E_NO_MEMORY;
	e = payword_db_evidence_add(s, kind, r->claim.commit.serial, culprit, text, r->now);
	obol_log(OBOL_LOG_WARN, "payword: %s by %s on certificate %llu", kind, culprit,
		 (unsigned long long)r->claim.commit.serial);
	free(text);
	return e;
}

/* Revokes a vendor: its payword registration, then its account. */
static obol_err revoke_vendor(struct obol_store *s, uint64_t vendor, int64_t now)
{
	obol_err e = payword_db_vendor_revoke(s, (int64_t)vendor, now);
	if (e == OBOL_OK)
		e = obol_account_set_status(s, (int64_t)vendor, OBOL_ACCOUNT_SUSPENDED);
	return e;
}

/* Takes back up to `tokens` tokens of value from a vendor (as much as its
 * balance holds); *taken says how many. */
static obol_err take_back(struct obol_store *s, int64_t liab, uint64_t vendor, int64_t tokens,
			  const struct obol_amount *tv, const char *ref, int64_t *taken)
{
	struct obol_amount bal, amt;
	uint64_t can = 0;
	obol_err e;
	*taken = 0;
	if ((e = obol_ledger_balance(s, (int64_t)vendor, &bal)) != OBOL_OK ||
	    (e = obol_amount_count_floor(&bal, tv, &can)) != OBOL_OK)
		return e;
	if (tokens <= 0)
		return OBOL_OK;
	if (can > (uint64_t)tokens)
		can = (uint64_t)tokens;
	if (can == 0)
		return OBOL_OK;
	if ((e = obol_amount_mul(&amt, tv, can)) != OBOL_OK ||
	    (e = obol_ledger_transfer(s, (int64_t)vendor, liab, &amt, "payword-fabrication", ref, NULL)) != OBOL_OK)
		return e;
	*taken = (int64_t)can;
	return OBOL_OK;
}

obol_err payword_report_ingest(struct obol_store *s, const struct payword_claim *claim, int64_t now, json_t **reply)
{
	struct report rr = { *claim, now }, *r = &rr;
	const struct payword_claim *c = &r->claim;
	struct payword_db_cert cert;
	struct payword_agent_visit *visits = NULL;
	struct payword_agent_claim *claims = NULL;
	int64_t *ids = NULL, liab;
	size_t nv = 0, nc = 0;
	struct payword_verdict v;
	enum payword_vendor_mode mode;
	int64_t revoked;
	char ref[64], culprit[48], paid[OBOL_AMOUNT_STR_MAX];
	const char *verdict = "ok";
	obol_err e, ce;

	memset(&v, 0, sizeof(v));
	e = payword_db_vendor_get(s, (int64_t)c->vendor, &mode, &revoked);
	if (e == OBOL_E_NOT_FOUND)
		e = OBOL_E_VENDOR_UNKNOWN;
	else if (e == OBOL_OK && revoked != 0)
		e = OBOL_E_PAYWORD_VENDOR_REVOKED;
	if (e == OBOL_OK)
		e = payword_db_cert_get(s, c->commit.serial, &cert);
	if (e == OBOL_OK)
		e = payword_db_visits(s, c->commit.serial, &visits, &nv);
	if (e == OBOL_OK)
		e = payword_db_claims_for(s, c, &claims, &ids, &nc);
	if (e == OBOL_OK && (v.rev = calloc(nc + 1, sizeof(*v.rev))) == NULL)
		e = OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = obol_account_liability(s, "payword", &liab);
	if (e)
		goto out;
	ce = payword_agent_claim_check(&cert.c, visits, nv, claims, nc, c, r->now, &v);
	if (ce != OBOL_OK && ce != OBOL_E_PAYWORD_CLAIM_OUTSIDE_VISIT) {
		e = ce;
		goto out;
	}
	snprintf(ref, sizeof(ref), "payword:%llu:%llu", (unsigned long long)c->commit.serial,
		 (unsigned long long)c->order);
	if (v.duplicate) {
		*reply = json_pack("{s:b, s:s}", "accepted", 1, "verdict", "duplicate");
		goto reply_check;
	}
	if (v.new_visit) {
		struct payword_agent_visit nvis = { c->commit, r->now };
		if ((e = payword_db_visit_insert(s, &nvis)) != OBOL_OK)
			goto out;
	}
	/* Earlier claims proven fabricated: take their value back, revoke. */
	for (size_t i = 0; i < v.nrev; i++) {
		struct payword_agent_claim *cl = &claims[v.rev[i].claim];
		int64_t taken = 0;
		if ((e = take_back(s, liab, v.rev[i].vendor, v.rev[i].tokens, &cert.c.vc.token_value, ref, &taken)) !=
			    OBOL_OK ||
		    (e = payword_db_claim_set_paid(s, ids[v.rev[i].claim], cl->paid_tokens - taken)) != OBOL_OK)
			goto out;
		cert.c.paid -= taken;
		snprintf(culprit, sizeof(culprit), "vendor %llu", (unsigned long long)v.rev[i].vendor);
		if ((e = evidence(s, "vendor-fabrication", culprit, r, NULL, cl)) != OBOL_OK ||
		    (e = revoke_vendor(s, v.rev[i].vendor, r->now)) != OBOL_OK)
			goto out;
	}
	if (v.claimant_fabricated) {
		snprintf(culprit, sizeof(culprit), "vendor %llu", (unsigned long long)c->vendor);
		if ((e = evidence(s, "vendor-fabrication", culprit, r,
				  v.conflict_visit >= 0 ? &visits[v.conflict_visit] : NULL, NULL)) != OBOL_OK ||
		    (e = revoke_vendor(s, c->vendor, r->now)) != OBOL_OK)
			goto out;
		verdict = "vendor-fabrication";
	}
	if (v.user_double_spend) {
		struct payword_db_user u;
		snprintf(culprit, sizeof(culprit), "user %lld", (long long)cert.user);
		if ((e = evidence(s, "user-double-spend", culprit, r,
				  v.conflict_visit >= 0 ? &visits[v.conflict_visit] : NULL, NULL)) != OBOL_OK ||
		    (e = payword_db_user_revoke(s, cert.user, r->now)) != OBOL_OK)
			goto out;
		if (cert.c.status == PAYWORD_CERT_LIVE)
			cert.c.ended_at = r->now;
		cert.c.status = PAYWORD_CERT_REVOKED;
		if ((e = payword_db_user_by_account(s, cert.user, &u)) == OBOL_OK)
			obol_log(OBOL_LOG_WARN, "payword: user %s revoked", u.u.username);
		OBOL_WIPE(u);
		if (e)
			goto out;
		verdict = "user-double-spend";
	}
	if (ce == OBOL_OK) {
		struct payword_agent_claim sc;
		struct obol_amount amt;
		memset(&sc, 0, sizeof(sc));
		sc.vendor = c->vendor;
		sc.visit_start = c->commit.start;
		sc.from = v.from;
		sc.to = sc.order = v.to;
		memcpy(sc.token, c->token, PAYWORD_TOKEN_LEN);
		sc.auth = c->auth;
		sc.paid_tokens = v.pay_tokens;
		sc.received = r->now;
		if ((e = payword_db_claim_insert(s, c->commit.serial, &sc, c->product)) != OBOL_OK ||
		    (e = obol_amount_mul(&amt, &cert.c.vc.token_value, (uint64_t)v.pay_tokens)) != OBOL_OK ||
		    (e = obol_ledger_transfer(s, liab, (int64_t)c->vendor, &amt, "payword-claim", ref, NULL)) != OBOL_OK)
			goto out;
		cert.c.paid += v.pay_tokens;
		if (v.to > cert.c.max_claimed)
			cert.c.max_claimed = v.to;
		obol_amount_format(&amt, paid);
		*reply = json_pack("{s:b, s:s, s:s}", "accepted", 1, "paid", paid, "verdict", verdict);
	} else {
		*reply = json_pack("{s:b, s:s, s:s}", "accepted", 0, "error", obol_strerror(ce), "verdict", verdict);
	}
	if ((e = payword_db_cert_update(s, &cert)) != OBOL_OK)
		goto out;
reply_check:
	if (*reply == NULL)
		e = OBOL_E_NO_MEMORY;
out:
	free(visits);
	free(claims);
	free(ids);
	free(v.rev);
	return e;
}

static obol_err report_unit(struct obol_store *s, void *ctx, json_t **reply)
{
	struct report *r = ctx;
	return payword_report_ingest(s, &r->claim, r->now, reply);
}

static obol_err post_report(struct obol_issuer *iss, const struct obol_http_req *req, struct obol_http_reply *rep)
{
	struct payword_claim_wire w;
	struct payword_claim_spec spec;
	struct obol_account acc;
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
	payword_claim_from_wire(&w, (uint64_t)acc.id, &r.claim);
	return obol_issuer_run_idem(iss, req, acc.id, NULL, report_unit, &r, rep);
}
OBOL_ROUTE(route_pw_report, "POST", "/payword/report", post_report)
