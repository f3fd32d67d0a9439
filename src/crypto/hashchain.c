/* Hash chain traversal after Jakobsson, "Fractal Hash Sequence Representation
 * and Traversal" (ISIT 2002), written over chain indices for any length n.
 *
 * Outputs run downwards: step x yields v_x = H^x(S) for x = n-1, ..., 0.
 * Hashing moves a value upwards (v_i -> v_{i+1}), so a stored value ("pebble")
 * at index i can produce every v_y with y >= i.
 *
 * Levels. The seed v_0 is kept until the end (pebbles[0]). For each level
 * j = 1..J, J = floor(log2(n-1)), one pebble rests on odd multiples of 2^j.
 * Step x does:
 *   1. yield: x = 0 -> the seed; x odd -> H(v_{x-1}), where x-1 is 0 or an
 *      even index on which a pebble rests; x even -> the level tz(x) pebble,
 *      which rests on x (tz = number of trailing zero bits).
 *   2. for even x > 0, the level j = tz(x) pebble is used up; it moves to the
 *      next odd multiple of 2^j below: dest = x - 2^(j+1). It starts from
 *      s = dest - 2^j = x - 3*2^j, an even multiple of 2^j, where the seed or
 *      a higher-level pebble rests, and copies that value. When dest <= 0 the
 *      pebble retires.
 *   3. every walking pebble hashes twice (less when it reaches dest).
 * A level-j pebble walks 2^j hashes in 2^(j-1) steps and is needed first,
 * as a source for level j-1, 3*2^(j-1) steps after it left, so it is always
 * in place in time. A level-j pebble walks only while x mod 2^(j+1) lies in
 * [2^(j-1)+1, 2^j]; two adjacent levels never walk at once, so one step costs
 * at most 1 + 2*ceil(J/2) hashes, and J+1 values are stored.
 *
 * The state before step x is a closed-form function of (n, x) (see
 * pebble_target): seek and deserialise use it, and init is a seek from the
 * seed. */
#include <stdbool.h>
#include <string.h>

#include "crypto/hash.h"
#include "crypto/secret.h"

static unsigned top_level(uint64_t n)
{
	return n >= 2 ? 63u - (unsigned)__builtin_clzll(n - 1) : 0;
}

static unsigned tz(uint64_t x)
{
	return (unsigned)__builtin_ctzll(x);
}

/* Where the level-j pebble is before step x in a chain of length n: false
 * when it is retired. */
static bool pebble_target(uint64_t n, uint64_t x, unsigned j, uint64_t *pos, uint64_t *dest)
{
	uint64_t q = x >> j;
	if (q == 0)
		return false;
	if ((q & 1) == 0)
		q--;
	uint64_t d = q << j;
	uint64_t left = d + (UINT64_C(2) << j); /* the step it left its last rest */
	*dest = d;
	if (left > n - 1) {
		*pos = d; /* placed at the start, never moved yet */
		return true;
	}
	uint64_t walked = 2 * (left - x);
	uint64_t s = d - (UINT64_C(1) << j);
	*pos = walked >= (UINT64_C(1) << j) ? d : s + walked;
	return true;
}

static bool pebble_live(const struct obol_hashchain_trav *t, unsigned j)
{
	return j == 0 || t->pebbles[j].dest != 0;
}

/* The pebble resting on index p (0 or even), or NULL when the state is broken. */
static struct obol_hashchain_pebble *resting_at(struct obol_hashchain_trav *t, uint64_t p)
{
	if (p == 0)
		return &t->pebbles[0];
	unsigned j = tz(p);
	if (j == 0 || j >= t->npebbles)
		return NULL;
	struct obol_hashchain_pebble *pb = &t->pebbles[j];
	return pb->pos == p && pb->dest == p ? pb : NULL;
}

static uint32_t live_count(const struct obol_hashchain_trav *t)
{
	uint32_t c = 0;
	for (unsigned j = 0; j < t->npebbles; j++)
		c += pebble_live(t, j);
	return c;
}

/* Rebuilds every pebble for "before step x" from the values in old (the seed
 * and the pebbles it holds), hashing each new value from the nearest known
 * value below it. */
