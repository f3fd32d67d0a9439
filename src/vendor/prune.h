/* Pruning of the vendor daemon's registries (docs/operations.md, "What
 * grows: the inventory", Vendor): what can no longer matter goes, in
 * batches of at most `batch` rows, one short transaction each, so that
 * sales never wait on a long one.
 *
 * Rules:
 *   coupon   a coin locked to this vendor (coupon_vcoins) whose settle was
 *            answered (settled or refused for good) and whose lock deadline
 *            is more than OBOL_VENDOR_PRUNE_MARGIN past, with its delivered
 *            outbox row. Another payment of that coin needs a new lock,
 *            which the issuer decides on its own records; the vendor never
 *            reads the row again (its settle is done).
 *   payword  a certificate seen (payword_v_serials) whose not_after is more
 *            than OBOL_VENDOR_PRUNE_MARGIN past and whose sales were all
 *            reported (accepted or refused), with those sales and their
 *            delivered outbox rows. A purchase, a retry of one or a product
 *            request with that certificate is refused
 *            PAYWORD_CERT_EXPIRED / PAYWORD_AUTH_INVALID before the row
 *            would be read. Certificates seen before the vendor kept their
 *            not_after (component "payword-vendor-prune") are never pruned.
 *   ecash    a coin received (ecash_received) whose deposit the bank
 *            answered coin by coin (result set and the outbox row done:
 *            credited or refused by its registry; a deposit refused whole
 *            keeps its coins) and whose expiry is more than
 *            OBOL_VENDOR_PRUNE_MARGIN past, with the deposit's delivered
 *            outbox row once no coin of it is left. A
 *            payment with that serial is refused ECASH_COIN_EXPIRED before
 *            the registry is read, the deposit is not sent again, and the
 *            bank names a double spend from its own registry (prune.c says
 *            why each is safe). Coins received before the vendor kept their
 *            expiry (component "ecash-vendor-prune") are never pruned. The
 *            daemon's in-memory registry (ecash_merchant_remember) loses
 *            the pruned serials at its next start, when only the rows left
 *            are loaded; until then they are kept, and never matched (the
 *            expiry check comes first).
 * The codex tables are not pruned here.
 *
 * The components "coupon-vendor-prune", "payword-vendor-prune" and
 * "ecash-vendor-prune" add the indexes (and the payword not_after and ecash
 * expiry columns) the rules read by; each is applied by its scheme's start
 * (obol_vendor_prune_*_migrate). */
#ifndef OBOL_VENDOR_PRUNE_H
#define OBOL_VENDOR_PRUNE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define OBOL_VENDOR_PRUNE_MARGIN (30 * 86400) /* past the deadline, not_after or expiry */
#define OBOL_VENDOR_PRUNE_INTERVAL 3600       /* the daemon prunes every hour */
#define OBOL_VENDOR_PRUNE_BATCH 1000

OBOL_MUST_CHECK obol_err obol_vendor_prune_coupon_migrate(struct obol_store *s);
OBOL_MUST_CHECK obol_err obol_vendor_prune_payword_migrate(struct obol_store *s);
/* After the component "ecash" (the table ecash_received). */
OBOL_MUST_CHECK obol_err obol_vendor_prune_ecash_migrate(struct obol_store *s);

struct obol_vendor_prune_counts {
	int64_t coupon_coins;    /* coupon_vcoins rows removed */
	int64_t payword_serials; /* payword_v_serials rows removed */
	int64_t payword_sales;   /* payword_v_sales rows removed */
	int64_t ecash_coins;     /* ecash_received rows removed */
	int64_t outbox;          /* delivered outbox rows removed with them */
	int64_t batches;         /* transactions committed */
};

/* Every rule of a scheme whose component is applied, until nothing is left
 * to prune at now. INVALID_ARGUMENT for a batch of 0 or above 100000;
 * store errors. */
OBOL_MUST_CHECK obol_err obol_vendor_prune(struct obol_store *s, int64_t now, size_t batch,
					   struct obol_vendor_prune_counts *out);

#endif
