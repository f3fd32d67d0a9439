/* payword agent: registration, token generation and regeneration (seed 003
 * §3.5 A-D, §4), report checks and fraud detection (§3.1, DESIGN §7). */
#include "pw_fixture.h"

TEST(payword_agent, registration_and_password)
{
	struct pw_world w;
	struct payword_user u;
	struct payword_pw_params pp = pw_fast();
	enum payword_vendor_mode m;
	REQUIRE_OK(pw_world_init(&w));
	CHECK_OK(payword_agent_user_auth(&w.u, "correct horse"));
	CHECK_ERR(payword_agent_user_auth(&w.u, "correct horsE"), OBOL_E_PAYWORD_BAD_PASSWORD);
	CHECK_ERR(payword_agent_user_auth(&w.u, ""), OBOL_E_PAYWORD_BAD_PASSWORD);
	CHECK(strncmp(w.u.pwhash, "$argon2id$", 10) == 0);
	CHECK_ERR(payword_agent_user_new("Bad Name", "correct horse", w.user.pk, &pp, &u), OBOL_E_PAYWORD_USERNAME);
	CHECK_ERR(payword_agent_user_new("bob", "short", w.user.pk, &pp, &u), OBOL_E_PAYWORD_PASSWORD_WEAK);
	CHECK_OK(payword_vendor_mode_parse("generic", &m));
	CHECK_EQ_INT(m, PAYWORD_MODE_GENERIC);
	CHECK_OK(payword_vendor_mode_parse("specific", &m));
	CHECK_EQ_INT(m, PAYWORD_MODE_SPECIFIC);
	CHECK_ERR(payword_vendor_mode_parse("both", &m), OBOL_E_PAYWORD_VENDOR_MODE);
}

static struct payword_buy_params params(struct pw_world *w, uint64_t serial, uint64_t buy)
{
	struct payword_buy_params p;
	memset(&p, 0, sizeof(p));
	p.serial = serial;
	p.buy_tokens = buy;
	p.token_value = w->tv;
	p.now = PW_NOW + 100;
	p.validity = 86400;
	p.grace = 3600;
	return p;
}

TEST(payword_agent, first_purchase_and_top_up_continue_order_numbers)
{
	struct pw_world w;
	struct payword_buy_result r;
	int64_t moved[1];
	REQUIRE_OK(pw_world_init(&w));
	CHECK_EQ_INT(w.cert.vc.first_order, 1);
	CHECK_EQ_INT(w.cert.vc.n, 10);
	/* the wallet spent 1..4 (vendors reported 1..3, 4 is in doubt) */
	w.cert.paid = 3;
	w.cert.max_claimed = 3;
	struct payword_buy_params p = params(&w, 2, 5);
	p.has_pos = true;
	p.pos = 5;
	r.moved = moved;
	REQUIRE_OK(payword_agent_buy(&w.u, &w.cert, 1, &p, w.agent.sk, &r));
	CHECK_EQ_INT(r.vc.first_order, 11);    /* continues the user's order numbers */
	CHECK_EQ_INT(r.carried, 6);             /* 5..10 unspent */
	CHECK_EQ_INT(r.vc.n, 11);
	CHECK_EQ_INT(moved[0], 6);              /* order 4 stays in doubt for the grace */
	CHECK(r.superseded_live && r.live_pos == 5);
	CHECK_EQ_INT(r.cost.units, 5 * w.tv.units);
	CHECK_OK(payword_vcert_verify(&r.vc, w.agent.pk));
	/* the root is that of the derived seed of serial 2 */
	uint8_t seed[32], root[32];
	payword_agent_chain_seed(&w.u, 2, seed);
	obol_hashchain_step(root, seed, r.vc.n);
	CHECK_MEM_EQ(root, r.vc.root, 32);

	/* the old certificate, superseded: its in-doubt token returns only
	 * after the grace, at the next regeneration */
	struct payword_agent_cert certs[2];
	certs[0] = w.cert;
	certs[0].status = PAYWORD_CERT_SUPERSEDED;
	certs[0].ended_at = p.now;
	certs[0].pos = 5;
	certs[0].moved_out = 6;
	memset(&certs[1], 0, sizeof(certs[1]));
	certs[1].vc = r.vc;
	certs[1].status = PAYWORD_CERT_LIVE;
	int64_t moved2[2];
	r.moved = moved2;
	struct payword_buy_params q = params(&w, 3, 1);
	q.has_pos = true;
	q.pos = 11;
	q.now = p.now + 10;
	REQUIRE_OK(payword_agent_buy(&w.u, certs, 2, &q, w.agent.sk, &r));
	CHECK_EQ_INT(moved2[0], 0);
	CHECK_EQ_INT(r.carried, 11);
	q.now = p.now + 3600;
	REQUIRE_OK(payword_agent_buy(&w.u, certs, 2, &q, w.agent.sk, &r));
	CHECK_EQ_INT(moved2[0], 1);
	CHECK_EQ_INT(r.carried, 12);
	CHECK_EQ_INT(r.vc.first_order, 22);
}

