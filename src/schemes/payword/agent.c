/* payword agent role: registration, token generation, report checks and
 * fraud detection (seed 003 §3.1, §3.2, §3.5; DESIGN §7). See agent.h for
 * the contracts and the accounting. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"
#include "schemes/payword/agent.h"

static const char SEED_LABEL[] = "obol payword chain seed v1";

obol_err payword_agent_user_new(const char *username, const char *password,
				const uint8_t user_pk[static OBOL_SIGN_PK_LEN], const struct payword_pw_params *pw,
				struct payword_user *out)
{
	size_t plen = strlen(password);
	memset(out, 0, sizeof(*out));
	if (!payword_username_valid(username))
		return OBOL_E_PAYWORD_USERNAME;
	if (plen < PAYWORD_PASSWORD_MIN || plen > PAYWORD_PASSWORD_MAX)
		return OBOL_E_PAYWORD_PASSWORD_WEAK;
	_Static_assert(crypto_pwhash_STRBYTES <= PAYWORD_PWHASH_MAX, "pwhash buffer");
	if (crypto_pwhash_str_alg(out->pwhash, password, plen, pw->opslimit, pw->memlimit,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return OBOL_E_NO_MEMORY;
	memcpy(out->username, username, strlen(username) + 1);
	memcpy(out->user_pk, user_pk, OBOL_SIGN_PK_LEN);
	obol_random(out->chain_key, sizeof(out->chain_key));
	return OBOL_OK;
}

obol_err payword_agent_user_auth(const struct payword_user *u, const char *password)
{
	size_t plen = strlen(password);
	if (plen > PAYWORD_PASSWORD_MAX || memchr(u->pwhash, 0, sizeof(u->pwhash)) == NULL)
		return OBOL_E_PAYWORD_BAD_PASSWORD;
	if (crypto_pwhash_str_verify(u->pwhash, password, plen) != 0)
		return OBOL_E_PAYWORD_BAD_PASSWORD;
	return OBOL_OK;
}

obol_err payword_vendor_mode_parse(const char *text, enum payword_vendor_mode *out)
{
	if (strcmp(text, "generic") == 0)
		*out = PAYWORD_MODE_GENERIC;
	else if (strcmp(text, "specific") == 0)
		*out = PAYWORD_MODE_SPECIFIC;
	else
		return OBOL_E_PAYWORD_VENDOR_MODE;
	return OBOL_OK;
}

const char *payword_vendor_mode_name(enum payword_vendor_mode m)
{
	return m == PAYWORD_MODE_SPECIFIC ? "specific" : "generic";
}

void payword_agent_chain_seed(const struct payword_user *u, uint64_t serial, uint8_t out[static PAYWORD_TOKEN_LEN])
{
	uint8_t s[8];
	for (int i = 7; i >= 0; i--, serial >>= 8)
		s[i] = (uint8_t)(serial & 0xff);
	struct obol_hash_part parts[] = {
		{ SEED_LABEL, sizeof(SEED_LABEL) - 1 },
		{ u->chain_key, sizeof(u->chain_key) },
		{ s, sizeof(s) },
	};
	obol_sha256_parts(out, parts, OBOL_ARRAY_LEN(parts));
}

void payword_agent_ucert(const struct payword_user *u, const struct payword_vcert *vc, struct payword_ucert *out)
{
	memset(out, 0, sizeof(*out));
	out->vc = *vc;
	payword_agent_chain_seed(u, vc->serial, out->seed);
}

/* Tokens of a certificate whose value moves to the new chain now. */
static int64_t movable(const struct payword_agent_cert *c, const struct payword_buy_params *p, uint64_t *live_pos)
{
	int64_t residual = (int64_t)c->vc.n - c->paid - c->moved_out;
	uint64_t end = c->vc.first_order + c->vc.n, pos;
	switch (c->status) {
	case PAYWORD_CERT_LIVE:
		pos = p->has_pos ? p->pos : (c->max_claimed ? c->max_claimed + 1 : c->vc.first_order);
		if (pos < c->vc.first_order)
			pos = c->vc.first_order;
		if (c->max_claimed >= pos)
			pos = c->max_claimed + 1;
		if (pos > end)
			pos = end;
		*live_pos = pos;
		/* Unspent tokens move now; in-doubt ones wait out the grace. */
		if (p->grace <= 0 || residual < (int64_t)(end - pos))
			return residual;
		return (int64_t)(end - pos);
	case PAYWORD_CERT_SUPERSEDED:
		if (residual < 0 || (residual > 0 && p->now >= c->ended_at + p->grace))
			return residual;
		return 0;
	case PAYWORD_CERT_REVOKED:
	default:
		return 0;
	}
}

