/* The coupon scheme's place in the issuer daemon (issuer.h
 * OBOL_ISSUER_SCHEME): its tables, `obol issuer init` options, the state
 * loaded at start (denominations with their private keys, the lock policy),
 * and its part of GET /keys. New denominations (a rotation's successor once
 * the ceremony announced it) are added while serving: each GET /keys looks
 * first (denoms_refresh), so a wallet or vendor that learns a key there
 * finds it served. */
#include <openssl/core_names.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/parse.h"
#include "crypto/rsa.h"
#include "issuer/coupon_issuer.h"
#include "issuer/coupon_rotate.h"
#include "issuer/signer_client.h"
#include "schemes/coupon/keys.h"

#define DAY INT64_C(86400)

static const char *const coupon_init_opts[] = { "coupon-denom", "coupon-lock-max", "coupon-rsa-bits", NULL };

static const char coupon_init_help[] =
	"  --coupon-denom VALUE,N[,WITHDRAW_DAYS[,SPEND_DAYS[,LEGAL_DAYS]]]\n"
	"                 a coupon denomination: coins of VALUE (e.g. EUR:1) made of N tokens\n"
	"                 (VALUE/N must be a whole number of 10^-8), issued for WITHDRAW_DAYS\n"
	"                 (default 365) and spendable for SPEND_DAYS (default 730); repeatable.\n"
	"                 A period ending in s counts seconds (e.g. 30s), for short-lived tests.\n"
	"                 After SPEND_DAYS a coin's rest is refunded (obol wallet refund) for\n"
	"                 LEGAL_DAYS more (default 1095). Each period is that of one key: the\n"
	"                 key plan (issuer keys export-requests) draws the next key ahead.\n"
	"                 Without it: one denomination CUR:1,1000.\n"
	"  --coupon-lock-max SECONDS   the longest lock T - now the issuer accepts (default 3600)\n"
	"  --coupon-rsa-bits BITS      RSA size of each denomination key (default 2048)\n";

/* A period: DAYS, or SECONDS followed by 's'. */
static obol_err parse_period(const char *text, int64_t *out)
{
	char num[32];
	size_t len = strlen(text);
	uint64_t v;
	bool secs = len > 0 && text[len - 1] == 's';
	if (len == 0 || len >= sizeof(num))
		return OBOL_E_COUPON_DENOM_CONFIG;
	memcpy(num, text, len - secs);
	num[len - secs] = '\0';
	if (obol_parse_u64(num, 1, secs ? 36500 * DAY : 36500, &v) != OBOL_OK)
		return OBOL_E_COUPON_DENOM_CONFIG;
	*out = secs ? (int64_t)v : (int64_t)v * DAY;
	return OBOL_OK;
}

/* "VALUE,N[,WITHDRAW_DAYS[,SPEND_DAYS[,LEGAL_DAYS]]]" */
static obol_err parse_denom_arg(const char *arg, const char *currency, int64_t now, struct coupon_denom *d)
{
	char buf[128], *parts[5] = { 0 }, *save = NULL;
	uint64_t n;
	int64_t withdraw = 365 * DAY, spend = 730 * DAY, legal = 1095 * DAY;
	int k = 0;
	if (obol_strlcpy_checked(buf, arg, sizeof(buf)) != OBOL_OK)
		return OBOL_E_COUPON_DENOM_CONFIG;
	for (char *p = strtok_r(buf, ",", &save); p && k < 5; p = strtok_r(NULL, ",", &save))
		parts[k++] = p;
	if (k < 2 || strtok_r(NULL, ",", &save) != NULL)
		return OBOL_E_COUPON_DENOM_CONFIG;
	memset(d, 0, sizeof(*d));
	if (obol_amount_parse(parts[0], &d->value) != OBOL_OK || strcmp(d->value.currency, currency) != 0 ||
	    obol_parse_u64(parts[1], 1, OBOL_HASHCHAIN_MAX_N, &n) != OBOL_OK ||
	    (parts[2] && parse_period(parts[2], &withdraw) != OBOL_OK) ||
	    (parts[3] && parse_period(parts[3], &spend) != OBOL_OK) ||
	    (parts[4] && parse_period(parts[4], &legal) != OBOL_OK))
		return OBOL_E_COUPON_DENOM_CONFIG;
	d->n = n;
	d->valid_from = now;
	d->withdraw_until = now + withdraw;
	d->spend_until = now + spend;
	d->legal_end = d->spend_until + legal;
	return coupon_denom_check(d);
}

