/* The vector generator's recording, keys and comparison (contract in vg.h). */
#include "vg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/parse.h"
#include "crypto/blindrsa.h"
#include "crypto/hash.h"
#include "crypto/rsa.h"

#define RSA_KEYS_FILE "tests/vectors/obol/rsa_keys.txt"

const struct vg_file vg_files[] = {
	{ "common", "keys document (GET /keys), vendor certificate, request authentication, device-link binding, "
		    "payment receipt, sealed wallet file",
	  vg_common },
	{ "coupon", "scheme coupon: coin, lock, settle, status", vg_coupon },
	{ "ecash", "scheme ecash: certificates, coins, claims, bank nonces, lists", vg_ecash },
	{ "payword", "scheme payword: vendor and user certificates, visit commitment, revocation list", vg_payword },
	{ "codex", "scheme codex: certificate, state, token, acknowledgement, refusal, blacklist, log chain",
	  vg_codex },
};
const size_t vg_nfiles = sizeof(vg_files) / sizeof(vg_files[0]);

void vg_fail(struct vg *g, const char *fmt, ...)
{
	va_list ap;
	if (g->errors++ == 0) {
		va_start(ap, fmt);
		vsnprintf(g->first_error, sizeof g->first_error, fmt, ap);
		va_end(ap);
	}
}

static json_t *hexstr(const void *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	json_t *j;
	if (s == NULL)
		return NULL;
	obol_hex_encode(p, n, s);
	j = json_string(s);
	free(s);
	return j;
}

void vg_open(struct vg *g, enum vg_mode mode, const struct vg_file *f, const json_t *ref)
{
	memset(g, 0, sizeof *g);
	g->mode = mode;
	g->file = f->name;
	g->ref = ref;
	g->keys = json_object();
	g->vectors = json_array();
	g->doc = json_pack("{s:s, s:s, s:s, s:o, s:o}", "file", f->name, "about", f->about, "layouts",
			   "docs/protocol.md, section \"Signed bytes\"", "keys", g->keys, "vectors", g->vectors);
}

void vg_close(struct vg *g)
{
	json_decref(g->doc);
	memset(g, 0, sizeof *g);
}

void vg_fixed(const char *label, uint8_t out[32])
{
	char buf[256];
	int n = snprintf(buf, sizeof buf, "obol-vector %s", label);
	obol_sha256(out, buf, (size_t)n);
}

void vg_key_ed25519(struct vg *g, const char *name, struct obol_sign_keypair *kp)
{
	char buf[128];
	uint8_t seed[OBOL_SIGN_SEED_LEN];
	int n = snprintf(buf, sizeof buf, "obol-vector-key %s", name);
	obol_sha256(seed, buf, (size_t)n);
	obol_sign_keypair_from_seed(kp, seed);
	json_object_set_new(g->keys, name,
			    json_pack("{s:s, s:o, s:o}", "alg", "ed25519", "seed", hexstr(seed, sizeof seed), "pk",
				      hexstr(kp->pk, OBOL_SIGN_PK_LEN)));
}

EVP_PKEY *vg_key_rsa(struct vg *g, const char *name)
{
	FILE *fp = fopen(RSA_KEYS_FILE, "r");
	char line[8192];
	size_t nlen = strlen(name);
	EVP_PKEY *k = NULL;
	if (fp == NULL) {
		vg_fail(g, "cannot open %s", RSA_KEYS_FILE);
		return NULL;
	}
	while (k == NULL && fgets(line, sizeof line, fp) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, name, nlen) != 0 || strncmp(line + nlen, " = ", 3) != 0)
			continue;
		const char *hex = line + nlen + 3;
		size_t len = strlen(hex) / 2;
		uint8_t *der = malloc(len ? len : 1);
		if (der != NULL && obol_hex_decode(hex, der, len) == OBOL_OK &&
		    obol_rsa_private_from_der(der, len, &k) != OBOL_OK)
			k = NULL;
		free(der);
	}
	fclose(fp);
	if (k == NULL) {
		vg_fail(g, "no RSA key %s in %s", name, RSA_KEYS_FILE);
		return NULL;
	}
	uint8_t *spki = NULL;
	size_t slen = 0;
	if (obol_rsa_public_to_der(k, &spki, &slen) != OBOL_OK) {
		vg_fail(g, "RSA key %s: no public DER", name);
		return k;
	}
	json_object_set_new(g->keys, name,
			    json_pack("{s:s, s:I, s:o}", "alg", "rsa", "bits", (json_int_t)obol_rsa_modulus_len(k) * 8,
				      "spki", hexstr(spki, slen)));
	obol_rsa_der_free(spki, slen);
	return k;
}

