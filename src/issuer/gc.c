/* Pruning in bounded batches: see gc.h. */
#include <string.h>

#include "issuer/gc.h"

static const struct obol_migration gc_steps[] = {
	/* 1: the nonces by expiry, read by the nonce rule */
	{ .sqlite = "CREATE INDEX ecash_nonces_expiry ON ecash_nonces (expiry);" },
};

struct batch {
	const char *sql; /* deletes at most ?2 rows older than ?1 */
	int64_t before;
	size_t limit;
	int64_t deleted;
};

static obol_err delete_batch(struct obol_store *s, void *ctx)
{
	struct batch *b = ctx;
	return obol_store_run(s, &b->deleted, b->sql, "ii", b->before, (int64_t)b->limit);
}

/* Runs one rule's batches until a batch deletes fewer than the limit. */
static obol_err prune(struct obol_store *s, struct batch *b, int64_t *total, int64_t *batches)
{
	obol_err e;
	do {
		b->deleted = 0;
		if ((e = obol_store_transact(s, delete_batch, b)) != OBOL_OK)
			return e;
		*total += b->deleted;
		(*batches)++;
	} while (b->deleted == (int64_t)b->limit);
	return OBOL_OK;
}

obol_err obol_issuer_gc(struct obol_store *s, const struct obol_gc_opts *o, struct obol_gc_counts *out)
{
	memset(out, 0, sizeof(*out));
	if (o->batch == 0 || o->batch > OBOL_GC_BATCH_MAX)
		return OBOL_E_INVALID_ARGUMENT;
	obol_err e = obol_store_migrate(s, "gc", gc_steps, OBOL_ARRAY_LEN(gc_steps));
	if (e != OBOL_OK)
		return e;
	struct batch nonces = {
		.sql = "DELETE FROM ecash_nonces WHERE nonce IN"
		       " (SELECT nonce FROM ecash_nonces WHERE expiry < ? ORDER BY expiry LIMIT ?)",
		.before = o->now - OBOL_GC_NONCE_MARGIN,
		.limit = o->batch,
	};
	return prune(s, &nonces, &out->nonces, &out->batches);
}
