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
 * OBOL_E_INVALID_ARGUMENT when k > max_k (no hashing is done then). */
OBOL_MUST_CHECK obol_err obol_hashchain_verify(const uint8_t value[static OBOL_HASH_LEN], uint64_t k,
					       const uint8_t anchor[static OBOL_HASH_LEN], uint64_t max_k);

/* The largest chain length obol accepts (a coin of 2^24 tokens). */
#define OBOL_HASHCHAIN_MAX_N (UINT64_C(1) << 24)
/* Pebbles the traversal keeps at most: one per level, plus slack. */
#define OBOL_HASHCHAIN_MAX_PEBBLES 64

/* Traversal state: yields H^(n-1)(S), H^(n-2)(S), ..., H^0(S) in order while
 * storing O(log n) values and spending O(log n) hashes per step (Jakobsson's
 * fractal traversal or Schoenmakers' binary pebbling; see hashchain.c). The
 * state is plain data: it can be serialised into a wallet file. It holds
 * secrets: wipe it with obol_hashchain_trav_wipe. */
struct obol_hashchain_pebble {
	uint64_t pos;   /* index i of the stored value H^i(S) */
	uint64_t dest;  /* where it is moving to (algorithm-specific) */
	uint8_t value[OBOL_HASH_LEN];
};
struct obol_hashchain_trav {
	uint64_t n;     /* chain length */
	uint64_t next;  /* index of the next value to yield; n means none yielded yet */
	uint32_t npebbles;
	struct obol_hashchain_pebble pebbles[OBOL_HASHCHAIN_MAX_PEBBLES];
	/* statistics, for tests and benches */
	uint32_t max_pebbles_used;
	uint32_t max_hashes_per_step;
};

/* Starts a traversal of the chain of length n over seed; writes the anchor
 * H^n(S). Costs n hashes once. */
OBOL_MUST_CHECK obol_err obol_hashchain_trav_init(struct obol_hashchain_trav *t,
						  const uint8_t seed[static OBOL_HASH_LEN], uint64_t n,
						  uint8_t anchor[static OBOL_HASH_LEN]);

/* Yields the next value downwards, H^(t->next - 1)(S), and its index.
 * OBOL_E_HASHCHAIN_EXHAUSTED after H^0(S). */
OBOL_MUST_CHECK obol_err obol_hashchain_trav_next(struct obol_hashchain_trav *t,
						  uint8_t out[static OBOL_HASH_LEN], uint64_t *index);

/* Skips ahead so that the next value yielded is H^(index)(S), index < t->next
 * (used when a wallet resyncs a coin or spends several tokens at once). */
OBOL_MUST_CHECK obol_err obol_hashchain_trav_seek(struct obol_hashchain_trav *t, uint64_t index);

void obol_hashchain_trav_wipe(struct obol_hashchain_trav *t);

#endif
