/* The ring variant (seed 002 §4): σ1 and σ2 as RST ring signatures over
 * bank-certified keys of the payer's block of the bank-signed directory;
 * the merchant verifies every member's certificate; repeated payments do
 * not fall to an intersection of their rings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "crypto/ringsig.h"
#include "fixture.h"
#include "schemes/ecash/messages.h"
#include "wire/cbor.h"
#include "../test.h"

static const char *const one_euro[] = { "EUR:1" };

/* Customer 0, merchant 1, and parties 2.. as the rest of the directory. */
static int setup(struct fx *w, size_t parties)
{
	if (fx_init(w, parties) != 0 || fx_topup(w, 0, one_euro, 1) != 0)
		return -1;
	return fx_sign_directory(w);
}

TEST(ecash_ring, ring_of_eight_pays_and_hides_the_signer)
{
	struct fx w;
	struct ecash_payment p;
	size_t idx = 0;
	REQUIRE(setup(&w, 10) == 0);
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", ECASH_RING_DEFAULT, FX_NOW, &p));
	const struct ecash_claim *c = &p.coins[0].chain[0];
	CHECK_EQ_INT(c->ncerts, ECASH_RING_DEFAULT);
	/* The payer is one of the members; nothing else in the claim says which. */
	size_t found = 0;
	for (size_t i = 0; i < c->ncerts; i++)
		found += c->certs[i].key_len == w.p[0].c.cert.key_len &&
			 memcmp(c->certs[i].key, w.p[0].c.cert.key, c->certs[i].key_len) == 0;
	CHECK_EQ_INT(found, 1);
	CHECK_OK(fx_accept(&w, 1, &p, FX_NOW));
	CHECK(ecash_merchant_holds(&w.p[1].m, p.coins[0].coin.serial));
	ecash_payment_clear(&p);
	fx_free(&w);
}

TEST(ecash_ring, tampered_rings_are_refused)
{
	struct fx w;
	struct ecash_payment p;
	size_t idx = 0;
	REQUIRE(setup(&w, 10) == 0);
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 4, FX_NOW, &p));
	struct ecash_claim *c = &p.coins[0].chain[0];
	/* Pick a member that is not the payer, and a registered key outside the ring. */
	size_t victim = 0, outsider = SIZE_MAX;
	while (c->certs[victim].key_len == w.p[0].c.cert.key_len &&
	       memcmp(c->certs[victim].key, w.p[0].c.cert.key, c->certs[victim].key_len) == 0)
		victim++;
	for (size_t i = 2; i < w.n && outsider == SIZE_MAX; i++) {
		bool in = false;
		for (size_t j = 0; j < c->ncerts; j++)
			in |= memcmp(c->certs[j].key, w.p[i].c.cert.key, w.p[i].c.cert.key_len) == 0;
		if (!in)
			outsider = i;
	}
	REQUIRE(outsider != SIZE_MAX);
	struct ecash_cert keep = c->certs[victim];

	/* A member swapped for another certified key: the ring signatures fail
	 * (σ1 is checked first). */
	c->certs[victim] = w.p[outsider].c.cert;
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_NONCE_SIGNATURE);
	/* A member whose certificate the bank did not sign. */
	c->certs[victim] = keep;
	fx_flip(c->certs[victim].sig, 2);
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_CERT_SIGNATURE);
	/* A member listed twice. */
	c->certs[victim] = c->certs[(victim + 1) % c->ncerts];
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_RING_DUPLICATE);
	c->certs[victim] = keep;
	/* σ2 tampered: the ring claim over the coin. */
	fx_flip(c->sig, 40);
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_CLAIM_SIGNATURE);
	fx_flip(c->sig, 40);
	/* A merchant that wants larger rings. */
	w.p[1].m.pol.ring_min = 8;
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_RING_SIZE);
	w.p[1].m.pol.ring_min = 2;
	/* A revoked member. */
	struct ecash_revocations rl = { .held = true, .issued = FX_NOW };
	rl.keys = calloc(1, sizeof(*rl.keys));
	REQUIRE(rl.keys != NULL);
	ecash_key_id_der(keep.key, keep.key_len, rl.keys[0].id);
	rl.keys[0].at = FX_NOW - 1;
	rl.n = 1;
	struct ecash_merchant saved = w.p[1].m;
	REQUIRE_OK(ecash_merchant_set_revocations(&w.p[1].m, &rl));
	CHECK_ERR(fx_accept(&w, 1, &p, FX_NOW), OBOL_E_ECASH_KEY_REVOKED);
	ecash_revocations_clear(&w.p[1].m.rl);
	w.p[1].m.rl = saved.rl;

	CHECK_EQ_INT(w.p[1].m.nseen, 0);
	CHECK_OK(fx_accept(&w, 1, &p, FX_NOW));
	ecash_payment_clear(&p);
	fx_free(&w);
}

