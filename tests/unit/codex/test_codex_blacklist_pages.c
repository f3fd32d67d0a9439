/* The codex blacklist as signed, versioned pages and deltas (issue 18, P5
 * and P6): no live entry is ever dropped, however long the list; a page's
 * question (version, since, after) and range are signed, so pages of two
 * versions are not mixed and a missing page is seen; an entry leaves only
 * after its until (the listed Codex's last state's end plus the freshness
 * window); at a million entries the real issuer serves a delta of a hundred
 * in one small page, the whole list in pages, and a Codex a year behind
 * catches up. */
#include <stdlib.h>

#include "core/clock.h"
#include "issuer/codex_bank.h"
#include "issuer/issuer.h"
#include "net/http_client.h"
#include "schemes/codex/blacklist_pages.h"
#include "../net/http_bytes.h"
#include "../test.h"
#include "../store/store_test.h"
#include "wallet/codex_wallet.h"
#include "wire/json.h"
#include "world.h"

#define MILLION 1000000
#define A 0 /* the world's payer */
#define B 1 /* and payee */
#define T0 1800000000

static obol_err page_of(struct codex_blacklist_page *p, const struct obol_sign_keypair *k, uint64_t version,
			uint64_t since, uint64_t after, uint64_t through, struct codex_blacklist_item *items, size_t n)
{
	*p = (struct codex_blacklist_page){ .version = version, .issued = T0, .since = since, .after = after,
					    .through = through, .count = n, .items = items };
	struct obol_ed25519_signer sg;
	obol_ed25519_signer_local(&sg, k);
	return codex_blacklist_page_sign(p, &sg);
}

