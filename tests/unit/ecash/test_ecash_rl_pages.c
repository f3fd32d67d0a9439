/* The ecash revocation list as signed pages and deltas (issue 18, P6): a
 * page's question (version, since, after) is signed with its answer, so no
 * page stands for another, pages of two versions do not mix and a dropped
 * page is seen; at a million revoked keys the real issuer serves the whole
 * list in pages and a delta of a hundred in one small page, a client a year
 * behind catches up through the page loop the vendor and the wallet use,
 * and the directory stays one small block with rings still drawn from it. */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/parse.h"
#include "fixture.h"
#include "issuer/ecash_issuer.h"
#include "issuer/issuer.h"
#include "net/http_client.h"
#include "../store/store_test.h"
#include "schemes/ecash/messages.h"
#include "schemes/ecash/rl_pages.h"
#include "../net/http_bytes.h"
#include "../test.h"
#include "vendor/ecash_rl_fetch.h"
#include "wire/json.h"

#define MILLION 1000000

/* Key id i of a made-up list: ascending with i. */
static void id_of(uint8_t id[ECASH_ID_LEN], unsigned i)
{
	memset(id, 0, ECASH_ID_LEN);
	id[0] = 0x10;
	id[1] = (uint8_t)(i >> 8);
	id[2] = (uint8_t)i;
}