static void set_state(struct obol_hashchain_trav *t, const struct obol_hashchain_trav *old,
		      uint64_t x)
{
	bool done[OBOL_HASHCHAIN_MAX_PEBBLES] = { false };
	unsigned J = t->npebbles - 1;

	done[0] = true;
	memcpy(t->pebbles[0].value, old->pebbles[0].value, OBOL_HASH_LEN);
	for (unsigned j = 1; j <= J; j++) {
		struct obol_hashchain_pebble *pb = &t->pebbles[j];
		if (!pebble_target(t->n, x, j, &pb->pos, &pb->dest)) {
			pb->pos = pb->dest = 0;
			obol_wipe(pb->value, OBOL_HASH_LEN);
			done[j] = true;
		}
	}
	/* Fill the live pebbles in increasing position, each from the highest
	 * known value at or below it: an old pebble or one filled already. */
	for (;;) {
		unsigned best = 0;
		for (unsigned j = 1; j <= J; j++)
			if (!done[j] && (best == 0 || t->pebbles[j].pos < t->pebbles[best].pos))
				best = j;
		if (best == 0)
			break;
		struct obol_hashchain_pebble *pb = &t->pebbles[best];
		const uint8_t *src = old->pebbles[0].value;
		uint64_t src_pos = 0;
		for (unsigned j = 1; j <= J; j++) {
			const struct obol_hashchain_pebble *o = &old->pebbles[j];
			if (pebble_live(old, j) && o->pos <= pb->pos && o->pos > src_pos) {
				src = o->value;
				src_pos = o->pos;
			}
			const struct obol_hashchain_pebble *f = &t->pebbles[j];
			if (j != best && done[j] && pebble_live(t, j) && f->pos <= pb->pos && f->pos > src_pos) {
				src = f->value;
				src_pos = f->pos;
			}
		}
		obol_hashchain_step(pb->value, src, pb->pos - src_pos);
		done[best] = true;
	}
}

obol_err obol_hashchain_trav_init(struct obol_hashchain_trav *t, const uint8_t seed[static OBOL_HASH_LEN],
				  uint64_t n, uint8_t anchor[static OBOL_HASH_LEN])
{
	struct obol_hashchain_trav old;

	memset(t, 0, sizeof(*t));
	if (n == 0 || n > OBOL_HASHCHAIN_MAX_N)
		return OBOL_E_INVALID_ARGUMENT;
	memset(&old, 0, sizeof(old));
	old.npebbles = 1;
	memcpy(old.pebbles[0].value, seed, OBOL_HASH_LEN);

	t->n = n;
	t->next = n;
	t->npebbles = top_level(n) + 1;
	set_state(t, &old, n - 1);
	/* The anchor, from the highest pebble. */
	unsigned hi = 0;
	for (unsigned j = 1; j < t->npebbles; j++)
		if (pebble_live(t, j) && t->pebbles[j].pos > t->pebbles[hi].pos)
			hi = j;
	obol_hashchain_step(anchor, t->pebbles[hi].value, n - t->pebbles[hi].pos);
	t->max_pebbles_used = live_count(t);
	OBOL_WIPE(old);
	return OBOL_OK;
}

obol_err obol_hashchain_trav_next(struct obol_hashchain_trav *t, uint8_t out[static OBOL_HASH_LEN],
				  uint64_t *index)
{
	const struct obol_hashchain_pebble *src;
	uint32_t hashes = 0;

	if (t->next == 0)
		return OBOL_E_HASHCHAIN_EXHAUSTED;
	if (t->next > t->n || t->npebbles == 0 || t->npebbles > OBOL_HASHCHAIN_MAX_PEBBLES)
		return OBOL_E_HASHCHAIN_STATE_INVALID;
	uint64_t x = t->next - 1;

	/* 1. yield v_x */
	if (x == 0) {
		memcpy(out, t->pebbles[0].value, OBOL_HASH_LEN);
	} else if (x & 1) {
		if ((src = resting_at(t, x - 1)) == NULL)
			return OBOL_E_HASHCHAIN_STATE_INVALID;
		obol_sha256(out, src->value, OBOL_HASH_LEN);
		hashes++;
	} else {
		if ((src = resting_at(t, x)) == NULL)
			return OBOL_E_HASHCHAIN_STATE_INVALID;
		memcpy(out, src->value, OBOL_HASH_LEN);
	}

	/* 2. the used-up pebble moves down to its next rest, or retires */
	if (x > 0 && (x & 1) == 0) {
		unsigned j = tz(x);
		struct obol_hashchain_pebble *pb = &t->pebbles[j];
		if (x > (UINT64_C(2) << j)) {
			uint64_t s = x - 3 * (UINT64_C(1) << j);
			if ((src = resting_at(t, s)) == NULL)
				return OBOL_E_HASHCHAIN_STATE_INVALID;
			memcpy(pb->value, src->value, OBOL_HASH_LEN);
			pb->pos = s;
			pb->dest = x - (UINT64_C(2) << j);
		} else {
			pb->pos = pb->dest = 0;
			obol_wipe(pb->value, OBOL_HASH_LEN);
		}
	}

	/* 3. walking pebbles advance two steps */
	for (unsigned j = 1; j < t->npebbles; j++) {
		struct obol_hashchain_pebble *pb = &t->pebbles[j];
		for (int k = 0; k < 2 && pb->pos < pb->dest; k++) {
			obol_sha256(pb->value, pb->value, OBOL_HASH_LEN);
			pb->pos++;
			hashes++;
		}
	}

	t->next = x;
	*index = x;
	if (hashes > t->max_hashes_per_step)
		t->max_hashes_per_step = hashes;
	if (x == 0) {
		/* Exhausted: nothing secret needs to stay. */
		obol_wipe(t->pebbles, sizeof(t->pebbles));
	} else {
		uint32_t c = live_count(t);
		if (c > t->max_pebbles_used)
			t->max_pebbles_used = c;
	}
	return OBOL_OK;
}