void vg_begin(struct vg *g, const char *name, const char *layout)
{
	g->cur_in = json_object();
	g->cur = json_pack("{s:s, s:s, s:o}", "name", name, "layout", layout, "inputs", g->cur_in);
}

void vg_end(struct vg *g)
{
	json_array_append_new(g->vectors, g->cur);
	g->cur = g->cur_in = NULL;
}

void vg_in_hex(struct vg *g, const char *k, const void *p, size_t n)
{
	json_object_set_new(g->cur_in, k, hexstr(p, n));
}

void vg_in_uint(struct vg *g, const char *k, uint64_t v)
{
	if (v >= (UINT64_C(1) << 53))
		vg_fail(g, "input %s: %llu is not exact in JSON", k, (unsigned long long)v);
	json_object_set_new(g->cur_in, k, json_integer((json_int_t)v));
}

void vg_in_int(struct vg *g, const char *k, int64_t v)
{
	if (v >= (INT64_C(1) << 53) || v <= -(INT64_C(1) << 53))
		vg_fail(g, "input %s: %lld is not exact in JSON", k, (long long)v);
	json_object_set_new(g->cur_in, k, json_integer((json_int_t)v));
}

void vg_in_text(struct vg *g, const char *k, const char *s)
{
	json_object_set_new(g->cur_in, k, json_string(s));
}

void vg_in_bool(struct vg *g, const char *k, bool v)
{
	json_object_set_new(g->cur_in, k, json_boolean(v));
}

void vg_in_json(struct vg *g, const char *k, json_t *v)
{
	json_object_set_new(g->cur_in, k, v);
}

void vg_out_hex(struct vg *g, const char *k, const void *p, size_t n)
{
	json_object_set_new(g->cur, k, hexstr(p, n));
}

void vg_out_text(struct vg *g, const char *k, const char *s)
{
	json_object_set_new(g->cur, k, json_string(s));
}

static const char *cur_name(const struct vg *g)
{
	return json_string_value(json_object_get(g->cur, "name"));
}

void vg_sig_ed25519(struct vg *g, const char *key, const char *context, const uint8_t *msg, size_t len,
		    const uint8_t sig[static OBOL_SIGN_LEN])
{
	vg_sig_ed25519_as(g, "sig", key, context, msg, len, sig);
}

void vg_sig_ed25519_as(struct vg *g, const char *field, const char *key, const char *context, const uint8_t *msg,
		       size_t len, const uint8_t sig[static OBOL_SIGN_LEN])
{
	const char *pkhex = json_string_value(json_object_get(json_object_get(g->keys, key), "pk"));
	uint8_t pk[OBOL_SIGN_PK_LEN];
	if (pkhex == NULL || obol_hex_decode(pkhex, pk, sizeof pk) != OBOL_OK)
		vg_fail(g, "%s: no Ed25519 key %s", cur_name(g), key);
	else if (obol_sign_verify(sig, context, msg, len, pk) != OBOL_OK)
		vg_fail(g, "%s: the signature does not cover the recorded signed bytes", cur_name(g));
	json_object_set_new(g->cur, field,
			    json_pack("{s:s, s:s, s:s, s:o}", "alg", "ed25519", "key", key, "context", context, "hex",
				      hexstr(sig, OBOL_SIGN_LEN)));
}

/* The checked-in vector's value at key k (k2 inside it when not NULL), as
 * hex decoded; 0 when absent. */
static size_t ref_field(const struct vg *g, const char *k, const char *k2, uint8_t *out, size_t cap)
{
	const char *name = cur_name(g);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(g->ref, "vectors"), i, v)
	{
		const char *n = json_string_value(json_object_get(v, "name"));
		json_t *f = json_object_get(v, k);
		const char *h = json_string_value(k2 != NULL ? json_object_get(f, k2) : f);
		if (n == NULL || h == NULL || strcmp(n, name) != 0 || strlen(h) / 2 > cap)
			continue;
		if (obol_hex_decode(h, out, strlen(h) / 2) != OBOL_OK)
			return 0;
		return strlen(h) / 2;
	}
	return 0;
}

size_t vg_ref_hex(const struct vg *g, const char *k, uint8_t *out, size_t cap)
{
	return g->ref != NULL ? ref_field(g, k, NULL, out, cap) : 0;
}

size_t vg_ref_sig(const struct vg *g, uint8_t *out, size_t cap)
{
	return g->ref != NULL ? ref_field(g, "sig", "hex", out, cap) : 0;
}

