/* The vendor daemon's checks of a renewal (src/vendor/renew.h): when it is
 * due, and what it takes from the issuer in place of its certificate. */
#include <string.h>

#include "../test.h"
#include "vendor/renew.h"

/* Signs c as the issuer would (a local signer over its key). */
static obol_err sign_as(struct obol_vendor_cert *c, const struct obol_sign_keypair *issuer)
{
	struct obol_ed25519_signer sg;
	obol_ed25519_signer_local(&sg, issuer);
	return obol_vendor_cert_sign(c, &sg);
}

static void cert_at(struct obol_vendor_cert *c, const struct obol_sign_keypair *issuer, int64_t from, int64_t until)
{
	memset(c, 0, sizeof *c);
	c->vendor_id = 4;
	c->account = 4;
	strcpy(c->name, "stall");
	memset(c->sign_pk, 0x22, 32);
	memset(c->box_pk, 0x33, 32);
	c->has_box_pk = true;
	c->valid_from = from;
	c->valid_until = until;
	CHECK_OK(sign_as(c, issuer));
}

TEST(vendor_renew, due_within_the_margin)
{
	struct obol_sign_keypair issuer;
	struct obol_vendor_cert c;
	obol_sign_keypair_new(&issuer);
	cert_at(&c, &issuer, 1000, 100000);
	CHECK(!obol_vendor_renewal_due(&c, 10000, 89999));
	CHECK(obol_vendor_renewal_due(&c, 10000, 90000));
	CHECK(obol_vendor_renewal_due(&c, 10000, 200000));
}

TEST(vendor_renew, takes_only_a_later_certificate_of_itself)
{
	struct obol_sign_keypair issuer, other;
	struct obol_vendor_cert cur, fresh, bad;
	char id1[64], id2[64];
	obol_sign_keypair_new(&issuer);
	obol_sign_keypair_new(&other);
	cert_at(&cur, &issuer, 1000, 100000);
	cert_at(&fresh, &issuer, 95000, 195000);
	CHECK_OK(obol_vendor_renewal_check(&cur, &fresh, issuer.pk, 95000));
	/* not the issuer's */
	cert_at(&bad, &other, 95000, 195000);
	CHECK_ERR(obol_vendor_renewal_check(&cur, &bad, issuer.pk, 95000), OBOL_E_VENDOR_CERT_INVALID);
	/* not valid now */
	CHECK_ERR(obol_vendor_renewal_check(&cur, &fresh, issuer.pk, 94000), OBOL_E_VENDOR_CERT_EXPIRED);
	/* another vendor, account, name, signing or box key */
	bad = fresh;
	bad.vendor_id = 5;
	CHECK_OK(sign_as(&bad, &issuer));
	CHECK_ERR(obol_vendor_renewal_check(&cur, &bad, issuer.pk, 95000), OBOL_E_VENDOR_CERT_INVALID);
	bad = fresh;
	bad.account = 5;
	CHECK_OK(sign_as(&bad, &issuer));
	CHECK_ERR(obol_vendor_renewal_check(&cur, &bad, issuer.pk, 95000), OBOL_E_VENDOR_CERT_INVALID);
	bad = fresh;
	strcpy(bad.name, "stall2");
	CHECK_OK(sign_as(&bad, &issuer));
	CHECK_ERR(obol_vendor_renewal_check(&cur, &bad, issuer.pk, 95000), OBOL_E_VENDOR_CERT_INVALID);
	bad = fresh;
	bad.sign_pk[0] ^= 1;
	CHECK_OK(sign_as(&bad, &issuer));
	CHECK_ERR(obol_vendor_renewal_check(&cur, &bad, issuer.pk, 95000), OBOL_E_VENDOR_CERT_INVALID);
	bad = fresh;
	bad.has_box_pk = false;
	CHECK_OK(sign_as(&bad, &issuer));
	CHECK_ERR(obol_vendor_renewal_check(&cur, &bad, issuer.pk, 95000), OBOL_E_VENDOR_CERT_INVALID);
	/* the current one given back: not a renewal */
	CHECK_ERR(obol_vendor_renewal_check(&cur, &cur, issuer.pk, 95000), OBOL_E_VENDOR_CERT_NOT_RENEWED);
	/* the request id names the certificate renewed: the same for a retry */
	CHECK_OK(obol_vendor_renewal_id(&cur, id1));
	CHECK_OK(obol_vendor_renewal_id(&cur, id2));
	CHECK_EQ_STR(id1, id2);
	CHECK_OK(obol_vendor_renewal_id(&fresh, id2));
	CHECK(strcmp(id1, id2) != 0);
}
