/* The client's page loop for the bank's revocation list (GET
 * /ecash/revocations/page, rl_pages.h), shared by the vendor daemon's
 * refresh and the wallet's: asks page after page, each checked by
 * ecash_rl_fetch_take, until the last. */
#ifndef OBOL_VENDOR_ECASH_RL_FETCH_H
#define OBOL_VENDOR_ECASH_RL_FETCH_H

#include "net/http_client.h"
#include "schemes/ecash/rl_pages.h"

/* What one fetch moved: its pages and their bodies' bytes (compact JSON). */
struct ecash_rl_fetch_stats {
	size_t pages, bytes;
};
/* Fetches the rest of f (begun by ecash_rl_fetch_begin) from the issuer at
 * c: transport and wire errors, and those of ecash_rl_fetch_take (a page
 * the bank did not sign, or that does not answer the question). f->done on
 * success; the caller applies it (ecash_rl_fetch_apply) and frees it.
 * stats (may be NULL) counts what travelled. */
OBOL_MUST_CHECK obol_err ecash_rl_fetch_pages(struct obol_http_client *c, const struct ecash_bank_keys *bank_pk, struct ecash_rl_fetch *f,
					      struct ecash_rl_fetch_stats *stats);

#endif