obol_err payword_agent_buy(const struct payword_user *u, const struct payword_agent_cert *certs, size_t ncerts,
			   const struct payword_buy_params *p, const uint8_t agent_sk[static OBOL_SIGN_SK_LEN],
			   struct payword_buy_result *out)
{
	uint8_t seed[PAYWORD_TOKEN_LEN];
	uint64_t next_order = 1, live_pos = 0;
	int64_t carried = 0, total;
	int cmp;
	obol_err e = OBOL_OK;

	out->superseded_live = false;
	out->carried = 0;
	if (p->buy_tokens > PAYWORD_CHAIN_MAX || p->token_value.units <= 0 || p->validity <= 0) {
		e = OBOL_E_INVALID_ARGUMENT;
		goto out;
	}
	for (size_t i = 0; i < ncerts; i++) {
		const struct payword_agent_cert *c = &certs[i];
		uint64_t end = c->vc.first_order + c->vc.n;
		int64_t m;
		if (end > next_order)
			next_order = end;
		m = movable(c, p, &live_pos);
		if (m != 0 && (obol_amount_cmp(&c->vc.token_value, &p->token_value, &cmp) != OBOL_OK || cmp != 0)) {
			e = OBOL_E_PAYWORD_TOKEN_VALUE;
			goto out;
		}
		if (c->status == PAYWORD_CERT_LIVE) {
			if (out->superseded_live) {
				e = OBOL_E_INTERNAL; /* one live certificate per user and scope */
				goto out;
			}
			out->superseded_live = true;
			out->live_index = i;
			out->live_pos = live_pos;
		}
		out->moved[i] = m;
		carried += m;
	}
	total = carried + (int64_t)p->buy_tokens;
	if (total < 1) {
		e = carried < 0 ? OBOL_E_PAYWORD_DEBT : OBOL_E_PAYWORD_TOKENS_LOW;
		goto out;
	}
	if ((uint64_t)total > PAYWORD_CHAIN_MAX) {
		e = OBOL_E_INVALID_ARGUMENT;
		goto out;
	}
	e = obol_amount_mul(&out->cost, &p->token_value, p->buy_tokens);
	if (e)
		goto out;

	memset(&out->vc, 0, sizeof(out->vc));
	out->vc.serial = p->serial;
	out->vc.scope = p->scope;
	out->vc.first_order = next_order;
	out->vc.n = (uint64_t)total;
	out->vc.token_value = p->token_value;
	memcpy(out->vc.user_pk, u->user_pk, OBOL_SIGN_PK_LEN);
	out->vc.issued = p->now;
	out->vc.not_after = p->now + p->validity;
	memcpy(out->vc.username, u->username, sizeof(out->vc.username));
	/* Step C: the chain from the seed, its root signed by the agent. */
	payword_agent_chain_seed(u, p->serial, seed);
	obol_hashchain_step(out->vc.root, seed, out->vc.n);
	e = payword_vcert_sign(&out->vc, agent_sk);
	out->carried = carried;
out:
	OBOL_WIPE(seed);
	return e;
}

/* The visit index of a commitment, -1 when unknown. */
static int find_visit(const struct payword_agent_visit *visits, size_t nv, const struct payword_commit *c)
{
	for (size_t i = 0; i < nv; i++)
		if (payword_commit_equal(&visits[i].c, c))
			return (int)i;
	return -1;
}

