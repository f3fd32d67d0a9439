/* The ring variant (seed 002 §4): σ1 and σ2 as RST ring signatures over
 * bank-certified keys picked from the bank-signed directory; the merchant
 * verifies every member's certificate. */
#include <stdlib.h>
#include <string.h>

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
	CHECK_OK(ecash_merchant_accept(&w.p[1].m, &p, FX_NOW));
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
	CHECK_ERR(ecash_merchant_accept(&w.p[1].m, &p, FX_NOW), OBOL_E_ECASH_NONCE_SIGNATURE);
	/* A member whose certificate the bank did not sign. */
	c->certs[victim] = keep;
	fx_flip(c->certs[victim].sig, 2);
	CHECK_ERR(ecash_merchant_accept(&w.p[1].m, &p, FX_NOW), OBOL_E_ECASH_CERT_SIGNATURE);
	/* A member listed twice. */
	c->certs[victim] = c->certs[(victim + 1) % c->ncerts];
	CHECK_ERR(ecash_merchant_accept(&w.p[1].m, &p, FX_NOW), OBOL_E_ECASH_RING_DUPLICATE);
	c->certs[victim] = keep;
	/* σ2 tampered: the ring claim over the coin. */
	fx_flip(c->sig, 40);
	CHECK_ERR(ecash_merchant_accept(&w.p[1].m, &p, FX_NOW), OBOL_E_ECASH_CLAIM_SIGNATURE);
	fx_flip(c->sig, 40);
	/* A merchant that wants larger rings. */
	w.p[1].m.pol.ring_min = 8;
	CHECK_ERR(ecash_merchant_accept(&w.p[1].m, &p, FX_NOW), OBOL_E_ECASH_RING_SIZE);
	w.p[1].m.pol.ring_min = 2;
	/* A revoked member. */
	struct ecash_revocations rl = { .seq = 1, .issued = FX_NOW };
	rl.ids = calloc(1, ECASH_ID_LEN);
	REQUIRE(rl.ids != NULL);
	ecash_key_id_der(keep.key, keep.key_len, rl.ids[0]);
	rl.n = 1;
	REQUIRE_OK(ecash_bank_sign_revocations(&w.bank, &rl));
	struct ecash_merchant saved = w.p[1].m;
	REQUIRE_OK(ecash_merchant_set_revocations(&w.p[1].m, &rl));
	CHECK_ERR(ecash_merchant_accept(&w.p[1].m, &p, FX_NOW), OBOL_E_ECASH_KEY_REVOKED);
	ecash_revocations_clear(&w.p[1].m.rl);
	w.p[1].m.rl = saved.rl;

	CHECK_EQ_INT(w.p[1].m.nseen, 0);
	CHECK_OK(ecash_merchant_accept(&w.p[1].m, &p, FX_NOW));
	ecash_payment_clear(&p);
	fx_free(&w);
}

TEST(ecash_ring, directory_is_checked_and_transfers_are_not_ring_signed)
{
	struct fx w;
	struct ecash_payment p;
	struct ecash_cert ring[ECASH_RING_MAX];
	size_t idx = 0, signer;
	REQUIRE(setup(&w, 5) == 0);
	/* Too few keys for a ring of 8. */
	CHECK_ERR(ecash_ring_pick(&w.p[0].c, &w.dir, NULL, 8, FX_NOW, ring, &signer),
		  OBOL_E_ECASH_DIRECTORY_TOO_SMALL);
	/* A directory the bank did not sign. */
	w.dir.certs[3].account = 4242;
	CHECK_ERR(ecash_ring_pick(&w.p[0].c, &w.dir, NULL, 3, FX_NOW, ring, &signer), OBOL_E_ECASH_LIST_SIGNATURE);
	REQUIRE(fx_sign_directory(&w) == 0);
	CHECK_OK(ecash_ring_pick(&w.p[0].c, &w.dir, NULL, 5, FX_NOW, ring, &signer));
	CHECK(signer < 5);

	/* A coin received from a ring payment is spent on with the holder's key. */
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 3, FX_NOW, &p));
	REQUIRE_OK(ecash_merchant_accept(&w.p[1].m, &p, FX_NOW));
	REQUIRE(fx_receive(&w, 1, &p) == 0);
	ecash_payment_clear(&p);
	CHECK_ERR(fx_pay(&w, 1, 2, &idx, 1, "EUR:1", 3, FX_NOW + 5, &p), OBOL_E_ECASH_RING_NOT_FIRST);
	REQUIRE_OK(fx_pay(&w, 1, 2, &idx, 1, "EUR:1", 0, FX_NOW + 5, &p));
	CHECK_OK(ecash_merchant_accept(&w.p[2].m, &p, FX_NOW + 5));
	ecash_payment_clear(&p);
	fx_free(&w);
}

