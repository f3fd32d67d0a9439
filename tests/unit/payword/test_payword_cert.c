/* payword signed structures: certificates, ranges, positions, CRL, chain checks
 * (seed 003 §3, §3.2). Each check both ways. */
#include <stdlib.h>

#include "pw_fixture.h"

TEST(payword_cert, vcert_round_trip_and_signature)
{
	struct pw_world w;
	struct payword_vcert back;
	uint8_t buf[PAYWORD_VCERT_MAX];
	size_t len;
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(payword_vcert_encode(&w.cert.vc, buf, &len));
	REQUIRE_OK(payword_vcert_decode(buf, len, &back));
	CHECK_OK(payword_vcert_verify(&back, w.agent.pk));
	CHECK_EQ_INT(back.first_order, 1);
	CHECK_EQ_INT(back.n, 10);
	CHECK_EQ_STR(back.username, "alice");
	CHECK_MEM_EQ(back.root, w.cert.vc.root, PAYWORD_TOKEN_LEN);
	/* another agent's key */
	struct obol_sign_keypair other;
	obol_sign_keypair_new(&other);
	CHECK_ERR(payword_vcert_verify(&back, other.pk), OBOL_E_PAYWORD_CERT_INVALID);
	/* every byte matters: a flipped byte never verifies */
	for (size_t i = 0; i < len; i++) {
		buf[i] ^= 0x01;
		obol_err e = payword_vcert_decode(buf, len, &back);
		if (e == OBOL_OK)
			e = payword_vcert_verify(&back, w.agent.pk);
		CHECK(e == OBOL_E_PAYWORD_CERT_MALFORMED || e == OBOL_E_PAYWORD_CERT_INVALID);
		buf[i] ^= 0x01;
	}
	/* truncated and oversized */
	CHECK_ERR(payword_vcert_decode(buf, len - 1, &back), OBOL_E_PAYWORD_CERT_MALFORMED);
	CHECK_ERR(payword_vcert_decode(buf, 10, &back), OBOL_E_PAYWORD_CERT_MALFORMED);
	uint8_t big[PAYWORD_VCERT_MAX + 8] = { 0 };
	memcpy(big, buf, len);
	CHECK_ERR(payword_vcert_decode(big, len + 1, &back), OBOL_E_PAYWORD_CERT_MALFORMED);
}

TEST(payword_cert, ucert_round_trip)
{
	struct pw_world w;
	struct payword_ucert uc, back;
	uint8_t buf[PAYWORD_UCERT_MAX];
	size_t len;
	REQUIRE_OK(pw_world_init(&w));
	REQUIRE_OK(payword_agent_ucert(&w.u, 1, 1, &w.cert, &uc));
	REQUIRE_OK(payword_ucert_encode(&uc, buf, &len));
	REQUIRE_OK(payword_ucert_decode(buf, len, &back));
	CHECK_MEM_EQ(back.seed, uc.seed, PAYWORD_TOKEN_LEN);
	CHECK_ERR(payword_ucert_decode(buf, len - 1, &back), OBOL_E_PAYWORD_CERT_MALFORMED);
	buf[0] = 'X';
	CHECK_ERR(payword_ucert_decode(buf, len, &back), OBOL_E_PAYWORD_CERT_MALFORMED);
}

TEST(payword_cert, seed_derivation_is_per_serial_and_per_user)
{
	struct pw_world w;
	struct payword_user u2 = { 0 };
	uint8_t s1[32], s2[32], s3[32];
	REQUIRE_OK(pw_world_init(&w));
	struct payword_pw_params pp = pw_fast();
	struct payword_account_view acc = { .user_kind = true, .active = true };
	memcpy(acc.auth_pk, w.user.pk, 32);
	REQUIRE_OK(payword_agent_user_new(&acc, "bob", "another password", &pp, &u2));
	payword_agent_chain_seed(&w.u, 1, s1);
	payword_agent_chain_seed(&w.u, 2, s2);
	payword_agent_chain_seed(&u2, 1, s3);
	CHECK(memcmp(s1, s2, 32) != 0);
	CHECK(memcmp(s1, s3, 32) != 0);
	/* the root of the issued certificate is H^n(seed) */
	uint8_t root[32];
	obol_hashchain_step(root, s1, 10);
	CHECK_MEM_EQ(root, w.cert.vc.root, 32);
}

