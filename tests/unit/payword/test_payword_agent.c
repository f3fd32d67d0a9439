/* payword agent: registration, token generation and regeneration (seed 003
 * §3.5 A-D, §4), report judgement and fraud evidence (§3.1, DESIGN §7;
 * issue 13 cases 1-4, 11). */
#include "pw_fixture.h"

TEST(payword_agent, registration_and_password)
{
	struct pw_world w;
	struct payword_user u, decoy;
	struct payword_pw_params pp = pw_fast();
	struct payword_account_view acc = { .user_kind = true, .active = true };
	enum payword_vendor_mode m;
	REQUIRE_OK(pw_world_init(&w));
	CHECK_OK(payword_agent_login(&w.u, NULL, "correct horse"));
	CHECK_ERR(payword_agent_login(&w.u, NULL, "correct horsE"), OBOL_E_PAYWORD_BAD_PASSWORD);
	CHECK_ERR(payword_agent_login(&w.u, NULL, ""), OBOL_E_PAYWORD_BAD_PASSWORD);
	CHECK(strncmp(w.u.pwhash, "$argon2id$", 10) == 0);
	CHECK(memcmp(w.u.user_pk, w.user.pk, 32) == 0); /* the key is the account's */
	/* an unknown user is checked against the decoy, and refused even with its password */
	REQUIRE_OK(payword_agent_user_new(&acc, "decoy", "decoy password", &pp, &decoy));
	CHECK_ERR(payword_agent_login(NULL, &decoy, "decoy password"), OBOL_E_PAYWORD_BAD_PASSWORD);
	CHECK_ERR(payword_agent_user_new(&acc, "Bad Name", "correct horse", &pp, &u), OBOL_E_PAYWORD_USERNAME);
	CHECK_ERR(payword_agent_user_new(&acc, "bob", "short", &pp, &u), OBOL_E_PAYWORD_PASSWORD_WEAK);
	/* case 8: only an active user account the operator opened, once */
	acc.has_payword_user = true;
	CHECK_ERR(payword_agent_user_new(&acc, "bob", "correct horse", &pp, &u), OBOL_E_PAYWORD_USER_EXISTS);
	acc.has_payword_user = false;
	acc.user_kind = false;
	CHECK_ERR(payword_agent_user_new(&acc, "bob", "correct horse", &pp, &u), OBOL_E_AUTH_FAILED);
	acc.user_kind = true;
	acc.active = false;
	CHECK_ERR(payword_agent_user_new(&acc, "bob", "correct horse", &pp, &u), OBOL_E_AUTH_FAILED);
	CHECK_OK(payword_vendor_mode_parse("generic", &m));
	CHECK_EQ_INT(m, PAYWORD_MODE_GENERIC);
	CHECK_OK(payword_vendor_mode_parse("specific", &m));
	CHECK_EQ_INT(m, PAYWORD_MODE_SPECIFIC);
	CHECK_ERR(payword_vendor_mode_parse("both", &m), OBOL_E_PAYWORD_VENDOR_MODE);
}

