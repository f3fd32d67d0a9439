/* The coupon scheme inside the issuer daemon: the state its start() loads,
 * shared by coupon_scheme.c (registration) and coupon_routes.c (endpoints). */
#ifndef OBOL_ISSUER_COUPON_ISSUER_H
#define OBOL_ISSUER_COUPON_ISSUER_H

#include "issuer/coupon_store.h"
#include "issuer/issuer.h"
#include "schemes/coupon/issuer.h"

struct coupon_issuer_state {
	struct coupon_denom denoms[COUPON_DENOMS_MAX]; /* private keys, owned */
	size_t ndenoms;
	struct coupon_issuer is;                      /* points into denoms and the issuer's keys */
	int64_t liability;                            /* the @liability:coupon account */
	/* With the issuer's signing process: each denomination's key id
	 * there (obol_rsa_key_id), and its client; the keys here are public. */
	uint8_t key_ids[COUPON_DENOMS_MAX][32];
	struct obol_signer_client *signer;
};

#endif