TEST(ecash_ring, directory_is_checked_and_transfers_are_not_ring_signed)
{
	struct fx w;
	struct ecash_payment p;
	struct ecash_cert ring[ECASH_RING_MAX];
	size_t idx = 0, signer, nring;
	REQUIRE(setup(&w, 5) == 0);
	struct ecash_ring_in in = { .dir = &w.dir, .size = 16, .now = FX_NOW };
	/* Too few live keys in the block: fewer than half the anonymity asked. */
	CHECK_ERR(ecash_ring_pick(&w.p[0].c, &in, ring, &nring, &signer), OBOL_E_ECASH_DIRECTORY_TOO_SMALL);
	/* A size that is not a power of two: blocks would not nest. */
	in.size = 3;
	CHECK_ERR(ecash_ring_pick(&w.p[0].c, &in, ring, &nring, &signer), OBOL_E_ECASH_RING_SIZE);
	/* A directory the bank did not sign. */
	in.size = 4;
	w.dir.e[3].cert.account = 4242;
	CHECK_ERR(ecash_ring_pick(&w.p[0].c, &in, ring, &nring, &signer), OBOL_E_ECASH_LIST_SIGNATURE);
	REQUIRE(fx_sign_directory(&w) == 0);
	CHECK_OK(ecash_ring_pick(&w.p[0].c, &in, ring, &nring, &signer));
	CHECK_EQ_INT(nring, 4);
	CHECK_EQ_INT(signer, 0);

	/* A coin received from a ring payment is spent on with the holder's key. */
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 4, FX_NOW, &p));
	REQUIRE_OK(fx_accept(&w, 1, &p, FX_NOW));
	REQUIRE(fx_receive(&w, 1, &p) == 0);
	ecash_payment_clear(&p);
	CHECK_ERR(fx_pay(&w, 1, 2, &idx, 1, "EUR:1", 4, FX_NOW + 5, &p), OBOL_E_ECASH_RING_NOT_FIRST);
	REQUIRE_OK(fx_pay(&w, 1, 2, &idx, 1, "EUR:1", 0, FX_NOW + 5, &p));
	CHECK_OK(fx_accept(&w, 2, &p, FX_NOW + 5));
	ecash_payment_clear(&p);
	fx_free(&w);
}

/* The key ids of a ring, in order. */
static void ring_ids(const struct ecash_cert *ring, size_t n, uint8_t (*ids)[ECASH_ID_LEN])
{
	for (size_t i = 0; i < n; i++)
		ecash_key_id_der(ring[i].key, ring[i].key_len, ids[i]);
}

/* Case 8: the rings of repeated payments by one payer are the same, and so
 * are those of every other member of its block: their intersection is the
 * block, never the payer. Different sizes nest; other blocks are apart. */
