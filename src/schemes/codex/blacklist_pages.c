/* The blacklist as signed pages and deltas, and a Codex's copy of it
 * (blacklist_pages.h). */
#include "schemes/codex/blacklist_pages.h"

#include <stdlib.h>
#include <string.h>

#include "crypto/ed25519_signer.h"
#include "schemes/codex/bytes.h"
#include "core/clock.h"
#include "schemes/common/issuer_sig.h"

/* ---- the page ------------------------------------------------------------ */

static bool page_shape_ok(const struct codex_blacklist_page *p)
{
	if (p->since > p->version || p->after >= p->through || p->count > CODEX_BLACKLIST_PAGE_MAX ||
	    (p->count > 0 && p->items == NULL))
		return false;
	for (size_t i = 0; i < p->count; i++) {
		uint64_t u = p->items[i].user, prev = i > 0 ? p->items[i - 1].user : p->after;
		if (u <= prev || u > p->through)
			return false;
	}
	return true;
}

/* The signed bytes (sig = false) or the whole form. */
static obol_err page_write(const struct codex_blacklist_page *p, bool sig, uint8_t **out, size_t *len)
{
	size_t cap;
	struct wr w;
	obol_err e;
	*out = NULL;
	if (!page_shape_ok(p))
		return OBOL_E_CODEX_BLACKLIST_PAGE_INVALID;
	cap = CODEX_BLACKLIST_PAGE_LEN(p->count);
	if ((w.p = malloc(cap)) == NULL)
		return OBOL_E_NO_MEMORY;
	w.cap = cap;
	w.len = 0;
	w.fail = false;
	w_bytes(&w, "OCXP", 4);
	w_u8(&w, CODEX_BIN_VERSION);
	w_u64(&w, p->version);
	w_u64(&w, (uint64_t)p->issued);
	w_u64(&w, p->since);
	w_u64(&w, p->after);
	w_u64(&w, p->through);
	w_u32(&w, (uint32_t)p->count);
	for (size_t i = 0; i < p->count; i++) {
		w_u64(&w, p->items[i].user);
		w_u64(&w, (uint64_t)p->items[i].until);
	}
	if (sig)
		w_bytes(&w, p->sig, OBOL_SIGN_LEN);
	if ((e = w_end(&w, len)) != OBOL_OK) {
		free(w.p);
		return e;
	}
	*out = w.p;
	return OBOL_OK;
}

obol_err codex_blacklist_page_encode(const struct codex_blacklist_page *p, uint8_t **out, size_t *len)
{
	return page_write(p, true, out, len);
}

obol_err codex_blacklist_page_decode(const uint8_t *in, size_t len, struct codex_blacklist_page *p)
{
	struct rd r = { in, len, 0, false };
	size_t n;
	memset(p, 0, sizeof(*p));
	r_magic(&r, "OCXP");
	p->version = r_u64(&r);
	p->issued = (int64_t)r_u64(&r);
	p->since = r_u64(&r);
	p->after = r_u64(&r);
	p->through = r_u64(&r);
	n = r_u32(&r);
	if (r.fail || n > CODEX_BLACKLIST_PAGE_MAX || n * 16 > r.len - r.off)
		return OBOL_E_CODEX_MALFORMED;
	if (n > 0 && (p->items = malloc(n * sizeof(*p->items))) == NULL)
		return OBOL_E_NO_MEMORY;
	for (size_t i = 0; i < n; i++) {
		p->items[i].user = r_u64(&r);
		p->items[i].until = (int64_t)r_u64(&r);
	}
	p->count = n;
	r_copy(&r, p->sig, OBOL_SIGN_LEN);
	obol_err e = r_end(&r);
	if (e == OBOL_OK && !page_shape_ok(p))
		e = OBOL_E_CODEX_BLACKLIST_PAGE_INVALID;
	if (e != OBOL_OK)
		codex_blacklist_page_free(p);
	return e;
}

void codex_blacklist_page_free(struct codex_blacklist_page *p)
{
	free(p->items);
	p->items = NULL;
	p->count = 0;
}

obol_err codex_blacklist_page_sign(struct codex_blacklist_page *p, const struct obol_ed25519_signer *signer)
{
	uint8_t *buf;
	size_t len;
	obol_err e = page_write(p, false, &buf, &len);
	if (e != OBOL_OK)
		return e;
	e = obol_ed25519_sign(signer, CODEX_CTX_BLACKLIST_PAGE, buf, len, p->sig);
	free(buf);
	return e;
}

