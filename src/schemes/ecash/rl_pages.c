/* The bank's revocation list in signed pages and deltas: the page's signed
 * bytes, and the client's page loop (take, apply). See rl_pages.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "crypto/rsa.h"
#include "schemes/ecash/rl_pages.h"

void ecash_rl_page_clear(struct ecash_rl_page *p)
{
	free(p->keys);
	memset(p, 0, sizeof(*p));
}

bool ecash_rl_page_last(const struct ecash_rl_page *p)
{
	for (size_t i = 0; i < ECASH_ID_LEN; i++)
		if (p->through[i] != 0xff)
			return false;
	return true;
}

obol_err ecash_rl_page_bytes(const struct ecash_rl_page *p, struct ecash_bytes *out)
{
	memset(out, 0, sizeof(*out));
	if (p->n > ECASH_RL_PAGE_MAX || (p->n > 0 && p->keys == NULL) || p->since < 0 || p->since > p->version ||
	    memcmp(p->after, p->through, ECASH_ID_LEN) >= 0)
		return OBOL_E_ECASH_LIST_PAGE;
	for (size_t i = 0; i < p->n; i++)
		if (memcmp(p->keys[i].id, i == 0 ? p->after : p->keys[i - 1].id, ECASH_ID_LEN) <= 0 ||
		    memcmp(p->keys[i].id, p->through, ECASH_ID_LEN) > 0)
			return OBOL_E_ECASH_LIST_PAGE;
	ecash_bytes_label(out, "obol-ecash-revocation-page-v1");
	ecash_bytes_i64(out, p->version);
	ecash_bytes_i64(out, p->since);
	ecash_bytes_put(out, p->after, ECASH_ID_LEN);
	ecash_bytes_put(out, p->through, ECASH_ID_LEN);
	ecash_bytes_i64(out, (int64_t)p->n);
	for (size_t i = 0; i < p->n; i++) {
		ecash_bytes_put(out, p->keys[i].id, ECASH_ID_LEN);
		ecash_bytes_i64(out, p->keys[i].at);
	}
	return ecash_bytes_done(out);
}

obol_err ecash_rl_page_sign(EVP_PKEY *bank_sk, struct ecash_rl_page *p)
{
	struct ecash_bytes b;
	obol_err e = ecash_rl_page_bytes(p, &b);
	if (e != OBOL_OK)
		return e;
	e = ecash_sign_bytes(bank_sk, &b, p->sig, &p->sig_len);
	ecash_bytes_free(&b);
	return e;
}

obol_err ecash_rl_page_verify(const struct ecash_bank_keys *bank_pk, const struct ecash_rl_page *p)
{
	struct ecash_bytes b;
	obol_err e = ecash_rl_page_bytes(p, &b);
	if (e != OBOL_OK)
		return e;
	e = ecash_bank_keys_verify_any(bank_pk, b.p, b.len, p->sig, p->sig_len, OBOL_E_ECASH_LIST_SIGNATURE);
	ecash_bytes_free(&b);
	return e;
}

void ecash_rl_fetch_begin(struct ecash_rl_fetch *f, const struct ecash_revocations *held, int64_t now)
{
	memset(f, 0, sizeof(*f));
	if (held->held && now - held->whole_at < ECASH_RL_FULL_EVERY && held->issued > ECASH_RL_DELTA_MARGIN)
		f->since = held->issued - ECASH_RL_DELTA_MARGIN;
}

obol_err ecash_rl_fetch_query(const struct ecash_rl_fetch *f, char *out, size_t cap)
{
	char after[OBOL_B64_LEN(ECASH_ID_LEN)];
	obol_err e = obol_b64_encode(f->after, ECASH_ID_LEN, after, sizeof(after));
	if (e != OBOL_OK)
		return e;
	int k = f->started ? snprintf(out, cap, "since=%lld&after=%s&version=%lld", (long long)f->since, after,
				      (long long)f->version)
			   : snprintf(out, cap, "since=%lld", (long long)f->since);
	return k > 0 && (size_t)k < cap ? OBOL_OK : OBOL_E_INVALID_ARGUMENT;
}

obol_err ecash_rl_fetch_take(struct ecash_rl_fetch *f, const struct ecash_rl_page *p,
			    const struct ecash_bank_keys *bank_pk)
{
	obol_err e = ecash_rl_page_verify(bank_pk, p);
	if (e != OBOL_OK)
		return e;
	/* the answer to this question: this since, from where the last page
	 * ended, of the version the first page fixed */
	if (f->done || p->since != f->since || memcmp(p->after, f->after, ECASH_ID_LEN) != 0 ||
	    (f->started && p->version != f->version))
		return OBOL_E_ECASH_LIST_PAGE;
	if (f->n + p->n > f->cap) {
		size_t ncap = f->cap ? f->cap : 1024;
		while (ncap < f->n + p->n)
			ncap *= 2;
		struct ecash_revoked *nk = realloc(f->keys, ncap * sizeof(*nk));
		if (nk == NULL)
			return OBOL_E_NO_MEMORY;
		f->keys = nk;
		f->cap = ncap;
	}
	/* each page ascends inside (after, through] and the next starts after
	 * through: appended in order, the whole stays ascending */
	if (p->n > 0)
		memcpy(f->keys + f->n, p->keys, p->n * sizeof(*p->keys));
	f->n += p->n;
	f->version = p->version;
	f->started = true;
	memcpy(f->after, p->through, ECASH_ID_LEN);
	f->done = ecash_rl_page_last(p);
	return OBOL_OK;
}

/* Merges the ascending a[0..na) and b[0..nb) into a new array (*out); an id
 * in both keeps its earlier time. */
static obol_err merge(const struct ecash_revoked *a, size_t na, const struct ecash_revoked *b, size_t nb,
		      struct ecash_revoked **out, size_t *n)
{
	size_t i = 0, j = 0, k = 0;
	struct ecash_revoked *m = malloc((na + nb ? na + nb : 1) * sizeof(*m));
	if (m == NULL)
		return OBOL_E_NO_MEMORY;
	while (i < na || j < nb) {
		int c = i == na ? 1 : j == nb ? -1 : memcmp(a[i].id, b[j].id, ECASH_ID_LEN);
		if (c < 0) {
			m[k++] = a[i++];
		} else if (c > 0) {
			m[k++] = b[j++];
		} else {
			m[k] = a[i++];
			if (b[j].at < m[k].at)
				m[k].at = b[j].at;
			j++;
			k++;
		}
	}
	*out = m;
	*n = k;
	return OBOL_OK;
}

obol_err ecash_rl_fetch_apply(struct ecash_rl_fetch *f, struct ecash_revocations *held)
{
	if (!f->done)
		return OBOL_E_ECASH_LIST_PAGE;
	if (held->held && f->version < held->issued)
		return OBOL_E_ECASH_LIST_STALE;
	if (f->since == 0) {
		free(held->keys);
		held->keys = f->keys;
		held->n = f->n;
		held->whole_at = f->version;
	} else {
		struct ecash_revoked *m;
		size_t n;
		obol_err e = merge(held->keys, held->n, f->keys, f->n, &m, &n);
		if (e != OBOL_OK)
			return e;
		free(held->keys);
		free(f->keys);
		held->keys = m;
		held->n = n;
	}
	held->held = true;
	held->issued = f->version;
	f->keys = NULL;
	f->n = f->cap = 0;
	return OBOL_OK;
}

void ecash_rl_fetch_free(struct ecash_rl_fetch *f)
{
	free(f->keys);
	memset(f, 0, sizeof(*f));
}