TEST(payword_agent, lost_certificate_keeps_exactly_the_unspent_value)
{
	struct pw_world w;
	struct payword_buy_result r;
	int64_t moved[1];
	REQUIRE_OK(pw_world_init(&w));
	w.cert.paid = 4;
	w.cert.max_claimed = 4;
	struct payword_buy_params p = params(&w, 2, 0);
	p.has_pos = false;
	r.moved = moved;
	REQUIRE_OK(payword_agent_buy(&w.u, &w.cert, 1, &p, w.agent.sk, &r));
	CHECK_EQ_INT(r.carried, 6);
	CHECK_EQ_INT(r.vc.n, 6);
	CHECK_EQ_INT(r.cost.units, 0);
	CHECK_EQ_INT(r.live_pos, 5);
	/* a wallet claiming a position below what vendors reported is corrected */
	p.has_pos = true;
	p.pos = 2;
	REQUIRE_OK(payword_agent_buy(&w.u, &w.cert, 1, &p, w.agent.sk, &r));
	CHECK_EQ_INT(r.carried, 6);
	/* nothing to carry and nothing bought */
	w.cert.paid = 10;
	w.cert.max_claimed = 10;
	CHECK_ERR(payword_agent_buy(&w.u, &w.cert, 1, &p, w.agent.sk, &r), OBOL_E_PAYWORD_TOKENS_LOW);
	/* another token value */
	w.cert.paid = 4;
	w.cert.max_claimed = 4;
	p.token_value = pw_eur("EUR:0.02");
	CHECK_ERR(payword_agent_buy(&w.u, &w.cert, 1, &p, w.agent.sk, &r), OBOL_E_PAYWORD_TOKEN_VALUE);
}

TEST(payword_agent, late_claims_become_debt_taken_from_the_next_chain)
{
	struct pw_world w;
	struct payword_buy_result r;
	int64_t moved[1];
	REQUIRE_OK(pw_world_init(&w));
	/* superseded at 5 with 6 moved; then vendors reported 7 tokens */
	w.cert.status = PAYWORD_CERT_SUPERSEDED;
	w.cert.ended_at = PW_NOW;
	w.cert.moved_out = 6;
	w.cert.paid = 7;
	struct payword_buy_params p = params(&w, 2, 0);
	r.moved = moved;
	CHECK_ERR(payword_agent_buy(&w.u, &w.cert, 1, &p, w.agent.sk, &r), OBOL_E_PAYWORD_DEBT);
	p.buy_tokens = 4;
	REQUIRE_OK(payword_agent_buy(&w.u, &w.cert, 1, &p, w.agent.sk, &r));
	CHECK_EQ_INT(moved[0], -3);
	CHECK_EQ_INT(r.vc.n, 1);
	CHECK_EQ_INT(r.cost.units, 4 * w.tv.units);
}

/* --- reports ------------------------------------------------------------ */

/* The agent's view of one serial while tests feed it claims. */
struct ledger_view {
	struct payword_agent_visit visits[16];
	size_t nv;
	struct payword_agent_claim claims[16];
	size_t nc;
	struct payword_reversal rev[16];
	int64_t paid[32]; /* tokens paid per vendor id */
	bool revoked_vendor[32], cert_revoked;
};