static int visit_of_claim(const struct payword_agent_visit *visits, size_t nv, const struct payword_agent_claim *cl)
{
	for (size_t i = 0; i < nv; i++)
		if (visits[i].c.vendor == cl->vendor && visits[i].c.start == cl->visit_start)
			return (int)i;
	return -1;
}

/* Whether the vendor had begun a later visit of this certificate (start
 * above after_start) by time `by`: then it held a later token, from which it
 * could derive the ones it claims (agent.h). `extra` is a visit not yet
 * stored (may be NULL). */
static bool later_visit(const struct payword_agent_visit *visits, size_t nv, const struct payword_commit *extra,
			uint64_t vendor, uint64_t after_start, int64_t by)
{
	for (size_t i = 0; i < nv; i++)
		if (visits[i].c.vendor == vendor && visits[i].c.start > after_start && visits[i].c.time <= by)
			return true;
	return extra != NULL && extra->vendor == vendor && extra->start > after_start && extra->time <= by;
}

/* A new visit arrives: the user's commitments must be consistent, and the
 * claims of earlier visits reaching into it are judged (agent.h). */
static void judge_new_visit(const struct payword_agent_visit *visits, size_t nv,
			    const struct payword_agent_claim *claims, size_t nc, const struct payword_commit *nc_commit,
			    struct payword_verdict *v)
{
	for (size_t i = 0; i < nv; i++) {
		const struct payword_commit *o = &visits[i].c;
		if (o->start == nc_commit->start || o->time == nc_commit->time ||
		    (o->start < nc_commit->start) != (o->time < nc_commit->time)) {
			v->user_double_spend = true;
			v->conflict_visit = (int)i;
		}
	}
	for (size_t i = 0; i < nc; i++) {
		const struct payword_agent_claim *cl = &claims[i];
		uint64_t lo;
		int64_t over;
		if (cl->paid_tokens <= 0 || cl->visit_start >= nc_commit->start || cl->to < nc_commit->start)
			continue;
		lo = cl->from > nc_commit->start ? cl->from : nc_commit->start;
		over = (int64_t)(cl->to - lo + 1);
		if (over > cl->paid_tokens)
			over = cl->paid_tokens;
		if (cl->received < nc_commit->time ||
		    !later_visit(visits, nv, nc_commit, cl->vendor, cl->visit_start, cl->received)) {
			v->user_double_spend = true;
			v->conflict_visit = visit_of_claim(visits, nv, cl);
		} else {
			v->rev[v->nrev].claim = i;
			v->rev[v->nrev].tokens = over;
			v->rev[v->nrev].vendor = cl->vendor;
			v->nrev++;
		}
	}
}

