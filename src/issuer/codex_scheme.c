/* The codex scheme's place in the issuer: its tables, its setup at `issuer
 * init`, its part of GET /keys, and its outstanding check for `obol audit`
 * (value held in codexes + safe deposits = the "codex" liability account). */
#include <stdlib.h>

#include "core/clock.h"
#include "core/parse.h"
#include "issuer/codex_bank.h"
#include "issuer/codex_tables.h"
#include "issuer/issuer.h"
#include "store/audit.h"

static obol_err codex_init(struct obol_store *s, const struct obol_issuer_keys *keys, const char *currency,
			   const struct obol_init_arg *args, size_t nargs, FILE *out)
{
	(void)currency;
	(void)args;
	(void)nargs;
	obol_err e = codex_issuer_setup(s, keys, obol_now());
	if (e == OBOL_OK && out)
		fprintf(out, "codex: blacklist version 0 signed by the master key\n");
	return e;
}

static obol_err setup_tx(struct obol_store *s, void *arg)
{
	return codex_issuer_setup(s, arg, obol_now());
}

/* A database made before this scheme existed gets its blacklist at start. */
static obol_err codex_start(struct obol_issuer *iss, struct obol_store *s, void **state)
{
	*state = NULL;
	return obol_store_transact(s, setup_tx, (void *)obol_issuer_keys(iss));
}

static obol_err codex_keys_part(struct obol_issuer *iss, struct obol_store *s, json_t **part)
{
	char pk[OBOL_B64_LEN(OBOL_SIGN_PK_LEN)];
	obol_err e;
	(void)s;
	if ((e = obol_b64_encode(obol_issuer_keys(iss)->master.pk, OBOL_SIGN_PK_LEN, pk, sizeof(pk))) != OBOL_OK)
		return e;
	*part = json_pack("{s:s, s:I, s:I, s:I}", "bank_pk", pk, "state_lifetime", (json_int_t)CODEX_DEFAULT_LIFETIME,
			  "tx_limit", (json_int_t)CODEX_DEFAULT_TX_LIMIT, "fresh_window", (json_int_t)CODEX_FRESH_WINDOW);
	return *part ? OBOL_OK : OBOL_E_NO_MEMORY;
}

OBOL_ISSUER_SCHEME(codex_issuer_scheme, .name = "codex", .migrate = codex_issuer_migrate, .init = codex_init,
		   .start = codex_start, .keys_part = codex_keys_part)

/* Σ (value + safe deposit) over every codex party. */
static obol_err codex_outstanding(struct obol_store *s, const char *currency, struct obol_amount *outstanding)
{
	struct codex_bank_user *users;
	size_t n;
	int64_t sum = 0, v;
	obol_err e = codex_db_users_all(s, &users, &n);
	if (e != OBOL_OK)
		return e;
	for (size_t i = 0; e == OBOL_OK && i < n; i++) {
		if ((e = codex_bank_value(&users[i], &v)) != OBOL_OK)
			break;
		if (__builtin_add_overflow(sum, v, &sum) || __builtin_add_overflow(sum, users[i].deposit, &sum))
			e = OBOL_E_AMOUNT_OVERFLOW;
	}
	free(users);
	if (e == OBOL_OK)
		e = obol_amount_from_units(currency, sum, outstanding);
	return e;
}

static const struct obol_audit_scheme codex_audit = { .scheme = "codex", .outstanding = codex_outstanding };

__attribute__((constructor)) static void codex_audit_register(void)
{
	obol_audit_register(&codex_audit);
}