/* Applies a verdict the way the shell does. */
static obol_err ingest(struct ledger_view *l, const struct payword_agent_cert *cert, const struct payword_claim *c,
		       int64_t now, struct payword_verdict *v)
{
	v->rev = l->rev;
	obol_err e = payword_agent_claim_check(cert, l->visits, l->nv, l->claims, l->nc, c, now, v);
	if (e != OBOL_OK && e != OBOL_E_PAYWORD_CLAIM_OUTSIDE_VISIT)
		return e;
	if (v->duplicate)
		return e;
	if (v->new_visit)
		l->visits[l->nv++] = (struct payword_agent_visit){ c->commit, now };
	for (size_t i = 0; i < v->nrev; i++) {
		l->claims[v->rev[i].claim].paid_tokens -= v->rev[i].tokens;
		l->paid[v->rev[i].vendor] -= v->rev[i].tokens;
		l->revoked_vendor[v->rev[i].vendor] = true;
	}
	if (v->claimant_fabricated)
		l->revoked_vendor[c->vendor] = true;
	if (v->user_double_spend)
		l->cert_revoked = true;
	if (e == OBOL_OK) {
		struct payword_agent_claim *s = &l->claims[l->nc++];
		memset(s, 0, sizeof(*s));
		s->vendor = c->vendor;
		s->visit_start = c->commit.start;
		s->from = v->from;
		s->to = s->order = v->to;
		memcpy(s->token, c->token, 32);
		s->auth = c->auth;
		s->paid_tokens = v->pay_tokens;
		s->received = now;
		l->paid[c->vendor] += v->pay_tokens;
	}
	return e;
}

/* A claim for tokens [start.. order] of a visit at vendor, committed at t. */
static struct payword_claim mkclaim(struct pw_world *w, uint64_t vendor, uint64_t start, int64_t t, uint64_t order,
				    uint64_t ntokens)
{
	struct payword_claim c;
	memset(&c, 0, sizeof(c));
	c.vendor = vendor;
	c.commit = (struct payword_commit){ .serial = 1, .vendor = vendor, .start = start, .time = t };
	payword_commit_sign(&c.commit, w->user.sk);
	c.order = order;
	if (payword_chain_token(&w->cert.vc, w->w.uc.seed, order, c.token) != OBOL_OK)
		memset(c.token, 0, 32);
	if (obol_amount_mul(&c.value, &w->tv, ntokens) != OBOL_OK)
		c.value.units = 0;
	c.auth = (int64_t)(1000 + order);
	strcpy(c.product, "article-1");
	return c;
}

TEST(payword_agent, honest_reports_paid_once)
{
	struct pw_world w;
	struct ledger_view l = { 0 };
	struct payword_verdict v;
	REQUIRE_OK(pw_world_init(&w));
	struct payword_claim a1 = mkclaim(&w, PW_A, 1, PW_NOW, 2, 2);
	CHECK_OK(ingest(&l, &w.cert, &a1, PW_NOW + 1, &v));
	CHECK(v.new_visit && v.pay_tokens == 2 && v.from == 1 && v.to == 2);
	/* the same report again (lost reply): a duplicate, nothing paid */
	CHECK_OK(ingest(&l, &w.cert, &a1, PW_NOW + 2, &v));
	CHECK(v.duplicate);
	CHECK_EQ_INT(l.paid[PW_A], 2);
	/* next purchase in the same visit */
	struct payword_claim a2 = mkclaim(&w, PW_A, 1, PW_NOW, 3, 1);
	CHECK_OK(ingest(&l, &w.cert, &a2, PW_NOW + 3, &v));
	CHECK(!v.new_visit && v.from == 3 && v.pay_tokens == 1);
	/* B's visit */
	struct payword_claim b = mkclaim(&w, PW_B, 4, PW_NOW + 10, 6, 3);
	CHECK_OK(ingest(&l, &w.cert, &b, PW_NOW + 11, &v));
	CHECK(!v.user_double_spend && v.nrev == 0);
	CHECK_EQ_INT(l.paid[PW_B], 3);
	CHECK(!l.revoked_vendor[PW_A] && !l.revoked_vendor[PW_B] && !l.cert_revoked);
}