obol_err obol_hashchain_trav_seek(struct obol_hashchain_trav *t, uint64_t index)
{
	struct obol_hashchain_trav old;

	if (t->next > t->n || t->npebbles == 0 || t->npebbles > OBOL_HASHCHAIN_MAX_PEBBLES)
		return OBOL_E_HASHCHAIN_STATE_INVALID;
	if (index >= t->next)
		return OBOL_E_INVALID_ARGUMENT;
	if (index + 1 == t->next)
		return OBOL_OK;
	old = *t;
	set_state(t, &old, index);
	t->next = index + 1;
	OBOL_WIPE(old);
	return OBOL_OK;
}

void obol_hashchain_trav_wipe(struct obol_hashchain_trav *t)
{
	obol_wipe(t, sizeof(*t));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++)
		v = v << 8 | p[i];
	return v;
}

static const uint8_t ser_magic[5] = { 'O', 'H', 'C', 'T', 1 };

obol_err obol_hashchain_trav_serialise(const struct obol_hashchain_trav *t, uint8_t *out, size_t cap,
				       size_t *len)
{
	if (t->n == 0 || t->n > OBOL_HASHCHAIN_MAX_N || t->next > t->n ||
	    t->npebbles != top_level(t->n) + 1)
		return OBOL_E_HASHCHAIN_STATE_INVALID;
	size_t need = OBOL_HASHCHAIN_TRAV_SER_HEADER;
	if (t->next > 0)
		need += (size_t)live_count(t) * OBOL_HASH_LEN;
	if (cap < need)
		return OBOL_E_INVALID_ARGUMENT;
	memcpy(out, ser_magic, sizeof(ser_magic));
	put_u64(out + 5, t->n);
	put_u64(out + 13, t->next);
	out[21] = (uint8_t)t->npebbles;
	put_u32(out + 22, t->max_pebbles_used);
	put_u32(out + 26, t->max_hashes_per_step);
	out[28] = 0; /* reserved */
	size_t off = OBOL_HASHCHAIN_TRAV_SER_HEADER;
	if (t->next > 0) {
		for (unsigned j = 0; j < t->npebbles; j++) {
			if (!pebble_live(t, j))
				continue;
			memcpy(out + off, t->pebbles[j].value, OBOL_HASH_LEN);
			off += OBOL_HASH_LEN;
		}
	}
	*len = off;
	return OBOL_OK;
}

obol_err obol_hashchain_trav_deserialise(struct obol_hashchain_trav *t, const uint8_t *in, size_t len)
{
	obol_err e = OBOL_E_HASHCHAIN_STATE_INVALID;

	memset(t, 0, sizeof(*t));
	if (len < OBOL_HASHCHAIN_TRAV_SER_HEADER || memcmp(in, ser_magic, sizeof(ser_magic)) != 0 ||
	    in[28] != 0)
		goto out;
	t->n = get_u64(in + 5);
	t->next = get_u64(in + 13);
	t->npebbles = in[21];
	t->max_pebbles_used = get_u32(in + 22);
	t->max_hashes_per_step = get_u32(in + 26);
	if (t->n == 0 || t->n > OBOL_HASHCHAIN_MAX_N || t->next > t->n ||
	    t->npebbles != top_level(t->n) + 1)
		goto out;
	size_t off = OBOL_HASHCHAIN_TRAV_SER_HEADER;
	if (t->next > 0) {
		for (unsigned j = 0; j < t->npebbles; j++) {
			struct obol_hashchain_pebble *pb = &t->pebbles[j];
			if (j > 0 && !pebble_target(t->n, t->next - 1, j, &pb->pos, &pb->dest))
				continue;
			if (len - off < OBOL_HASH_LEN)
				goto out;
			memcpy(pb->value, in + off, OBOL_HASH_LEN);
			off += OBOL_HASH_LEN;
		}
	}
	if (off != len)
		goto out;
	e = OBOL_OK;
out:
	if (e != OBOL_OK)
		obol_hashchain_trav_wipe(t);
	return e;
}
