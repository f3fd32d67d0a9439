/* A representative message with every field kind, shared by the wire unit
 * tests and the fuzz targets. Keys 1..13 in CBOR; names in JSON. */
#ifndef OBOL_TESTS_WIRE_SAMPLE_H
#define OBOL_TESTS_WIRE_SAMPLE_H

#include <string.h>

#include "wire/fields.h"

#define SAMPLE_COINS_MAX 4
#define SAMPLE_KEYS_MAX 3
#define SAMPLE_BLOBS_MAX 3
#define SAMPLE_IDX_MAX 5

struct sample_coin {
	uint8_t id[32];
	uint64_t denom;
};

struct sample {
	uint64_t u;
	int64_t i;
	bool b;
	uint8_t bytes[16];
	size_t bytes_len;
	uint8_t fixed[8];
	char text[33];
	struct obol_amount amount;
	uint64_t sub_a;
	char sub_note[9];
	bool has_sub_note;
	struct sample_coin coins[SAMPLE_COINS_MAX];
	size_t ncoins;
	uint8_t keys[SAMPLE_KEYS_MAX][4];
	size_t nkeys;
	uint8_t blobs[SAMPLE_BLOBS_MAX][6];
	size_t blob_lens[SAMPLE_BLOBS_MAX];
	size_t nblobs;
	uint64_t idx[SAMPLE_IDX_MAX];
	size_t nidx;
	uint64_t opt;
	bool has_opt;
};

/* The spec and the storage its nested parts need. */
struct sample_spec {
	struct sample *m;
	struct obol_field sub_f[2];
	struct obol_fields sub;
	struct obol_field coin_f[2];
	struct obol_field_array coins;
	struct obol_field f[13];
	struct obol_fields spec;
};

static inline obol_err sample_coin_element(void *ctx, size_t i, struct obol_fields *out)
{
	struct sample_spec *s = ctx;
	struct sample_coin *c = &s->m->coins[i];
	if (i >= SAMPLE_COINS_MAX)
		return OBOL_E_INTERNAL;
	s->coin_f[0] = (struct obol_field)OBOL_F_FIXED("id", 1, c->id, 32);
	s->coin_f[1] = (struct obol_field)OBOL_F_UINT("denom", 2, &c->denom, 1000);
	*out = (struct obol_fields){ s->coin_f, 2 };
	return OBOL_OK;
}

static inline void sample_spec_init(struct sample_spec *s, struct sample *m)
{
	memset(s, 0, sizeof(*s));
	s->m = m;
	s->sub_f[0] = (struct obol_field)OBOL_F_UINT("a", 1, &m->sub_a, 0);
	s->sub_f[1] = (struct obol_field)OBOL_F_TEXT("note", 2, m->sub_note, 8, OBOL_OPT(&m->has_sub_note));
	s->sub = (struct obol_fields){ s->sub_f, 2 };
	s->coins = (struct obol_field_array){ sample_coin_element, s, &m->ncoins, SAMPLE_COINS_MAX };
	const struct obol_field f[13] = {
		OBOL_F_UINT("u", 1, &m->u, 1000000),
		OBOL_F_INT("i", 2, &m->i),
		OBOL_F_BOOL("b", 3, &m->b),
		OBOL_F_BYTES("bytes", 4, m->bytes, 2, sizeof(m->bytes), &m->bytes_len),
		OBOL_F_FIXED("fixed", 5, m->fixed, sizeof(m->fixed)),
		OBOL_F_TEXT("text", 6, m->text, sizeof(m->text) - 1),
		OBOL_F_AMOUNT("amount", 7, &m->amount),
		OBOL_F_MAP("sub", 8, &s->sub),
		OBOL_F_ARRAY("coins", 9, &s->coins),
		OBOL_F_FIXED_LIST("keys", 10, m->keys, 4, &m->nkeys, SAMPLE_KEYS_MAX),
		OBOL_F_BYTES_LIST("blobs", 11, m->blobs, 1, 6, m->blob_lens, &m->nblobs, SAMPLE_BLOBS_MAX),
		OBOL_F_UINT_LIST("idx", 12, m->idx, 99, &m->nidx, SAMPLE_IDX_MAX),
		OBOL_F_UINT("opt", 13, &m->opt, 0, OBOL_OPT(&m->has_opt)),
	};
	memcpy(s->f, f, sizeof(f));
	s->spec = (struct obol_fields){ s->f, 13 };
}

/* A filled-in sample with every field set and every list non-empty. */
static inline void sample_fill(struct sample *m)
{
	memset(m, 0, sizeof(*m));
	m->u = 123456;
	m->i = -42;
	m->b = true;
	m->bytes_len = 5;
	memcpy(m->bytes, "\x01\x02\x03\x04\x05", 5);
	memcpy(m->fixed, "\xff\x00\xfe\x01\xfd\x02\xfc\x03", 8);
	strcpy(m->text, "h\xc3\xa9llo \xe2\x82\xac");
	m->amount.units = 100000;
	strcpy(m->amount.currency, "EUR");
	m->sub_a = INT64_MAX; /* the most JSON carries */
	strcpy(m->sub_note, "note");
	m->has_sub_note = true;
	m->ncoins = 2;
	memset(m->coins[0].id, 0xa1, 32);
	m->coins[0].denom = 10;
	memset(m->coins[1].id, 0xb2, 32);
	m->coins[1].denom = 1000;
	m->nkeys = 3;
	memset(m->keys, 0x5a, sizeof(m->keys));
	m->nblobs = 2;
	m->blob_lens[0] = 1;
	m->blobs[0][0] = 0x77;
	m->blob_lens[1] = 6;
	memcpy(m->blobs[1], "abcdef", 6);
	m->nidx = 3;
	m->idx[0] = 0;
	m->idx[1] = 50;
	m->idx[2] = 99;
	m->opt = 7;
	m->has_opt = true;
}

/* Whether two samples hold the same message (what the wire carries). */
static inline bool sample_equal(const struct sample *a, const struct sample *b)
{
	if (a->u != b->u || a->i != b->i || a->b != b->b || a->bytes_len != b->bytes_len ||
	    memcmp(a->bytes, b->bytes, a->bytes_len) != 0 || memcmp(a->fixed, b->fixed, sizeof(a->fixed)) != 0 ||
	    strcmp(a->text, b->text) != 0 || a->amount.units != b->amount.units ||
	    strcmp(a->amount.currency, b->amount.currency) != 0 || a->sub_a != b->sub_a ||
	    a->has_sub_note != b->has_sub_note || (a->has_sub_note && strcmp(a->sub_note, b->sub_note) != 0) ||
	    a->ncoins != b->ncoins || a->nkeys != b->nkeys || a->nblobs != b->nblobs || a->nidx != b->nidx ||
	    a->has_opt != b->has_opt || (a->has_opt && a->opt != b->opt))
		return false;
	for (size_t k = 0; k < a->ncoins; k++)
		if (memcmp(a->coins[k].id, b->coins[k].id, 32) != 0 || a->coins[k].denom != b->coins[k].denom)
			return false;
	if (memcmp(a->keys, b->keys, a->nkeys * sizeof(a->keys[0])) != 0 ||
	    memcmp(a->idx, b->idx, a->nidx * sizeof(a->idx[0])) != 0)
		return false;
	for (size_t k = 0; k < a->nblobs; k++)
		if (a->blob_lens[k] != b->blob_lens[k] || memcmp(a->blobs[k], b->blobs[k], a->blob_lens[k]) != 0)
			return false;
	return true;
}

#endif