TEST(ecash_ring, repeated_payments_share_their_block_and_do_not_intersect_to_the_payer)
{
	struct fx w;
	struct ecash_cert r1[ECASH_RING_MAX], r2[ECASH_RING_MAX], r3[ECASH_RING_MAX];
	uint8_t a[ECASH_RING_MAX][ECASH_ID_LEN], b[ECASH_RING_MAX][ECASH_ID_LEN];
	size_t n1, n2, n3, s1, s2, s3;
	REQUIRE(fx_init(&w, 20) == 0);
	REQUIRE(fx_sign_directory(&w) == 0);
	struct ecash_ring_in in = { .dir = &w.dir, .size = 8, .now = FX_NOW };
	REQUIRE_OK(ecash_ring_pick(&w.p[3].c, &in, r1, &n1, &s1));
	REQUIRE_OK(ecash_ring_pick(&w.p[3].c, &in, r2, &n2, &s2));
	CHECK_EQ_INT(n1, 8);
	CHECK_EQ_INT(n2, 8);
	ring_ids(r1, n1, a);
	ring_ids(r2, n2, b);
	CHECK_MEM_EQ(a, b, 8 * ECASH_ID_LEN);
	/* Another member of the block signs with the very same ring. */
	REQUIRE_OK(ecash_ring_pick(&w.p[6].c, &in, r3, &n3, &s3));
	ring_ids(r3, n3, b);
	CHECK_MEM_EQ(a, b, 8 * ECASH_ID_LEN);
	CHECK(s1 != s3);
	/* A ring of 16 holds the whole ring of 8: intersecting the two gives the block of 8. */
	in.size = 16;
	REQUIRE_OK(ecash_ring_pick(&w.p[3].c, &in, r2, &n2, &s2));
	CHECK_EQ_INT(n2, 16);
	ring_ids(r2, n2, b);
	size_t common = 0;
	for (size_t i = 0; i < n1; i++)
		for (size_t j = 0; j < n2; j++)
			common += memcmp(a[i], b[j], ECASH_ID_LEN) == 0;
	CHECK_EQ_INT(common, 8);
	/* A payer of the next block: a ring with nobody in common. */
	in.size = 8;
	REQUIRE_OK(ecash_ring_pick(&w.p[12].c, &in, r3, &n3, &s3));
	ring_ids(r3, n3, b);
	common = 0;
	for (size_t i = 0; i < n1; i++)
		for (size_t j = 0; j < n3; j++)
			common += memcmp(a[i], b[j], ECASH_ID_LEN) == 0;
	CHECK_EQ_INT(common, 0);
	/* A member revoked: the block's ring loses it, for every member alike. */
	struct ecash_revoked rk = { .at = FX_NOW - 1 };
	memcpy(rk.id, w.p[5].c.id, ECASH_ID_LEN);
	struct ecash_revocations rl = { .keys = &rk, .n = 1 };
	in.rl = &rl;
	REQUIRE_OK(ecash_ring_pick(&w.p[3].c, &in, r1, &n1, &s1));
	REQUIRE_OK(ecash_ring_pick(&w.p[6].c, &in, r3, &n3, &s3));
	CHECK_EQ_INT(n1, 7);
	CHECK_EQ_INT(n3, 7);
	ring_ids(r1, n1, a);
	ring_ids(r3, n3, b);
	CHECK_MEM_EQ(a, b, 7 * ECASH_ID_LEN);
	fx_free(&w);
}

TEST(ecash_ring, ring_double_spend_names_the_account_the_coin_was_issued_to)
{
	struct fx w;
	struct ecash_payment p1, p2;
	struct ecash_registry_effect eff;
	size_t idx = 0;
	REQUIRE(setup(&w, 6) == 0);
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 4, FX_NOW, &p1));
	REQUIRE_OK(fx_pay(&w, 0, 2, &idx, 1, "EUR:1", 4, FX_NOW + 1, &p2));
	REQUIRE_OK(fx_accept(&w, 1, &p1, FX_NOW));
	REQUIRE_OK(fx_accept(&w, 2, &p2, FX_NOW + 1));
	struct ecash_spent s = { .depositor_account = w.p[1].account, .kind = ECASH_ENTRY_DEPOSIT };
	memcpy(s.depositor, w.p[1].c.id, ECASH_ID_LEN);
	REQUIRE_OK(ecash_held_copy(&s.held, &p1.coins[0]));
	CHECK_OK(ecash_bank_coin_verify(&w.bank, ECASH_ENTRY_DEPOSIT, &p2.coins[0], NULL, FX_NOW));
	struct ecash_registry_in in = { .kind = ECASH_ENTRY_DEPOSIT, .requester = w.p[2].c.id, .account = w.p[2].account,
					.h = &p2.coins[0], .issued_to = w.p[0].account, .issued_key = w.p[0].c.id,
					.holder_account = w.p[2].account, .prev = &s, .now = FX_NOW };
	REQUIRE_OK(ecash_bank_registry(&w.bank, &in, &eff));
	CHECK_ERR(eff.result, OBOL_E_ECASH_DOUBLE_SPENT);
	/* The rings hide the signer from the merchants; both first claims carry
	 * the owner key's signature, and the top-up that named it was signed by
	 * the payer's key. */
	CHECK_EQ_INT(eff.ev.kind, ECASH_FRAUD_ISSUED_TWICE_SPENT);
	CHECK(eff.ev.culprit_key_known);
	CHECK_MEM_EQ(eff.ev.culprit_key, w.p[0].c.id, ECASH_ID_LEN);
	CHECK_EQ_INT(eff.ev.culprit_account, w.p[0].account);
	CHECK_EQ_INT(eff.ev.first.ncerts, 4);
	ecash_registry_effect_clear(&eff);
	ecash_held_clear(&s.held);
	ecash_payment_clear(&p1);
	ecash_payment_clear(&p2);
	fx_free(&w);
}