TEST(codex_blacklist_pages, attack_pages_of_two_versions_or_a_missing_page_are_seen)
{
	struct obol_sign_keypair bank, other;
	struct codex_blacklist_page p1, p2, p2v6, bad, pd;
	struct codex_blacklist_fetch f;
	struct codex_blset held = { 0 };
	struct codex_blacklist_item a[] = { { 3, T0 + 100 }, { 7, T0 + 100 } }, b[] = { { 9, T0 + 100 }, { 12, T0 + 5 } };
	obol_sign_keypair_new(&bank);
	obol_sign_keypair_new(&other);
	REQUIRE_OK(page_of(&p1, &bank, 5, 0, 0, 7, a, 2));
	REQUIRE_OK(page_of(&p2, &bank, 5, 0, 7, CODEX_BLACKLIST_END, b, 2));
	REQUIRE_OK(page_of(&p2v6, &bank, 6, 0, 7, CODEX_BLACKLIST_END, b, 2));
	/* an entry outside the page's range cannot be signed */
	CHECK_ERR(page_of(&bad, &bank, 5, 0, 0, 5, a, 2), OBOL_E_CODEX_BLACKLIST_PAGE_INVALID);

	codex_blacklist_fetch_begin(&f, &held);
	/* a page another key signed, or whose signed range was changed (the
	 * man in the middle says it is the last one), does not verify */
	REQUIRE_OK(page_of(&bad, &other, 5, 0, 0, 7, a, 2));
	CHECK_ERR(codex_blacklist_fetch_take(&f, &bad, bank.pk), OBOL_E_CODEX_BLACKLIST_PAGE_INVALID);
	bad = p1;
	bad.through = CODEX_BLACKLIST_END;
	CHECK_ERR(codex_blacklist_fetch_take(&f, &bad, bank.pk), OBOL_E_CODEX_BLACKLIST_PAGE_INVALID);
	/* a page dropped: the second page is not the answer to "after 0" */
	CHECK_ERR(codex_blacklist_fetch_take(&f, &p2, bank.pk), OBOL_E_CODEX_BLACKLIST_PAGE_INVALID);
	CHECK_OK(codex_blacklist_fetch_take(&f, &p1, bank.pk));
	/* a fetch not finished is not applied */
	CHECK_ERR(codex_blacklist_fetch_apply(&f, &held, T0), OBOL_E_CODEX_BLACKLIST_PAGE_INVALID);
	/* the next page of another version cannot be mixed in */
	CHECK_ERR(codex_blacklist_fetch_take(&f, &p2v6, bank.pk), OBOL_E_CODEX_BLACKLIST_PAGE_INVALID);
	CHECK_OK(codex_blacklist_fetch_take(&f, &p2, bank.pk));
	CHECK_OK(codex_blacklist_fetch_apply(&f, &held, T0 + 10));
	codex_blacklist_fetch_free(&f);
	/* 12's entry ended at T0 + 5: it can no longer matter and is dropped */
	CHECK_EQ_INT(held.n, 3);
	CHECK_EQ_INT(held.version, 5);
	CHECK(codex_blset_has(&held, 3) && codex_blset_has(&held, 9) && !codex_blset_has(&held, 12));

	/* the next fetch is a delta since 5; a page of the whole list cannot
	 * answer it, nor can one older than the version held */
	codex_blacklist_fetch_begin(&f, &held);
	CHECK_EQ_INT(f.since, 5);
	CHECK_ERR(codex_blacklist_fetch_take(&f, &p1, bank.pk), OBOL_E_CODEX_BLACKLIST_PAGE_INVALID);
	struct codex_blacklist_item d[] = { { 5, T0 + 200 }, { 9, T0 + 300 } };
	REQUIRE_OK(page_of(&pd, &bank, 7, 5, 0, CODEX_BLACKLIST_END, d, 2));
	CHECK_OK(codex_blacklist_fetch_take(&f, &pd, bank.pk));
	CHECK_OK(codex_blacklist_fetch_apply(&f, &held, T0 + 10));
	codex_blacklist_fetch_free(&f);
	CHECK_EQ_INT(held.n, 4); /* 3 5 7 9: merged, 9 once with the later until */
	CHECK_EQ_INT(held.version, 7);
	CHECK_EQ_INT(held.items[3].until, T0 + 300);
	/* a page whose since lies above its version is refused */
	CHECK_ERR(page_of(&bad, &bank, 4, 5, 0, CODEX_BLACKLIST_END, d, 2), OBOL_E_CODEX_BLACKLIST_PAGE_INVALID);
	/* an older whole list does not replace a newer copy */
	struct codex_blset fresh = { 0 };
	codex_blacklist_fetch_begin(&f, &fresh);
	CHECK_OK(codex_blacklist_fetch_take(&f, &p1, bank.pk));
	CHECK_OK(codex_blacklist_fetch_take(&f, &p2, bank.pk));
	CHECK_ERR(codex_blacklist_fetch_apply(&f, &held, T0 + 10), OBOL_E_CODEX_BLACKLIST_OLD);
	codex_blacklist_fetch_free(&f);
	CHECK_EQ_INT(held.n, 4);

	/* the encoding round-trips; a truncated or changed one is refused */
	uint8_t *enc = NULL;
	size_t len = 0;
	struct codex_blacklist_page back;
	REQUIRE_OK(codex_blacklist_page_encode(&pd, &enc, &len));
	CHECK_EQ_INT(len, CODEX_BLACKLIST_PAGE_LEN(2));
	CHECK_OK(codex_blacklist_page_decode(enc, len, &back));
	CHECK_OK(codex_blacklist_page_verify(&back, bank.pk));
	codex_blacklist_page_free(&back);
	CHECK_ERR(codex_blacklist_page_decode(enc, len - 1, &back), OBOL_E_CODEX_MALFORMED);
	enc[len - OBOL_SIGN_LEN - 9] ^= 1; /* the last entry's user id */
	if (codex_blacklist_page_decode(enc, len, &back) == OBOL_OK) {
		CHECK_ERR(codex_blacklist_page_verify(&back, bank.pk), OBOL_E_CODEX_BLACKLIST_PAGE_INVALID);
		codex_blacklist_page_free(&back);
	}
	free(enc);
	codex_blset_free(&held);
}

/* Rows of codex_listed: users first + 1 .. first + n, the x-th listed at
 * version v0 + (x - 1) / per_version, until `until`; one statement. */
struct bulk {
	int64_t n, first, v0, per_version, until;
};

