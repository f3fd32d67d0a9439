/* The payer's guard (src/wallet/payer.h) on a real device link: the cap in
 * force (the command line's, else the wallet's default), refusals and
 * receipts written to the history, the receipt judged against the link's
 * vendor certificate. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../net/link_fixture.h"
#include "../test.h"
#include "core/clock.h"
#include "crypto/secret.h"
#include "schemes/common/receipt.h"
#include "wallet/history.h"
#include "wallet/limits.h"
#include "wallet/payer.h"
#include "wire/json.h"

struct fixture {
	struct obol_sign_keypair master, vendor_sign;
	struct test_link_vendor v;
	struct obol_wallet *w;
	struct obol_devlink *a, *b; /* a: the wallet's end, b: the vendor's */
};

static struct obol_amount amt(const char *text)
{
	struct obol_amount a;
	if (obol_amount_parse(text, &a) != OBOL_OK)
		obol_test_fail(__FILE__, __LINE__, "bad amount %s", text);
	return a;
}

/* A wallet (default cap max_amount, may be NULL), a vendor with a signing
 * key of ours, and a link between them carrying the wallet's guard, made
 * with the command line's options o (NULL: --yes only, never a prompt). */
static obol_err setup(struct fixture *f, const char *name, const char *max_amount, const struct obol_payer_opts *o)
{
	static const struct obol_payer_opts yes = { .yes = true };
	char path[512];
	size_t len;
	obol_err e;
	memset(f, 0, sizeof *f);
	setenv("OBOL_ARGON2_FAST", "1", 1);
	setenv("OBOL_PASSPHRASE", "payer test", 1);
	snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
	obol_sign_keypair_new(&f->master);
	obol_sign_keypair_new(&f->vendor_sign);
	if ((e = test_link_vendor(f->master.sk, &f->v)) != OBOL_OK)
		return e;
	memcpy(f->v.cert.sign_pk, f->vendor_sign.pk, OBOL_SIGN_PK_LEN);
	struct obol_ed25519_signer sg;
	obol_ed25519_signer_local(&sg, &f->master);
	if ((e = obol_vendor_cert_sign(&f->v.cert, &sg)) != OBOL_OK ||
	    (e = obol_vendor_cert_encode(&f->v.cert, f->v.cbor, sizeof f->v.cbor, &len)) != OBOL_OK)
		return e;
	f->v.id.cred_len = len;
	struct obol_wallet_keysrc ks = { 0 };
	uint8_t box[32] = { 0 };
	if ((e = obol_wallet_create(path, &ks, &f->w)) != OBOL_OK ||
	    (e = obol_wallet_set_issuer(f->w, "http://127.0.0.1:1", f->master.pk, box, "EUR")) != OBOL_OK)
		return e;
	if (max_amount) {
		struct obol_paycap cap = { .has_max_amount = true, .max_amount = amt(max_amount) };
		if ((e = obol_wallet_set_limits(f->w, &cap)) != OBOL_OK)
			return e;
	}
	struct obol_devlink_expect x = { .issuer_pk = f->master.pk };
	if ((e = test_link_pair(&x, &f->v.id, 2000, &f->a, &f->b)) != OBOL_OK)
		return e;
	obol_payer_set_opts(o ? o : &yes);
	obol_devlink_set_payer(f->a, obol_wallet_payer(f->w));
	obol_payer_set_opts(NULL);
	return OBOL_OK;
}

static void teardown(struct fixture *f)
{
	obol_devlink_close(f->a);
	obol_devlink_close(f->b);
	obol_wallet_close(f->w);
	OBOL_WIPE(f->master);
	OBOL_WIPE(f->vendor_sign);
}

static const char *last(struct fixture *f, const char *key)
{
	json_t *a = json_object_get(obol_wallet_doc(f->w), "history");
	return json_string_value(json_object_get(json_array_get(a, json_array_size(a) - 1), key));
}

/* The vendor's receipt for what was sent on a (pay_body), signed by key. */
static obol_err send_receipt(struct fixture *f, const struct obol_fields *pay_body, const char *amount,
			     uint64_t units, const uint8_t *sk, bool flip)
{
	struct obol_receipt r;
	struct obol_receipt_spec sp;
	obol_err e;
	memset(&r, 0, sizeof r);
	snprintf(r.scheme, sizeof r.scheme, "coupon");
	r.vendor_id = f->v.cert.vendor_id;
	r.amount = amt(amount);
	r.units = units;
	r.time = obol_now();
	if ((e = obol_receipt_payment_id_of(pay_body, r.id)) != OBOL_OK || (e = obol_receipt_sign(&r, sk)) != OBOL_OK)
		return e;
	r.sig[3] ^= flip;
	obol_receipt_spec(&r, &sp);
	return obol_devlink_write(f->b, OBOL_DL_TYPE_RECEIPT, &sp.fields);
}

