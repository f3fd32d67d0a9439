/* Device-link identities for tests: a vendor's box key and a certificate
 * that an issuer master key signs, ready for obol_devlink_respond. */
#ifndef OBOL_TESTS_LINK_FIXTURE_H
#define OBOL_TESTS_LINK_FIXTURE_H

#include "net/devlink.h"

struct test_link_vendor {
	struct obol_box_keypair box;
	struct obol_vendor_cert cert;
	uint8_t cbor[OBOL_VENDOR_CERT_MAX];
	struct obol_devlink_identity id;
};

/* A vendor valid from now for a day, certified by master_sk (64 bytes,
 * Ed25519 seed || pk). */
obol_err test_link_vendor(const uint8_t master_sk[64], struct test_link_vendor *v);

/* Runs obol_devlink_respond(l, id) on a thread of its own; join it with
 * test_link_respond_join, which returns its result. */
struct test_link_responder;
struct test_link_responder *test_link_respond_async(struct obol_devlink *l, const struct obol_devlink_identity *id);
obol_err test_link_respond_join(struct test_link_responder *r);

/* Two ends of a socketpair with a session: a is the initiator (expecting
 * what x allows), b the responder proving id. */
obol_err test_link_pair(const struct obol_devlink_expect *x, const struct obol_devlink_identity *id, int timeout_ms,
			struct obol_devlink **a, struct obol_devlink **b);

#endif
