/* payword signed structures: certificates, commitments, CRL, chain checks
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
	payword_agent_ucert(&w.u, &w.cert.vc, &uc);
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
	REQUIRE_OK(payword_agent_user_new("bob", "another password", w.user.pk, &pp, &u2));
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

TEST(payword_cert, commitment_signed_by_the_certificate_user)
{
	struct pw_world w;
	struct payword_commit c = { .serial = 1, .vendor = PW_A, .start = 1, .time = PW_NOW };
	REQUIRE_OK(pw_world_init(&w));
	payword_commit_sign(&c, w.user.sk);
	CHECK_OK(payword_commit_verify(&c, &w.cert.vc));
	struct payword_commit d = c;
	d.start = 2;
	CHECK_ERR(payword_commit_verify(&d, &w.cert.vc), OBOL_E_PAYWORD_COMMITMENT_INVALID);
	d = c;
	d.vendor = PW_B;
	CHECK_ERR(payword_commit_verify(&d, &w.cert.vc), OBOL_E_PAYWORD_COMMITMENT_INVALID);
	d = c;
	d.serial = 2;
	CHECK_ERR(payword_commit_verify(&d, &w.cert.vc), OBOL_E_PAYWORD_COMMITMENT_INVALID);
	d = c;
	d.start = 11;
	payword_commit_sign(&d, w.user.sk);
	CHECK_ERR(payword_commit_verify(&d, &w.cert.vc), OBOL_E_PAYWORD_ORDER_RANGE);
	/* signed by another key (a vendor forging a visit) */
	struct obol_sign_keypair mallory;
	obol_sign_keypair_new(&mallory);
	d = c;
	payword_commit_sign(&d, mallory.sk);
	CHECK_ERR(payword_commit_verify(&d, &w.cert.vc), OBOL_E_PAYWORD_COMMITMENT_INVALID);
}

TEST(payword_cert, crl_signed_sorted_and_newer_only)
{
	struct pw_world w;
	struct payword_crl held = { 0 }, fresh, older;
	uint64_t *s1 = malloc(3 * sizeof(uint64_t)), *s2 = malloc(sizeof(uint64_t));
	REQUIRE(s1 != NULL && s2 != NULL);
	REQUIRE_OK(pw_world_init(&w));
	s1[0] = 9, s1[1] = 3, s1[2] = 9;
	REQUIRE_OK(payword_agent_crl(s1, 3, 2, PW_NOW, w.agent.sk, &fresh));
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
	REQUIRE_OK(payword_agent_crl(s2, 1, 1, PW_NOW, w.agent.sk, &older));
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
