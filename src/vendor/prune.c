/* Pruning of the vendor's registries in bounded batches: see prune.h. The
 * vendor's database is SQLite (vendor.c). */
#include <stdlib.h>
#include <string.h>

#include "vendor/prune.h"

static const struct obol_migration coupon_steps[] = {
	/* 1: the answered coins by deadline */
	{ .sqlite = "CREATE INDEX coupon_vcoins_deadline ON coupon_vcoins (state, deadline);" },
};

static const struct obol_migration payword_steps[] = {
	/* 1: the end of each certificate seen (NULL for those seen before) */
	{ .sqlite = "ALTER TABLE payword_v_serials ADD COLUMN not_after BIGINT;"
		    "CREATE INDEX payword_v_serials_not_after ON payword_v_serials (not_after);" },
};

static const struct obol_migration ecash_steps[] = {
	/* 1: the coin's expiry (NULL for the coins received before), the
	 * answered coins by it, and the coins of a deposit */
	{ .sqlite = "ALTER TABLE ecash_received ADD COLUMN expiry BIGINT;"
		    "CREATE INDEX ecash_received_expiry ON ecash_received (expiry) WHERE result IS NOT NULL;"
		    "CREATE INDEX ecash_received_outbox ON ecash_received (outbox);" },
};

obol_err obol_vendor_prune_coupon_migrate(struct obol_store *s)
{
	return obol_store_migrate(s, "coupon-vendor-prune", coupon_steps, OBOL_ARRAY_LEN(coupon_steps));
}

obol_err obol_vendor_prune_payword_migrate(struct obol_store *s)
{
	return obol_store_migrate(s, "payword-vendor-prune", payword_steps, OBOL_ARRAY_LEN(payword_steps));
}

obol_err obol_vendor_prune_ecash_migrate(struct obol_store *s)
{
	return obol_store_migrate(s, "ecash-vendor-prune", ecash_steps, OBOL_ARRAY_LEN(ecash_steps));
}

struct batch {
	int64_t before;
	size_t limit;
	size_t picked; /* coins or certificates this batch took */
	int64_t rows, sales, outbox;
};

/* The answered coins (settled 2, refused 3) past the margin, oldest first:
 * the same rows for both statements of a batch. */
#define COUPON_GONE                                                                                        \
	"SELECT rowid FROM coupon_vcoins WHERE state IN (2, 3) AND deadline < ? ORDER BY deadline, rowid" \
	" LIMIT ?"

static obol_err coupon_batch(struct obol_store *s, void *ctx)
{
	struct batch *b = ctx;
	obol_err e;
	b->rows = b->sales = b->outbox = 0;
	if ((e = obol_store_run(s, &b->outbox,
				"DELETE FROM outbox WHERE state <> 0 AND id IN (SELECT outbox_row FROM coupon_vcoins"
				" WHERE rowid IN (" COUPON_GONE "))",
				"ii", b->before, (int64_t)b->limit)) != OBOL_OK)
		return e;
	e = obol_store_run(s, &b->rows, "DELETE FROM coupon_vcoins WHERE rowid IN (" COUPON_GONE ")", "ii", b->before,
			   (int64_t)b->limit);
	b->picked = (size_t)b->rows;
	return e;
}

static obol_err payword_batch(struct obol_store *s, void *ctx)
{
	struct batch *b = ctx;
	struct obol_stmt *st = NULL;
	int64_t *serials = NULL;
	bool row = false;
	obol_err e;
	b->picked = 0;
	b->rows = b->sales = b->outbox = 0;
	if ((serials = calloc(b->limit, sizeof(*serials))) == NULL)
		return OBOL_E_NO_MEMORY;
	if ((e = obol_stmt_prepare(s,
				   "SELECT serial FROM payword_v_serials c WHERE not_after < ? AND NOT EXISTS"
				   " (SELECT 1 FROM payword_v_sales a WHERE a.serial = c.serial AND a.reported = 0)"
				   " ORDER BY not_after LIMIT ?",
				   &st)) != OBOL_OK)
		goto out;
	if ((e = obol_stmt_bindf(st, "ii", b->before, (int64_t)b->limit)) != OBOL_OK)
		goto out;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		serials[b->picked++] = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	st = NULL;
	for (size_t i = 0; e == OBOL_OK && i < b->picked; i++) {
		int64_t n = 0;
		if ((e = obol_store_run(s, &n,
					"DELETE FROM outbox WHERE state <> 0 AND id IN"
					" (SELECT outbox_id FROM payword_v_sales WHERE serial = ?)",
					"i", serials[i])) != OBOL_OK)
			break;
		b->outbox += n;
		if ((e = obol_store_run(s, &n, "DELETE FROM payword_v_sales WHERE serial = ?", "i", serials[i])) !=
		    OBOL_OK)
			break;
		b->sales += n;
		if ((e = obol_store_run(s, &n, "DELETE FROM payword_v_serials WHERE serial = ?", "i", serials[i])) ==
		    OBOL_OK)
			b->rows += n;
	}
out:
	obol_stmt_finish(st);
	free(serials);
	return e;
}