TEST(payword_agent, refused_reports_change_nothing)
{
	struct pw_world w;
	struct ledger_view l = { 0 };
	struct payword_verdict v;
	REQUIRE_OK(pw_world_init(&w));
	struct payword_claim c = mkclaim(&w, PW_A, 1, PW_NOW, 2, 2);
	struct payword_claim d = c;
	d.vendor = PW_B; /* B presents A's visit */
	CHECK_ERR(ingest(&l, &w.cert, &d, PW_NOW, &v), OBOL_E_PAYWORD_COMMITMENT_INVALID);
	d = c;
	d.commit.sig[0] ^= 1;
	CHECK_ERR(ingest(&l, &w.cert, &d, PW_NOW, &v), OBOL_E_PAYWORD_COMMITMENT_INVALID);
	d = c;
	d.token[0] ^= 1;
	CHECK_ERR(ingest(&l, &w.cert, &d, PW_NOW, &v), OBOL_E_PAYWORD_TOKEN_INVALID);
	d = c;
	d.value = pw_eur("EUR:0.03");
	CHECK_ERR(ingest(&l, &w.cert, &d, PW_NOW, &v), OBOL_E_PAYWORD_VALUE_MISMATCH);
	d = c;
	d.value = pw_eur("USD:0.02");
	CHECK_ERR(ingest(&l, &w.cert, &d, PW_NOW, &v), OBOL_E_PAYWORD_TOKEN_VALUE);
	CHECK_EQ_INT(l.nv, 0);
	CHECK_EQ_INT(l.nc, 0);
	CHECK_OK(ingest(&l, &w.cert, &c, PW_NOW, &v));
	/* the same order claimed again with other content */
	d = c;
	d.auth = 5;
	CHECK_ERR(ingest(&l, &w.cert, &d, PW_NOW, &v), OBOL_E_PAYWORD_CLAIM_REPLAYED);
	/* a lower order after a higher one in the same visit */
	d = mkclaim(&w, PW_A, 1, PW_NOW, 1, 1);
	CHECK_ERR(ingest(&l, &w.cert, &d, PW_NOW, &v), OBOL_E_PAYWORD_CLAIM_REPLAYED);
	CHECK_EQ_INT(l.paid[PW_A], 2);
	CHECK_EQ_INT(l.nc, 1);
}

TEST(payword_agent, ended_certificate_honoured_only_for_earlier_visits)
{
	struct pw_world w;
	struct ledger_view l = { 0 };
	struct payword_verdict v;
	REQUIRE_OK(pw_world_init(&w));
	w.cert.status = PAYWORD_CERT_SUPERSEDED;
	w.cert.ended_at = PW_NOW + 50;
	struct payword_claim late = mkclaim(&w, PW_A, 1, PW_NOW + 10, 1, 1);
	CHECK_OK(ingest(&l, &w.cert, &late, PW_NOW + 100, &v));
	struct payword_claim after = mkclaim(&w, PW_B, 2, PW_NOW + 50, 2, 1);
	CHECK_ERR(ingest(&l, &w.cert, &after, PW_NOW + 100, &v), OBOL_E_PAYWORD_CERT_REVOKED);
}

TEST(payword_agent, specific_chain_claimed_by_another_vendor)
{
	struct pw_world w;
	struct ledger_view l = { 0 };
	struct payword_verdict v;
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(pw_issue(&w, 1, PW_S, 10));
	struct payword_claim c = mkclaim(&w, PW_A, 1, PW_NOW, 1, 1);
	CHECK_ERR(ingest(&l, &w.cert, &c, PW_NOW, &v), OBOL_E_PAYWORD_WRONG_VENDOR);
	c = mkclaim(&w, PW_S, 1, PW_NOW, 1, 1);
	CHECK_OK(ingest(&l, &w.cert, &c, PW_NOW, &v));
}

/* Seed §3.1's vendor fraud: the user sends token 1 to A, 2 to B, 3 to A;
 * A derives token 2 from 3 and claims it. */
