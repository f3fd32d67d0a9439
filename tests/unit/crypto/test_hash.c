/* SHA-256, hash chain verification and the traversal (hash.h, hashchain.c). */
#include <stdlib.h>
#include <string.h>

#include "core/parse.h"
#include "crypto/hash.h"
#include "crypto/secret.h"
#include "../test.h"

/* All values v_0..v_n of the chain over seed: (n+1) * 32 bytes. */
static uint8_t *naive_chain(const uint8_t seed[OBOL_HASH_LEN], uint64_t n)
{
	uint8_t *v = malloc((size_t)(n + 1) * OBOL_HASH_LEN);
	if (v == NULL)
		return NULL;
	memcpy(v, seed, OBOL_HASH_LEN);
	for (uint64_t i = 1; i <= n; i++)
		obol_sha256(v + i * OBOL_HASH_LEN, v + (i - 1) * OBOL_HASH_LEN, OBOL_HASH_LEN);
	return v;
}

static unsigned levels(uint64_t n)
{
	return n >= 2 ? 63u - (unsigned)__builtin_clzll(n - 1) : 0;
}

/* Walks the whole chain and compares every value and index with the naive
 * array; returns the number of mismatches. */
static uint64_t walk_and_compare(struct obol_hashchain_trav *t, const uint8_t *naive, uint64_t from)
{
	uint64_t bad = 0;
	uint8_t out[OBOL_HASH_LEN];
	uint64_t idx;
	for (uint64_t want = from + 1; want-- > 0;) {
		if (obol_hashchain_trav_next(t, out, &idx) != OBOL_OK || idx != want ||
		    memcmp(out, naive + want * OBOL_HASH_LEN, OBOL_HASH_LEN) != 0)
			bad++;
	}
	if (obol_hashchain_trav_next(t, out, &idx) != OBOL_E_HASHCHAIN_EXHAUSTED)
		bad++;
	return bad;
}

TEST(hash, sha256_vectors_and_parts)
{
	uint8_t h[OBOL_HASH_LEN], want[OBOL_HASH_LEN];
	/* FIPS 180-2 appendix B.1: SHA-256("abc") */
	REQUIRE_OK(obol_hex_decode("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want,
				   sizeof(want)));
	obol_sha256(h, "abc", 3);
	CHECK_MEM_EQ(h, want, OBOL_HASH_LEN);

	/* parts = SHA-256 of len32be(p) || p for each part */
	uint8_t buf[4 + 2 + 4 + 0 + 4 + 3] = { 0, 0, 0, 2, 'a', 'b', 0, 0, 0, 0, 0, 0, 0, 3, 'c', 'd', 'e' };
	struct obol_hash_part parts[3] = { { "ab", 2 }, { "", 0 }, { "cde", 3 } };
	obol_sha256_parts(h, parts, 3);
	obol_sha256(want, buf, sizeof(buf));
	CHECK_MEM_EQ(h, want, OBOL_HASH_LEN);
	/* a different split of the same bytes hashes differently */
	struct obol_hash_part other[2] = { { "abc", 3 }, { "de", 2 } };
	uint8_t h2[OBOL_HASH_LEN];
	obol_sha256_parts(h2, other, 2);
	CHECK(memcmp(h, h2, OBOL_HASH_LEN) != 0);
}