obol_err payword_agent_claim_check(const struct payword_agent_cert *cert, const struct payword_agent_visit *visits,
				   size_t nvisits, const struct payword_agent_claim *claims, size_t nclaims,
				   const struct payword_claim *in, int64_t now, struct payword_verdict *v)
{
	const struct payword_vcert *vc = &cert->vc;
	struct payword_reversal *rev = v->rev;
	uint64_t start = in->commit.start, prev = 0, from, next = UINT64_MAX, m, paid;
	int nidx = -1, known;
	obol_err e;

	memset(v, 0, sizeof(*v));
	v->rev = rev;
	v->conflict_visit = -1;
	if (in->commit.vendor != in->vendor)
		return OBOL_E_PAYWORD_COMMITMENT_INVALID;
	/* A visit stored before was verified then: the same bytes need no
	 * second signature check. */
	known = find_visit(visits, nvisits, &in->commit);
	if (known < 0 && (e = payword_commit_verify(&in->commit, vc)) != OBOL_OK)
		return e;
	if (vc->scope != PAYWORD_GENERIC && vc->scope != in->vendor)
		return OBOL_E_PAYWORD_WRONG_VENDOR;
	/* A certificate that ended is honoured for visits begun before. */
	if (cert->status != PAYWORD_CERT_LIVE && in->commit.time >= cert->ended_at)
		return OBOL_E_PAYWORD_CERT_REVOKED;
	/* The token hashes to the nearest claimed token below it (verified when
	 * it was stored), or to the root: O(gap) hashes, not O(n). */
	{
		const struct payword_agent_claim *near = NULL;
		for (size_t i = 0; i < nclaims; i++)
			if (claims[i].order < in->order && (near == NULL || claims[i].order > near->order))
				near = &claims[i];
		e = near != NULL ? payword_token_check(vc, in->order, in->token, near->token, near->order)
				 : payword_token_check(vc, in->order, in->token, NULL, 0);
		if (e)
			return e;
	}
	if (!obol_amount_same_currency(&in->value, &vc->token_value))
		return OBOL_E_PAYWORD_TOKEN_VALUE;

	for (size_t i = 0; i < nclaims; i++) {
		if (claims[i].vendor != in->vendor || claims[i].order != in->order)
			continue;
		if (obol_ct_equal(claims[i].token, in->token, PAYWORD_TOKEN_LEN) && claims[i].auth == in->auth &&
		    claims[i].visit_start == start) {
			v->duplicate = true;
			return OBOL_OK;
		}
		return OBOL_E_PAYWORD_CLAIM_REPLAYED;
	}

	if (known < 0) {
		v->new_visit = true;
		judge_new_visit(visits, nvisits, claims, nclaims, &in->commit, v);
	}
	/* A valid token below the visit's start: the vendor derived it. */
	if (in->order < start) {
		v->claimant_fabricated = true;
		return OBOL_E_PAYWORD_CLAIM_OUTSIDE_VISIT;
	}
	for (size_t i = 0; i < nclaims; i++)
		if (claims[i].vendor == in->vendor && claims[i].visit_start == start && claims[i].to > prev)
			prev = claims[i].to;
	if (prev != 0 && in->order <= prev)
		return OBOL_E_PAYWORD_CLAIM_REPLAYED;
	from = prev != 0 ? prev + 1 : start;
	m = in->order - from + 1;
	if (obol_amount_count_exact(&in->value, &vc->token_value, &paid) != OBOL_OK || paid != m)
		return OBOL_E_PAYWORD_VALUE_MISMATCH;

	/* The visit ends where the user's next visit starts. */
	for (size_t i = 0; i < nvisits; i++)
		if (visits[i].c.start > start && visits[i].c.start < next) {
			next = visits[i].c.start;
			nidx = (int)i;
		}
	if (in->order >= next) {
		if (now < visits[nidx].c.time || !later_visit(visits, nvisits, NULL, in->vendor, start, now)) {
			v->user_double_spend = true;
			v->conflict_visit = nidx;
		} else {
			v->claimant_fabricated = true;
			v->conflict_visit = nidx;
			return OBOL_E_PAYWORD_CLAIM_OUTSIDE_VISIT;
		}
	}
	v->from = from;
	v->to = in->order;
	v->pay_tokens = (int64_t)m;
	return OBOL_OK;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

obol_err payword_agent_crl(uint64_t *serials, size_t count, uint64_t seq, int64_t now,
			   const uint8_t agent_sk[static OBOL_SIGN_SK_LEN], struct payword_crl *out)
{
	size_t k = 0;
	if (count > PAYWORD_CRL_MAX)
		return OBOL_E_PAYWORD_CRL_TOO_LARGE;
	if (count > 0)
		qsort(serials, count, sizeof(*serials), cmp_u64);
	for (size_t i = 0; i < count; i++)
		if (k == 0 || serials[i] != serials[k - 1])
			serials[k++] = serials[i];
	memset(out, 0, sizeof(*out));
	out->seq = seq;
	out->issued = now;
	out->count = k;
	out->serials = serials;
	return payword_crl_sign(out, agent_sk);
}