TEST(payword_cert, chain_tokens_and_distance)
{
	struct pw_world w;
	uint8_t t[10][32];
	REQUIRE_OK(pw_world_init(&w));
	for (uint64_t o = 1; o <= 10; o++)
		REQUIRE_OK(payword_chain_token(&w.cert.vc, w.w.uc.seed, o, t[o - 1]));
	CHECK_ERR(payword_chain_token(&w.cert.vc, w.w.uc.seed, 11, t[0]), OBOL_E_PAYWORD_ORDER_RANGE);
	CHECK_ERR(payword_chain_token(&w.cert.vc, w.w.uc.seed, 0, t[0]), OBOL_E_PAYWORD_ORDER_RANGE);
	/* order o hashes to the root in o steps; to order o' in o - o' steps */
	for (uint64_t o = 1; o <= 10; o++)
		CHECK_OK(payword_token_check(&w.cert.vc, o, t[o - 1], NULL, 0));
	CHECK_OK(payword_token_check(&w.cert.vc, 7, t[6], t[2], 3));
	/* the right token under the wrong order number, or a wrong token */
	CHECK_ERR(payword_token_check(&w.cert.vc, 5, t[3], NULL, 0), OBOL_E_PAYWORD_TOKEN_INVALID);
	CHECK_ERR(payword_token_check(&w.cert.vc, 7, t[6], t[3], 3), OBOL_E_PAYWORD_TOKEN_INVALID);
	uint8_t bad[32];
	memcpy(bad, t[4], 32);
	bad[31] ^= 1;
	CHECK_ERR(payword_token_check(&w.cert.vc, 5, bad, NULL, 0), OBOL_E_PAYWORD_TOKEN_INVALID);
	CHECK_ERR(payword_token_check(&w.cert.vc, 11, t[4], NULL, 0), OBOL_E_PAYWORD_ORDER_RANGE);
	/* against a held token of a larger or equal order: already spent here */
	CHECK_ERR(payword_token_check(&w.cert.vc, 3, t[2], t[4], 5), OBOL_E_PAYWORD_TOKEN_REUSED);
}

TEST(payword_cert, range_signed_by_the_certificate_user_for_one_vendor)
{
	struct pw_world w;
	struct payword_range r = { .serial = 1, .vendor = PW_A, .from = 1, .to = 3 };
	REQUIRE_OK(pw_world_init(&w));
	payword_range_sign(&r, w.user.sk);
	CHECK_OK(payword_range_verify(&r, &w.cert.vc));
	struct payword_range d = r;
	d.to = 4; /* a vendor stretching the range */
	CHECK_ERR(payword_range_verify(&d, &w.cert.vc), OBOL_E_PAYWORD_RANGE_INVALID);
	d = r;
	d.from = 2;
	CHECK_ERR(payword_range_verify(&d, &w.cert.vc), OBOL_E_PAYWORD_RANGE_INVALID);
	d = r;
	d.vendor = PW_B; /* another vendor presenting it */
	CHECK_ERR(payword_range_verify(&d, &w.cert.vc), OBOL_E_PAYWORD_RANGE_INVALID);
	d = r;
	d.serial = 2;
	CHECK_ERR(payword_range_verify(&d, &w.cert.vc), OBOL_E_PAYWORD_RANGE_INVALID);
	d = r;
	d.to = 11;
	payword_range_sign(&d, w.user.sk);
	CHECK_ERR(payword_range_verify(&d, &w.cert.vc), OBOL_E_PAYWORD_ORDER_RANGE);
	d = r;
	d.from = 4;
	payword_range_sign(&d, w.user.sk);
	CHECK_ERR(payword_range_verify(&d, &w.cert.vc), OBOL_E_PAYWORD_ORDER_RANGE);
	/* signed by another key (a vendor forging a range) */
	struct obol_sign_keypair mallory;
	obol_sign_keypair_new(&mallory);
	d = r;
	payword_range_sign(&d, mallory.sk);
	CHECK_ERR(payword_range_verify(&d, &w.cert.vc), OBOL_E_PAYWORD_RANGE_INVALID);
	CHECK(payword_range_overlap(1, 3, 3, 5) && payword_range_overlap(3, 5, 1, 3) && !payword_range_overlap(1, 2, 3, 5));
}