TEST(ecash_ring, ring_of_sixty_four_verifies)
{
	struct fx w;
	struct ecash_payment p;
	size_t idx = 0;
	REQUIRE(setup(&w, 66) == 0);
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 64, FX_NOW, &p));
	CHECK_EQ_INT(p.coins[0].chain[0].ncerts, 64);
	CHECK_OK(fx_accept(&w, 1, &p, FX_NOW));
	/* Its two messages each fit a device-link frame: PAY without the ring
	 * signature of the claim, SIGN with it. */
	static uint8_t frame[OBOL_FRAME_MAX + OBOL_FRAME_HEADER_LEN];
	struct ecash_payment_spec sp;
	struct ecash_signatures sg;
	struct ecash_signatures_spec ssp;
	size_t len, slen;
	REQUIRE_OK(ecash_payment_spec(&sp, &p, false));
	CHECK_OK(ecash_payment_done(&sp, obol_frame_encode(ECASH_MSG_PAY, &sp.s, frame, sizeof(frame), &len)));
	REQUIRE_OK(ecash_payment_signatures(&p, &sg));
	ecash_signatures_spec(&ssp, &sg, false);
	CHECK_OK(obol_frame_encode(ECASH_MSG_SIGN, &ssp.s, frame, sizeof(frame), &slen));
	test_note("ring of 64: PAY frame %zu bytes, SIGN frame %zu bytes", len, slen);
	ecash_signatures_clear(&sg);
	ecash_payment_clear(&p);
	fx_free(&w);
}

/* Case 11: the ring cipher E_k against known answers computed independently
 * (tests/vectors/ringsig_ek.txt, Python's SHAKE256), and an honest ring
 * signature verifies while one made with the first, 4-round cipher does
 * only through the legacy check (claims on coins issued before owner keys). */
TEST(ecash_ring, ring_cipher_matches_its_vectors)
{
	FILE *f = fopen("tests/vectors/ringsig_ek.txt", "r");
	char line[4096];
	size_t n = 0;
	REQUIRE(f != NULL);
	while (fgets(line, sizeof(line), f) != NULL) {
		char kh[65], xh[1200], yh[1200];
		unsigned blen;
		uint8_t k[32], x[600], y[600];
		if (line[0] == '#' || sscanf(line, "%64s %u %1199s %1199s", kh, &blen, xh, yh) != 4)
			continue;
		REQUIRE(blen <= sizeof(x) && strlen(xh) == 2 * blen && strlen(yh) == 2 * blen);
		REQUIRE_OK(obol_hex_decode(kh, k, 32));
		REQUIRE_OK(obol_hex_decode(xh, x, blen));
		REQUIRE_OK(obol_hex_decode(yh, y, blen));
		obol_ringsig_ek(k, x, blen);
		CHECK_MEM_EQ(x, y, blen);
		n++;
	}
	fclose(f);
	CHECK_EQ_INT(n, 5);
}