static obol_err coupon_init(struct obol_store *s, const struct obol_issuer_keys *keys, const char *currency,
			    const struct obol_init_arg *args, size_t nargs, FILE *out)
{
	int64_t now = obol_now(), lock_max = 3600;
	uint64_t bits = OBOL_RSA_DEFAULT_BITS, v;
	uint32_t next_id = 1;
	size_t ndenoms = 0;
	char dflt[OBOL_CURRENCY_MAX + 16];
	obol_err e = OBOL_OK;
	(void)keys;
	for (size_t i = 0; i < nargs; i++) {
		if (strcmp(args[i].name, "coupon-lock-max") == 0) {
			if (obol_parse_u64(args[i].value, 1, COUPON_LOCK_MAX_S, &v) != OBOL_OK)
				return OBOL_E_USAGE;
			lock_max = (int64_t)v;
		} else if (strcmp(args[i].name, "coupon-rsa-bits") == 0) {
			if (obol_parse_u64(args[i].value, 1024, 4096, &bits) != OBOL_OK)
				return OBOL_E_USAGE;
		} else if (strcmp(args[i].name, "coupon-denom") == 0) {
			ndenoms++;
		}
	}
	if ((e = coupon_store_setting_set(s, "lock_max_s", lock_max)) != OBOL_OK)
		return e;
	snprintf(dflt, sizeof(dflt), "%s:1,1000", currency);
	for (size_t i = 0; i < nargs || (ndenoms == 0 && i == 0); i++) {
		const char *arg = ndenoms == 0 ? dflt : args[i].value;
		if (ndenoms > 0 && strcmp(args[i].name, "coupon-denom") != 0)
			continue;
		struct coupon_denom d;
		char value[OBOL_AMOUNT_STR_MAX], tv[OBOL_AMOUNT_STR_MAX];
		if ((e = parse_denom_arg(arg, currency, now, &d)) != OBOL_OK)
			return e;
		d.id = next_id++;
		if ((e = obol_rsa_generate((unsigned)bits, &d.key)) != OBOL_OK)
			return e;
		e = coupon_store_denom_add(s, &d);
		EVP_PKEY_free(d.key);
		if (e != OBOL_OK)
			return e;
		obol_amount_format(&d.value, value);
		obol_amount_format(&d.token_value, tv);
		fprintf(out, "coupon-denom: id=%u value=%s n=%llu token=%s rsa=%llu bits\n", d.id, value,
			(unsigned long long)d.n, tv, (unsigned long long)bits);
	}
	fprintf(out, "coupon-lock-max: %lld s\n", (long long)lock_max);
	return OBOL_OK;
}

/* Vendor certificates verified once: the lock and settle of a session carry
 * the same C, and the issuer's Ed25519 check of it is then a table lookup.
 * Keyed by H(C) (all of C's bytes, signature included); validity is still
 * checked at every use by the core. */
#define CERT_CACHE 256
static struct {
	pthread_mutex_t mu;
	struct {
		bool used;
		struct coupon_cert cert;
	} slot[CERT_CACHE];
} cert_cache = { .mu = PTHREAD_MUTEX_INITIALIZER };

static obol_err cert_open_cached(const uint8_t *cert, size_t len, const uint8_t issuer_pk[static OBOL_SIGN_PK_LEN],
				 struct coupon_cert *out)
{
	uint8_t h[OBOL_HASH_LEN];
	obol_sha256(h, cert, len);
	unsigned i = ((unsigned)h[0] << 8 | h[1]) % CERT_CACHE;
	bool hit = false;
	pthread_mutex_lock(&cert_cache.mu);
	if (cert_cache.slot[i].used && memcmp(cert_cache.slot[i].cert.hash, h, OBOL_HASH_LEN) == 0) {
		*out = cert_cache.slot[i].cert;
		hit = true;
	}
	pthread_mutex_unlock(&cert_cache.mu);
	if (hit)
		return OBOL_OK;
	obol_err e = coupon_cert_open_obol(cert, len, issuer_pk, out);
	if (e != OBOL_OK)
		return e;
	pthread_mutex_lock(&cert_cache.mu);
	cert_cache.slot[i].used = true;
	cert_cache.slot[i].cert = *out;
	pthread_mutex_unlock(&cert_cache.mu);
	return OBOL_OK;
}

static void coupon_stop(struct obol_issuer *iss, void *state);

/* coupon_issuer's blind_sign through the signing process. */
static obol_err signer_blind_sign(void *ctx, const struct coupon_denom *d, const uint8_t *blinded, size_t len,
				  uint8_t *sig, size_t cap, size_t *sig_len)
{
	struct coupon_issuer_state *st = ctx;
	return obol_signer_client_blind_sign(st->signer, st->key_ids[d - st->denoms], blinded, len, sig, cap, sig_len);
}