obol_err codex_blacklist_page_verify(const struct codex_blacklist_page *p, const uint8_t bank_pk[static OBOL_SIGN_PK_LEN])
{
	uint8_t *buf;
	size_t len;
	obol_err e = page_write(p, false, &buf, &len);
	if (e != OBOL_OK)
		return e;
	if (obol_issuer_sig_verify(p->sig, CODEX_CTX_BLACKLIST_PAGE, buf, len, bank_pk, obol_now()) != OBOL_OK)
		e = OBOL_E_CODEX_BLACKLIST_PAGE_INVALID;
	free(buf);
	return e;
}

/* ---- the Codex's copy ------------------------------------------------------ */

bool codex_blset_has(const struct codex_blset *s, uint64_t user)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->items[mid].user == user)
			return true;
		if (s->items[mid].user < user)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

void codex_blset_prune(struct codex_blset *s, int64_t now)
{
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->items[i].until >= now)
			s->items[k++] = s->items[i];
	s->n = k;
}

obol_err codex_blset_copy(struct codex_blset *dst, const struct codex_blset *src)
{
	struct codex_blacklist_item *v = NULL;
	if (src->n > 0) {
		if ((v = malloc(src->n * sizeof(*v))) == NULL)
			return OBOL_E_NO_MEMORY;
		memcpy(v, src->items, src->n * sizeof(*v));
	}
	codex_blset_free(dst);
	dst->items = v;
	dst->n = dst->cap = src->n;
	dst->version = src->version;
	return OBOL_OK;
}

void codex_blset_free(struct codex_blset *s)
{
	free(s->items);
	memset(s, 0, sizeof(*s));
}

/* ---- a fetch ----------------------------------------------------------------- */

void codex_blacklist_fetch_begin(struct codex_blacklist_fetch *f, const struct codex_blset *held)
{
	memset(f, 0, sizeof(*f));
	f->since = held != NULL ? held->version : 0;
}

obol_err codex_blacklist_fetch_take(struct codex_blacklist_fetch *f, const struct codex_blacklist_page *p,
				    const uint8_t bank_pk[static OBOL_SIGN_PK_LEN])
{
	obol_err e = codex_blacklist_page_verify(p, bank_pk);
	if (e != OBOL_OK)
		return e;
	if (f->done || p->since != f->since || p->after != f->after || (f->started && p->version != f->version))
		return OBOL_E_CODEX_BLACKLIST_PAGE_INVALID;
	if (f->count + p->count > f->cap) {
		size_t ncap = f->cap ? f->cap : 1024;
		while (ncap < f->count + p->count)
			ncap *= 2;
		struct codex_blacklist_item *nv = realloc(f->items, ncap * sizeof(*nv));
		if (nv == NULL)
			return OBOL_E_NO_MEMORY;
		f->items = nv;
		f->cap = ncap;
	}
	/* each page ascends inside (after, through] and the next starts after
	 * through: appended in order, the whole ascends */
	if (p->count > 0)
		memcpy(f->items + f->count, p->items, p->count * sizeof(*p->items));
	f->count += p->count;
	f->version = p->version;
	f->started = true;
	f->after = p->through;
	f->done = p->through == CODEX_BLACKLIST_END;
	return OBOL_OK;
}

obol_err codex_blacklist_fetch_apply(struct codex_blacklist_fetch *f, struct codex_blset *held, int64_t now)
{
	if (!f->done)
		return OBOL_E_CODEX_BLACKLIST_PAGE_INVALID;
	if (f->version < held->version)
		return OBOL_E_CODEX_BLACKLIST_OLD;
	if (f->since == 0) {
		free(held->items);
		held->items = f->items;
		held->n = f->count;
		held->cap = f->cap;
	} else {
		size_t n = held->n + f->count, i = 0, j = 0, k = 0;
		struct codex_blacklist_item *m = malloc((n ? n : 1) * sizeof(*m));
		if (m == NULL)
			return OBOL_E_NO_MEMORY;
		while (i < held->n || j < f->count) {
			if (j == f->count || (i < held->n && held->items[i].user < f->items[j].user)) {
				m[k++] = held->items[i++];
			} else if (i == held->n || f->items[j].user < held->items[i].user) {
				m[k++] = f->items[j++];
			} else { /* listed again: the later until */
				m[k] = held->items[i++];
				if (f->items[j].until > m[k].until)
					m[k].until = f->items[j].until;
				j++;
				k++;
			}
		}
		free(held->items);
		free(f->items);
		held->items = m;
		held->n = k;
		held->cap = n ? n : 1;
	}
	held->version = f->version;
	f->items = NULL;
	f->count = f->cap = 0;
	codex_blset_prune(held, now);
	return OBOL_OK;
}

void codex_blacklist_fetch_free(struct codex_blacklist_fetch *f)
{
	free(f->items);
	memset(f, 0, sizeof(*f));
}
