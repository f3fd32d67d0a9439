/* The coupon scheme inside the issuer daemon: the state its start() loads,
 * shared by coupon_scheme.c (registration) and coupon_routes.c (endpoints). */
#ifndef OBOL_ISSUER_COUPON_ISSUER_H
#define OBOL_ISSUER_COUPON_ISSUER_H

#include <pthread.h>

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
	/* New denominations are appended while serving (coupon_scheme.c
	 * denoms_refresh), never changed or removed: an entry below ndenoms
	 * stays as it is, and ndenoms (here and in is) grows only after its
	 * entry is whole. reload_mu serialises the refreshes; seen_serial and
	 * seen_id are the newest signed announcement and denomination id the
	 * last one saw. */
	pthread_mutex_t reload_mu;
	int64_t seen_serial, seen_id;
};

#endif
