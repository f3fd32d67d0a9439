/* The bank's blacklist as signed, versioned pages and deltas (§III
 * CreateBlacklist, §VI.A; P5 and P6 of THREATS.md), and a Codex's own copy
 * of it as a sorted set without a fixed cap.
 *
 * Every listing carries the blacklist version at which the bank added it.
 * A page answers "every user listed at a version in (since, version] whose
 * entry still matters, with after < id <= through"; since = 0 asks the
 * whole list, since = the version a Codex holds asks the delta. A fetch
 * pins the version the first page names and asks every later page for that
 * same version, so pages of two versions are never mixed, and each page's
 * (version, since, after, through) is signed, so a page dropped, replayed
 * or answering another question is seen. An entry leaves the list only when
 * it can no longer matter: `until` is the end of the listed user's last
 * state plus CODEX_FRESH_WINDOW, after which every honest payee refuses its
 * tokens anyway (EXPIRED or TOKEN_STALE; docs/threats.md). No I/O here. */
#ifndef OBOL_SCHEMES_CODEX_BLACKLIST_PAGES_H
#define OBOL_SCHEMES_CODEX_BLACKLIST_PAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "crypto/sign.h"

/* Entries of one page: 16 bytes each, so a page stays near 128 KiB. */
#define CODEX_BLACKLIST_PAGE_MAX 8192
/* "OCXP" 4 | v 1 | version 8 | issued 8 | since 8 | after 8 | through 8 |
 * count 4 | count x (user 8 | until 8) | sig 64 */
#define CODEX_BLACKLIST_PAGE_LEN(n) (4 + 1 + 5 * 8 + 4 + 16 * (size_t)(n) + OBOL_SIGN_LEN)
#define CODEX_BLACKLIST_PAGE_BYTES_MAX CODEX_BLACKLIST_PAGE_LEN(CODEX_BLACKLIST_PAGE_MAX)
/* `through` of the page that ends the list. */
#define CODEX_BLACKLIST_END UINT64_MAX
#define CODEX_CTX_BLACKLIST_PAGE "codex-blacklist-page"

/* A listed user and the time after which its entry can no longer matter. */
struct codex_blacklist_item {
	uint64_t user;
	int64_t until;
};

/* One page, signed by the bank (CODEX_CTX_BLACKLIST_PAGE). It states: at
 * `issued`, every user listed at a version v with since < v <= version,
 * whose until >= issued and whose id u has after < u <= through, is in
 * items (ascending by user). */
struct codex_blacklist_page {
	uint64_t version, since, after, through;
	int64_t issued;
	size_t count; /* at most CODEX_BLACKLIST_PAGE_MAX */
	struct codex_blacklist_item *items;
	uint8_t sig[OBOL_SIGN_LEN];
};

/* CODEX_BLACKLIST_PAGE_INVALID unless since <= version, after < through,
 * count <= CODEX_BLACKLIST_PAGE_MAX and items ascend strictly inside
 * (after, through]. *out malloc'ed. */
OBOL_MUST_CHECK obol_err codex_blacklist_page_encode(const struct codex_blacklist_page *p, uint8_t **out, size_t *len);
/* Parses exactly len bytes (CODEX_MALFORMED otherwise, or
 * CODEX_BLACKLIST_PAGE_INVALID for a page whose items break the rules
 * above); p->items malloc'ed (free with codex_blacklist_page_free). Checks
 * no signature. */
OBOL_MUST_CHECK obol_err codex_blacklist_page_decode(const uint8_t *in, size_t len, struct codex_blacklist_page *p);
void codex_blacklist_page_free(struct codex_blacklist_page *p);
/* Signs p through signer (the issuer's online key, as the whole list). */
struct obol_ed25519_signer;
OBOL_MUST_CHECK obol_err codex_blacklist_page_sign(struct codex_blacklist_page *p,
						   const struct obol_ed25519_signer *signer);
/* CODEX_BLACKLIST_PAGE_INVALID when it breaks the rules above or its
 * signature does not verify under bank_pk, the issuer's master key, or an
 * online key it announced, acceptable now (schemes/common/issuer_sig.h). */
OBOL_MUST_CHECK obol_err codex_blacklist_page_verify(const struct codex_blacklist_page *p,
						     const uint8_t bank_pk[static OBOL_SIGN_PK_LEN]);

/* The bytes a Codex's file may give its copy of the blacklist: with the
 * file's base64 (4/3), under 11 MiB of the wallet file's 16 MiB. Dense
 * account ids take about 4 bytes an entry: about 2 * 10^6 entries. */
#define CODEX_BLOCKED_BYTES_MAX (8u * 1024 * 1024)

/* A Codex's copy of the blacklist: every entry of the bank's list through
 * `version` that still mattered when it was fetched, ascending by user. It
 * grows as the bank's list does (16 bytes an entry: 16 MB at 10^6) and
 * drops an entry only when its until has passed. */
struct codex_blset {
	uint64_t version;
	size_t n, cap;
	struct codex_blacklist_item *items;
};
/* Whether user is on the copy (an entry past its until included: keeping
 * it longer refuses nothing an honest payee would take). */
bool codex_blset_has(const struct codex_blset *s, uint64_t user);
/* Drops the entries whose until < now (they can no longer matter). */
void codex_blset_prune(struct codex_blset *s, int64_t now);
/* A deep copy of src into *dst (freed first). */
OBOL_MUST_CHECK obol_err codex_blset_copy(struct codex_blset *dst, const struct codex_blset *src);
void codex_blset_free(struct codex_blset *s);

/* A fetch in progress: a delta since the version held (or the whole list
 * when none is held), page after page. */
struct codex_blacklist_fetch {
	uint64_t since;   /* asked: the version held, 0 for the whole list */
	uint64_t version; /* pinned by the first page; every later page is of it */
	uint64_t after;   /* the next page starts after this user */
	bool started, done;
	size_t count, cap;
	struct codex_blacklist_item *items;
};
void codex_blacklist_fetch_begin(struct codex_blacklist_fetch *f, const struct codex_blset *held);
/* Takes the next page: CODEX_BLACKLIST_PAGE_INVALID unless it verifies
 * under bank_pk and answers this fetch's since, after and (after the first
 * page) version; a page older than the version asked is invalid too. */
OBOL_MUST_CHECK obol_err codex_blacklist_fetch_take(struct codex_blacklist_fetch *f, const struct codex_blacklist_page *p,
						    const uint8_t bank_pk[static OBOL_SIGN_PK_LEN]);
/* Applies a done fetch (CODEX_BLACKLIST_PAGE_INVALID while pages are
 * missing; CODEX_BLACKLIST_OLD when held is newer): the whole list replaces
 * *held, a delta is merged into it (a user listed twice keeps the later
 * until); then the entries past their until at now are dropped. */
OBOL_MUST_CHECK obol_err codex_blacklist_fetch_apply(struct codex_blacklist_fetch *f, struct codex_blset *held,
						     int64_t now);
void codex_blacklist_fetch_free(struct codex_blacklist_fetch *f);

#endif
