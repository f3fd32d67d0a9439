/* The console's view of the ecash scheme (console_scheme.h): the bank's RSA
 * key, and the revocation of a registered key (what `obol issuer ecash
 * revoke` does: src/issuer/ecash_issuer.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console/console_scheme.h"
#include "console/html.h"
#include "core/parse.h"
#include "issuer/ecash_issuer.h"
#include "schemes/ecash/messages.h"
#include "store/ledger.h"

static obol_err ecash_keys(struct obol_store *s, obol_console_key_fn fn, void *ctx)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, "SELECT created FROM ecash_bank_key WHERE id = 1", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
		struct obol_console_key k = { .scheme = "ecash", .id = "bank", .kind = "RSA-PSS",
					      .window = "sign", .from = obol_stmt_column_int64(st, 0) };
		snprintf(k.name, sizeof k.name, "%s", "the bank's key: coins and key certificates");
		e = fn(ctx, &k);
	}
	obol_stmt_finish(st);
	return e;
}

/* Revoke: the form's "key" is the 64 hex digits of a registered key id,
 * "reason" why. */
static obol_err revoke_prepare(struct obol_console_req *r, struct obol_store *s, const struct obol_form *f,
			       struct obol_console_plan *plan)
{
	const char *key = obol_form_get(f, "key"), *reason = obol_form_get(f, "reason");
	uint8_t id[ECASH_ID_LEN];
	struct ecash_cert c;
	(void)r;
	snprintf(plan->back, sizeof plan->back, "/keys");
	if (key == NULL || strlen(key) != 2 * ECASH_ID_LEN || obol_hex_decode(key, id, ECASH_ID_LEN) != OBOL_OK)
		return OBOL_E_KEY_INVALID;
	if (reason == NULL || reason[0] == '\0' || strlen(reason) >= sizeof plan->text2)
		return OBOL_E_INVALID_ARGUMENT;
	obol_err e = ecash_issuer_cert(s, id, &c);
	if (e != OBOL_OK)
		return e;
	snprintf(plan->text, sizeof plan->text, "%s", key);
	snprintf(plan->text2, sizeof plan->text2, "%s", reason);
	snprintf(plan->target, sizeof plan->target, "ecash key %.16s… of account %lld", key, (long long)c.account);
	snprintf(plan->back, sizeof plan->back, "/accounts/%lld", (long long)c.account);
	snprintf(plan->detail, sizeof plan->detail,
		 "revoke the ecash key %s of account %lld (reason: %s): it goes on the bank's signed revocation list, "
		 "and merchants refuse it once they fetched the list",
		 key, (long long)c.account, reason);
	return OBOL_OK;
}

static obol_err revoke_apply(struct obol_console_req *r, struct obol_store *s, struct obol_console_plan *plan)
{
	uint8_t id[ECASH_ID_LEN];
	if (obol_hex_decode(plan->text, id, ECASH_ID_LEN) != OBOL_OK)
		return OBOL_E_KEY_INVALID;
	return ecash_issuer_revoke(s, id, plan->text2, r->now);
}

static const char *const revoke_fields[] = { "key", "Key id (64 hex digits, as 'wallet ecash register' printed)",
					    "reason", "Reason", NULL };
static const struct obol_console_action_def ecash_revoke = { "ecash-revoke", "Revoke an ecash key", revoke_fields,
							     revoke_prepare, revoke_apply };
static const struct obol_console_action_def *const ecash_actions[] = { &ecash_revoke, NULL };

/* At a vendor: the coins it received (table ecash_received,
 * src/vendor/ecash_vendor.c), each row one coin whose value is in its held
 * chain's coin. */
static obol_err ecash_sales(struct obol_vendor *v, struct obol_store *s, int64_t since, struct obol_console_sales *out)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	(void)v;
	out->count2_unit = "coins";
	out->has_value = true;
	obol_err e = obol_stmt_prepare(s, "SELECT held FROM ecash_received WHERE at >= ?", &st);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_int64(st, 1, since)) == OBOL_OK)
		while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
			json_t *held = json_loads(obol_stmt_column_text(st, 0), 0, NULL);
			struct ecash_held_coin *coins = NULL;
			size_t n = 0;
			if (held == NULL || ecash_coins_from_json(held, &coins, &n, 1) != OBOL_OK || n != 1 ||
			    obol_amount_add(&out->value, &out->value, &coins[0].coin.value) != OBOL_OK)
				out->has_value = false;
			out->count2++;
			for (size_t i = 0; i < n; i++)
				ecash_held_clear(&coins[i]);
			free(coins);
			json_decref(held);
		}
	obol_stmt_finish(st);
	/* payments: the deposits they were sent in */
	if (e == OBOL_OK && (e = obol_stmt_prepare(s, "SELECT count(DISTINCT outbox) FROM ecash_received WHERE at >= ?",
						   &st)) == OBOL_OK) {
		if ((e = obol_stmt_bind_int64(st, 1, since)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row)
			out->payments = obol_stmt_column_int64(st, 0);
		obol_stmt_finish(st);
	}
	return e;
}

