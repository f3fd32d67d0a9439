/* SHA-256 and hash chains (DESIGN §3; seed 000/001 §4.1).
 *
 * A chain of length n over seed S has values H^0(S) = S, ..., H^n(S), with
 * H = SHA-256 over 32-byte values. H^n(S) is the anchor (the coin id of the
 * coupon scheme); values are revealed downwards: H^(n-1)(S), H^(n-2)(S), ...
 */
#ifndef OBOL_CRYPTO_HASH_H
#define OBOL_CRYPTO_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define OBOL_HASH_LEN 32

void obol_sha256(uint8_t out[static OBOL_HASH_LEN], const void *in, size_t len);

/* SHA-256 over several parts, each prefixed by its 4-byte big-endian length,
 * so that no two different part lists hash alike (domain separation). */
struct obol_hash_part {
	const void *p;
	size_t len;
};
void obol_sha256_parts(uint8_t out[static OBOL_HASH_LEN], const struct obol_hash_part *parts,
		       size_t nparts);

/* out = H^k(in); out may alias in. */
void obol_hashchain_step(uint8_t out[static OBOL_HASH_LEN], const uint8_t in[static OBOL_HASH_LEN],
			 uint64_t k);

/* Verifies that H^k(value) == anchor for exactly k steps, with k <= max_k.
 * Constant-time final comparison. OBOL_E_HASHCHAIN_NOT_IN_CHAIN otherwise,
 * OBOL_E_INVALID_ARGUMENT when k > max_k or k > OBOL_HASHCHAIN_MAX_N (no
 * hashing is done then). */
OBOL_MUST_CHECK obol_err obol_hashchain_verify(const uint8_t value[static OBOL_HASH_LEN], uint64_t k,
					       const uint8_t anchor[static OBOL_HASH_LEN], uint64_t max_k);

/* The largest chain length obol accepts (a coin of 2^24 tokens). */
#define OBOL_HASHCHAIN_MAX_N (UINT64_C(1) << 24)
/* Pebbles the traversal keeps at most: one per level, plus slack. */
#define OBOL_HASHCHAIN_MAX_PEBBLES 64

/* Traversal state: yields H^(n-1)(S), H^(n-2)(S), ..., H^0(S) in order while
 * storing O(log n) values and spending O(log n) hashes per step (Jakobsson's
 * fractal traversal; see hashchain.c). The state is plain data: it can be
 * serialised into a wallet file. It holds secrets: wipe it with
 * obol_hashchain_trav_wipe.
 *
 * pebbles[0] holds the seed H^0(S); pebbles[j], j >= 1, is the level-j pebble,
 * which rests on odd multiples of 2^j. A pebble with pos < dest is walking
 * upwards to dest; a level >= 1 pebble with dest == 0 is retired (holds
 * nothing). */
struct obol_hashchain_pebble {
	uint64_t pos;   /* index i of the stored value H^i(S) */
	uint64_t dest;  /* where it is moving to (algorithm-specific) */
	uint8_t value[OBOL_HASH_LEN];
};
struct obol_hashchain_trav {
	uint64_t n;     /* chain length */
	uint64_t next;  /* the next value yielded is H^(next-1)(S); n when none was
			 * yielded yet, 0 when the chain is exhausted */
	uint32_t npebbles; /* slots in use: 1 + the highest level */
	struct obol_hashchain_pebble pebbles[OBOL_HASHCHAIN_MAX_PEBBLES];
	/* statistics, for tests and benches */
	uint32_t max_pebbles_used;    /* most values held at once (seed included) */
	uint32_t max_hashes_per_step; /* most hashes one obol_hashchain_trav_next spent */
};

/* Starts a traversal of the chain of length n (1 <= n <= OBOL_HASHCHAIN_MAX_N,
 * else OBOL_E_INVALID_ARGUMENT) over seed; writes the anchor H^n(S). Costs n
 * hashes once. */
OBOL_MUST_CHECK obol_err obol_hashchain_trav_init(struct obol_hashchain_trav *t,
						  const uint8_t seed[static OBOL_HASH_LEN], uint64_t n,
						  uint8_t anchor[static OBOL_HASH_LEN]);

/* Yields the next value downwards, H^(t->next - 1)(S), and its index.
 * OBOL_E_HASHCHAIN_EXHAUSTED after H^0(S). */
OBOL_MUST_CHECK obol_err obol_hashchain_trav_next(struct obol_hashchain_trav *t,
						  uint8_t out[static OBOL_HASH_LEN], uint64_t *index);

/* Skips ahead so that the next value yielded is H^(index)(S), index < t->next
 * (used when a wallet resyncs a coin or spends several tokens at once);
 * OBOL_E_INVALID_ARGUMENT otherwise. Costs at most about t->next - index
 * hashes plus a few per level. */
OBOL_MUST_CHECK obol_err obol_hashchain_trav_seek(struct obol_hashchain_trav *t, uint64_t index);

/* Serialised state: "OHCT" | version 1 | n (u64) | next (u64) | npebbles (u8) |
 * max_pebbles_used (u32) | max_hashes_per_step (u32) | the value of every
 * live pebble in level order (32 bytes each); integers big-endian. Positions
 * are not stored: they follow from n and next. At most
 * OBOL_HASHCHAIN_TRAV_SER_MAX bytes; about 0.7 KiB for n = 2^20. */
#define OBOL_HASHCHAIN_TRAV_SER_HEADER 29
#define OBOL_HASHCHAIN_TRAV_SER_MAX \
	(OBOL_HASHCHAIN_TRAV_SER_HEADER + OBOL_HASHCHAIN_MAX_PEBBLES * OBOL_HASH_LEN)
OBOL_MUST_CHECK obol_err obol_hashchain_trav_serialise(const struct obol_hashchain_trav *t, uint8_t *out,
						       size_t cap, size_t *len);
/* OBOL_E_HASHCHAIN_STATE_INVALID when the bytes are not a consistent state
 * (the values themselves cannot be checked without the seed). */
OBOL_MUST_CHECK obol_err obol_hashchain_trav_deserialise(struct obol_hashchain_trav *t, const uint8_t *in,
							 size_t len);

void obol_hashchain_trav_wipe(struct obol_hashchain_trav *t);

#endif