TEST(payword_agent, vendor_fabrication_of_a_derived_token)
{
	struct pw_world w;
	struct ledger_view l = { 0 };
	struct payword_verdict v;
	REQUIRE_OK(pw_world_init(&w));
	struct payword_claim a1 = mkclaim(&w, PW_A, 1, PW_NOW, 1, 1);
	struct payword_claim b = mkclaim(&w, PW_B, 2, PW_NOW + 10, 2, 1);
	struct payword_claim a3 = mkclaim(&w, PW_A, 3, PW_NOW + 20, 3, 1);
	CHECK_OK(ingest(&l, &w.cert, &a1, PW_NOW + 1, &v));
	CHECK_OK(ingest(&l, &w.cert, &b, PW_NOW + 11, &v));
	CHECK_OK(ingest(&l, &w.cert, &a3, PW_NOW + 21, &v));
	/* A claims token 2 inside its first visit: past the start of B's */
	struct payword_claim fake = mkclaim(&w, PW_A, 1, PW_NOW, 2, 1);
	CHECK_ERR(ingest(&l, &w.cert, &fake, PW_NOW + 30, &v), OBOL_E_PAYWORD_CLAIM_OUTSIDE_VISIT);
	CHECK(v.claimant_fabricated && !v.user_double_spend);
	CHECK(l.revoked_vendor[PW_A] && !l.revoked_vendor[PW_B] && !l.cert_revoked);
	CHECK_EQ_INT(l.paid[PW_A], 2);
	CHECK_EQ_INT(l.paid[PW_B], 1);
	/* A claims token 2 inside its second visit: below that visit's start */
	struct ledger_view l2 = l;
	l2.revoked_vendor[PW_A] = false;
	struct payword_claim below = mkclaim(&w, PW_A, 3, PW_NOW + 20, 2, 1);
	CHECK_ERR(ingest(&l2, &w.cert, &below, PW_NOW + 30, &v), OBOL_E_PAYWORD_CLAIM_OUTSIDE_VISIT);
	CHECK(l2.revoked_vendor[PW_A]);
}

/* The same fraud when B reports in batch mode after A's fabricated claim:
 * the claim is paid at first, then reversed when B's visit arrives. */
TEST(payword_agent, vendor_fabrication_found_when_the_cut_visit_arrives)
{
	struct pw_world w;
	struct ledger_view l = { 0 };
	struct payword_verdict v;
	REQUIRE_OK(pw_world_init(&w));
	struct payword_claim a1 = mkclaim(&w, PW_A, 1, PW_NOW, 1, 1);
	struct payword_claim a3 = mkclaim(&w, PW_A, 3, PW_NOW + 20, 3, 1);
	struct payword_claim fake = mkclaim(&w, PW_A, 1, PW_NOW, 2, 1);
	struct payword_claim b = mkclaim(&w, PW_B, 2, PW_NOW + 10, 2, 1);
	CHECK_OK(ingest(&l, &w.cert, &a1, PW_NOW + 1, &v));
	CHECK_OK(ingest(&l, &w.cert, &a3, PW_NOW + 21, &v));
	CHECK_OK(ingest(&l, &w.cert, &fake, PW_NOW + 22, &v));
	CHECK_EQ_INT(l.paid[PW_A], 3);
	CHECK_OK(ingest(&l, &w.cert, &b, PW_NOW + 600, &v));
	CHECK_EQ_INT(v.nrev, 1);
	CHECK(!v.user_double_spend);
	CHECK_EQ_INT(l.paid[PW_A], 2);
	CHECK_EQ_INT(l.paid[PW_B], 1);
	CHECK(l.revoked_vendor[PW_A] && !l.revoked_vendor[PW_B] && !l.cert_revoked);
}

/* The user gives tokens 1..2 to A (reported at once), then commits a visit
 * at B starting at 2: two signed visits cover token 2. */