/* The bank's proved double spends (table ecash_frauds, src/issuer/ecash_bank.c):
 * the culprit's account, the two spends' transcripts as evidence. */
static obol_err ecash_frauds(struct obol_store *s, int64_t limit, obol_console_fraud_fn fn, void *ctx, int64_t *total)
{
	static const struct obol_console_fraud_query q = { .scheme = "ecash", .table = "ecash_frauds", .at = "at",
							   .culprit = "culprit_account", .culprit_prefix = "account ",
							   .evidence = "evidence" };
	return obol_console_fraud_rows(s, &q, limit, fn, ctx, total);
}

/* At the issuer: the coins not deposited yet (table ecash_coins), the
 * soonest to expire first; a coin past its expiry can only be redeemed to
 * its account (seed 002 §6.4). */
static obol_err ecash_outstanding(struct obol_console_req *r, struct obol_store *s)
{
	static const char *const cols[] = { "coin", "bought by", "value", "issued", "expires", NULL };
	struct obol_stmt *st = NULL;
	bool row = false;
	int64_t n = 0, expired = 0, shown = 0;
	char cur[OBOL_CURRENCY_MAX + 1];
	obol_err e;
	if ((e = obol_ledger_currency(s, cur)) != OBOL_OK ||
	    (e = obol_console_count(s, "SELECT count(*) FROM ecash_coins WHERE deposited = 0", &n)) != OBOL_OK)
		return e;
	if ((e = obol_stmt_prepare(s, "SELECT count(*) FROM ecash_coins WHERE deposited = 0 AND expiry < ?", &st)) != OBOL_OK)
		return e;
	if ((e = obol_stmt_bind_int64(st, 1, r->now)) == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK && row)
		expired = obol_stmt_column_int64(st, 0);
	obol_stmt_finish(st);
	if (e != OBOL_OK)
		return e;
	obol_html_printf(&r->body, "<p><strong>%lld coins outstanding</strong>, <span class=\"%s\">%lld past their "
				   "expiry</span>.</p>",
			 (long long)n, expired > 0 ? "warn" : "ok", (long long)expired);
	if (n == 0)
		return OBOL_OK;
	e = obol_stmt_prepare(s, "SELECT c.serial, coalesce(a.name, ''), c.account, c.units, c.issued, c.expiry"
				 " FROM ecash_coins c LEFT JOIN accounts a ON a.id = c.account WHERE c.deposited = 0"
				 " ORDER BY c.expiry, c.serial LIMIT ?", &st);
	if (e != OBOL_OK)
		return e;
	obol_console_table_begin(r, "ecash-coins", cols);
	if ((e = obol_stmt_bind_int64(st, 1, OBOL_CONSOLE_OUTSTANDING_ROWS)) == OBOL_OK)
		while ((e = obol_stmt_step(st, &row)) == OBOL_OK && row) {
			size_t len = 0;
			const uint8_t *serial = obol_stmt_column_blob(st, 0, &len);
			char hex[17] = "?";
			if (serial != NULL && len >= 8)
				obol_hex_encode(serial, 8, hex);
			obol_html_printf(&r->body, "<tr><td><code>%s…</code></td><td>%s (account %lld)</td><td class=\"num\">",
					 hex, obol_stmt_column_text(st, 1), (long long)obol_stmt_column_int64(st, 2));
			obol_console_amount_units(r, cur, obol_stmt_column_int64(st, 3));
			obol_buf_add(&r->body, "</td><td>");
			obol_console_time(r, obol_stmt_column_int64(st, 4));
			obol_buf_add(&r->body, "</td>");
			obol_console_deadline_cell(r, obol_stmt_column_int64(st, 5));
			obol_buf_add(&r->body, "</tr>");
			shown++;
		}
	obol_stmt_finish(st);
	obol_console_table_end(r, shown, n);
	return e;
}

OBOL_CONSOLE_SCHEME(console_ecash, .name = "ecash", .keys = ecash_keys, .actions = ecash_actions,
		    .vendor_sales = ecash_sales, .frauds = ecash_frauds, .outstanding = ecash_outstanding)