void vg_sig_rsapss(struct vg *g, const char *key, EVP_PKEY *pk, const uint8_t *msg, size_t len, uint8_t *sig,
		   size_t sig_len)
{
	uint8_t file_sig[OBOL_BLINDRSA_MAX_MODULUS];
	if (pk == NULL || obol_rsapss_verify(pk, msg, len, sig, sig_len) != OBOL_OK)
		vg_fail(g, "%s: the RSASSA-PSS signature does not cover the recorded signed bytes", cur_name(g));
	if (g->ref != NULL) {
		/* A fresh salt each run: the file's signature must verify over the
		 * bytes derived now; then it stands for this run's. */
		size_t n = vg_ref_sig(g, file_sig, sizeof file_sig);
		if (n == sig_len && pk != NULL && obol_rsapss_verify(pk, msg, len, file_sig, n) == OBOL_OK)
			memcpy(sig, file_sig, n);
	}
	json_object_set_new(g->cur, "sig",
			    json_pack("{s:s, s:s, s:o}", "alg", "rsassa-pss-sha512-mgf1sha512-salt64", "key", key,
				      "hex", hexstr(sig, sig_len)));
}

void vg_sig_blindrsa(struct vg *g, const char *key, EVP_PKEY *pk, const uint8_t *prepared, size_t len,
		     const uint8_t *sig, size_t sig_len)
{
	if (pk == NULL || obol_blindrsa_verify(pk, prepared, len, sig, sig_len) != OBOL_OK)
		vg_fail(g, "%s: the blind RSA signature does not cover the recorded prepared message", cur_name(g));
	json_object_set_new(g->cur, "sig",
			    json_pack("{s:s, s:s, s:o}", "alg", "rsassa-pss-sha384-mgf1sha384-salt48", "key", key,
				      "hex", hexstr(sig, sig_len)));
}

size_t vg_parts_bytes(const struct obol_hash_part *parts, size_t n, uint8_t *out, size_t cap)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = parts[i].len;
		if (len + 4 + l > cap)
			return 0;
		out[len++] = (uint8_t)(l >> 24);
		out[len++] = (uint8_t)(l >> 16);
		out[len++] = (uint8_t)(l >> 8);
		out[len++] = (uint8_t)l;
		memcpy(out + len, parts[i].p, l);
		len += l;
	}
	return len;
}

void vg_hash_input(struct vg *g, const struct obol_hash_part *parts, size_t n,
		   const uint8_t code_hash[static 32])
{
	uint8_t buf[8192], chk[OBOL_HASH_LEN];
	size_t len = vg_parts_bytes(parts, n, buf, sizeof buf);
	if (len == 0 && n > 0) {
		vg_fail(g, "%s: hash input too long", cur_name(g));
		return;
	}
	obol_sha256(chk, buf, len);
	if (memcmp(chk, code_hash, sizeof chk) != 0)
		vg_fail(g, "%s: the recorded hash input is not what the code hashes", cur_name(g));
	vg_out_hex(g, "hash_input", buf, len);
}

/* The first key of object a whose value differs from b's (or is missing). */
static void diff_obj(const json_t *a, const json_t *b, const char *where, char *why, size_t cap)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)a, k, v)
	{
		json_t *w = json_object_get(b, k);
		if (w == NULL || !json_equal(v, w)) {
			if (json_is_object(v) && json_is_object(w)) {
				char sub[256];
				snprintf(sub, sizeof sub, "%s.%s", where, k);
				diff_obj(v, w, sub, why, cap);
				return;
			}
			snprintf(why, cap, "%s.%s differs", where, k);
			return;
		}
	}
	json_object_foreach((json_t *)b, k, v) if (json_object_get(a, k) == NULL)
	{
		snprintf(why, cap, "%s.%s is in the file only", where, k);
		return;
	}
	snprintf(why, cap, "%s differs", where);
}

int vg_compare(const json_t *built, const json_t *ref, char *why, size_t cap)
{
	const json_t *bv = json_object_get(built, "vectors"), *rv = json_object_get(ref, "vectors");
	size_t i;
	json_t *v;
	if (json_equal((json_t *)built, (json_t *)ref))
		return 0;
	json_array_foreach(bv, i, v)
	{
		const char *name = json_string_value(json_object_get(v, "name"));
		json_t *r = json_array_get(rv, i);
		if (r == NULL) {
			snprintf(why, cap, "vector %s is not in the file (run make vectors)", name);
			return 1;
		}
		if (!json_equal(v, r)) {
			char where[128];
			snprintf(where, sizeof where, "vector %s", name);
			diff_obj(v, r, where, why, cap);
			return 1;
		}
	}
	if (json_array_size(rv) != json_array_size(bv)) {
		snprintf(why, cap, "the file has %zu vectors, the code makes %zu (run make vectors)",
			 json_array_size(rv), json_array_size(bv));
		return 1;
	}
	diff_obj(built, ref, "document", why, cap);
	return 1;
}
