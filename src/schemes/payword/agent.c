/* payword agent role: registration, token generation, report judgement and
 * fraud evidence (seed 003 §3.1, §3.2, §3.5; DESIGN §7). See agent.h for
 * the contracts and the accounting. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/secret.h"
#include "schemes/payword/agent.h"

static const char SEED_LABEL[] = "obol payword chain seed v1";

/* --- registration ---------------------------------------------------------- */

obol_err payword_agent_user_new(const struct payword_account_view *acc, const char *username, const char *password,
				const struct payword_pw_params *pw, struct payword_user *out)
{
	size_t plen = strlen(password);
	memset(out, 0, sizeof(*out));
	if (!acc->user_kind || !acc->active)
		return OBOL_E_AUTH_FAILED;
	if (acc->has_payword_user)
		return OBOL_E_PAYWORD_USER_EXISTS;
	if (!payword_username_valid(username))
		return OBOL_E_PAYWORD_USERNAME;
	if (plen < PAYWORD_PASSWORD_MIN || plen > PAYWORD_PASSWORD_MAX)
		return OBOL_E_PAYWORD_PASSWORD_WEAK;
	_Static_assert(crypto_pwhash_STRBYTES <= PAYWORD_PWHASH_MAX, "pwhash buffer");
	if (crypto_pwhash_str_alg(out->pwhash, password, plen, pw->opslimit, pw->memlimit,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return OBOL_E_NO_MEMORY;
	memcpy(out->username, username, strlen(username) + 1);
	memcpy(out->user_pk, acc->auth_pk, OBOL_SIGN_PK_LEN);
	obol_random(out->chain_key, sizeof(out->chain_key));
	return OBOL_OK;
}

static bool password_matches(const struct payword_user *u, const char *password)
{
	size_t plen = strlen(password);
	if (plen > PAYWORD_PASSWORD_MAX || memchr(u->pwhash, 0, sizeof(u->pwhash)) == NULL)
		return false;
	return crypto_pwhash_str_verify(u->pwhash, password, plen) == 0;
}

obol_err payword_agent_login(const struct payword_user *u, const struct payword_user *decoy, const char *password)
{
	if (u == NULL) {
		(void)password_matches(decoy, password); /* the same work, whatever the answer */
		return OBOL_E_PAYWORD_BAD_PASSWORD;
	}
	return password_matches(u, password) ? OBOL_OK : OBOL_E_PAYWORD_BAD_PASSWORD;
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

obol_err payword_agent_vendor_register(const struct payword_agent_vendor *cur, enum payword_vendor_mode mode,
				       int64_t batch_interval, int64_t grace, int64_t now,
				       struct payword_vendor_register_effect *out)
{
	memset(out, 0, sizeof(*out));
	if (cur->registered && cur->revoked != 0)
		return OBOL_E_PAYWORD_VENDOR_REVOKED;
	if (cur->registered && cur->mode != mode)
		return OBOL_E_PAYWORD_VENDOR_MODE; /* the choice is made once, at registration */
	if (batch_interval < 0 || batch_interval > grace)
		return OBOL_E_PAYWORD_BATCH_INTERVAL;
	out->next = *cur;
	out->next.mode = mode;
	out->next.batch_interval = batch_interval;
	out->store = !cur->registered || cur->batch_interval != batch_interval;
	out->next.registered = true;
	(void)now;
	return OBOL_OK;
}

/* --- certificates and token generation ------------------------------------ */

int64_t payword_agent_cert_balance(const struct payword_agent_cert *c)
{
	return (int64_t)c->vc.n + c->covered - c->paid - c->moved_out;
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

obol_err payword_agent_ucert(const struct payword_user *u, int64_t user_account, int64_t cert_user,
			     const struct payword_agent_cert *c, struct payword_ucert *out)
{
	memset(out, 0, sizeof(*out));
	if (cert_user != user_account)
		return OBOL_E_NOT_FOUND;
	if (c->status != PAYWORD_CERT_LIVE)
		return OBOL_E_PAYWORD_CERT_REVOKED; /* step D delivers the live certificate only */
	out->vc = c->vc;
	payword_agent_chain_seed(u, c->vc.serial, out->seed);
	return OBOL_OK;
}

/* What a regeneration does with one certificate: the tokens whose value
 * moves now (*move), the tokens still held for late reports (*held), and
 * for the live one where it ends (*pos, *pos_signed). */
struct cert_move {
	int64_t move, held;
	uint64_t pos;
	bool pos_signed;
};

static struct cert_move movable(const struct payword_agent_cert *c, const struct payword_buy_params *p)
{
	struct cert_move m = { 0, 0, 0, false };
	int64_t residual = payword_agent_cert_balance(c);
	uint64_t end = c->vc.first_order + c->vc.n;
	switch (c->status) {
	case PAYWORD_CERT_LIVE:
		/* The signed position moves the tokens from it up at once, unless
		 * a vendor already reported an order at or past it: a position the
		 * user's own ranges contradict proves nothing, so it counts as none. */
		if (p->has_position && p->position.next > c->max_claimed) {
			m.pos = p->position.next;
			m.pos_signed = true;
		} else {
			m.pos = end; /* lost: every unreported token waits the grace */
		}
		m.move = (int64_t)(end - m.pos);
		if (m.move > residual)
			m.move = residual;
		if (p->grace <= 0)
			m.move = residual;
		break;
	case PAYWORD_CERT_SUPERSEDED:
		/* A debt moves at once; the held value after the grace. */
		if (residual < 0 || (residual > 0 && p->now >= c->ended_at + p->grace))
			m.move = residual;
		break;
	case PAYWORD_CERT_REVOKED:
	default:
		break; /* frozen: the user's fraud is proven; its value pays late reports */
	}
	if (c->status != PAYWORD_CERT_REVOKED && residual - m.move > 0)
		m.held = residual - m.move;
	return m;
}

obol_err payword_agent_buy(const struct payword_user *u, const struct payword_agent_cert *certs, size_t ncerts,
			   const struct payword_buy_params *p, const struct obol_ed25519_signer *signer, struct payword_buy_effect *out)
{
	uint8_t seed[PAYWORD_TOKEN_LEN];
	uint64_t next_order = 1;
	int64_t carried = 0, total;
	bool position_used = false;
	int cmp;
	obol_err e = OBOL_OK;

	out->issued = false;
	out->superseded_live = false;
	out->carried = out->held = out->held_until = out->debt_paid = 0;
	if (p->buy_tokens > PAYWORD_CHAIN_MAX || p->token_value.units <= 0 || p->validity <= 0 || p->debt_tokens < 0) {
		e = OBOL_E_INVALID_ARGUMENT;
		goto out;
	}
	for (size_t i = 0; i < ncerts; i++) {
		const struct payword_agent_cert *c = &certs[i];
		uint64_t end = c->vc.first_order + c->vc.n;
		struct cert_move m;
		if (end > next_order)
			next_order = end;
		if (c->status == PAYWORD_CERT_LIVE && p->has_position) {
			if (p->position.serial != c->vc.serial ||
			    (e = payword_position_verify(&p->position, &c->vc)) != OBOL_OK) {
				e = OBOL_E_PAYWORD_POSITION_INVALID;
				goto out;
			}
			position_used = true;
		}
		m = movable(c, p);
		if (m.move != 0 && (obol_amount_cmp(&c->vc.token_value, &p->token_value, &cmp) != OBOL_OK || cmp != 0)) {
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
			out->live_pos = m.pos;
			out->live_pos_signed = m.pos_signed;
		}
		if (m.held > 0) {
			int64_t until = (c->status == PAYWORD_CERT_LIVE ? p->now : c->ended_at) + p->grace;
			out->held += m.held;
			if (until > out->held_until)
				out->held_until = until;
		}
		out->moved[i] = m.move;
		carried += m.move;
	}
	if (p->has_position && !position_used) {
		e = OBOL_E_PAYWORD_POSITION_INVALID; /* it names a certificate that is not the live one */
		goto out;
	}
	out->carried = carried;
	if ((e = obol_amount_mul(&out->cost, &p->token_value, p->buy_tokens)) != OBOL_OK)
		goto out;
	total = carried + (int64_t)p->buy_tokens - p->debt_tokens;
	if (total < 1) {
		if (carried < 0 || p->debt_tokens > 0)
			e = OBOL_E_PAYWORD_DEBT;
		else if (!(out->superseded_live && out->held > 0))
			e = OBOL_E_PAYWORD_TOKENS_LOW;
		/* else (nothing bought, so nothing costs): the live certificate
		 * ends and its value waits the grace */
		goto out;
	}
	if ((uint64_t)total > PAYWORD_CHAIN_MAX) {
		e = OBOL_E_INVALID_ARGUMENT;
		goto out;
	}
	out->debt_paid = p->debt_tokens;

	memset(&out->vc, 0, sizeof(out->vc));
	out->vc.serial = p->serial;
	out->vc.scope = p->scope;
	out->vc.first_order = next_order;
	out->vc.n = (uint64_t)total;
	out->vc.token_value = p->token_value;
	memcpy(out->vc.user_pk, u->user_pk, OBOL_SIGN_PK_LEN);
	out->vc.issued = p->now;
	/* never past the signing key's acceptance */
	out->vc.not_after = obol_ed25519_signer_cap(signer, p->now + p->validity);
	memcpy(out->vc.username, u->username, sizeof(out->vc.username));
	/* Step C: the chain from the seed, its root signed by the agent. */
	payword_agent_chain_seed(u, p->serial, seed);
	obol_hashchain_step(out->vc.root, seed, out->vc.n);
	e = payword_vcert_sign(&out->vc, signer);
	out->issued = e == OBOL_OK;
out:
	OBOL_WIPE(seed);
	return e;
}

void payword_agent_debt_paid(struct payword_agent_claim *claim, struct payword_agent_cert *cert)
{
	int64_t h = claim->hold == PAYWORD_HOLD_DEBT ? claim->held_tokens : 0;
	claim->paid_tokens += h;
	claim->held_tokens -= h;
	claim->hold = PAYWORD_HOLD_NONE;
	cert->covered += h;
	cert->paid += h;
}

/* --- reports --------------------------------------------------------------- */

obol_err payword_agent_claim_verify(const struct payword_vcert *vc, const struct payword_agent_claim *near,
				    const struct payword_claim *c)
{
	uint64_t m;
	obol_err e;
	if (c->range.vendor != c->vendor || c->range.serial != vc->serial)
		return OBOL_E_PAYWORD_RANGE_INVALID;
	if ((e = payword_range_verify(&c->range, vc)) != OBOL_OK)
		return e;
	if (!obol_amount_same_currency(&c->value, &vc->token_value))
		return OBOL_E_PAYWORD_TOKEN_VALUE;
	if (obol_amount_count_exact(&c->value, &vc->token_value, &m) != OBOL_OK || m != c->range.to - c->range.from + 1)
		return OBOL_E_PAYWORD_VALUE_MISMATCH;
	/* The token hashes to the nearest claimed token below it (verified
	 * when it was stored), or to the root: O(gap) hashes, not O(n). */
	if (near != NULL && near->to < c->range.to)
		return payword_token_check(vc, c->range.to, c->token, near->token, near->to);
	return payword_token_check(vc, c->range.to, c->token, NULL, 0);
}

/* Pays `want` tokens from the certificate's balance, then from the user's
 * account; *cover is taken from the account, *rest is covered by neither. */
static void pay_from(const struct payword_agent_cert *cert, int64_t want, int64_t user_tokens, int64_t *cover,
		     int64_t *rest)
{
	int64_t left = payword_agent_cert_balance(cert), shortfall;
	if (left < 0)
		left = 0;
	shortfall = want > left ? want - left : 0;
	*cover = shortfall < user_tokens ? shortfall : (user_tokens > 0 ? user_tokens : 0);
	*rest = shortfall - *cover;
}

obol_err payword_agent_claim_apply(const struct payword_claim_state *st, const struct payword_claim *c,
				   struct payword_claim_effect *out)
{
	const struct payword_agent_cert *cert = st->cert;
	const struct payword_range *r = &c->range;
	uint64_t m = r->to - r->from + 1, review_from = UINT64_MAX, review_to = 0;
	int64_t pay, cover, rest, review = 0;

	memset(out, 0, sizeof(*out));
	out->conflict = -1;
	out->verdict = "ok";
	if (!st->vendor->registered)
		return OBOL_E_PAYWORD_VENDOR_NOT_REGISTERED;
	if (st->vendor->revoked != 0)
		return OBOL_E_PAYWORD_VENDOR_REVOKED;
	if (cert->vc.scope != PAYWORD_GENERIC && cert->vc.scope != c->vendor)
		return OBOL_E_PAYWORD_WRONG_VENDOR;
	for (size_t i = 0; i < st->nclaims; i++) {
		const struct payword_agent_claim *k = &st->claims[i];
		if (!payword_range_overlap(k->from, k->to, r->from, r->to))
			continue;
		if (k->vendor == c->vendor) {
			if (k->from == r->from && k->to == r->to && k->auth == c->auth &&
			    obol_ct_equal(k->token, c->token, PAYWORD_TOKEN_LEN)) {
				out->duplicate = true;
				out->verdict = "duplicate";
				return OBOL_OK;
			}
			return OBOL_E_PAYWORD_CLAIM_REPLAYED;
		}
		if (k->signed_range) {
			/* Two user signatures for one token at two vendors. */
			if (out->finding == PAYWORD_FINDING_NONE) {
				out->finding = PAYWORD_FINDING_DOUBLE_SPEND;
				out->conflict = (int)i;
			}
		} else {
			/* A claim from before signed ranges: nothing to judge by. */
			uint64_t lo = k->from > r->from ? k->from : r->from, hi = k->to < r->to ? k->to : r->to;
			if (lo < review_from)
				review_from = lo;
			if (hi > review_to)
				review_to = hi;
		}
	}
	if (review_from <= review_to)
		review = (int64_t)(review_to - review_from + 1);
	/* The user said, signed, that it never signed a range reaching pos. */
	if (out->finding == PAYWORD_FINDING_NONE && cert->status != PAYWORD_CERT_LIVE && cert->pos_signed &&
	    r->to >= cert->pos)
		out->finding = PAYWORD_FINDING_POSITION;

	pay = (int64_t)m - review;
	pay_from(cert, pay, st->user_tokens, &cover, &rest);
	out->store.hold = review > 0 ? PAYWORD_HOLD_REVIEW : PAYWORD_HOLD_NONE;
	if (rest > 0 && out->finding == PAYWORD_FINDING_NONE && !st->user_revoked) {
		/* Value that went back to the user before this report came: the
		 * user owes it, nobody pays it out of nothing (a claim with tokens
		 * held for review stays for the operator, all of it). */
		pay -= rest;
		out->store.held_tokens += rest;
		if (review == 0)
			out->store.hold = PAYWORD_HOLD_DEBT;
	}
	out->store.held_tokens += review;
	out->cover_tokens = cover;
	out->pay_tokens = pay;
	out->next = *cert;
	out->next.covered += cover;
	out->next.paid += pay;
	if (r->to > out->next.max_claimed)
		out->next.max_claimed = r->to;
	out->revoke_user = out->finding != PAYWORD_FINDING_NONE;
	if (out->revoke_user)
		out->verdict = "user-double-spend";
	else if (out->store.held_tokens > 0)
		out->verdict = "held";

	out->store.vendor = c->vendor;
	out->store.from = r->from;
	out->store.to = r->to;
	memcpy(out->store.token, c->token, PAYWORD_TOKEN_LEN);
	out->store.auth = c->auth;
	out->store.signed_range = true;
	memcpy(out->store.sig, r->sig, OBOL_SIGN_LEN);
	out->store.paid_tokens = pay;
	out->store.received = st->now;
	return OBOL_OK;
}

obol_err payword_agent_review(const struct payword_agent_cert *cert, const struct payword_agent_claim *claim, bool pay,
			      int64_t user_tokens, struct payword_review_effect *out)
{
	int64_t cover = 0, rest = 0, want = claim->held_tokens;
	memset(out, 0, sizeof(*out));
	if (claim->hold != PAYWORD_HOLD_REVIEW || want <= 0)
		return OBOL_E_NOT_FOUND;
	out->claim = *claim;
	out->next = *cert;
	if (!pay) {
		out->claim.held_tokens = 0;
		out->claim.hold = PAYWORD_HOLD_NONE;
		return OBOL_OK;
	}
	pay_from(cert, want, user_tokens, &cover, &rest);
	out->cover_tokens = cover;
	out->pay_tokens = want - rest;
	out->claim.paid_tokens += out->pay_tokens;
	out->claim.held_tokens = rest;
	out->claim.hold = rest > 0 ? PAYWORD_HOLD_DEBT : PAYWORD_HOLD_NONE;
	out->next.covered += cover;
	out->next.paid += out->pay_tokens;
	return OBOL_OK;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

obol_err payword_agent_crl(uint64_t *serials, size_t count, uint64_t seq, int64_t now,
			   const struct obol_ed25519_signer *signer, struct payword_crl *out)
{
	size_t k = 0;
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
	return payword_crl_sign(out, signer);
}
