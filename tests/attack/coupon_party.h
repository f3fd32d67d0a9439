/* What the coupon scheme's cheating vendors share: a registered vendor's
 * keys and certificate (from its DIR, as `obol vendor init` and `obol issuer
 * vendor add --out` left them), the issuer's verified keys, a client to the
 * issuer signed as the vendor, and a device-link listener. With these a
 * cheating vendor locks and settles at the real issuer, so the money it
 * takes is real and the honest wallet's loss (or its absence) shows in the
 * issuer's books. */
#ifndef OBOL_TESTS_ATTACK_COUPON_PARTY_H
#define OBOL_TESTS_ATTACK_COUPON_PARTY_H

#include <stdbool.h>
#include <stdio.h>

#include "net/devlink.h"
#include "net/http_client.h"
#include "schemes/common/vendor_cert.h"
#include "schemes/coupon/keys.h"
#include "schemes/coupon/vendor.h"

struct coupon_party {
	struct obol_sign_keypair sign;
	struct obol_box_keypair box;
	uint8_t cert[OBOL_VENDOR_CERT_MAX];
	size_t cert_len;
	uint8_t issuer_pk[32];
	struct coupon_keys keys;
	struct coupon_vendor_cfg cfg;
	struct obol_http_client *http; /* authenticated as the vendor */
	int listen_fd;
};

/* Loads the vendor of dir, the issuer's keys from url, and listens on
 * `listen` (prints "listening on HOST:PORT"). price is the unit price. */
obol_err coupon_party_open(struct coupon_party *p, const char *dir, const char *url, const char *listen,
			   const char *price);
void coupon_party_close(struct coupon_party *p);

/* Waits (up to timeout_s) for one wallet on the listener, and proves the
 * vendor's box key and certificate to it (the device link's handshake). */
obol_err coupon_party_accept(struct coupon_party *p, int timeout_s, struct obol_devlink **dl);

/* POST /coupon/lock and /coupon/settle at the issuer, signed as the vendor. */
obol_err coupon_party_lock(struct coupon_party *p, const struct coupon_lock_req *req, struct coupon_lock_reply *reply);
obol_err coupon_party_settle(struct coupon_party *p, const struct coupon_vendor_coin *c,
			     struct coupon_settle_reply *reply);

/* Sends one frame of a message spec. */
obol_err coupon_party_send(struct obol_devlink *dl, uint32_t type, struct coupon_spec *spec);

/* "--name value" options: the value of name in argv, or NULL. */
const char *coupon_party_arg(int argc, char **argv, const char *name);

#endif