TEST(payword_agent, user_double_spend_by_overlapping_commitments)
{
	struct pw_world w;
	struct ledger_view l = { 0 };
	struct payword_verdict v;
	REQUIRE_OK(pw_world_init(&w));
	struct payword_claim a = mkclaim(&w, PW_A, 1, PW_NOW, 2, 2);
	struct payword_claim b = mkclaim(&w, PW_B, 2, PW_NOW + 10, 2, 1);
	CHECK_OK(ingest(&l, &w.cert, &a, PW_NOW + 1, &v));
	CHECK_OK(ingest(&l, &w.cert, &b, PW_NOW + 11, &v));
	CHECK(v.user_double_spend && v.nrev == 0 && v.conflict_visit == 0);
	CHECK(l.cert_revoked && !l.revoked_vendor[PW_A] && !l.revoked_vendor[PW_B]);
	/* both vendors accepted in good faith: both are paid */
	CHECK_EQ_INT(l.paid[PW_A], 2);
	CHECK_EQ_INT(l.paid[PW_B], 1);

	/* two visits with one start */
	struct ledger_view l2 = { 0 };
	struct payword_claim a0 = mkclaim(&w, PW_A, 1, PW_NOW, 1, 1);
	struct payword_claim b0 = mkclaim(&w, PW_B, 1, PW_NOW + 10, 1, 1);
	CHECK_OK(ingest(&l2, &w.cert, &a0, PW_NOW + 1, &v));
	CHECK_OK(ingest(&l2, &w.cert, &b0, PW_NOW + 11, &v));
	CHECK(v.user_double_spend && l2.cert_revoked);
	/* starts and times in opposite orders: no honest wallet signs that */
	struct ledger_view l3 = { 0 };
	struct payword_claim x = mkclaim(&w, PW_A, 5, PW_NOW, 5, 1);
	struct payword_claim y = mkclaim(&w, PW_B, 7, PW_NOW - 10, 7, 1);
	CHECK_OK(ingest(&l3, &w.cert, &x, PW_NOW + 1, &v));
	CHECK_OK(ingest(&l3, &w.cert, &y, PW_NOW + 2, &v));
	CHECK(v.user_double_spend && l3.cert_revoked);
}

/* A modified wallet gives 1..2 to A, commits a visit at B from 3 and spends
 * 3..5 there, then goes on with A's first visit and pays it 3..6 with token
 * 6. A never saw another visit, so it could not have derived 3..5: the user
 * spent them twice, not A. Both vendors accepted in good faith. */
TEST(payword_agent, user_continuing_a_stale_visit_is_the_culprit)
{
	struct pw_world w;
	struct ledger_view l = { 0 };
	struct payword_verdict v;
	REQUIRE_OK(pw_world_init(&w));
	struct payword_claim a = mkclaim(&w, PW_A, 1, PW_NOW, 2, 2);
	struct payword_claim b = mkclaim(&w, PW_B, 3, PW_NOW + 10, 5, 3);
	struct payword_claim a2 = mkclaim(&w, PW_A, 1, PW_NOW, 6, 4);
	CHECK_OK(ingest(&l, &w.cert, &a, PW_NOW + 1, &v));
	CHECK_OK(ingest(&l, &w.cert, &b, PW_NOW + 11, &v));
	CHECK_OK(ingest(&l, &w.cert, &a2, PW_NOW + 20, &v));
	CHECK(v.user_double_spend && !v.claimant_fabricated && v.nrev == 0);
	CHECK(l.cert_revoked && !l.revoked_vendor[PW_A] && !l.revoked_vendor[PW_B]);
	CHECK_EQ_INT(l.paid[PW_A], 6);
	CHECK_EQ_INT(l.paid[PW_B], 3);

	/* the same with B reporting late: A's claim is judged when B's visit
	 * arrives, with the same outcome */
	struct ledger_view l2 = { 0 };
	CHECK_OK(ingest(&l2, &w.cert, &a, PW_NOW + 1, &v));
	CHECK_OK(ingest(&l2, &w.cert, &a2, PW_NOW + 20, &v));
	CHECK_OK(ingest(&l2, &w.cert, &b, PW_NOW + 600, &v));
	CHECK(v.user_double_spend && v.nrev == 0);
	CHECK(l2.cert_revoked && !l2.revoked_vendor[PW_A]);
}
