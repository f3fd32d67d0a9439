/* The bank's revocation list in signed pages and deltas (GET
 * /ecash/revocations/page, docs/protocol.md; issue 18, P6): no client ever
 * needs the whole list in one body. A page answers one question, "the list
 * as of `version`, entries revoked at or after `since` (0: all of them),
 * keys after `after`", and the bank signs the question with the answer, so
 * that a page stands for no other: the pages of one fetch share one
 * version (two versions cannot be mixed), each starts where the previous
 * one ended (a dropped page is seen), and only a page whose range ends at
 * ECASH_RL_END closes the fetch. The core does no I/O: the shells fetch
 * pages and feed them here. */
#ifndef OBOL_SCHEMES_ECASH_RL_PAGES_H
#define OBOL_SCHEMES_ECASH_RL_PAGES_H

#include "schemes/ecash/ecash.h"

/* Entries on one page: each is at most about 70 bytes of JSON, so a page
 * stays well inside one body (OBOL_JSON_MAX, 1 MiB). */
#define ECASH_RL_PAGE_MAX 8192
/* A delta asks from this long before the version held, so that a
 * revocation whose transaction committed after that version was read is
 * not missed. */
#define ECASH_RL_DELTA_MARGIN 300
/* The whole list is fetched again once the last whole fetch is this old: it
 * drops the entries that can no longer matter (a key whose certificate
 * expired more than a coin lifetime ago), which a delta never removes. A
 * client that has no list, or one that old, is "too far behind". */
#define ECASH_RL_FULL_EVERY 86400
/* A version may be ahead of the bank's clock by this much (a client's
 * clock, or another bank process, a little ahead); later is refused. */
#define ECASH_RL_VERSION_SKEW 60

/* One signed page: the entries e with after < e.id <= through, in ascending
 * id, of the list as of `version` (keys revoked at or before it whose
 * certificate had not expired a coin lifetime before it), revoked at or
 * after `since`. `after` all zero: the first page; `through` all 0xff
 * (ecash_rl_page_last): the last. keys is heap-owned (ecash_rl_page_clear). */
struct ecash_rl_page {
	int64_t version, since;
	uint8_t after[ECASH_ID_LEN], through[ECASH_ID_LEN];
	struct ecash_revoked *keys;
	size_t n;
	uint8_t sig[ECASH_SIG_MAX];
	size_t sig_len;
};
void ecash_rl_page_clear(struct ecash_rl_page *p);
bool ecash_rl_page_last(const struct ecash_rl_page *p);
/* The signed bytes: label "obol-ecash-revocation-page-v1" | version | since |
 * u32 32 | after | u32 32 | through | n | n × (u32 32 | id | at), integers
 * 8 bytes big-endian. ECASH_LIST_PAGE for a page whose entries are not
 * strictly ascending inside (after, through], that is longer than
 * ECASH_RL_PAGE_MAX, or whose since is after its version. */
OBOL_MUST_CHECK obol_err ecash_rl_page_bytes(const struct ecash_rl_page *p, struct ecash_bytes *out);
/* Signs with the bank's key (RSA-PSS, as every bank-signed list). */
OBOL_MUST_CHECK obol_err ecash_rl_page_sign(EVP_PKEY *bank_sk, struct ecash_rl_page *p);
/* ECASH_LIST_SIGNATURE unless the bank signed it; ECASH_LIST_PAGE as above. */
/* Under any key of bank_pk (a page is signed by the bank key in use when it
 * was served, whatever its version). */
OBOL_MUST_CHECK obol_err ecash_rl_page_verify(const struct ecash_bank_keys *bank_pk, const struct ecash_rl_page *p);

/* A fetch in progress: the whole list (since 0) or a delta. */
struct ecash_rl_fetch {
	int64_t since;
	int64_t version; /* the first page's; 0 until it came */
	uint8_t after[ECASH_ID_LEN]; /* the next page starts after this id */
	bool started, done;
	struct ecash_revoked *keys; /* ascending, unique */
	size_t n, cap;
};
/* Starts a fetch: a delta from held->version - ECASH_RL_DELTA_MARGIN when a
 * list is held and its last whole fetch (held->whole_at) is younger than
 * ECASH_RL_FULL_EVERY at now; else the whole list. */
void ecash_rl_fetch_begin(struct ecash_rl_fetch *f, const struct ecash_revocations *held, int64_t now);
/* The query of the next page, "since=S&after=B64&version=V" (after and
 * version once known); NO_MEMORY never, INVALID_ARGUMENT if out is short. */
OBOL_MUST_CHECK obol_err ecash_rl_fetch_query(const struct ecash_rl_fetch *f, char *out, size_t cap);
/* Takes the next page: ECASH_LIST_SIGNATURE unless the bank signed it;
 * ECASH_LIST_PAGE unless it answers this fetch's since and after and has the
 * version of the fetch's first page (or after a done fetch); NO_MEMORY.
 * Sets f->done on the last page. */
OBOL_MUST_CHECK obol_err ecash_rl_fetch_take(struct ecash_rl_fetch *f, const struct ecash_rl_page *p,
					     const struct ecash_bank_keys *bank_pk);
/* Applies a done fetch to *held: the whole list replaces it (and sets
 * whole_at), a delta is merged in (an id already held keeps its earliest
 * time); held->version and issued become the fetch's version.
 * ECASH_LIST_PAGE for a fetch not done; ECASH_LIST_STALE for one older than
 * the list held. The fetch's entries move to held. */
OBOL_MUST_CHECK obol_err ecash_rl_fetch_apply(struct ecash_rl_fetch *f, struct ecash_revocations *held);
void ecash_rl_fetch_free(struct ecash_rl_fetch *f);

#endif