TEST(payword_cert, position_signed_by_the_certificate_user)
{
	struct pw_world w;
	struct payword_position p = { .serial = 1, .next = 5 };
	REQUIRE_OK(pw_world_init(&w));
	payword_position_sign(&p, w.user.sk);
	CHECK_OK(payword_position_verify(&p, &w.cert.vc));
	struct payword_position d = p;
	d.next = 6;
	CHECK_ERR(payword_position_verify(&d, &w.cert.vc), OBOL_E_PAYWORD_POSITION_INVALID);
	d = p;
	d.next = 12;
	payword_position_sign(&d, w.user.sk);
	CHECK_ERR(payword_position_verify(&d, &w.cert.vc), OBOL_E_PAYWORD_POSITION_INVALID);
	d.next = 11; /* every token spent */
	payword_position_sign(&d, w.user.sk);
	CHECK_OK(payword_position_verify(&d, &w.cert.vc));
	/* a range signature is not a position signature (contexts differ) */
	struct payword_range r = { .serial = 1, .vendor = 5, .from = 1, .to = 1 };
	payword_range_sign(&r, w.user.sk);
	memcpy(d.sig, r.sig, OBOL_SIGN_LEN);
	CHECK_ERR(payword_position_verify(&d, &w.cert.vc), OBOL_E_PAYWORD_POSITION_INVALID);
}

TEST(payword_cert, crl_signed_sorted_and_newer_only)
{
	struct pw_world w;
	struct payword_crl held = { 0 }, fresh, older;
	uint64_t *s1 = malloc(3 * sizeof(uint64_t)), *s2 = malloc(sizeof(uint64_t));
	REQUIRE(s1 != NULL && s2 != NULL);
	REQUIRE_OK(pw_world_init(&w));
	s1[0] = 9, s1[1] = 3, s1[2] = 9;
	REQUIRE_OK(payword_agent_crl(s1, 3, 2, PW_NOW, &w.agent_sg, &fresh));
	CHECK_EQ_INT(fresh.count, 2);
	CHECK(payword_crl_contains(&fresh, 3) && payword_crl_contains(&fresh, 9));
	CHECK(!payword_crl_contains(&fresh, 4));
	/* a changed list no longer verifies */
	fresh.serials[0] = 4;
	CHECK_ERR(payword_vendor_crl_update(&held, &fresh, w.agent.pk), OBOL_E_PAYWORD_CRL_INVALID);
	fresh.serials[0] = 3;
	struct obol_sign_keypair other;
	obol_sign_keypair_new(&other);
	CHECK_ERR(payword_vendor_crl_update(&held, &fresh, other.pk), OBOL_E_PAYWORD_CRL_INVALID);
	REQUIRE_OK(payword_vendor_crl_update(&held, &fresh, w.agent.pk));
	CHECK_EQ_INT(held.seq, 2);
	/* an older list (replayed) is refused */
	s2[0] = 1;
	REQUIRE_OK(payword_agent_crl(s2, 1, 1, PW_NOW, &w.agent_sg, &older));
	CHECK_ERR(payword_vendor_crl_update(&held, &older, w.agent.pk), OBOL_E_PAYWORD_CRL_INVALID);
	CHECK(payword_crl_contains(&held, 9));
	free(older.serials);
	free(held.serials);
}

TEST(payword_cert, usernames)
{
	CHECK(payword_username_valid("alice"));
	CHECK(payword_username_valid("a.b_c-9"));
	CHECK(!payword_username_valid(""));
	CHECK(!payword_username_valid("Alice"));
	CHECK(!payword_username_valid("al ice"));
	CHECK(!payword_username_valid("abcdefghijabcdefghijabcdefghijabc"));
}