/* Case 3: the grace covers the longest batch interval a vendor registers. */
TEST(payword_agent, vendor_registration_once_and_within_the_grace)
{
	struct payword_agent_vendor none = { 0 }, cur;
	struct payword_vendor_register_effect eff;
	CHECK_OK(payword_agent_vendor_register(&none, PAYWORD_MODE_GENERIC, 600, 3600, PW_NOW, &eff));
	CHECK(eff.store && eff.next.registered && eff.next.batch_interval == 600);
	cur = eff.next;
	CHECK_ERR(payword_agent_vendor_register(&none, PAYWORD_MODE_GENERIC, 3601, 3600, PW_NOW, &eff),
		  OBOL_E_PAYWORD_BATCH_INTERVAL);
	CHECK_ERR(payword_agent_vendor_register(&cur, PAYWORD_MODE_SPECIFIC, 0, 3600, PW_NOW, &eff),
		  OBOL_E_PAYWORD_VENDOR_MODE);
	CHECK_OK(payword_agent_vendor_register(&cur, PAYWORD_MODE_GENERIC, 600, 3600, PW_NOW, &eff));
	CHECK(!eff.store); /* the same registration again */
	CHECK_OK(payword_agent_vendor_register(&cur, PAYWORD_MODE_GENERIC, 0, 3600, PW_NOW, &eff));
	CHECK(eff.store && eff.next.batch_interval == 0);
	cur.revoked = PW_NOW;
	CHECK_ERR(payword_agent_vendor_register(&cur, PAYWORD_MODE_GENERIC, 0, 3600, PW_NOW, &eff),
		  OBOL_E_PAYWORD_VENDOR_REVOKED);
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

/* The wallet's signed position at `next`. */
static struct payword_position position(struct pw_world *w, uint64_t next)
{
	struct payword_position pos = { .serial = w->cert.vc.serial, .next = next };
	payword_position_sign(&pos, w->user.sk);
	return pos;
}

TEST(payword_agent, top_up_moves_tokens_from_the_signed_position)
{
	struct pw_world w;
	struct payword_buy_effect r;
	int64_t moved[2];
	REQUIRE_OK(pw_world_init(&w));
	CHECK_EQ_INT(w.cert.vc.first_order, 1);
	CHECK_EQ_INT(w.cert.vc.n, 10);
	/* the wallet spent 1..4 (vendors reported 1..3, 4 is in doubt) */
	w.cert.paid = 3;
	w.cert.max_claimed = 3;
	struct payword_buy_params p = params(&w, 2, 5);
	p.has_position = true;
	p.position = position(&w, 5);
	r.moved = moved;
	REQUIRE_OK(payword_agent_buy(&w.u, &w.cert, 1, &p, &w.agent_sg, &r));
	CHECK(r.issued);
	CHECK_EQ_INT(r.vc.first_order, 11); /* continues the user's order numbers */
	CHECK_EQ_INT(r.carried, 6);          /* 5..10 were never signed for */
	CHECK_EQ_INT(r.vc.n, 11);
	CHECK_EQ_INT(moved[0], 6);
	CHECK_EQ_INT(r.held, 1); /* order 4 waits for a late report */
	CHECK_EQ_INT(r.held_until, p.now + 3600);
	CHECK(r.superseded_live && r.live_pos == 5 && r.live_pos_signed);
	CHECK_EQ_INT(r.cost.units, 5 * w.tv.units);
	CHECK_OK(payword_vcert_verify(&r.vc, w.agent.pk));
	uint8_t seed[32], root[32];
	payword_agent_chain_seed(&w.u, 2, seed);
	obol_hashchain_step(root, seed, r.vc.n);
	CHECK_MEM_EQ(root, r.vc.root, 32);

	/* the old certificate, superseded: its held token returns only after
	 * the grace, at the next regeneration */
	struct payword_agent_cert certs[2];
	certs[0] = w.cert;
	certs[0].status = PAYWORD_CERT_SUPERSEDED;
	certs[0].ended_at = p.now;
	certs[0].pos = 5;
	certs[0].moved_out = 6;
	memset(&certs[1], 0, sizeof(certs[1]));
	certs[1].vc = r.vc;
	certs[1].status = PAYWORD_CERT_LIVE;
	struct payword_buy_params q = params(&w, 3, 1);
	q.has_position = true;
	q.position = (struct payword_position){ .serial = 2, .next = 11 };
	payword_position_sign(&q.position, w.user.sk);
	q.now = p.now + 10;
	REQUIRE_OK(payword_agent_buy(&w.u, certs, 2, &q, &w.agent_sg, &r));
	CHECK_EQ_INT(moved[0], 0);
	CHECK_EQ_INT(r.carried, 11);
	CHECK_EQ_INT(r.held, 1);
	q.now = p.now + 3600;
	REQUIRE_OK(payword_agent_buy(&w.u, certs, 2, &q, &w.agent_sg, &r));
	CHECK_EQ_INT(moved[0], 1);
	CHECK_EQ_INT(r.carried, 12);
	CHECK_EQ_INT(r.held, 0);
	CHECK_EQ_INT(r.vc.first_order, 22);
}

TEST(payword_agent, a_position_must_be_the_users_for_the_live_certificate)
{
	struct pw_world w;
	struct payword_buy_effect r;
	int64_t moved[1];
	struct obol_sign_keypair mallory;
	REQUIRE_OK(pw_world_init(&w));
	r.moved = moved;
	struct payword_buy_params p = params(&w, 2, 1);
	p.has_position = true;
	p.position = position(&w, 5);
	p.position.sig[0] ^= 1;
	CHECK_ERR(payword_agent_buy(&w.u, &w.cert, 1, &p, &w.agent_sg, &r), OBOL_E_PAYWORD_POSITION_INVALID);
	obol_sign_keypair_new(&mallory);
	p.position = (struct payword_position){ .serial = 1, .next = 5 };
	payword_position_sign(&p.position, mallory.sk);
	CHECK_ERR(payword_agent_buy(&w.u, &w.cert, 1, &p, &w.agent_sg, &r), OBOL_E_PAYWORD_POSITION_INVALID);
	p.position = (struct payword_position){ .serial = 7, .next = 5 };
	payword_position_sign(&p.position, w.user.sk);
	CHECK_ERR(payword_agent_buy(&w.u, &w.cert, 1, &p, &w.agent_sg, &r), OBOL_E_PAYWORD_POSITION_INVALID);
	p.position = position(&w, 12); /* past the chain */
	CHECK_ERR(payword_agent_buy(&w.u, &w.cert, 1, &p, &w.agent_sg, &r), OBOL_E_PAYWORD_POSITION_INVALID);
}

/* Case 3: with --lost nothing is known of the batch vendor that holds 3..5
 * unreported; every unreported token waits the grace, none is carried. */
TEST(payword_agent, lost_certificate_holds_every_unreported_token)
{
	struct pw_world w;
	struct payword_buy_effect r;
	int64_t moved[1];
	REQUIRE_OK(pw_world_init(&w));
	w.cert.paid = 2;
	w.cert.max_claimed = 2;
	struct payword_buy_params p = params(&w, 2, 0);
	r.moved = moved;
	REQUIRE_OK(payword_agent_buy(&w.u, &w.cert, 1, &p, &w.agent_sg, &r));
	CHECK_EQ_INT(moved[0], 0);
	CHECK_EQ_INT(r.carried, 0);
	CHECK(!r.issued); /* nothing to carry yet, nothing bought: the lost chain only ends */
	CHECK(r.superseded_live && r.live_pos == 11 && !r.live_pos_signed);
	CHECK_EQ_INT(r.held, 8);
	CHECK_EQ_INT(r.held_until, p.now + 3600);
	CHECK_EQ_INT(r.cost.units, 0);
	/* with tokens bought: a chain of the bought ones only */
	p.buy_tokens = 4;
	REQUIRE_OK(payword_agent_buy(&w.u, &w.cert, 1, &p, &w.agent_sg, &r));
	CHECK(r.issued);
	CHECK_EQ_INT(r.vc.n, 4);
	/* a position at or below an order a vendor reported is suspicious: the same */
	p.buy_tokens = 0;
	p.has_position = true;
	p.position = position(&w, 2);
	REQUIRE_OK(payword_agent_buy(&w.u, &w.cert, 1, &p, &w.agent_sg, &r));
	CHECK_EQ_INT(moved[0], 0);
	CHECK(!r.live_pos_signed && r.held == 8);
	/* the batch vendor reports 3..5 within the grace; after it, 6..10 return */
	struct payword_agent_cert ended = w.cert;
	ended.status = PAYWORD_CERT_SUPERSEDED;
	ended.ended_at = p.now;
	ended.pos = 11;
	ended.paid = 5;
	ended.max_claimed = 5;
	struct payword_buy_params q = params(&w, 3, 0);
	q.now = p.now + 3600;
	REQUIRE_OK(payword_agent_buy(&w.u, &ended, 1, &q, &w.agent_sg, &r));
	CHECK(r.issued);
	CHECK_EQ_INT(r.carried, 5);
	CHECK_EQ_INT(r.vc.n, 5);
	/* nothing to carry, hold or buy */
	ended.paid = 10;
	CHECK_ERR(payword_agent_buy(&w.u, &ended, 1, &q, &w.agent_sg, &r), OBOL_E_PAYWORD_TOKENS_LOW);
	/* another token value */
	ended.paid = 5;
	q.token_value = pw_eur("EUR:0.02");
	CHECK_ERR(payword_agent_buy(&w.u, &ended, 1, &q, &w.agent_sg, &r), OBOL_E_PAYWORD_TOKEN_VALUE);
}

TEST(payword_agent, debts_are_taken_from_the_next_chain)
{
	struct pw_world w;
	struct payword_buy_effect r;
	int64_t moved[1];
	REQUIRE_OK(pw_world_init(&w));
	/* 2 tokens of late claims held as debt; nothing carried */
	w.cert.status = PAYWORD_CERT_SUPERSEDED;
	w.cert.ended_at = PW_NOW;
	w.cert.moved_out = 10;
	struct payword_buy_params p = params(&w, 2, 0);
	p.debt_tokens = 2;
	r.moved = moved;
	CHECK_ERR(payword_agent_buy(&w.u, &w.cert, 1, &p, &w.agent_sg, &r), OBOL_E_PAYWORD_DEBT);
	p.buy_tokens = 2;
	CHECK_ERR(payword_agent_buy(&w.u, &w.cert, 1, &p, &w.agent_sg, &r), OBOL_E_PAYWORD_DEBT);
	p.buy_tokens = 5;
	REQUIRE_OK(payword_agent_buy(&w.u, &w.cert, 1, &p, &w.agent_sg, &r));
	CHECK_EQ_INT(r.debt_paid, 2);
	CHECK_EQ_INT(r.vc.n, 3);
	CHECK_EQ_INT(r.cost.units, 5 * w.tv.units);
	/* paying a held claim: covered and paid grow together */
	struct payword_agent_claim cl = { .held_tokens = 2, .hold = PAYWORD_HOLD_DEBT, .paid_tokens = 1 };
	int64_t before = payword_agent_cert_balance(&w.cert);
	payword_agent_debt_paid(&cl, &w.cert);
	CHECK(cl.paid_tokens == 3 && cl.held_tokens == 0 && cl.hold == PAYWORD_HOLD_NONE);
	CHECK_EQ_INT(payword_agent_cert_balance(&w.cert), before);
	/* a negative balance (a proven double spend) is carried as debt too */
	w.cert.covered = 0;
	w.cert.paid = 3;
	p.debt_tokens = 0;
	p.buy_tokens = 2;
	CHECK_ERR(payword_agent_buy(&w.u, &w.cert, 1, &p, &w.agent_sg, &r), OBOL_E_PAYWORD_DEBT);
	p.buy_tokens = 4;
	REQUIRE_OK(payword_agent_buy(&w.u, &w.cert, 1, &p, &w.agent_sg, &r));
	CHECK_EQ_INT(moved[0], -3);
	CHECK_EQ_INT(r.vc.n, 1);
}

/* --- reports ------------------------------------------------------------ */

/* The agent's view of one certificate while tests feed it reports, applied
 * the way the shell applies the core's effects. */
struct lv {
	struct payword_agent_cert cert;
	struct payword_agent_claim claims[32];
	size_t nc;
	struct payword_agent_vendor vendor;
	int64_t paid[32];    /* tokens paid per vendor id */
	int64_t user_tokens; /* the user's account, in tokens */
	bool user_revoked;
	int64_t grace, now;
	struct payword_claim_effect last;
};

static void lv_init(struct lv *l, const struct pw_world *w)
{
	memset(l, 0, sizeof(*l));
	l->cert = w->cert;
	l->vendor = (struct payword_agent_vendor){ .registered = true, .mode = PAYWORD_MODE_GENERIC };
	l->grace = 3600;
	l->now = PW_NOW;
}

/* The certificate ended at `ended` at position pos (signed by the user or
 * not), with `moved` tokens of value moved out of it. */
static void lv_ended(struct lv *l, struct pw_world *w, int64_t ended, uint64_t pos, bool pos_signed, int64_t moved)
{
	l->cert.status = PAYWORD_CERT_SUPERSEDED;
	l->cert.ended_at = ended;
	l->cert.pos = pos;
	l->cert.pos_signed = pos_signed;
	l->cert.position = (struct payword_position){ .serial = w->cert.vc.serial, .next = pos };
	payword_position_sign(&l->cert.position, w->user.sk);
	l->cert.moved_out = moved;
}

static obol_err report(struct lv *l, const struct payword_claim *c)
{
	const struct payword_agent_claim *near = NULL;
	struct payword_agent_claim ov[32];
	size_t n = 0;
	obol_err e;
	for (size_t i = 0; i < l->nc; i++) {
		if (l->claims[i].to < c->range.to && (near == NULL || l->claims[i].to > near->to))
			near = &l->claims[i];
		if (payword_range_overlap(l->claims[i].from, l->claims[i].to, c->range.from, c->range.to))
			ov[n++] = l->claims[i];
	}
	if ((e = payword_agent_claim_verify(&l->cert.vc, near, c)) != OBOL_OK)
		return e;
	struct payword_claim_state st = { .cert = &l->cert, .vendor = &l->vendor, .claims = ov, .nclaims = n,
					  .user_tokens = l->user_tokens, .user_revoked = l->user_revoked,
					  .grace = l->grace, .now = l->now };
	if ((e = payword_agent_claim_apply(&st, c, &l->last)) != OBOL_OK || l->last.duplicate)
		return e;
	l->user_tokens -= l->last.cover_tokens;
	l->paid[c->vendor] += l->last.pay_tokens;
	l->cert = l->last.next;
	l->claims[l->nc++] = l->last.store;
	if (l->last.revoke_user) {
		l->user_revoked = true;
		if (l->cert.status == PAYWORD_CERT_LIVE) {
			l->cert.status = PAYWORD_CERT_REVOKED;
			l->cert.ended_at = l->now;
		}
	}
	return OBOL_OK;
}

TEST(payword_agent, honest_reports_paid_once_in_any_order)
{
	struct pw_world w;
	struct lv l;
	REQUIRE_OK(pw_world_init(&w));
	lv_init(&l, &w);
	struct payword_claim a1 = pw_claim(&w, PW_A, 1, 2), a2 = pw_claim(&w, PW_A, 3, 3), b = pw_claim(&w, PW_B, 4, 6);
	CHECK_OK(report(&l, &a1));
	CHECK(l.last.pay_tokens == 2 && !l.last.revoke_user && strcmp(l.last.verdict, "ok") == 0);
	/* the same report again (lost reply): a duplicate, nothing paid */
	CHECK_OK(report(&l, &a1));
	CHECK(l.last.duplicate);
	CHECK_OK(report(&l, &a2));
	CHECK_OK(report(&l, &b));
	CHECK_EQ_INT(l.paid[PW_A], 3);
	CHECK_EQ_INT(l.paid[PW_B], 3);
	CHECK_EQ_INT(payword_agent_cert_balance(&l.cert), 4);
	CHECK(!l.user_revoked);
}

/* Case 4: a report that reaches the agent before the one it follows (the
 * outbox retried the first after sending the second): each carries its own
 * signed range, so both are paid. */
TEST(payword_agent, a_report_before_the_one_it_follows_is_paid)
{
	struct pw_world w;
	struct lv l;
	REQUIRE_OK(pw_world_init(&w));
	lv_init(&l, &w);
	struct payword_claim r1 = pw_claim(&w, PW_A, 1, 2), r2 = pw_claim(&w, PW_A, 3, 3);
	CHECK_OK(report(&l, &r2));
	CHECK_OK(report(&l, &r1));
	CHECK_EQ_INT(l.paid[PW_A], 3);
	CHECK_EQ_INT(payword_agent_cert_balance(&l.cert), 7);
}

TEST(payword_agent, refused_reports_change_nothing)
{
	struct pw_world w;
	struct lv l;
	struct obol_sign_keypair mallory;
	REQUIRE_OK(pw_world_init(&w));
	lv_init(&l, &w);
	struct payword_claim c = pw_claim(&w, PW_A, 1, 2), d;
	/* B presents A's range: signed for another vendor */
	d = c;
	d.vendor = PW_B;
	d.range.vendor = PW_B;
	CHECK_ERR(report(&l, &d), OBOL_E_PAYWORD_RANGE_INVALID);
	d = c;
	d.range.sig[0] ^= 1;
	CHECK_ERR(report(&l, &d), OBOL_E_PAYWORD_RANGE_INVALID);
	obol_sign_keypair_new(&mallory);
	d = c;
	payword_range_sign(&d.range, mallory.sk);
	CHECK_ERR(report(&l, &d), OBOL_E_PAYWORD_RANGE_INVALID);
	d = c;
	d.token[0] ^= 1;
	CHECK_ERR(report(&l, &d), OBOL_E_PAYWORD_TOKEN_INVALID);
	d = c;
	d.value = pw_eur("EUR:0.03");
	CHECK_ERR(report(&l, &d), OBOL_E_PAYWORD_VALUE_MISMATCH);
	d = c;
	d.value = pw_eur("USD:0.02");
	CHECK_ERR(report(&l, &d), OBOL_E_PAYWORD_TOKEN_VALUE);
	d = pw_claim(&w, PW_A, 1, 11);
	CHECK_ERR(report(&l, &d), OBOL_E_PAYWORD_ORDER_RANGE);
	CHECK_EQ_INT(l.nc, 0);
	CHECK_OK(report(&l, &c));
	/* the same orders claimed again with other content, or a range sharing one */
	d = c;
	d.auth = 5;
	CHECK_ERR(report(&l, &d), OBOL_E_PAYWORD_CLAIM_REPLAYED);
	d = pw_claim(&w, PW_A, 2, 3);
	CHECK_ERR(report(&l, &d), OBOL_E_PAYWORD_CLAIM_REPLAYED);
	/* a vendor not (yet) registered: retryable; a revoked one: refused */
	d = pw_claim(&w, PW_A, 3, 3);
	l.vendor.registered = false;
	CHECK_ERR(report(&l, &d), OBOL_E_PAYWORD_VENDOR_NOT_REGISTERED);
	l.vendor.registered = true;
	l.vendor.revoked = PW_NOW;
	CHECK_ERR(report(&l, &d), OBOL_E_PAYWORD_VENDOR_REVOKED);
	CHECK_EQ_INT(l.paid[PW_A], 2);
	CHECK_EQ_INT(l.nc, 1);
}

TEST(payword_agent, specific_chain_claimed_by_another_vendor)
{
	struct pw_world w;
	struct lv l;
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(pw_issue(&w, 1, PW_S, 10));
	lv_init(&l, &w);
	struct payword_claim c = pw_claim(&w, PW_A, 1, 1);
	CHECK_ERR(report(&l, &c), OBOL_E_PAYWORD_WRONG_VENDOR);
	c = pw_claim(&w, PW_S, 1, 1);
	CHECK_OK(report(&l, &c));
}

/* Seed §3.1's vendor fraud: the user pays token 1 to A, 2 to B, 3 to A; A
 * derives token 2 from 3. It holds no range of the user's that covers 2: its
 * claim does not verify, whatever range it puts it in (the shell keeps the
 * vendor's signed request as evidence of the fabrication). */
TEST(payword_agent, vendor_fabrication_has_no_signed_range)
{
	struct pw_world w;
	struct lv l;
	REQUIRE_OK(pw_world_init(&w));
	lv_init(&l, &w);
	struct payword_claim a1 = pw_claim(&w, PW_A, 1, 1), b = pw_claim(&w, PW_B, 2, 2), a3 = pw_claim(&w, PW_A, 3, 3);
	CHECK_OK(report(&l, &a1));
	CHECK_OK(report(&l, &a3));
	struct payword_claim fake = a1;
	fake.range.to = 2; /* A's first range, stretched over token 2 */
	obol_hashchain_step(fake.token, a3.token, 1);
	fake.value = pw_eur("EUR:0.02");
	CHECK_ERR(report(&l, &fake), OBOL_E_PAYWORD_RANGE_INVALID);
	fake = a3;
	fake.range.from = fake.range.to = 2; /* A's second range's signature, moved to 2 */
	obol_hashchain_step(fake.token, a3.token, 1);
	CHECK_ERR(report(&l, &fake), OBOL_E_PAYWORD_RANGE_INVALID);
	CHECK_OK(report(&l, &b));
	CHECK_EQ_INT(l.paid[PW_A], 2);
	CHECK_EQ_INT(l.paid[PW_B], 1);
	CHECK(!l.user_revoked);
}

/* Case 2: A sells 1..2, B 3..4, A again 5..6. A hides its second sale and
 * claims 3..6 inside its first: no range of the user's says so. The honest
 * user is never revoked, and the agent pays no more than was spent. */
TEST(payword_agent, a_vendor_hiding_its_later_sale_gets_nothing_more)
{
	struct pw_world w;
	struct lv l;
	REQUIRE_OK(pw_world_init(&w));
	lv_init(&l, &w);
	struct payword_claim a1 = pw_claim(&w, PW_A, 1, 2), b = pw_claim(&w, PW_B, 3, 4), a2 = pw_claim(&w, PW_A, 5, 6);
	CHECK_OK(report(&l, &a1));
	CHECK_OK(report(&l, &b));
	struct payword_claim fake = a1;
	fake.range.to = 6;
	memcpy(fake.token, a2.token, 32);
	fake.value = pw_eur("EUR:0.06");
	CHECK_ERR(report(&l, &fake), OBOL_E_PAYWORD_RANGE_INVALID);
	fake = a2;
	fake.range.from = 3;
	fake.value = pw_eur("EUR:0.04");
	CHECK_ERR(report(&l, &fake), OBOL_E_PAYWORD_RANGE_INVALID);
	CHECK_OK(report(&l, &a2));
	CHECK(!l.user_revoked);
	CHECK_EQ_INT(l.paid[PW_A] + l.paid[PW_B], 6);
	CHECK_EQ_INT(payword_agent_cert_balance(&l.cert), 4);
}

/* Case 1: the user pays 1..2 at A, 3..5 at B (B reports late), then signs
 * 3..6 at A, re-spending 3..5, then 7 and 8..10 at A (the new visit it
 * backdated before: times no longer matter). Two user-signed ranges share
 * 3..5: the user double spent, whatever order the reports arrive in; both
 * vendors, who accepted in good faith, are paid; A is never blamed; the 3
 * tokens spent twice come from the user's account. */
#define CASE1_N 5
static const struct {
	uint64_t vendor, from, to;
} case1[CASE1_N] = { { PW_A, 1, 2 }, { PW_B, 3, 5 }, { PW_A, 3, 6 }, { PW_A, 7, 7 }, { PW_A, 8, 10 } };

/* The next permutation of p in lexicographic order; false after the last. */
static bool next_perm(size_t *p, size_t n)
{
	size_t k = n - 1, j = n - 1, t;
	while (k > 0 && p[k - 1] > p[k])
		k--;
	if (k == 0)
		return false;
	while (p[j] < p[k - 1])
		j--;
	t = p[k - 1], p[k - 1] = p[j], p[j] = t;
	for (size_t a = k, b = n - 1; a < b; a++, b--)
		t = p[a], p[a] = p[b], p[b] = t;
	return true;
}

TEST(payword_agent, double_spend_proven_by_two_signed_ranges_in_any_order)
{
	struct pw_world w;
	size_t perm[CASE1_N] = { 0, 1, 2, 3, 4 };
	int orders = 0;
	REQUIRE_OK(pw_world_init(&w));
	do {
		for (int rich = 0; rich < 2; rich++) {
			struct lv l;
			bool doubled = false;
			lv_init(&l, &w);
			l.user_tokens = rich ? 100 : 0;
			for (size_t i = 0; i < CASE1_N; i++) {
				struct payword_claim c =
					pw_claim(&w, case1[perm[i]].vendor, case1[perm[i]].from, case1[perm[i]].to);
				CHECK_OK(report(&l, &c));
				if (l.last.finding == PAYWORD_FINDING_DOUBLE_SPEND) {
					doubled = true;
					CHECK(l.last.revoke_user && l.last.conflict >= 0);
				}
				CHECK(l.last.store.held_tokens == 0);
			}
			CHECK(doubled && l.user_revoked);
			CHECK_EQ_INT(l.paid[PW_A], 10);
			CHECK_EQ_INT(l.paid[PW_B], 3);
			/* the user's account covers the 3 tokens spent twice, or the
			 * certificate is 3 below zero (an audit finding) */
			CHECK_EQ_INT(l.user_tokens, rich ? 97 : 0);
			CHECK_EQ_INT(payword_agent_cert_balance(&l.cert), rich ? 0 : -3);
		}
		orders++;
	} while (next_perm(perm, CASE1_N));
	CHECK_EQ_INT(orders, 120);
}

/* The same double spend with an empty account: the vendors are still paid
 * (they hold the user's signatures), and the certificate's balance goes
 * below zero, which the audit reports as a finding. */
TEST(payword_agent, a_double_spend_the_account_cannot_cover_is_a_negative_balance)
{
	struct pw_world w;
	struct lv l;
	REQUIRE_OK(pw_world_init(&w));
	lv_init(&l, &w);
	struct payword_claim a = pw_claim(&w, PW_A, 1, 10), b = pw_claim(&w, PW_B, 5, 10);
	CHECK_OK(report(&l, &a));
	CHECK_OK(report(&l, &b));
	CHECK(l.user_revoked && l.last.finding == PAYWORD_FINDING_DOUBLE_SPEND);
	CHECK_EQ_INT(l.paid[PW_B], 6);
	CHECK_EQ_INT(payword_agent_cert_balance(&l.cert), -6);
}

/* Case 11: a purchase in the same second as the regeneration that ended its
 * certificate, below the user's signed position: paid. */
TEST(payword_agent, a_sale_in_the_second_of_the_regeneration_is_paid)
{
	struct pw_world w;
	struct lv l;
	REQUIRE_OK(pw_world_init(&w));
	lv_init(&l, &w);
	lv_ended(&l, &w, PW_NOW, 3, true, 8);
	struct payword_claim a = pw_claim(&w, PW_A, 1, 2);
	CHECK_OK(report(&l, &a));
	CHECK_EQ_INT(l.paid[PW_A], 2);
	CHECK(!l.user_revoked && l.last.finding == PAYWORD_FINDING_NONE);
	CHECK_EQ_INT(payword_agent_cert_balance(&l.cert), 0);
}

/* A range that reaches the user's signed position on a superseded
 * certificate: the user spent tokens whose value it had moved. */
TEST(payword_agent, a_range_past_the_signed_position_is_the_users_fraud)
{
	struct pw_world w;
	struct lv l;
	REQUIRE_OK(pw_world_init(&w));
	lv_init(&l, &w);
	l.user_tokens = 1;
	lv_ended(&l, &w, PW_NOW, 5, true, 6); /* 5..10 moved to the next chain */
	struct payword_claim a = pw_claim(&w, PW_A, 1, 6);
	CHECK_OK(report(&l, &a));
	CHECK(l.user_revoked && l.last.finding == PAYWORD_FINDING_POSITION);
	CHECK_EQ_INT(l.paid[PW_A], 6); /* the vendor holds the user's signature: paid */
	CHECK_EQ_INT(l.cert.covered, 1);
	CHECK_EQ_INT(payword_agent_cert_balance(&l.cert), -1);
	/* without a signed position (a record from before), no verdict: what the
	 * certificate and the account do not cover is the user's debt */
	lv_init(&l, &w);
	lv_ended(&l, &w, PW_NOW, 5, false, 6);
	CHECK_OK(report(&l, &a));
	CHECK(!l.user_revoked && strcmp(l.last.verdict, "held") == 0);
	CHECK_EQ_INT(l.paid[PW_A], 4);
	CHECK(l.last.store.hold == PAYWORD_HOLD_DEBT && l.last.store.held_tokens == 2);
	CHECK_EQ_INT(payword_agent_cert_balance(&l.cert), 0);
}

/* A report that comes after its tokens' value returned to the user (the
 * vendor reported after the grace): paid from what the certificate holds,
 * then the user's account; the rest is held as the user's debt, never paid
 * out of nothing (a vendor and user colluding could otherwise have the
 * same value paid twice). */
TEST(payword_agent, a_report_after_the_grace_is_paid_by_the_user_not_by_nobody)
{
	struct pw_world w;
	struct lv l;
	REQUIRE_OK(pw_world_init(&w));
	lv_init(&l, &w);
	lv_ended(&l, &w, PW_NOW - 7200, 6, true, 10); /* 1..5 unreported returned after the grace */
	l.user_tokens = 2;
	struct payword_claim a = pw_claim(&w, PW_A, 1, 5);
	CHECK_OK(report(&l, &a));
	CHECK(!l.user_revoked && l.last.finding == PAYWORD_FINDING_NONE);
	CHECK_EQ_INT(l.last.cover_tokens, 2);
	CHECK_EQ_INT(l.paid[PW_A], 2);
	CHECK(l.last.store.hold == PAYWORD_HOLD_DEBT && l.last.store.held_tokens == 3);
	CHECK_EQ_INT(payword_agent_cert_balance(&l.cert), 0);
	CHECK_EQ_INT(l.user_tokens, 0);
}

/* Claims stored before signed ranges carry no signature: a new claim that
 * shares tokens with one of another vendor cannot be judged, and those
 * tokens are held for the operator's review. */
TEST(payword_agent, tokens_shared_with_a_claim_from_before_ranges_are_held_for_review)
{
	struct pw_world w;
	struct lv l;
	struct payword_review_effect rv;
	REQUIRE_OK(pw_world_init(&w));
	lv_init(&l, &w);
	l.claims[0] = (struct payword_agent_claim){ .vendor = PW_B, .from = 3, .to = 4, .paid_tokens = 2 };
	REQUIRE_OK(payword_chain_token(&w.cert.vc, w.w.uc.seed, 4, l.claims[0].token));
	l.nc = 1;
	l.cert.paid = 2;
	struct payword_claim a = pw_claim(&w, PW_A, 1, 5);
	CHECK_OK(report(&l, &a));
	CHECK(!l.user_revoked && strcmp(l.last.verdict, "held") == 0);
	CHECK(l.last.store.hold == PAYWORD_HOLD_REVIEW && l.last.store.held_tokens == 2);
	CHECK_EQ_INT(l.paid[PW_A], 3);
	/* the operator pays them, or drops them */
	CHECK_OK(payword_agent_review(&l.cert, &l.claims[1], true, 0, &rv));
	CHECK(rv.pay_tokens == 2 && rv.claim.held_tokens == 0 && rv.claim.paid_tokens == 5);
	CHECK_EQ_INT(payword_agent_cert_balance(&rv.next), 3);
	CHECK_OK(payword_agent_review(&l.cert, &l.claims[1], false, 0, &rv));
	CHECK(rv.pay_tokens == 0 && rv.claim.held_tokens == 0 && rv.claim.hold == PAYWORD_HOLD_NONE);
	CHECK_ERR(payword_agent_review(&l.cert, &l.claims[0], true, 0, &rv), OBOL_E_NOT_FOUND);
}

/* Case 6 (P6): the agent signs a CRL of any size. */
TEST(payword_agent, crl_of_any_size)
{
	struct pw_world w;
	struct payword_crl crl;
	REQUIRE_OK(pw_world_init(&w));
	size_t n = 10000;
	uint64_t *s = malloc(n * sizeof(*s));
	REQUIRE(s != NULL);
	for (size_t i = 0; i < n; i++)
		s[i] = n - i;
	REQUIRE_OK(payword_agent_crl(s, n, 5, PW_NOW, &w.agent_sg, &crl));
	CHECK_EQ_INT(crl.count, n);
	CHECK_OK(payword_crl_verify(&crl, w.agent.pk));
	CHECK(payword_crl_contains(&crl, 4097) && payword_crl_contains(&crl, 10000) && !payword_crl_contains(&crl, 10001));
	free(s);
}