TEST(hash, chain_step_and_verify_bounds)
{
	uint8_t seed[OBOL_HASH_LEN], v[OBOL_HASH_LEN], anchor[OBOL_HASH_LEN];
	obol_random(seed, sizeof(seed));
	uint8_t *naive = naive_chain(seed, 100);
	REQUIRE(naive != NULL);

	obol_hashchain_step(v, seed, 0);
	CHECK_MEM_EQ(v, seed, OBOL_HASH_LEN);
	obol_hashchain_step(v, seed, 37);
	CHECK_MEM_EQ(v, naive + 37 * OBOL_HASH_LEN, OBOL_HASH_LEN);
	memcpy(v, seed, OBOL_HASH_LEN);
	obol_hashchain_step(v, v, 100); /* aliasing */
	CHECK_MEM_EQ(v, naive + 100 * OBOL_HASH_LEN, OBOL_HASH_LEN);
	memcpy(anchor, v, OBOL_HASH_LEN);

	/* v_40 reaches the anchor v_100 in exactly 60 steps */
	const uint8_t *v40 = naive + 40 * OBOL_HASH_LEN;
	CHECK_OK(obol_hashchain_verify(v40, 60, anchor, 60));
	CHECK_OK(obol_hashchain_verify(v40, 60, anchor, 1000));
	CHECK_ERR(obol_hashchain_verify(v40, 59, anchor, 1000), OBOL_E_HASHCHAIN_NOT_IN_CHAIN);
	CHECK_ERR(obol_hashchain_verify(v40, 61, anchor, 1000), OBOL_E_HASHCHAIN_NOT_IN_CHAIN);
	CHECK_OK(obol_hashchain_verify(anchor, 0, anchor, 0));
	/* bound on k: refused before any hashing */
	CHECK_ERR(obol_hashchain_verify(v40, 60, anchor, 59), OBOL_E_INVALID_ARGUMENT);
	CHECK_ERR(obol_hashchain_verify(v40, OBOL_HASHCHAIN_MAX_N + 1, anchor, UINT64_MAX),
		  OBOL_E_INVALID_ARGUMENT);
	CHECK_ERR(obol_hashchain_verify(v40, UINT64_MAX, anchor, UINT64_MAX), OBOL_E_INVALID_ARGUMENT);
	/* one changed bit of the value or the anchor */
	uint8_t bad[OBOL_HASH_LEN];
	memcpy(bad, v40, OBOL_HASH_LEN);
	bad[5] ^= 0x10;
	CHECK_ERR(obol_hashchain_verify(bad, 60, anchor, 60), OBOL_E_HASHCHAIN_NOT_IN_CHAIN);
	memcpy(bad, anchor, OBOL_HASH_LEN);
	bad[31] ^= 1;
	CHECK_ERR(obol_hashchain_verify(v40, 60, bad, 60), OBOL_E_HASHCHAIN_NOT_IN_CHAIN);
	free(naive);
}

/* The traversal against the naive array, with its cost figures. */
static void traverse_exactly(uint64_t n)
{
	uint8_t seed[OBOL_HASH_LEN], anchor[OBOL_HASH_LEN];
	struct obol_hashchain_trav t;
	obol_random(seed, sizeof(seed));
	uint8_t *naive = naive_chain(seed, n);
	REQUIRE(naive != NULL);
	REQUIRE_OK(obol_hashchain_trav_init(&t, seed, n, anchor));
	CHECK_MEM_EQ(anchor, naive + n * OBOL_HASH_LEN, OBOL_HASH_LEN);
	CHECK_EQ_INT(walk_and_compare(&t, naive, n - 1), 0);
	unsigned J = levels(n);
	test_note("n = %llu: at most %u values stored, at most %u hashes in one step",
		  (unsigned long long)n, t.max_pebbles_used, t.max_hashes_per_step);
	/* hashchain.c's bounds: J levels plus the seed; 1 + 2*ceil(J/2) hashes */
	CHECK(t.max_pebbles_used <= J + 1);
	CHECK(t.max_hashes_per_step <= 1 + 2 * ((J + 1) / 2));
	obol_hashchain_trav_wipe(&t);
	free(naive);
}

TEST(hashchain, traversal_2_10_equals_naive)
{
	traverse_exactly(UINT64_C(1) << 10);
}

TEST(hashchain, traversal_2_20_equals_naive)
{
	traverse_exactly(UINT64_C(1) << 20);
}

