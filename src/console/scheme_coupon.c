/* The console's view of the coupon scheme (console_scheme.h): each
 * denomination's RSA key and its two windows (withdraw until, spend until),
 * from table coupon_denoms (src/issuer/coupon_store.h); at a vendor, the
 * coins it locked and the tokens they paid, the lock token among them
 * (DESIGN §5 step 6; table coupon_vcoins, src/vendor/coupon_vendor.c), valued at their denomination's token value
 * from the issuer's key document. */
#include <stdio.h>
#include <string.h>

#include "console/console_scheme.h"
#include "console/html.h"
#include "core/parse.h"
#include "vendor/vendor.h"

static obol_err coupon_keys(struct obol_store *s, obol_console_key_fn fn, void *ctx)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, "SELECT id, currency, value_units, n, withdraw_until, spend_until, created"
					  " FROM coupon_denoms ORDER BY id", &st);
	if (e != OBOL_OK)
		return e;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		struct obol_amount v;
		char amt[OBOL_AMOUNT_STR_MAX] = "?";
		int64_t id = obol_stmt_column_int64(st, 0);
		if (obol_amount_from_units(obol_stmt_column_text(st, 1), obol_stmt_column_int64(st, 2), &v) == OBOL_OK)
			obol_amount_format(&v, amt);
		struct obol_console_key k = { .scheme = "coupon", .kind = "RSA blind signatures (RFC 9474)",
					      .from = obol_stmt_column_int64(st, 6) };
		snprintf(k.id, sizeof k.id, "denom-%lld", (long long)id);
		snprintf(k.name, sizeof k.name, "denomination %lld: %s in %lld tokens", (long long)id, amt,
			 (long long)obol_stmt_column_int64(st, 3));
		k.window = "withdraw";
		k.until = obol_stmt_column_int64(st, 4);
		if ((e = fn(ctx, &k)) != OBOL_OK)
			break;
		k.window = "spend";
		k.until = obol_stmt_column_int64(st, 5);
		if ((e = fn(ctx, &k)) != OBOL_OK)
			break;
	}
	obol_stmt_finish(st);
	return e;
}

/* The token value of a denomination, from the issuer's key document. */
static obol_err token_value(const json_t *keys, int64_t denom, struct obol_amount *out)
{
	const json_t *arr = json_object_get(json_object_get(keys, "coupon"), "denoms"), *d;
	size_t i;
	json_array_foreach(arr, i, d)
	{
		if (json_integer_value(json_object_get(d, "id")) == denom) {
			const char *tv = json_string_value(json_object_get(d, "token_value"));
			return tv != NULL ? obol_amount_parse(tv, out) : OBOL_E_CONFIG;
		}
	}
	return OBOL_E_NOT_FOUND;
}

static obol_err coupon_sales(struct obol_vendor *v, struct obol_store *s, int64_t since, struct obol_console_sales *out)
{
	struct obol_stmt *st = NULL;
	json_t *keys = NULL;
	bool row = false;
	obol_err e = obol_vendor_issuer_keys(v, false, &keys);
	if (e != OBOL_OK)
		return e;
	out->count2_unit = "tokens";
	out->has_value = true;
	e = obol_stmt_prepare(s, "SELECT denom, count(*), coalesce(sum(lock_index - last_index + 1), 0) FROM coupon_vcoins"
				 " WHERE created >= ? GROUP BY denom ORDER BY denom", &st);
	if (e != OBOL_OK)
		goto out;
	if ((e = obol_stmt_bind_int64(st, 1, since)) != OBOL_OK)
		goto out;
	while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		struct obol_amount tv, part;
		int64_t tokens = obol_stmt_column_int64(st, 2);
		out->payments += obol_stmt_column_int64(st, 1);
		out->count2 += tokens;
		if (token_value(keys, obol_stmt_column_int64(st, 0), &tv) != OBOL_OK || tokens < 0 ||
		    obol_amount_mul(&part, &tv, (uint64_t)tokens) != OBOL_OK ||
		    obol_amount_add(&out->value, &out->value, &part) != OBOL_OK)
			out->has_value = false;
	}
out:
	if (st != NULL)
		obol_stmt_finish(st);
	json_decref(keys);
	return e;
}

/* At the issuer: coins are blind until their first lock (coupon_store.h),
 * so the page counts the withdrawals, the coins seen at a lock, and lists
 * the open locks with their deadlines (a lock past it may be taken over by
 * another vendor; DESIGN §5). */
static obol_err coupon_outstanding(struct obol_console_req *r, struct obol_store *s)
{
	static const char *const cols[] = { "coin", "denomination", "vendor", "tokens credited", "lock until", NULL };
	struct obol_stmt *st = NULL;
	bool row = false;
	int64_t withdrawn = 0, seen = 0, locked = 0, shown = 0;
	obol_err e;
	if ((e = obol_console_count(s, "SELECT count(*) FROM coupon_withdrawals", &withdrawn)) != OBOL_OK ||
	    (e = obol_console_count(s, "SELECT count(*) FROM coupon_coins", &seen)) != OBOL_OK ||
	    (e = obol_console_count(s, "SELECT count(*) FROM coupon_coins WHERE locked <> 0", &locked)) != OBOL_OK)
		return e;
	obol_html_printf(&r->body, "<p>%lld coins withdrawn; %lld seen at a lock; <strong>%lld locked now</strong>.</p>",
			 (long long)withdrawn, (long long)seen, (long long)locked);
	if (locked == 0)
		return OBOL_OK;
	e = obol_stmt_prepare(s, "SELECT c.coin_id, c.denom, coalesce(a.name, ''), c.lock_vendor_account, c.credited_index,"
				 " c.lock_until FROM coupon_coins c LEFT JOIN accounts a ON a.id = c.lock_vendor_account"
				 " WHERE c.locked <> 0 ORDER BY c.lock_until, c.coin_id LIMIT ?", &st);
	if (e != OBOL_OK)
		return e;
	obol_console_table_begin(r, "locks", cols);
	if ((e = obol_stmt_bind_int64(st, 1, OBOL_CONSOLE_OUTSTANDING_ROWS)) == OBOL_OK)
		while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
			size_t len = 0;
			const uint8_t *id = obol_stmt_column_blob(st, 0, &len);
			char hex[17] = "?";
			if (id != NULL && len >= 8)
				obol_hex_encode(id, 8, hex);
			obol_html_printf(&r->body, "<tr><td><code>%s…</code></td><td>%lld</td><td>%s (account %lld)</td>"
						   "<td class=\"num\">%lld</td>",
					 hex, (long long)obol_stmt_column_int64(st, 1), obol_stmt_column_text(st, 2),
					 (long long)obol_stmt_column_int64(st, 3), (long long)obol_stmt_column_int64(st, 4));
			obol_console_deadline_cell(r, obol_stmt_column_int64(st, 5));
			obol_buf_add(&r->body, "</tr>");
			shown++;
		}
	obol_stmt_finish(st);
	obol_console_table_end(r, shown, locked);
	return e;
}

OBOL_CONSOLE_SCHEME(console_coupon, .name = "coupon", .keys = coupon_keys, .vendor_sales = coupon_sales,
		    .outstanding = coupon_outstanding)
