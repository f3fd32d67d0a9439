/* The Obol-Auth request header (contract in reqauth.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/parse.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "net/reqauth.h"

void obol_reqauth_digest(uint8_t out[32], const char *method, const char *path, const uint8_t body_hash[32],
			 int64_t account, int64_t ts)
{
	char acc[24], t[24];
	snprintf(acc, sizeof acc, "%" PRId64, account);
	snprintf(t, sizeof t, "%" PRId64, ts);
	struct obol_hash_part parts[] = {
		{ method, strlen(method) }, { path, strlen(path) }, { body_hash, 32 },
		{ acc, strlen(acc) },       { t, strlen(t) },
	};
	obol_sha256_parts(out, parts, OBOL_ARRAY_LEN(parts));
}

obol_err obol_reqauth_make(char out[OBOL_AUTH_HEADER_MAX], const char *method, const char *path,
			   const uint8_t body_hash[32], int64_t account, int64_t ts,
			   const uint8_t sk[static OBOL_SIGN_SK_LEN])
{
	uint8_t d[32], sig[OBOL_SIGN_LEN];
	char sig64[OBOL_B64_LEN(OBOL_SIGN_LEN)];
	obol_reqauth_digest(d, method, path, body_hash, account, ts);
	obol_sign(sig, OBOL_AUTH_CONTEXT, d, sizeof d, sk);
	obol_err e = obol_b64_encode(sig, sizeof sig, sig64, sizeof sig64);
	if (e != OBOL_OK)
		return e;
	int n = snprintf(out, OBOL_AUTH_HEADER_MAX, "%" PRId64 ":%" PRId64 ":%s", account, ts, sig64);
	return n > 0 && n < OBOL_AUTH_HEADER_MAX ? OBOL_OK : OBOL_E_INTERNAL;
}

obol_err obol_reqauth_parse(const char *value, int64_t *account, int64_t *ts, uint8_t sig[static OBOL_SIGN_LEN])
{
	char buf[OBOL_AUTH_HEADER_MAX];
	uint64_t a, t;
	size_t n;
	if (value == NULL || obol_strlcpy_checked(buf, value, sizeof buf) != OBOL_OK)
		return OBOL_E_AUTH_FAILED;
	char *c1 = strchr(buf, ':');
	char *c2 = c1 != NULL ? strchr(c1 + 1, ':') : NULL;
	if (c2 == NULL)
		return OBOL_E_AUTH_FAILED;
	*c1 = '\0';
	*c2 = '\0';
	if (obol_parse_u64(buf, 1, INT64_MAX, &a) != OBOL_OK || obol_parse_u64(c1 + 1, 0, INT64_MAX, &t) != OBOL_OK ||
	    obol_b64_decode(c2 + 1, sig, OBOL_SIGN_LEN, &n, 1) != OBOL_OK)
		return OBOL_E_AUTH_FAILED;
	*account = (int64_t)a;
	*ts = (int64_t)t;
	return OBOL_OK;
}

obol_err obol_reqauth_check(const char *method, const char *path, const uint8_t body_hash[32], int64_t account,
			    int64_t ts, const uint8_t sig[static OBOL_SIGN_LEN],
			    const uint8_t pk[static OBOL_SIGN_PK_LEN], int64_t now)
{
	uint8_t d[32];
	if (ts > now + OBOL_AUTH_WINDOW_S || ts < now - OBOL_AUTH_WINDOW_S)
		return OBOL_E_AUTH_FAILED;
	obol_reqauth_digest(d, method, path, body_hash, account, ts);
	if (obol_sign_verify(sig, OBOL_AUTH_CONTEXT, d, sizeof d, pk) != OBOL_OK)
		return OBOL_E_AUTH_FAILED;
	return OBOL_OK;
}