static obol_err bulk_listed(struct obol_store *s, void *ctx)
{
	const struct bulk *b = ctx;
	bool pg = obol_store_backend(s) == OBOL_STORE_POSTGRES;
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "%s INSERT INTO codex_listed (user_id, since, until, version)"
		 " SELECT CAST(? AS BIGINT) + x, 0, CAST(? AS BIGINT), CAST(? AS BIGINT) + (x - 1) / CAST(? AS BIGINT) FROM %s",
		 pg ? "" : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)",
		 pg ? "generate_series(1, CAST(? AS BIGINT)) AS c(x)" : "c");
	return pg ? obol_store_run(s, NULL, sql, "iiiii", b->first, b->until, b->v0, b->per_version, b->n)
		  : obol_store_run(s, NULL, sql, "iiiii", b->n, b->first, b->until, b->v0, b->per_version);
}

/* The bank's list moves to version v (what a listing does, beside its
 * signed whole-list blob, which pages do not use). */
static obol_err set_version(struct obol_store *s, void *ctx)
{
	return obol_store_run(s, NULL, "UPDATE codex_blacklist SET version = ? WHERE id = 1", "i", *(int64_t *)ctx);
}

static obol_err analyze(struct obol_store *s, void *ctx)
{
	(void)ctx;
	return obol_store_exec(s, "ANALYZE codex_listed");
}

struct page_call {
	struct codex_issuer_page_req r;
	struct obol_ed25519_signer signer;
	struct codex_blacklist_page p;
};

static obol_err page_call(struct obol_store *s, void *ctx)
{
	struct page_call *c = ctx;
	return codex_issuer_blacklist_page(s, &c->signer, &c->r, &c->p);
}

