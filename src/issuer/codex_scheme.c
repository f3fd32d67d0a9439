/* The codex scheme's place in the issuer: its tables, its setup and policy
 * at `issuer init`, its settings at start, its part of GET /keys, and its
 * outstanding check for `obol audit` (value held in codexes + safe
 * deposits = the "codex" liability account, with no party below zero). */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "issuer/codex_bank.h"
#include "issuer/codex_tables.h"
#include "issuer/issuer.h"
#include "store/audit.h"
#include "wire/json.h"

static const char *const codex_init_options[] = { "codex-lifetime", "codex-tx-limit", "codex-token-max",
						   "codex-cert-days", "codex-hold-grace", NULL };

/* One option into its setting (seconds, a count, or an amount in units). */
static obol_err init_option(struct obol_store *s, const char *currency, const struct obol_init_arg *a)
{
	struct obol_amount amt;
	uint64_t v;
	obol_err e;
	if (strcmp(a->name, "codex-token-max") == 0) {
		if ((e = obol_amount_parse(a->value, &amt)) != OBOL_OK)
			return e;
		if (strcmp(amt.currency, currency) != 0 || !codex_amount_positive(&amt))
			return OBOL_E_CODEX_AMOUNT_INVALID;
		return codex_issuer_setting_put(s, "token_max", amt.units);
	}
	if (strcmp(a->name, "codex-lifetime") == 0)
		return (e = obol_parse_u64(a->value, 60, 3650 * UINT64_C(86400), &v)) != OBOL_OK
			       ? e
			       : codex_issuer_setting_put(s, "lifetime", (int64_t)v);
	if (strcmp(a->name, "codex-tx-limit") == 0)
		return (e = obol_parse_u64(a->value, 1, CODEX_LOG_MAX, &v)) != OBOL_OK
			       ? e
			       : codex_issuer_setting_put(s, "tx_limit", (int64_t)v);
	if (strcmp(a->name, "codex-cert-days") == 0)
		return (e = obol_parse_u64(a->value, 1, 3650, &v)) != OBOL_OK
			       ? e
			       : codex_issuer_setting_put(s, "cert_lifetime", (int64_t)v * 86400);
	if (strcmp(a->name, "codex-hold-grace") == 0)
		return (e = obol_parse_u64(a->value, 1, 365 * UINT64_C(86400), &v)) != OBOL_OK
			       ? e
			       : codex_issuer_setting_put(s, "hold_grace", (int64_t)v);
	return OBOL_OK;
}

static obol_err codex_init(struct obol_store *s, const struct obol_issuer_keys *keys, const char *currency,
			   const struct obol_init_arg *args, size_t nargs, FILE *out)
{
	/* The blacklist's version 0 is signed at the first start (codex_start),
	 * by the online key: the master key signs key announcements only. */
	obol_err e = OBOL_OK;
	(void)keys;
	(void)out;
	for (size_t i = 0; e == OBOL_OK && i < nargs; i++)
		e = init_option(s, currency, &args[i]);
	return e;
}

static obol_err setup_tx(struct obol_store *s, void *arg)
{
	struct obol_issuer *iss = arg;
	struct obol_ed25519_signer sg;
	int64_t now = obol_now();
	obol_err e = obol_issuer_signer(iss, now, &sg);
	return e == OBOL_OK ? codex_issuer_setup(s, &sg, now) : e;
}


static obol_err settings_tx(struct obol_store *s, void *arg)
{
	return codex_issuer_settings_load(s, arg);
}

/* A database made before this scheme existed gets its blacklist at start;
 * the operator's policy is read once. */
static obol_err codex_start(struct obol_issuer *iss, struct obol_store *s, void **state)
{
	struct codex_issuer_settings *set = calloc(1, sizeof(*set));
	obol_err e;
	*state = set;
	if (!set)
		return OBOL_E_NO_MEMORY;
	/* Without an online key yet (init --no-ceremony) the daemon still
	 * starts: the blacklist is signed by the first request after the
	 * ceremony (codex_issuer_blacklist, codex_routes.c). */
	if ((e = obol_store_transact(s, setup_tx, iss)) == OBOL_E_KEY_ONLINE_MISSING)
		obol_log_warn("codex: the blacklist is not signed yet (no online key): Codex requests are refused"
			      " KEY_ONLINE_MISSING until the key ceremony");
	else if (e != OBOL_OK)
		return e;
	return obol_store_transact(s, settings_tx, set);
}