/* Whether an RSA key holds its private exponent. */
static bool rsa_is_private(EVP_PKEY *k)
{
	BIGNUM *d = NULL;
	bool yes = EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_D, &d) == 1;
	BN_clear_free(d);
	return yes;
}

/* Denomination d, stored at index i: with a signing process its key here
 * becomes a public one and its id there is key_ids[i]; without, its key
 * must be private. */
static obol_err denom_bind(struct coupon_issuer_state *st, size_t i, struct coupon_denom *d)
{
	uint8_t *der = NULL;
	size_t len = 0;
	EVP_PKEY *pub = NULL;
	obol_err e;
	if (!st->signer)
		return rsa_is_private(d->key) ? OBOL_OK : OBOL_E_SIGNER_REQUIRED;
	if ((e = obol_rsa_key_id(d->key, st->key_ids[i])) != OBOL_OK ||
	    (e = obol_rsa_public_to_der(d->key, &der, &len)) != OBOL_OK ||
	    (e = obol_rsa_public_from_der(der, len, &pub)) == OBOL_OK) {
		EVP_PKEY_free(d->key);
		d->key = pub;
	}
	if (der)
		obol_rsa_der_free(der, len);
	return e;
}

/* With a signing process, the denominations' keys here become public ones
 * and blind signatures go there; without, every key must be here. */
static obol_err denoms_bind_signer(struct obol_issuer *iss, struct coupon_issuer_state *st)
{
	obol_err e = OBOL_OK;
	st->signer = obol_issuer_signer_client(iss);
	for (size_t i = 0; i < st->ndenoms && e == OBOL_OK; i++)
		e = denom_bind(st, i, &st->denoms[i]);
	if (e == OBOL_OK && st->signer) {
		st->is.blind_sign = signer_blind_sign;
		st->is.blind_sign_ctx = st;
		st->is.opener = obol_issuer_box_opener(iss);
	}
	return e;
}

/* The cheap look: the newest signed announcement's serial and the newest
 * denomination id. */
static obol_err denoms_seen(struct obol_store *s, int64_t *serial, int64_t *id)
{
	struct obol_stmt *st = NULL;
	bool row = false;
	obol_err e = obol_stmt_prepare(s, "SELECT COALESCE(MAX(serial), 0) FROM key_announcements WHERE sig IS NOT NULL",
				       &st);
	if (e == OBOL_OK && (e = obol_stmt_step(st, &row)) == OBOL_OK)
		*serial = row ? obol_stmt_column_int64(st, 0) : 0;
	obol_stmt_finish(st);
	st = NULL;
	if (e == OBOL_OK && (e = obol_stmt_prepare(s, "SELECT COALESCE(MAX(id), 0) FROM coupon_denoms", &st)) == OBOL_OK &&
	    (e = obol_stmt_step(st, &row)) == OBOL_OK)
		*id = row ? obol_stmt_column_int64(st, 0) : 0;
	obol_stmt_finish(st);
	return e;
}

/* Adds the denominations start would load now and the state does not hold
 * yet (coupon_issuer.h: appended, never changed), when the cheap look saw
 * a new announcement or key. Beyond COUPON_DENOMS_MAX a key waits for a
 * restart (logged). */
static obol_err denoms_refresh(struct obol_issuer *iss, struct coupon_issuer_state *st, struct obol_store *s)
{
	struct coupon_denom *d = NULL;
	size_t n = 0;
	int64_t serial = 0, id = 0, now = obol_now();
	pthread_mutex_lock(&st->reload_mu);
	obol_err e = denoms_seen(s, &serial, &id);
	if (e != OBOL_OK || (serial == st->seen_serial && id == st->seen_id))
		goto out;
	if (!(d = calloc(COUPON_DENOMS_MAX, sizeof *d))) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = coupon_store_denoms(s, now, d, COUPON_DENOMS_MAX, &n)) != OBOL_OK ||
	    (e = coupon_rotate_announced(s, obol_issuer_keys(iss)->master_pk, now, d, &n)) != OBOL_OK)
		goto out;
	size_t have = st->ndenoms;
	for (size_t i = 0; i < n && e == OBOL_OK; i++) {
		bool held = false;
		for (size_t k = 0; k < have && !held; k++)
			held = st->denoms[k].id == d[i].id;
		if (held)
			continue;
		if (have == COUPON_DENOMS_MAX) {
			obol_log_warn("coupon: key %u is not served until a restart: %zu keys loaded", d[i].id, have);
			continue;
		}
		if ((e = denom_bind(st, have, &d[i])) != OBOL_OK)
			break;
		st->denoms[have] = d[i];
		d[i].key = NULL;
		have++;
		/* the entry is whole before a reader can count it */
		__atomic_store_n(&st->ndenoms, have, __ATOMIC_RELEASE);
		__atomic_store_n(&st->is.ndenoms, have, __ATOMIC_RELEASE);
		obol_log_info("coupon: key %u (%s, n %llu) served from now on", st->denoms[have - 1].id,
			      st->denoms[have - 1].value.currency, (unsigned long long)st->denoms[have - 1].n);
	}
	if (e == OBOL_OK) {
		st->seen_serial = serial;
		st->seen_id = id;
	}