TEST_DB(codex_blacklist_pages, a_million_live_entries_none_dropped_a_delta_of_a_hundred_and_a_codex_a_year_behind)
{
	struct obol_issuer_config cfg = { .db_url = db_url, .listen = "127.0.0.1:0", .threads = 2 };
	struct obol_issuer *iss = NULL;
	struct obol_http_client *c = NULL;
	struct codex_blset held = { 0 };
	struct codex_blacklist_fetch f;
	uint8_t bank_pk[OBOL_SIGN_PK_LEN];
	char url[64], target[128];
	int64_t now = obol_now();
	FILE *devnull = fopen("/dev/null", "w");
	REQUIRE(devnull != NULL);
	REQUIRE_OK(obol_issuer_init_db(db_url, "EUR", NULL, 0, devnull));
	fclose(devnull);
	REQUIRE_OK(obol_issuer_start(&cfg, &iss));
	memcpy(bank_pk, obol_issuer_keys(iss)->master_pk, OBOL_SIGN_PK_LEN);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", obol_issuer_port(iss));
	REQUIRE_OK(obol_http_client_new(url, 0, &c));

	/* a million users listed over a year, a thousand per version (versions
	 * 1 .. 1000), all live; and the boundary: one whose entry ends now + 600
	 * (listed) and one whose entry ended now - 10 (no longer matters) */
	struct bulk year = { MILLION, 0, 1, 1000, now + 30 * 86400 };
	REQUIRE_OK(store_test_ledger_tx(db_url, bulk_listed, &year));
	struct bulk edge_live = { 1, 5 * MILLION, 999, 10, now + 600 }, edge_dead = { 1, 6 * MILLION, 999, 10, now - 10 };
	REQUIRE_OK(store_test_ledger_tx(db_url, bulk_listed, &edge_live));
	REQUIRE_OK(store_test_ledger_tx(db_url, bulk_listed, &edge_dead));
	int64_t v = 1000;
	REQUIRE_OK(store_test_ledger_tx(db_url, set_version, &v));
	REQUIRE_OK(store_test_ledger_tx(db_url, analyze, NULL));

	/* the drop rule at its boundary, at a fixed time: an entry is served
	 * while now <= until, and not after */
	struct page_call pc = { .r = { .since = 998, .now = now + 600 } };
	REQUIRE_OK(obol_issuer_signer(iss, now, &pc.signer));
	REQUIRE_OK(store_test_ledger_tx(db_url, page_call, &pc));
	bool live_in = false, dead_in = false;
	for (size_t i = 0; i < pc.p.count; i++) {
		live_in |= pc.p.items[i].user == 5 * MILLION + 1;
		dead_in |= pc.p.items[i].user == 6 * MILLION + 1;
	}
	CHECK(live_in && !dead_in);
	codex_blacklist_page_free(&pc.p);
	pc.r.now = now + 601;
	REQUIRE_OK(store_test_ledger_tx(db_url, page_call, &pc));
	for (size_t i = 0; i < pc.p.count; i++)
		CHECK(pc.p.items[i].user != 5 * MILLION + 1);
	codex_blacklist_page_free(&pc.p);

	/* a new Codex gets the whole list in pages: none of the million is
	 * dropped (the signed whole list used to keep the newest 16,384) */
	codex_blacklist_fetch_begin(&f, &held);
	CHECK_OK(codex_wallet_blacklist_pages(c, bank_pk, &f, NULL));
	CHECK_OK(codex_blacklist_fetch_apply(&f, &held, now));
	codex_blacklist_fetch_free(&f);
	CHECK_EQ_INT(held.n, MILLION + 1);
	CHECK_EQ_INT(held.version, 1000);
	CHECK(codex_blset_has(&held, 1) && codex_blset_has(&held, MILLION) && codex_blset_has(&held, 5 * MILLION + 1));
	CHECK(!codex_blset_has(&held, 6 * MILLION + 1));
	size_t full_page = test_http_body_bytes(c, "/codex/blacklist/page");
	CHECK(full_page > 0 && full_page < OBOL_JSON_MAX);
	codex_blset_free(&held);

	/* a Codex last synced a year ago (it holds version 1) catches up
	 * through the delta since its version, paged */
	codex_blacklist_fetch_begin(&f, &held);
	f.version = 1; /* what that Codex fetched back then */
	f.started = true;
	CHECK_OK(codex_wallet_blacklist_pages(c, bank_pk, &f, NULL));
	CHECK_OK(codex_blacklist_fetch_apply(&f, &held, now));
	codex_blacklist_fetch_free(&f);
	CHECK_EQ_INT(held.n, 1000); /* users 1 .. 1000 were listed at version 1 */
	codex_blacklist_fetch_begin(&f, &held);
	CHECK_OK(codex_wallet_blacklist_pages(c, bank_pk, &f, NULL));
	CHECK_OK(codex_blacklist_fetch_apply(&f, &held, now));
	codex_blacklist_fetch_free(&f);
	CHECK_EQ_INT(held.n, MILLION + 1);
	CHECK_EQ_INT(held.version, 1000);

	/* a hundred more are listed at version 1001: the next sync is a delta
	 * of one small page */
	struct bulk recent = { 100, 2 * MILLION, 1001, 1000, now + 30 * 86400 };
	REQUIRE_OK(store_test_ledger_tx(db_url, bulk_listed, &recent));
	v = 1001;
	REQUIRE_OK(store_test_ledger_tx(db_url, set_version, &v));
	snprintf(target, sizeof(target), "/codex/blacklist/page?since=%llu", (unsigned long long)held.version);
	size_t delta = test_http_body_bytes(c, target);
	CHECK(delta > 0 && delta < 4096);
	codex_blacklist_fetch_begin(&f, &held);
	CHECK_OK(codex_wallet_blacklist_pages(c, bank_pk, &f, NULL));
	CHECK_EQ_INT(f.count, 100);
	CHECK_OK(codex_blacklist_fetch_apply(&f, &held, now));
	codex_blacklist_fetch_free(&f);
	CHECK_EQ_INT(held.n, MILLION + 101);
	CHECK(codex_blset_has(&held, 2 * MILLION + 100));

	/* a bad question is a named error for that caller */
	json_t *j = NULL;
	CHECK_ERR(obol_http_get_json(c, "/codex/blacklist/page?after=x", 0, &j), OBOL_E_INVALID_ARGUMENT);
	CHECK_ERR(obol_http_get_json(c, "/codex/blacklist/page?version=5000", 0, &j), OBOL_E_INVALID_ARGUMENT);
	CHECK_ERR(obol_http_get_json(c, "/codex/blacklist/page?since=9&version=5", 0, &j), OBOL_E_INVALID_ARGUMENT);
	json_decref(j);
	codex_blset_free(&held);
	obol_http_client_free(c);
	obol_issuer_stop(iss);
}

