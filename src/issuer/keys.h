/* The issuer's own keys (DESIGN §4): the master Ed25519 key, which signs vendor
 * certificates, the GET /keys document, CRLs and blacklists, and the X25519 box
 * key to which wallets seal authorisations for the issuer (DESIGN §3).
 *
 * They live in the issuer database, table issuer_keys (migration component
 * "issuer"), created once by `obol issuer init`. The database is the issuer's
 * trust boundary: protect it as the keys it holds. Scheme keys (coupon
 * denominations, ecash bank keys, ...) live in each scheme's own tables. */
#ifndef OBOL_ISSUER_KEYS_H
#define OBOL_ISSUER_KEYS_H

#include <stdint.h>

#include "core/amount.h"
#include "core/error.h"
#include "crypto/seal.h"
#include "crypto/sign.h"
#include "store/store.h"

struct obol_issuer_keys {
	struct obol_sign_keypair master; /* secret half: wipe with obol_issuer_keys_wipe */
	struct obol_box_keypair box;
	char currency[OBOL_CURRENCY_MAX + 1];
	int64_t created;
};

/* Creates the issuer_keys table (component "issuer"); idempotent. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_migrate(struct obol_store *s);

/* Draws new keys and stores them (inside the caller's transaction).
 * ALREADY_INITIALISED when keys exist. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_create(struct obol_store *s, const char *currency, int64_t now,
						 struct obol_issuer_keys *out);

/* Loads the keys. KEYS_UNKNOWN when the database has none. */
OBOL_MUST_CHECK obol_err obol_issuer_keys_load(struct obol_store *s, struct obol_issuer_keys *out);

void obol_issuer_keys_wipe(struct obol_issuer_keys *k);

#endif
