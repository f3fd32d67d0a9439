/* The wallet's history kept to its newest entries (issue 18,
 * src/wallet/prune.h): each open drops at most a batch of the oldest
 * finished entries past OBOL_HISTORY_KEEP, never a pending payment, and the
 * next save keeps it; the entries kept are the newest, in order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "wallet/file.h"
#include "wallet/history.h"
#include "wallet/prune.h"

static size_t history_size(struct obol_wallet *w)
{
	return json_array_size(json_object_get(obol_wallet_doc(w), "history"));
}

TEST(wallet_prune, history_keeps_its_newest_entries_and_every_pending_one_a_batch_per_open)
{
	struct obol_wallet *w = NULL;
	struct obol_wallet_keysrc ks = { 0 };
	char p[512];
	snprintf(p, sizeof(p), "%s/w", test_tmpdir());
	setenv("OBOL_ARGON2_FAST", "1", 1);
	setenv("OBOL_PASSPHRASE", "correct horse", 1);
	REQUIRE_OK(obol_wallet_create(p, &ks, &w));
	/* the oldest entry is a payment whose outcome is not known yet */
	REQUIRE_OK(obol_history_append(w, json_pack("{s:s, s:s, s:s}", "kind", "payment", "scheme", "coupon", "state",
						    "pending"),
				       NULL));
	size_t total = OBOL_HISTORY_KEEP + 2 * OBOL_HISTORY_PRUNE_BATCH + 500;
	for (size_t i = 1; i < total; i++)
		REQUIRE_OK(obol_history_note(w, "topup", "ecash", NULL, "done"));
	REQUIRE_OK(obol_wallet_save(w));
	obol_wallet_close(w);

	/* three opens, each saved: a batch, a batch, then down to the newest
	 * OBOL_HISTORY_KEEP and the pending one */
	size_t want[] = { total - OBOL_HISTORY_PRUNE_BATCH, total - 2 * OBOL_HISTORY_PRUNE_BATCH, OBOL_HISTORY_KEEP + 1,
			  OBOL_HISTORY_KEEP + 1 };
	for (size_t k = 0; k < 4; k++) {
		REQUIRE_OK(obol_wallet_open(p, &ks, &w));
		CHECK_EQ_INT(history_size(w), want[k]);
		REQUIRE_OK(obol_wallet_save(w));
		obol_wallet_close(w);
	}
	REQUIRE_OK(obol_wallet_open(p, &ks, &w));
	json_t *first = obol_history_at(w, 0), *second = obol_history_at(w, 1), *last = obol_history_at(w, OBOL_HISTORY_KEEP);
	CHECK_EQ_STR(json_string_value(json_object_get(first, "state")), "pending");
	CHECK_EQ_INT(json_integer_value(json_object_get(first, "seq")), 1);
	/* the newest entries, in order: seq total - KEEP + 1 .. total */
	CHECK_EQ_INT(json_integer_value(json_object_get(second, "seq")), (long long)(total - OBOL_HISTORY_KEEP + 1));
	CHECK_EQ_INT(json_integer_value(json_object_get(last, "seq")), (long long)total);
	/* a new entry still takes the next number */
	size_t at = 0;
	REQUIRE_OK(obol_history_append(w, json_pack("{s:s, s:s, s:s}", "kind", "topup", "scheme", "ecash", "state",
						    "done"),
				       &at));
	CHECK_EQ_INT(json_integer_value(json_object_get(obol_history_at(w, at), "seq")), (long long)total + 1);
	obol_wallet_close(w);
}