TEST(ecash_ring, ring_double_spend_names_the_account_the_coin_was_issued_to)
{
	struct fx w;
	struct ecash_payment p1, p2;
	struct ecash_evidence ev;
	size_t idx = 0;
	REQUIRE(setup(&w, 6) == 0);
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 4, FX_NOW, &p1));
	REQUIRE_OK(fx_pay(&w, 0, 2, &idx, 1, "EUR:1", 4, FX_NOW + 1, &p2));
	REQUIRE_OK(ecash_merchant_accept(&w.p[1].m, &p1, FX_NOW));
	REQUIRE_OK(ecash_merchant_accept(&w.p[2].m, &p2, FX_NOW + 1));
	struct ecash_spent s = { .depositor_account = w.p[1].account };
	memcpy(s.depositor, w.p[1].c.id, ECASH_ID_LEN);
	REQUIRE_OK(ecash_held_copy(&s.held, &p1.coins[0]));
	CHECK_OK(ecash_bank_deposit_check(&w.bank, w.p[1].c.id, &p1.coins[0], NULL, NULL, w.p[0].account, FX_NOW, &ev));
	CHECK_ERR(ecash_bank_deposit_check(&w.bank, w.p[2].c.id, &p2.coins[0], NULL, &s, w.p[0].account, FX_NOW, &ev),
		  OBOL_E_ECASH_DOUBLE_SPENT);
	/* The rings hide the signer; the bank knows whom it issued the serial to. */
	CHECK_EQ_INT(ev.kind, ECASH_FRAUD_ISSUED_TWICE_SPENT);
	CHECK(!ev.culprit_key_known);
	CHECK_EQ_INT(ev.culprit_account, w.p[0].account);
	CHECK_EQ_INT(ev.first.ncerts, 4);
	ecash_evidence_clear(&ev);
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
	CHECK_OK(ecash_merchant_accept(&w.p[1].m, &p, FX_NOW));
	/* A ring of 64 does not fit one device-link frame; one of 32 does. */
	static uint8_t frame[OBOL_FRAME_MAX + OBOL_FRAME_HEADER_LEN];
	struct ecash_payment_spec sp;
	size_t len;
	REQUIRE_OK(ecash_payment_spec(&sp, &p, false));
	CHECK_ERR(ecash_payment_done(&sp, obol_frame_encode(ECASH_MSG_PAY, &sp.s, frame, sizeof(frame), &len)),
		  OBOL_E_WIRE_OVERSIZED);
	ecash_payment_clear(&p);
	REQUIRE_OK(fx_pay(&w, 0, 1, &idx, 1, "EUR:1", 32, FX_NOW, &p));
	REQUIRE_OK(ecash_payment_spec(&sp, &p, false));
	CHECK_OK(ecash_payment_done(&sp, obol_frame_encode(ECASH_MSG_PAY, &sp.s, frame, sizeof(frame), &len)));
	test_note("ring of 32 payment frame: %zu bytes", len);
	ecash_payment_clear(&p);
	fx_free(&w);
}