/* The device side at 10^6 entries: the Codex holds them in a sorted set
 * (16 bytes an entry in memory: 16 MB), writes them compact into its file
 * (dense account ids: a few bytes an entry), the file stays under the
 * wallet's size limit once base64'ed, and a listed payer is refused. */
TEST(codex_blacklist_pages, a_codex_holds_a_million_entries_and_refuses_a_listed_payer)
{
	struct world w;
	struct codex_msg_pay m;
	struct codex_msg_ack ack;
	struct codex *back = codex_alloc();
	struct codex_blset *s;
	uint8_t *ser = NULL;
	size_t len = 0;
	REQUIRE(back != NULL);
	REQUIRE_OK(world_init(&w, 1000, 1000, 8));
	uint64_t a_id = w.cx[A]->cert.user_id;
	s = &w.cx[B]->blocked;
	REQUIRE((s->items = malloc(MILLION * sizeof(*s->items))) != NULL);
	s->cap = MILLION;
	/* a million ids around alice's, one every third account, alice's among them */
	uint64_t first = a_id > 3 * (MILLION / 2) ? a_id - 3 * (MILLION / 2) : a_id % 3 + 3;
	for (size_t i = 0; i < MILLION; i++) {
		s->items[i].user = first + 3 * i;
		s->items[i].until = w.now + 30 * 86400 + (int64_t)i;
	}
	s->n = MILLION;
	s->version = 1000;
	REQUIRE(codex_blset_has(s, a_id));
	REQUIRE_OK(codex_serialize(w.cx[B], &ser, &len));
	/* the wallet file holds the Codex as base64 (4/3) beside the rest:
	 * under half its 16 MiB limit */
	CHECK(len * 4 / 3 < 8u * 1024 * 1024);
	test_note("a Codex with 10^6 blacklist entries: %zu bytes serialised (%.1f an entry), %zu in memory", len,
		 (double)len / MILLION, (size_t)MILLION * sizeof(*s->items));
	CHECK_OK(codex_parse(back, ser, len));
	CHECK_EQ_INT(back->blocked.n, MILLION);
	CHECK_EQ_INT(back->blocked.version, 1000);
	CHECK(codex_blset_has(&back->blocked, first) && codex_blset_has(&back->blocked, first + 3 * (MILLION - 1)));
	CHECK(!codex_blset_has(&back->blocked, first + 1));
	CHECK_EQ_INT(back->blocked.items[MILLION - 1].until, w.now + 30 * 86400 + MILLION - 1);
	/* a truncated file is refused */
	struct codex *cut = codex_alloc();
	REQUIRE(cut != NULL);
	CHECK_ERR(codex_parse(cut, ser, len - 1), OBOL_E_CODEX_MALFORMED);
	codex_free(cut);
	free(ser);
	/* alice pays bob: refused, nothing written */
	REQUIRE_OK(world_pay_msg(&w, A, B, 100, &m));
	CHECK_ERR(codex_receive(w.cx[B], &m, w.now, &ack, NULL), OBOL_E_CODEX_PAYER_BLACKLISTED);
	CHECK_EQ_INT(w.cx[B]->nlog, 0);
	/* ids far apart take more bytes: past CODEX_BLOCKED_BYTES_MAX the
	 * Codex is not written (a named error for this Codex; its file keeps
	 * the copy it had), never cut short */
	for (size_t i = 0; i < MILLION; i++)
		s->items[i].user = ((uint64_t)1 << 44) * (i + 1);
	CHECK_ERR(codex_serialize(w.cx[B], &ser, &len), OBOL_E_CODEX_BLACKLIST_TOO_LONG);
	/* once every entry's until has passed, the copy is empty */
	codex_blset_prune(s, w.now + 31 * 86400 + MILLION);
	CHECK_EQ_INT(s->n, 0);
	codex_free(back);
	world_free(&w);
}