TEST(payer, default_cap_refuses_and_is_written)
{
	struct fixture f;
	struct obol_amount price = amt("EUR:0.003");
	REQUIRE_OK(setup(&f, "w1", "EUR:0.01", NULL));
	CHECK_ERR(obol_pay_offer(f.a, "coupon", &price, 10), OBOL_E_PAY_AMOUNT_OVER_CAP);
	CHECK_EQ_STR(last(&f, "state"), "refused");
	CHECK_EQ_STR(last(&f, "error"), "PAY_AMOUNT_OVER_CAP");
	/* within the cap the offer stands; then every token counts */
	CHECK_OK(obol_pay_offer(f.a, "coupon", &price, 3));
	struct obol_amount tok = amt("EUR:0.001");
	unsigned n = 0;
	obol_err e;
	while ((e = obol_pay_hand(f.a, &tok)) == OBOL_OK)
		n++;
	CHECK_ERR(e, OBOL_E_PAY_AMOUNT_OVER_CAP);
	CHECK_EQ_INT(n, 10);
	CHECK_EQ_STR(last(&f, "state"), "refused");
	CHECK_EQ_STR(last(&f, "amount"), "EUR:0.01");
	teardown(&f);
}

TEST(payer, command_line_cap_overrides_the_default)
{
	struct fixture f;
	struct obol_payer_opts o = { .cap = { .has_max_price = true, .max_price = amt("EUR:0.002") }, .yes = true };
	struct obol_amount price = amt("EUR:0.003");
	REQUIRE_OK(setup(&f, "w2", "EUR:100", &o));
	CHECK_ERR(obol_pay_offer(f.a, "coupon", &price, 1), OBOL_E_PAY_PRICE_OVER_CAP);
	CHECK_EQ_STR(last(&f, "error"), "PAY_PRICE_OVER_CAP");
	teardown(&f);
}

TEST(payer, receipt_kept_when_valid)
{
	struct fixture f;
	struct obol_amount price = amt("EUR:0.003"), paid = amt("EUR:0.006");
	struct obol_field fld[1] = { { .name = "x", .key = 1, .kind = OBOL_FIELD_AMOUNT, .value = &paid } };
	struct obol_fields body = { fld, 1 };
	REQUIRE_OK(setup(&f, "w3", NULL, NULL));
	REQUIRE_OK(obol_pay_offer(f.a, "coupon", &price, 2));
	REQUIRE_OK(obol_pay_hand(f.a, &paid));
	REQUIRE_OK(obol_pay_sent(f.a, &body));
	REQUIRE_OK(send_receipt(&f, &body, "EUR:0.006", 2, f.vendor_sign.sk, false));
	CHECK_OK(obol_pay_receipt(f.a, 2));
	CHECK_EQ_STR(last(&f, "state"), "paid");
	CHECK_EQ_STR(last(&f, "receipt_state"), "valid");
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	REQUIRE(out != NULL);
	CHECK_OK(obol_history_print(f.w, false, out));
	fclose(out);
	CHECK(text != NULL && strstr(text, "paid     EUR:0.006 for 2 unit(s) at test shop (vendor 7); receipt: verified"));
	free(text);
	teardown(&f);
}

TEST(payer, receipt_forged_missing_or_wrong)
{
	static const struct {
		const char *amount;
		uint64_t units;
		int key; /* 0 the vendor's, 1 another, 2 none sent */
		bool flip;
		obol_err want;
		const char *state;
	} cases[] = {
		{ "EUR:0.006", 2, 0, true, OBOL_E_RECEIPT_INVALID, "invalid" },
		{ "EUR:0.006", 2, 1, false, OBOL_E_RECEIPT_INVALID, "invalid" },
		{ "EUR:0.009", 2, 0, false, OBOL_E_RECEIPT_MISMATCH, "mismatch" },
		{ "EUR:0.006", 3, 0, false, OBOL_E_RECEIPT_MISMATCH, "mismatch" },
		{ "EUR:0.006", 2, 2, false, OBOL_E_RECEIPT_MISSING, "missing" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fixture f;
		struct obol_sign_keypair other;
		struct obol_amount price = amt("EUR:0.003"), paid = amt("EUR:0.006");
		struct obol_field fld[1] = { { .name = "x", .key = 1, .kind = OBOL_FIELD_AMOUNT, .value = &paid } };
		struct obol_fields body = { fld, 1 };
		char name[16];
		snprintf(name, sizeof name, "wr%zu", i);
		obol_sign_keypair_new(&other);
		REQUIRE_OK(setup(&f, name, NULL, NULL));
		REQUIRE_OK(obol_pay_offer(f.a, "coupon", &price, 2));
		REQUIRE_OK(obol_pay_hand(f.a, &paid));
		REQUIRE_OK(obol_pay_sent(f.a, &body));
		if (cases[i].key == 2) {
			obol_devlink_close(f.b); /* the vendor ends the link without one */
			f.b = NULL;
		} else {
			REQUIRE_OK(send_receipt(&f, &body, cases[i].amount, cases[i].units,
						cases[i].key == 0 ? f.vendor_sign.sk : other.sk, cases[i].flip));
		}
		CHECK_OK(obol_pay_receipt(f.a, 2)); /* the payment stands */
		CHECK_EQ_STR(last(&f, "error"), obol_strerror(cases[i].want));
		CHECK_EQ_STR(last(&f, "state"), "paid");
		CHECK_EQ_STR(last(&f, "receipt_state"), cases[i].state);
		CHECK(json_object_get(json_array_get(json_object_get(obol_wallet_doc(f.w), "history"), 0), "receipt") ==
		      NULL);
		teardown(&f);
		OBOL_WIPE(other);
	}
}