/* The ecash rule (prune.h): a received coin whose deposit the bank answered
 * coin by coin (result set, in the unit that marked the deposit's outbox
 * row done: credited "OK", or the bank's registry refused that coin) and
 * whose expiry is more than the margin past. Why nothing can need the row
 * then:
 *   - a payment with its serial: ecash_merchant_verify takes a coin only at
 *     a now <= its expiry (ECASH_COIN_EXPIRED), with a last claim dated
 *     within max_skew of now and no later than the expiry + max_skew
 *     (ECASH_TIMESTAMP_STALE); past the expiry it is refused so before the
 *     registry is read, whatever else the payment holds. The expiry is the
 *     bank's, signed in the coin (another one fails σ0 first), so no key
 *     announcement moves it; the bank key's accept_until can only refuse
 *     the coin earlier (ECASH_BANK_KEY_RETIRED; ecash_rotate.c accepts a
 *     key a coin lifetime and the deposit window past its use), never
 *     later, which is why the rule reads the expiry alone. The margin covers a vendor clock set
 *     back and the skew.
 *   - its deposit: answered, so there is no retry; a coin the bank's
 *     registry refused (already deposited, double spent, retired, ...) is
 *     refused so for good. A deposit still pending in the outbox keeps its
 *     coins (result NULL), and so does one the bank refused whole (outbox
 *     row failed, every coin's result the request's error: the vendor's
 *     certificate or account refused, say): its coins could still be
 *     deposited until their bank key's accept_until, which may be months
 *     past their expiry, and the row is the vendor's record of them; they
 *     stay for the operator.
 *   - a double spend (seed 002 §3.5.1, §4.3.2): the bank names it from the
 *     chains in its own spent registry (the chain our deposit carried) and
 *     the later deposit, whose claims cannot be dated after the expiry
 *     either; it never asks the vendor for the row. The nonce and σ1 kept
 *     here (the payer's signed nonce, evidence for a dispute raised by
 *     hand) are kept the coin's whole life and the margin after.
 *   - the receipt: signed and sent after the row's unit committed; the
 *     vendor never sends it again from the row (the wallet keeps it).
 * The deposit's delivered outbox row goes with its last coin. */
#define ECASH_GONE                                                                                                \
	"SELECT rowid, outbox FROM ecash_received r WHERE expiry < ? AND result IS NOT NULL AND EXISTS"           \
	" (SELECT 1 FROM outbox o WHERE o.id = r.outbox AND o.state = 1) ORDER BY expiry, rowid LIMIT ?"

static obol_err ecash_batch(struct obol_store *s, void *ctx)
{
	struct batch *b = ctx;
	struct obol_stmt *st = NULL;
	int64_t *rowids = NULL, *outboxes = NULL;
	bool row = false;
	obol_err e;
	b->picked = 0;
	b->rows = b->sales = b->outbox = 0;
	if ((rowids = calloc(b->limit, sizeof(*rowids))) == NULL ||
	    (outboxes = calloc(b->limit, sizeof(*outboxes))) == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = obol_stmt_prepare(s, ECASH_GONE, &st)) != OBOL_OK)
		goto out;
	if ((e = obol_stmt_bindf(st, "ii", b->before, (int64_t)b->limit)) != OBOL_OK)
		goto out;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row && b->picked < b->limit) {
		rowids[b->picked] = obol_stmt_column_int64(st, 0);
		outboxes[b->picked++] = obol_stmt_column_int64(st, 1);
	}
	obol_stmt_finish(st);
	st = NULL;
	for (size_t i = 0; e == OBOL_OK && i < b->picked; i++) {
		int64_t n = 0;
		if ((e = obol_store_run(s, &n, "DELETE FROM ecash_received WHERE rowid = ?", "i", rowids[i])) == OBOL_OK)
			b->rows += n;
	}
	/* A payment's coins share its deposit's row: it goes with the last. */
	for (size_t i = 0; e == OBOL_OK && i < b->picked; i++) {
		int64_t n = 0;
		if ((e = obol_store_run(s, &n,
					"DELETE FROM outbox WHERE id = ? AND state = 1 AND NOT EXISTS"
					" (SELECT 1 FROM ecash_received WHERE outbox = ?)",
					"ii", outboxes[i], outboxes[i])) == OBOL_OK)
			b->outbox += n;
	}
out:
	obol_stmt_finish(st);
	free(rowids);
	free(outboxes);
	return e;
}

/* Runs one rule's batches until a batch takes fewer than the limit. */
static obol_err prune(struct obol_store *s, obol_store_tx_fn fn, struct batch *b, int64_t *rows, int64_t *sales,
		      struct obol_vendor_prune_counts *out)
{
	obol_err e;
	do {
		if ((e = obol_store_transact(s, fn, b)) != OBOL_OK)
			return e;
		*rows += b->rows;
		if (sales != NULL)
			*sales += b->sales;
		out->outbox += b->outbox;
		out->batches++;
	} while (b->picked == b->limit);
	return OBOL_OK;
}

obol_err obol_vendor_prune(struct obol_store *s, int64_t now, size_t batch, struct obol_vendor_prune_counts *out)
{
	int64_t coupon = 0, payword = 0, ecash = 0;
	obol_err e;
	memset(out, 0, sizeof(*out));
	if (batch == 0 || batch > 100000)
		return OBOL_E_INVALID_ARGUMENT;
	if ((e = obol_store_schema_version(s, "coupon-vendor-prune", &coupon)) != OBOL_OK ||
	    (e = obol_store_schema_version(s, "payword-vendor-prune", &payword)) != OBOL_OK ||
	    (e = obol_store_schema_version(s, "ecash-vendor-prune", &ecash)) != OBOL_OK)
		return e;
	struct batch b = { .before = now - OBOL_VENDOR_PRUNE_MARGIN, .limit = batch };
	if (coupon > 0 && (e = prune(s, coupon_batch, &b, &out->coupon_coins, NULL, out)) != OBOL_OK)
		return e;
	if (payword > 0 && (e = prune(s, payword_batch, &b, &out->payword_serials, &out->payword_sales, out)) != OBOL_OK)
		return e;
	if (ecash > 0)
		e = prune(s, ecash_batch, &b, &out->ecash_coins, NULL, out);
	return e;
}