out:
	for (size_t i = 0; d && i < n; i++)
		EVP_PKEY_free(d[i].key);
	free(d);
	pthread_mutex_unlock(&st->reload_mu);
	return e;
}

/* GET /keys lists the loaded keys; wallets and vendors parse as many. */
_Static_assert(COUPON_DENOMS_MAX <= COUPON_KEYS_DENOMS_MAX, "GET /keys would list more keys than a wallet parses");

static obol_err coupon_start(struct obol_issuer *iss, struct obol_store *s, void **state)
{
	struct coupon_issuer_state *st = calloc(1, sizeof(*st));
	const struct obol_issuer_keys *keys = obol_issuer_keys(iss);
	obol_err e;
	if (!st)
		return OBOL_E_NO_MEMORY;
	/* the live keys only: bounded by the windows (COUPON_DENOMS_MAX) */
	int64_t now = obol_now();
	pthread_mutex_init(&st->reload_mu, NULL);
	if ((e = denoms_seen(s, &st->seen_serial, &st->seen_id)) != OBOL_OK ||
	    (e = coupon_store_denoms(s, now, st->denoms, COUPON_DENOMS_MAX, &st->ndenoms)) != OBOL_OK ||
	    (e = coupon_rotate_announced(s, keys->master_pk, now, st->denoms, &st->ndenoms)) != OBOL_OK ||
	    (e = coupon_store_setting(s, "lock_max_s", &st->is.lock_max_s)) != OBOL_OK ||
	    (e = obol_account_liability(s, "coupon", &st->liability)) != OBOL_OK) {
		for (size_t i = 0; i < st->ndenoms; i++)
			EVP_PKEY_free(st->denoms[i].key);
		pthread_mutex_destroy(&st->reload_mu);
		free(st);
		return e == OBOL_E_NOT_FOUND ? OBOL_E_CONFIG : e;
	}
	st->is.denoms = st->denoms;
	st->is.ndenoms = st->ndenoms;
	st->is.box = &keys->box;
	memcpy(st->is.sign_pk, keys->master_pk, OBOL_SIGN_PK_LEN);
	st->is.cert_open = cert_open_cached;
	if ((e = denoms_bind_signer(iss, st)) != OBOL_OK) {
		coupon_stop(iss, st);
		return e;
	}
	*state = st;
	return OBOL_OK;
}

static void coupon_stop(struct obol_issuer *iss, void *state)
{
	struct coupon_issuer_state *st = state;
	(void)iss;
	if (!st)
		return;
	for (size_t i = 0; i < st->ndenoms; i++)
		EVP_PKEY_free(st->denoms[i].key);
	pthread_mutex_destroy(&st->reload_mu);
	free(st);
}

static obol_err coupon_keys_part(struct obol_issuer *iss, struct obol_store *s, json_t **part)
{
	struct coupon_issuer_state *st = obol_issuer_scheme_state(iss, "coupon");
	if (!st)
		return OBOL_E_KEYS_UNKNOWN;
	obol_err e = denoms_refresh(iss, st, s);
	if (e != OBOL_OK) /* the keys held still serve */
		obol_log_warn("coupon: cannot look for new keys: %s", obol_strerror(e));
	return coupon_keys_build(st->denoms, __atomic_load_n(&st->ndenoms, __ATOMIC_ACQUIRE), st->is.lock_max_s, part);
}

OBOL_ISSUER_SCHEME(coupon_issuer_scheme, .name = "coupon", .migrate = coupon_store_migrate,
		   .init_options = coupon_init_opts, .init_help = coupon_init_help, .init = coupon_init,
		   .start = coupon_start, .stop = coupon_stop, .keys_part = coupon_keys_part)