static void codex_stop(struct obol_issuer *iss, void *state)
{
	(void)iss;
	free(state);
}

/* GET /keys, part "codex": the bank's key and the policy a wallet can
 * expect of a state. */
static obol_err codex_keys_part(struct obol_issuer *iss, struct obol_store *s, json_t **part)
{
	const struct codex_issuer_settings *set = obol_issuer_scheme_state(iss, "codex");
	struct codex_bank_policy pol;
	uint8_t bank_pk[OBOL_SIGN_PK_LEN];
	int64_t lifetime, fresh = CODEX_FRESH_WINDOW;
	uint64_t tx_limit;
	struct obol_field f[] = {
		OBOL_F_FIXED("bank_pk", 1, bank_pk, OBOL_SIGN_PK_LEN),
		OBOL_F_INT("state_lifetime", 2, &lifetime),
		OBOL_F_UINT("tx_limit", 3, &tx_limit, CODEX_LOG_MAX),
		OBOL_F_INT("fresh_window", 4, &fresh),
	};
	struct obol_fields spec = OBOL_FIELDS(f);
	(void)s;
	codex_bank_policy_default(&pol);
	if (set && set->lifetime > 0)
		pol.lifetime = set->lifetime;
	if (set && set->tx_limit > 0)
		pol.tx_limit = set->tx_limit;
	memcpy(bank_pk, obol_issuer_keys(iss)->master_pk, OBOL_SIGN_PK_LEN);
	lifetime = pol.lifetime;
	tx_limit = pol.tx_limit;
	return obol_json_encode(&spec, part);
}

#define CODEX_INIT_HELP                                                                              \
	"  --codex-lifetime SECONDS  how long a Codex state lives before it must sync (default 30 days)\n" \
	"  --codex-tx-limit N        log entries per epoch, 1..1024 (default 256)\n"                        \
	"  --codex-token-max CUR:X   the most one offline token may carry (default: the safe deposit)\n"   \
	"  --codex-cert-days N       certificate lifetime (default 365; renewed at sync before expiry)\n"  \
	"  --codex-hold-grace SECONDS  how long a closed Codex's deposit is held after its last token\n"   \
	"                            can have gone stale (default 7 days)"

OBOL_ISSUER_SCHEME(codex_issuer_scheme, .name = "codex", .migrate = codex_issuer_migrate,
		   .init_options = codex_init_options, .init_help = CODEX_INIT_HELP, .init = codex_init,
		   .start = codex_start, .stop = codex_stop, .keys_part = codex_keys_part)

/* Σ (value + safe deposit) over every codex party; a party below zero is
 * a debt that no sum may hide: the audit fails on it. */
static obol_err codex_outstanding(struct obol_store *s, const char *currency, struct obol_amount *outstanding)
{
	struct codex_bank_user *users;
	struct obol_amount v;
	size_t n;
	obol_err e = codex_db_users_all(s, currency, &users, &n);
	if (e != OBOL_OK)
		return e;
	if ((e = obol_amount_zero(currency, outstanding)) != OBOL_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if ((e = codex_bank_value(&users[i], &v)) != OBOL_OK)
			goto out;
		if (obol_amount_is_negative(&v) || obol_amount_is_negative(&users[i].deposit)) {
			e = OBOL_E_CODEX_INCONSISTENT;
			goto out;
		}
		if ((e = obol_amount_add(outstanding, outstanding, &v)) != OBOL_OK ||
		    (e = obol_amount_add(outstanding, outstanding, &users[i].deposit)) != OBOL_OK)
			goto out;
	}
out:
	free(users);
	return e;
}

static const struct obol_audit_scheme codex_audit = { .scheme = "codex", .outstanding = codex_outstanding };

__attribute__((constructor)) static void codex_audit_register(void)
{
	obol_audit_register(&codex_audit);
}