TEST(hashchain, traversal_every_small_length)
{
	uint8_t seed[OBOL_HASH_LEN], anchor[OBOL_HASH_LEN];
	struct obol_hashchain_trav t;
	obol_random(seed, sizeof(seed));
	uint8_t *naive = naive_chain(seed, 1100);
	REQUIRE(naive != NULL);
	uint64_t bad = 0;
	for (uint64_t n = 1; n <= 1100; n++) {
		REQUIRE_OK(obol_hashchain_trav_init(&t, seed, n, anchor));
		if (memcmp(anchor, naive + n * OBOL_HASH_LEN, OBOL_HASH_LEN) != 0)
			bad++;
		bad += walk_and_compare(&t, naive, n - 1);
		unsigned J = levels(n);
		if (t.max_pebbles_used > J + 1 || t.max_hashes_per_step > 1 + 2 * ((J + 1) / 2))
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_ERR(obol_hashchain_trav_init(&t, seed, 0, anchor), OBOL_E_INVALID_ARGUMENT);
	CHECK_ERR(obol_hashchain_trav_init(&t, seed, OBOL_HASHCHAIN_MAX_N + 1, anchor),
		  OBOL_E_INVALID_ARGUMENT);
	free(naive);
}

TEST(hashchain, seek_then_continue)
{
	uint8_t seed[OBOL_HASH_LEN], anchor[OBOL_HASH_LEN], out[OBOL_HASH_LEN];
	struct obol_hashchain_trav t;
	uint64_t idx;
	const uint64_t n = 5000;
	obol_random(seed, sizeof(seed));
	uint8_t *naive = naive_chain(seed, n);
	REQUIRE(naive != NULL);

	/* seek before any step, then walk to the end */
	REQUIRE_OK(obol_hashchain_trav_init(&t, seed, n, anchor));
	CHECK_OK(obol_hashchain_trav_seek(&t, 3001));
	CHECK_EQ_INT(walk_and_compare(&t, naive, 3001), 0);

	/* interleave steps and seeks at many points */
	uint64_t bad = 0;
	REQUIRE_OK(obol_hashchain_trav_init(&t, seed, n, anchor));
	uint64_t want = n - 1;
	while (want > 0) {
		for (int s = 0; s < 7 && want > 0; s++, want--) {
			if (obol_hashchain_trav_next(&t, out, &idx) != OBOL_OK || idx != want ||
			    memcmp(out, naive + want * OBOL_HASH_LEN, OBOL_HASH_LEN) != 0)
				bad++;
		}
		uint64_t skip = (want * 2654435761u) % 97;
		if (skip > want)
			skip = want;
		want -= skip;
		if (obol_hashchain_trav_seek(&t, want) != OBOL_OK)
			bad++;
	}
	bad += walk_and_compare(&t, naive, 0);
	CHECK_EQ_INT(bad, 0);

	/* only forwards (downwards); a seek to the next index is a no-op */
	REQUIRE_OK(obol_hashchain_trav_init(&t, seed, n, anchor));
	CHECK_ERR(obol_hashchain_trav_seek(&t, n), OBOL_E_INVALID_ARGUMENT);
	CHECK_OK(obol_hashchain_trav_seek(&t, n - 1));
	REQUIRE_OK(obol_hashchain_trav_seek(&t, 10));
	CHECK_ERR(obol_hashchain_trav_seek(&t, 11), OBOL_E_INVALID_ARGUMENT);
	CHECK_OK(obol_hashchain_trav_seek(&t, 0));
	REQUIRE_OK(obol_hashchain_trav_next(&t, out, &idx));
	CHECK_EQ_INT(idx, 0);
	CHECK_MEM_EQ(out, seed, OBOL_HASH_LEN);
	CHECK_ERR(obol_hashchain_trav_next(&t, out, &idx), OBOL_E_HASHCHAIN_EXHAUSTED);
	CHECK_ERR(obol_hashchain_trav_seek(&t, 0), OBOL_E_INVALID_ARGUMENT);
	free(naive);
}

TEST(hashchain, serialise_roundtrip_and_refusals)
{
	uint8_t seed[OBOL_HASH_LEN], anchor[OBOL_HASH_LEN], out[OBOL_HASH_LEN];
	uint8_t buf[OBOL_HASHCHAIN_TRAV_SER_MAX];
	struct obol_hashchain_trav t, u;
	size_t len;
	uint64_t idx;
	const uint64_t n = UINT64_C(1) << 20;
	obol_random(seed, sizeof(seed));
	REQUIRE_OK(obol_hashchain_trav_init(&t, seed, n, anchor));
	for (int i = 0; i < 12345; i++)
		REQUIRE_OK(obol_hashchain_trav_next(&t, out, &idx));
	REQUIRE_OK(obol_hashchain_trav_serialise(&t, buf, sizeof(buf), &len));
	test_note("serialised state of a 2^20 chain: %zu bytes", len);
	CHECK(len <= 1024);
	REQUIRE_OK(obol_hashchain_trav_deserialise(&u, buf, len));
	/* both continue identically */
	uint64_t bad = 0;
	for (int i = 0; i < 20000; i++) {
		uint8_t a[OBOL_HASH_LEN], b[OBOL_HASH_LEN];
		uint64_t ia, ib;
		if (obol_hashchain_trav_next(&t, a, &ia) != OBOL_OK ||
		    obol_hashchain_trav_next(&u, b, &ib) != OBOL_OK || ia != ib || memcmp(a, b, sizeof(a)) != 0)
			bad++;
	}
	CHECK_EQ_INT(bad, 0);
	/* the value is right, not just equal: it hashes to the anchor */
	REQUIRE_OK(obol_hashchain_trav_next(&u, out, &idx));
	CHECK_OK(obol_hashchain_verify(out, n - idx, anchor, n));

	CHECK_ERR(obol_hashchain_trav_deserialise(&u, buf, len - 1), OBOL_E_HASHCHAIN_STATE_INVALID);
	CHECK_ERR(obol_hashchain_trav_deserialise(&u, buf, 10), OBOL_E_HASHCHAIN_STATE_INVALID);
	uint8_t bad_buf[OBOL_HASHCHAIN_TRAV_SER_MAX + 32];
	memcpy(bad_buf, buf, len);
	bad_buf[len] = 0;
	CHECK_ERR(obol_hashchain_trav_deserialise(&u, bad_buf, len + 1), OBOL_E_HASHCHAIN_STATE_INVALID);
	memcpy(bad_buf, buf, len);
	bad_buf[0] ^= 1; /* magic */
	CHECK_ERR(obol_hashchain_trav_deserialise(&u, bad_buf, len), OBOL_E_HASHCHAIN_STATE_INVALID);
	memcpy(bad_buf, buf, len);
	bad_buf[21]++; /* pebble count */
	CHECK_ERR(obol_hashchain_trav_deserialise(&u, bad_buf, len), OBOL_E_HASHCHAIN_STATE_INVALID);
	memcpy(bad_buf, buf, len);
	bad_buf[12] ^= 0xff; /* n no longer matches the pebble count, or too big */
	CHECK_ERR(obol_hashchain_trav_deserialise(&u, bad_buf, len), OBOL_E_HASHCHAIN_STATE_INVALID);
	memcpy(bad_buf, buf, len);
	bad_buf[13] = 0xff; /* next > n */
	CHECK_ERR(obol_hashchain_trav_deserialise(&u, bad_buf, len), OBOL_E_HASHCHAIN_STATE_INVALID);
	CHECK_ERR(obol_hashchain_trav_serialise(&t, buf, 20, &len), OBOL_E_INVALID_ARGUMENT);
	obol_hashchain_trav_wipe(&t);
	obol_hashchain_trav_wipe(&u);
}