static int page_of(struct fx *w, struct ecash_rl_page *p, int64_t version, int64_t since, unsigned after,
		   unsigned through, const unsigned *ids, size_t n)
{
	memset(p, 0, sizeof(*p));
	p->version = version;
	p->since = since;
	if (after != 0)
		id_of(p->after, after);
	if (through == 0)
		memset(p->through, 0xff, ECASH_ID_LEN);
	else
		id_of(p->through, through);
	if ((p->keys = calloc(n ? n : 1, sizeof(*p->keys))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		id_of(p->keys[i].id, ids[i]);
		p->keys[i].at = version - 100 + (int64_t)i;
	}
	p->n = n;
	return ecash_rl_page_sign(w->bank_sk, p) == OBOL_OK ? 0 : -1;
}

TEST(ecash_rl_pages, attack_a_page_cannot_stand_for_another_nor_hide_a_missing_one)
{
	struct fx w;
	struct ecash_rl_page p1, p2, p2_later, bad;
	struct ecash_rl_fetch f;
	struct ecash_revocations held = { 0 };
	const unsigned a[] = { 3, 7 }, b[] = { 9, 12 };
	uint8_t id[ECASH_ID_LEN];
	int64_t at = 0;
	REQUIRE(fx_init(&w, 1) == 0);
	REQUIRE(page_of(&w, &p1, FX_NOW, 0, 0, 7, a, 2) == 0);
	REQUIRE(page_of(&w, &p2, FX_NOW, 0, 7, 0, b, 2) == 0);
	REQUIRE(page_of(&w, &p2_later, FX_NOW + 60, 0, 7, 0, b, 2) == 0);
	/* an entry outside the page's range is refused at signing */
	CHECK(page_of(&w, &bad, FX_NOW, 0, 0, 5, a, 2) != 0);
	ecash_rl_page_clear(&bad);

	ecash_rl_fetch_begin(&f, &held, FX_NOW);
	CHECK_EQ_INT(f.since, 0);
	/* a page whose signed range is changed (a man in the middle says it
	 * is the last one, or hides an entry) does not verify */
	REQUIRE(page_of(&w, &bad, FX_NOW, 0, 0, 7, a, 2) == 0);
	memset(bad.through, 0xff, ECASH_ID_LEN);
	CHECK_ERR(ecash_rl_fetch_take(&f, &bad, &w.bank.keys), OBOL_E_ECASH_LIST_SIGNATURE);
	memcpy(bad.through, p1.through, ECASH_ID_LEN);
	bad.n = 1;
	CHECK_ERR(ecash_rl_fetch_take(&f, &bad, &w.bank.keys), OBOL_E_ECASH_LIST_SIGNATURE);
	/* its times are signed too */
	bad.n = 2;
	bad.keys[0].at += 1;
	CHECK_ERR(ecash_rl_fetch_take(&f, &bad, &w.bank.keys), OBOL_E_ECASH_LIST_SIGNATURE);
	ecash_rl_page_clear(&bad);
	/* a page dropped: the second page is not the answer to "from the start" */
	CHECK_ERR(ecash_rl_fetch_take(&f, &p2, &w.bank.keys), OBOL_E_ECASH_LIST_PAGE);
	CHECK_OK(ecash_rl_fetch_take(&f, &p1, &w.bank.keys));
	/* a fetch not finished is not applied */
	CHECK_ERR(ecash_rl_fetch_apply(&f, &held), OBOL_E_ECASH_LIST_PAGE);
	/* the next page of another version does not mix with the first */
	CHECK_ERR(ecash_rl_fetch_take(&f, &p2_later, &w.bank.keys), OBOL_E_ECASH_LIST_PAGE);
	CHECK_OK(ecash_rl_fetch_take(&f, &p2, &w.bank.keys));
	CHECK(f.done);
	/* nothing after the last page */
	CHECK_ERR(ecash_rl_fetch_take(&f, &p2, &w.bank.keys), OBOL_E_ECASH_LIST_PAGE);
	CHECK_OK(ecash_rl_fetch_apply(&f, &held));
	ecash_rl_fetch_free(&f);
	CHECK(held.held);
	CHECK_EQ_INT(held.n, 4);
	CHECK_EQ_INT(held.issued, FX_NOW);
	CHECK_EQ_INT(held.whole_at, FX_NOW);
	id_of(id, 12);
	CHECK(ecash_revoked(&held, id, &at));
	CHECK_EQ_INT(at, FX_NOW - 99);
	id_of(id, 8);
	CHECK(!ecash_revoked(&held, id, NULL));

	/* the next fetch is a delta: a page of the whole list cannot answer it */
	ecash_rl_fetch_begin(&f, &held, FX_NOW + 10);
	CHECK_EQ_INT(f.since, FX_NOW - ECASH_RL_DELTA_MARGIN);
	CHECK_ERR(ecash_rl_fetch_take(&f, &p1, &w.bank.keys), OBOL_E_ECASH_LIST_PAGE);
	const unsigned d[] = { 5, 12 };
	struct ecash_rl_page pd;
	REQUIRE(page_of(&w, &pd, FX_NOW + 10, FX_NOW - ECASH_RL_DELTA_MARGIN, 0, 0, d, 2) == 0);
	pd.keys[1].at = FX_NOW - 500; /* 12 again, with an earlier time: the earliest stays */
	REQUIRE_OK(ecash_rl_page_sign(w.bank_sk, &pd));
	CHECK_OK(ecash_rl_fetch_take(&f, &pd, &w.bank.keys));
	CHECK_OK(ecash_rl_fetch_apply(&f, &held));
	ecash_rl_fetch_free(&f);
	CHECK_EQ_INT(held.n, 5); /* 3 5 7 9 12: merged, 12 once */
	id_of(id, 12);
	CHECK(ecash_revoked(&held, id, &at));
	CHECK_EQ_INT(at, FX_NOW - 500);
	id_of(id, 5);
	CHECK(ecash_revoked(&held, id, NULL));
	CHECK_EQ_INT(held.issued, FX_NOW + 10);
	CHECK_EQ_INT(held.whole_at, FX_NOW);

	/* an older list does not replace a newer one */
	ecash_rl_fetch_begin(&f, &(struct ecash_revocations){ 0 }, FX_NOW);
	CHECK_OK(ecash_rl_fetch_take(&f, &p1, &w.bank.keys));
	CHECK_OK(ecash_rl_fetch_take(&f, &p2, &w.bank.keys));
	CHECK_ERR(ecash_rl_fetch_apply(&f, &held), OBOL_E_ECASH_LIST_STALE);
	ecash_rl_fetch_free(&f);
	CHECK_EQ_INT(held.n, 5);
	/* a page signed by anyone but the bank */
	struct fx *other = calloc(1, sizeof(*other)); /* two worlds do not fit on the stack */
	REQUIRE(other != NULL && fx_init(other, 1) == 0);
	REQUIRE(page_of(other, &bad, FX_NOW, 0, 0, 0, a, 2) == 0);
	ecash_rl_fetch_begin(&f, &(struct ecash_revocations){ 0 }, FX_NOW);
	CHECK_ERR(ecash_rl_fetch_take(&f, &bad, &w.bank.keys), OBOL_E_ECASH_LIST_SIGNATURE);
	ecash_rl_fetch_free(&f);
	ecash_rl_page_clear(&bad);
	fx_free(other);
	free(other);
	/* a day after the last whole fetch, the whole list is asked again:
	 * what can no longer matter leaves the client's list then */
	ecash_rl_fetch_begin(&f, &held, FX_NOW + ECASH_RL_FULL_EVERY);
	CHECK_EQ_INT(f.since, 0);

	/* a page survives its wire form */
	struct ecash_rl_page_spec sp, bsp;
	struct ecash_rl_page back = { 0 };
	json_t *j = NULL;
	ecash_rl_page_spec(&sp, &p1, false);
	REQUIRE_OK(obol_json_encode(&sp.s, &j));
	ecash_rl_page_spec(&bsp, &back, true);
	CHECK_OK(ecash_rl_page_done(&bsp, obol_json_decode(j, &bsp.s)));
	CHECK_OK(ecash_rl_page_verify(&w.bank.keys, &back));
	CHECK_EQ_INT(back.n, 2);
	json_decref(j);
	ecash_rl_page_clear(&back);

	ecash_revocations_clear(&held);
	ecash_rl_page_clear(&p1);
	ecash_rl_page_clear(&p2);
	ecash_rl_page_clear(&p2_later);
	ecash_rl_page_clear(&pd);
	fx_free(&w);
}

/* n registrations (ecash_certs) numbered first .. first + n - 1, made-up
 * ids ascending with the number, certificates expiring at `expiry`, each revoked (ecash_revoked) at
 * at0 + step * x for the x-th: two statements, one transaction. */
struct bulk {
	int64_t n, first, at0, step, expiry;
};

static obol_err bulk_revoked(struct obol_store *s, void *ctx)
{
	const struct bulk *b = ctx;
	bool pg = obol_store_backend(s) == OBOL_STORE_POSTGRES;
	/* rows counted by SQLite's recursive CTE, by PostgreSQL's
	 * generate_series; the id of registration x is its number in 32
	 * decimal digits, so that rows go in in key order */
	obol_err e =
		pg ? obol_store_run(s, NULL,
				    "INSERT INTO ecash_certs (key_id, account, cert, issued, expiry, seq)"
				    " SELECT convert_to(lpad(CAST(x AS TEXT), 32, '0'), 'UTF8'), 99, '{}',"
				    " 0, CAST(? AS BIGINT), x FROM generate_series(CAST(? AS BIGINT),"
				    " CAST(? AS BIGINT)) AS c(x)",
				    "iii", b->expiry, b->first, b->first + b->n - 1)
		   : obol_store_run(s, NULL,
				    "WITH RECURSIVE c(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM c WHERE x < ?)"
				    " INSERT INTO ecash_certs (key_id, account, cert, issued, expiry, seq)"
				    " SELECT CAST(printf('%032d', x) AS BLOB), 99, '{}', 0, ?, x FROM c",
				    "iii", b->first, b->first + b->n - 1, b->expiry);
	if (e == OBOL_OK)
		e = obol_store_run(s, NULL,
				   "INSERT INTO ecash_revoked (key_id, at, reason) SELECT key_id,"
				   " CAST(? AS BIGINT) + CAST(? AS BIGINT) * (seq - CAST(? AS BIGINT)), 'test'"
				   " FROM ecash_certs WHERE seq >= ? AND seq < ?",
				   "iiiii", b->at0, b->step, b->first, b->first, b->first + b->n);
	return e;
}

static obol_err analyze(struct obol_store *s, void *ctx)
{
	(void)ctx;
	obol_err e = obol_store_exec(s, "ANALYZE ecash_revoked");
	return e == OBOL_OK ? obol_store_exec(s, "ANALYZE ecash_certs") : e;
}

/* The parties of w registered at the issuer's bank (its key re-signs
 * their certificates, issued no earlier than the key's valid_from: the
 * first bank key is announced from its drawing at init, after the
 * fixture's clock), after every registration already there. */
struct reg {
	struct fx *w;
	EVP_PKEY *bank_sk;
	int64_t from;
};

static obol_err register_parties(struct obol_store *s, void *ctx)
{
	struct reg *r = ctx;
	obol_err e = OBOL_OK;
	for (size_t i = 0; i < r->w->n && e == OBOL_OK; i++) {
		struct ecash_cert *c = &r->w->p[i].c.cert;
		struct ecash_bytes cb;
		json_t *j = NULL;
		if (c->issued < r->from)
			c->issued = r->from;
		if ((e = ecash_cert_bytes(c, &cb)) == OBOL_OK) {
			e = ecash_sign_bytes(r->bank_sk, &cb, c->sig, &c->sig_len);
			ecash_bytes_free(&cb);
		}
		if (e == OBOL_OK)
			e = ecash_issuer_cert_insert(s, c, &j);
		json_decref(j);
	}
	return e;
}

TEST_DB(ecash_rl_pages, a_million_revoked_keys_in_pages_a_delta_of_a_hundred_and_a_client_a_year_behind)
{
	struct obol_issuer_config cfg = { .db_url = db_url, .listen = "127.0.0.1:0", .threads = 2 };
	struct obol_issuer *iss = NULL;
	struct ecash_issuer_state *st = NULL;
	struct obol_http_client *c = NULL;
	struct ecash_revocations held = { 0 };
	struct ecash_rl_fetch f;
	struct fx w;
	char url[64], target[160], id64[OBOL_B64_LEN(ECASH_ID_LEN)];
	int64_t now = obol_now();
	FILE *devnull = fopen("/dev/null", "w");
	REQUIRE(devnull != NULL);
	REQUIRE_OK(obol_issuer_init_db(db_url, "EUR", NULL, 0, devnull));
	fclose(devnull);
	REQUIRE_OK(obol_issuer_start(&cfg, &iss));
	REQUIRE_OK(ecash_issuer_state(iss, &st));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", obol_issuer_port(iss));
	REQUIRE_OK(obol_http_client_new(url, 0, &c));

	/* a million keys revoked over the past year, their certificates still
	 * live; one whose certificate expired more than a coin lifetime ago,
	 * which can no longer matter */
	struct bulk old = { MILLION, 0, now - 366 * 86400, 30, now + 86400 };
	REQUIRE_OK(store_test_ledger_tx(db_url, bulk_revoked, &old));
	struct bulk expired = { 1, 5 * MILLION, now - 86400, 1, now - st->bank.coin_lifetime - 10 };
	REQUIRE_OK(store_test_ledger_tx(db_url, bulk_revoked, &expired));
	REQUIRE_OK(store_test_ledger_tx(db_url, analyze, NULL));

	/* a client whose list is a year old (or new) gets the whole list, in
	 * pages, through the loop the vendor and the wallet run */
	held = (struct ecash_revocations){ .held = true, .issued = now - 365 * 86400, .whole_at = now - 365 * 86400 };
	ecash_rl_fetch_begin(&f, &held, now);
	CHECK_EQ_INT(f.since, 0);
	struct ecash_rl_fetch_stats whole = { 0 };
	CHECK_OK(ecash_rl_fetch_pages(c, &st->bank.keys, &f, &whole));
	CHECK_OK(ecash_rl_fetch_apply(&f, &held));
	ecash_rl_fetch_free(&f);
	CHECK_EQ_INT(held.n, MILLION);
	CHECK_EQ_INT(whole.pages, (MILLION + ECASH_RL_PAGE_MAX - 1) / ECASH_RL_PAGE_MAX);
	test_note("ecash revocation list of 10^6 keys: %zu bytes in %zu pages", whole.bytes, whole.pages);
	CHECK(held.whole_at >= now && held.issued == held.whole_at);
	for (size_t i = 1; i < held.n; i++)
		if (memcmp(held.keys[i - 1].id, held.keys[i].id, ECASH_ID_LEN) >= 0) {
			CHECK(!"the list is not strictly ascending");
			break;
		}
	/* a page stays inside one body */
	size_t page = test_http_body_bytes(c, "/ecash/revocations/page");
	CHECK(page > 0 && page < OBOL_JSON_MAX);
	test_note("ecash revocation page of %d keys: %zu bytes", ECASH_RL_PAGE_MAX, page);

	/* a hundred more are revoked now: the next refresh is a delta of one
	 * small page */
	struct bulk recent = { 100, 2 * MILLION, obol_now() - 150, 1, now + 86400 };
	REQUIRE_OK(store_test_ledger_tx(db_url, bulk_revoked, &recent));
	ecash_rl_fetch_begin(&f, &held, obol_now());
	CHECK(f.since > 0);
	snprintf(target, sizeof(target), "/ecash/revocations/page?since=%lld", (long long)f.since);
	size_t delta = test_http_body_bytes(c, target);
	CHECK(delta > 0 && delta < 16384);
	test_note("ecash revocation delta of 100 keys: %zu bytes", delta);
	struct ecash_rl_fetch_stats small = { 0 };
	CHECK_OK(ecash_rl_fetch_pages(c, &st->bank.keys, &f, &small));
	CHECK_EQ_INT(f.n, 100);
	CHECK_EQ_INT(small.pages, 1);
	CHECK_OK(ecash_rl_fetch_apply(&f, &held));
	ecash_rl_fetch_free(&f);
	CHECK_EQ_INT(held.n, MILLION + 100);

	/* a bad question is a named error for that caller alone */
	json_t *j = NULL;
	CHECK_ERR(obol_http_get_json(c, "/ecash/revocations/page?after=x", 0, &j), OBOL_E_INVALID_ARGUMENT);
	snprintf(target, sizeof(target), "/ecash/revocations/page?version=%lld", (long long)obol_now() + 3600);
	CHECK_ERR(obol_http_get_json(c, target, 0, &j), OBOL_E_INVALID_ARGUMENT);
	CHECK_ERR(obol_http_get_json(c, "/ecash/revocations/page?since=20&version=10", 0, &j), OBOL_E_INVALID_ARGUMENT);

	/* the directory past a million registrations: parties registered
	 * after them get their block, small and signed, and a ring from it */
	REQUIRE(fx_init(&w, 4) == 0);
	struct reg r = { &w, st->bank.keys.k[0].pk, st->bank.keys.k[0].valid_from };
	REQUIRE_OK(store_test_ledger_tx(db_url, register_parties, &r));
	REQUIRE_OK(obol_b64_encode(w.p[0].c.id, ECASH_ID_LEN, id64, sizeof(id64)));
	snprintf(target, sizeof(target), "/ecash/directory?key=%s", id64);
	size_t dir_bytes = test_http_body_bytes(c, target);
	CHECK(dir_bytes > 0 && dir_bytes < 32768);
	test_note("ecash directory block past 10^6 registrations: %zu bytes", dir_bytes);
	struct ecash_directory dir = { 0 };
	struct ecash_directory_spec dsp;
	REQUIRE_OK(obol_http_get_json(c, target, 0, &j));
	ecash_directory_spec(&dsp, &dir, true);
	CHECK_OK(ecash_directory_done(&dsp, obol_json_decode(j, &dsp.s)));
	json_decref(j);
	CHECK_OK(ecash_directory_verify(&st->bank.keys, &dir));
	/* registrations 0 .. 10^6 - 1 and 5·10^6 (revoked), then the parties */
	CHECK_EQ_INT(dir.first, 5 * MILLION);
	CHECK_EQ_INT(dir.n, 4);
	struct ecash_cert ring[ECASH_RING_MAX];
	size_t nring = 0, signer = 0;
	w.p[0].c.bank_pk = &st->bank.keys;
	struct ecash_ring_in in = { .dir = &dir, .rl = &held, .size = 8, .now = obol_now() };
	CHECK_OK(ecash_ring_pick(&w.p[0].c, &in, ring, &nring, &signer));
	CHECK_EQ_INT(nring, 4);
	ecash_directory_clear(&dir);
	fx_free(&w);

	ecash_revocations_clear(&held);
	obol_http_client_free(c);
	obol_issuer_stop(iss);
}

/* The merchant's registry of received serials (seed 002 §3.5.1; the vendor
 * daemon loads ecash_received into it at start) at a million coins: a new
 * payment is taken and its coin is held from then on, in memory of about
 * 32 MB (16 bytes a slot, load at most 1/2). */
TEST(ecash_rl_pages, a_merchant_holding_a_million_coins_takes_a_new_one_and_holds_it)
{
	struct fx w;
	struct ecash_payment p;
	uint8_t serial[ECASH_SERIAL_LEN];
	REQUIRE(fx_paid(&w, 2, &p) == 0);
	for (uint32_t i = 1; i <= MILLION; i++) {
		memset(serial, 0x5a, sizeof(serial));
		memcpy(serial, &i, sizeof(i));
		REQUIRE_OK(ecash_merchant_remember(&w.p[1].m, serial));
	}
	CHECK_EQ_INT(w.p[1].m.nseen, MILLION);
	CHECK(w.p[1].m.cap <= 4 * (size_t)MILLION);
	CHECK_OK(fx_accept(&w, 1, &p, FX_NOW));
	CHECK_EQ_INT(w.p[1].m.nseen, MILLION + 1);
	/* the coin taken, and any of the million, is held (what PAY refuses
	 * ECASH_COIN_ALREADY_HELD); an unseen serial is not */
	CHECK(ecash_merchant_holds(&w.p[1].m, p.coins[0].coin.serial));
	uint32_t k = MILLION / 2;
	memset(serial, 0x5a, sizeof(serial));
	memcpy(serial, &k, sizeof(k));
	CHECK(ecash_merchant_holds(&w.p[1].m, serial));
	serial[ECASH_SERIAL_LEN - 1] ^= 1;
	CHECK(!ecash_merchant_holds(&w.p[1].m, serial));
	ecash_payment_clear(&p);
	fx_free(&w);
}
