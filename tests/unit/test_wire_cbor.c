/* CBOR codec of field specs (src/wire/cbor.c): round trips of every field
 * kind and each refusal with its named error. Inputs are written in hex, as
 * RFC 8949 Appendix A writes its examples. */
#include <stdlib.h>

#include "test.h"
#include "wire/cbor.h"
#include "wire_sample.h"

/* Hex with optional spaces into buf; returns the byte count. */
static size_t unhex(const char *hex, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	for (const char *p = hex; *p != '\0';) {
		unsigned v;
		if (*p == ' ') {
			p++;
			continue;
		}
		if (n == cap || sscanf(p, "%2x", &v) != 1)
			abort();
		buf[n++] = (uint8_t)v;
		p += 2;
	}
	return n;
}

/* The small spec most refusals are checked against:
 * {1: n uint <= 100, 2: f 2 bytes, 3: t text <= 3 (optional)}. */
struct small {
	uint64_t n;
	uint8_t f[2];
	char t[4];
	bool has_t;
	struct obol_field fields[3];
	struct obol_fields spec;
};

static void small_init(struct small *s)
{
	memset(s, 0, sizeof(*s));
	const struct obol_field f[3] = {
		OBOL_F_UINT("n", 1, &s->n, 100),
		OBOL_F_FIXED("f", 2, s->f, 2),
		OBOL_F_TEXT("t", 3, s->t, 3, OBOL_OPT(&s->has_t)),
	};
	memcpy(s->fields, f, sizeof(f));
	s->spec = (struct obol_fields){ s->fields, 3 };
}

static obol_err small_decode(const char *hex)
{
	uint8_t buf[256];
	struct small s;
	small_init(&s);
	return obol_cbor_decode(buf, unhex(hex, buf, sizeof(buf)), &s.spec);
}

TEST(wire_cbor, small_accepts_valid)
{
	uint8_t buf[64];
	struct small s;
	small_init(&s);
	CHECK_OK(obol_cbor_decode(buf, unhex("a2 01 05 02 42 aabb", buf, sizeof(buf)), &s.spec));
	CHECK_EQ_INT(s.n, 5);
	CHECK(s.f[0] == 0xaa && s.f[1] == 0xbb);
	CHECK(!s.has_t);
	/* Keys in any order; the optional text present; multi-byte UTF-8. */
	small_init(&s);
	CHECK_OK(obol_cbor_decode(buf, unhex("a3 03 62 c3a9 02 42 0102 01 00", buf, sizeof(buf)), &s.spec));
	CHECK(s.has_t);
	CHECK_EQ_STR(s.t, "\xc3\xa9");
	CHECK_EQ_INT(s.n, 0);
	/* Any integer width is accepted; the value is what is range-checked. */
	small_init(&s);
	CHECK_OK(obol_cbor_decode(buf, unhex("a2 01 1b 0000000000000064 02 42 aabb", buf, sizeof(buf)), &s.spec));
	CHECK_EQ_INT(s.n, 100);
	CHECK_OK(small_decode("a2 01 19 0064 02 42 aabb"));
	CHECK_OK(small_decode("a2 01 1a 00000064 02 42 aabb"));
}

TEST(wire_cbor, refuses_unknown_fields)
{
	CHECK_ERR(small_decode("a3 01 05 02 42 aabb 09 00"), OBOL_E_WIRE_UNKNOWN_FIELD);
	CHECK_ERR(small_decode("a3 01 05 02 42 aabb 61 78 00"), OBOL_E_WIRE_UNKNOWN_FIELD);
	CHECK_ERR(small_decode("a3 01 05 02 42 aabb 20 00"), OBOL_E_WIRE_UNKNOWN_FIELD);
	CHECK_ERR(small_decode("a3 01 05 02 42 aabb 1a 00010001 00"), OBOL_E_WIRE_UNKNOWN_FIELD);
}

TEST(wire_cbor, refuses_missing_fields)
{
	CHECK_ERR(small_decode("a1 01 05"), OBOL_E_WIRE_MISSING_FIELD);
	CHECK_EQ_STR(obol_wire_error_field(), "f");
	CHECK_ERR(small_decode("a0"), OBOL_E_WIRE_MISSING_FIELD);
	CHECK_ERR(small_decode("a1 03 61 78"), OBOL_E_WIRE_MISSING_FIELD);
}

TEST(wire_cbor, refuses_duplicate_fields)
{
	CHECK_ERR(small_decode("a3 01 05 02 42 aabb 01 06"), OBOL_E_WIRE_DUPLICATE_FIELD);
	CHECK_EQ_STR(obol_wire_error_field(), "n");
	CHECK_ERR(small_decode("a3 01 05 01 05 02 42 aabb"), OBOL_E_WIRE_DUPLICATE_FIELD);
	/* Same key in a longer integer form is the same key. */
	CHECK_ERR(small_decode("a3 01 05 02 42 aabb 18 01 05"), OBOL_E_WIRE_DUPLICATE_FIELD);
}

TEST(wire_cbor, refuses_wrong_types)
{
	CHECK_ERR(small_decode("a2 01 41 05 02 42 aabb"), OBOL_E_WIRE_WRONG_TYPE);  /* bytes for uint */
	CHECK_ERR(small_decode("a2 01 20 02 42 aabb"), OBOL_E_WIRE_WRONG_TYPE);     /* -1 for uint */
	CHECK_ERR(small_decode("a2 01 f9 3c00 02 42 aabb"), OBOL_E_WIRE_WRONG_TYPE); /* 1.0 */
	CHECK_ERR(small_decode("a2 01 c1 05 02 42 aabb"), OBOL_E_WIRE_WRONG_TYPE);  /* tagged */
	CHECK_ERR(small_decode("a2 01 f6 02 42 aabb"), OBOL_E_WIRE_WRONG_TYPE);     /* null */
	CHECK_ERR(small_decode("a2 01 f5 02 42 aabb"), OBOL_E_WIRE_WRONG_TYPE);     /* true */
	CHECK_ERR(small_decode("a2 01 05 02 62 6162"), OBOL_E_WIRE_WRONG_TYPE);     /* text for bytes */
	CHECK_ERR(small_decode("a3 01 05 02 42 aabb 03 41 78"), OBOL_E_WIRE_WRONG_TYPE); /* bytes for text */
	CHECK_ERR(small_decode("a2 01 a0 02 42 aabb"), OBOL_E_WIRE_WRONG_TYPE);     /* map for uint */
	CHECK_ERR(small_decode("82 01 05"), OBOL_E_WIRE_WRONG_TYPE);                /* not a map */
	CHECK_ERR(small_decode("05"), OBOL_E_WIRE_WRONG_TYPE);
}

TEST(wire_cbor, refuses_oversized_and_bad_lengths)
{
	CHECK_ERR(small_decode("a2 01 18 65 02 42 aabb"), OBOL_E_WIRE_OVERSIZED); /* 101 > 100 */
	CHECK_EQ_STR(obol_wire_error_field(), "n");
	CHECK_ERR(small_decode("a2 01 1b ffffffffffffffff 02 42 aabb"), OBOL_E_WIRE_OVERSIZED);
	CHECK_ERR(small_decode("a2 01 05 02 41 aa"), OBOL_E_WIRE_BAD_LENGTH);
	CHECK_ERR(small_decode("a2 01 05 02 43 aabbcc"), OBOL_E_WIRE_BAD_LENGTH);
	CHECK_ERR(small_decode("a2 01 05 02 40"), OBOL_E_WIRE_BAD_LENGTH);
	CHECK_ERR(small_decode("a3 01 05 02 42 aabb 03 64 61626364"), OBOL_E_WIRE_OVERSIZED);
	CHECK_OK(small_decode("a3 01 05 02 42 aabb 03 63 616263"));
	CHECK_OK(small_decode("a3 01 05 02 42 aabb 03 60"));
}

TEST(wire_cbor, refuses_bad_text)
{
	CHECK_ERR(small_decode("a3 01 05 02 42 aabb 03 61 ff"), OBOL_E_WIRE_MALFORMED);     /* not UTF-8 */
	CHECK_ERR(small_decode("a3 01 05 02 42 aabb 03 61 00"), OBOL_E_WIRE_MALFORMED);     /* NUL */
	CHECK_ERR(small_decode("a3 01 05 02 42 aabb 03 62 c0af"), OBOL_E_WIRE_MALFORMED);   /* overlong */
	CHECK_ERR(small_decode("a3 01 05 02 42 aabb 03 63 eda080"), OBOL_E_WIRE_MALFORMED); /* surrogate */
	CHECK_ERR(small_decode("a3 01 05 02 42 aabb 03 62 e282"), OBOL_E_WIRE_MALFORMED);   /* cut short */
	CHECK_OK(small_decode("a3 01 05 02 42 aabb 03 63 e282ac"));
}

TEST(wire_cbor, refuses_truncated_input)
{
	CHECK_ERR(small_decode(""), OBOL_E_WIRE_TRUNCATED);
	CHECK_ERR(small_decode("a2 01 05 02 42 aa"), OBOL_E_WIRE_TRUNCATED);
	CHECK_ERR(small_decode("a2 01 05"), OBOL_E_WIRE_TRUNCATED);
	CHECK_ERR(small_decode("a2 01 19 00"), OBOL_E_WIRE_TRUNCATED);
	CHECK_ERR(small_decode("a2 01 05 02 5a ffffffff aabb"), OBOL_E_WIRE_TRUNCATED);
	CHECK_ERR(small_decode("bb ffffffffffffffff 01 05 02 42 aabb"), OBOL_E_WIRE_TRUNCATED);
}

TEST(wire_cbor, refuses_trailing_data)
{
	CHECK_ERR(small_decode("a2 01 05 02 42 aabb 00"), OBOL_E_WIRE_TRAILING_DATA);
	CHECK_ERR(small_decode("a2 01 05 02 42 aabb a0"), OBOL_E_WIRE_TRAILING_DATA);
}

TEST(wire_cbor, refuses_indefinite_lengths_and_reserved_bytes)
{
	CHECK_ERR(small_decode("bf 01 05 02 42 aabb ff"), OBOL_E_WIRE_MALFORMED);
	CHECK_ERR(small_decode("a2 01 05 02 5f 41 aa 41 bb ff"), OBOL_E_WIRE_MALFORMED);
	CHECK_ERR(small_decode("a3 01 05 02 42 aabb 03 7f 61 61 ff"), OBOL_E_WIRE_MALFORMED);
	CHECK_ERR(small_decode("a2 01 1c 02 42 aabb"), OBOL_E_WIRE_MALFORMED);
	CHECK_ERR(small_decode("ff"), OBOL_E_WIRE_MALFORMED);
}

TEST(wire_cbor, sample_round_trip)
{
	struct sample in, out;
	struct sample_spec si, so;
	uint8_t buf[1024], again[1024];
	size_t len = 0, len2 = 0;
	sample_fill(&in);
	sample_spec_init(&si, &in);
	REQUIRE_OK(obol_fields_check(&si.spec));
	REQUIRE_OK(obol_cbor_encode(&si.spec, buf, sizeof(buf), &len));
	test_note("sample message with every field kind: %zu bytes of CBOR", len);
	memset(&out, 0x33, sizeof(out));
	sample_spec_init(&so, &out);
	REQUIRE_OK(obol_cbor_decode(buf, len, &so.spec));
	CHECK(sample_equal(&in, &out));
	/* Re-encoding gives the same bytes: one encoding per message. */
	REQUIRE_OK(obol_cbor_encode(&so.spec, again, sizeof(again), &len2));
	CHECK_EQ_INT(len2, len);
	CHECK_MEM_EQ(buf, again, len);
	/* Definite map of 13 pairs, keys in spec order: a d; 01 1a 0001e240 ... */
	CHECK_EQ_INT(buf[0], 0xad);
	CHECK_EQ_INT(buf[1], 0x01);
	CHECK_EQ_INT(buf[2], 0x1a);
}

TEST(wire_cbor, sample_round_trip_edges)
{
	struct sample in, out;
	struct sample_spec si, so;
	uint8_t buf[1024];
	size_t len = 0;
	sample_fill(&in);
	in.has_opt = false;
	in.has_sub_note = false;
	in.ncoins = 0;
	in.nkeys = 0;
	in.nblobs = 0;
	in.nidx = 0;
	in.i = INT64_MIN;
	in.sub_a = UINT64_MAX;
	in.b = false;
	in.text[0] = '\0';
	in.amount.units = 0;
	sample_spec_init(&si, &in);
	REQUIRE_OK(obol_cbor_encode(&si.spec, buf, sizeof(buf), &len));
	CHECK_EQ_INT(buf[0], 0xac); /* 12 pairs: the absent optional is left out */
	sample_spec_init(&so, &out);
	memset(&out, 0x33, sizeof(out));
	sample_spec_init(&so, &out);
	REQUIRE_OK(obol_cbor_decode(buf, len, &so.spec));
	CHECK(sample_equal(&in, &out));
	CHECK(!out.has_opt);
	CHECK(!out.has_sub_note);
	in.i = INT64_MAX;
	REQUIRE_OK(obol_cbor_encode(&si.spec, buf, sizeof(buf), &len));
	REQUIRE_OK(obol_cbor_decode(buf, len, &so.spec));
	CHECK_EQ_INT(out.i, INT64_MAX);
}

/* One-field specs for the kinds the small spec does not cover. */
static obol_err one_decode(const struct obol_field *f, const char *hex)
{
	uint8_t buf[256];
	struct obol_fields spec = { f, 1 };
	return obol_cbor_decode(buf, unhex(hex, buf, sizeof(buf)), &spec);
}

TEST(wire_cbor, int_bool_amount_fields)
{
	int64_t i = 0;
	bool b = false;
	struct obol_amount a;
	struct obol_field fi = OBOL_F_INT("i", 1, &i);
	struct obol_field fb = OBOL_F_BOOL("b", 1, &b);
	struct obol_field fa = OBOL_F_AMOUNT("a", 1, &a);
	CHECK_OK(one_decode(&fi, "a1 01 3b 7fffffffffffffff"));
	CHECK(i == INT64_MIN);
	CHECK_ERR(one_decode(&fi, "a1 01 3b 8000000000000000"), OBOL_E_WIRE_OVERSIZED);
	CHECK_ERR(one_decode(&fi, "a1 01 1b 8000000000000000"), OBOL_E_WIRE_OVERSIZED);
	CHECK_ERR(one_decode(&fi, "a1 01 f4"), OBOL_E_WIRE_WRONG_TYPE);
	CHECK_OK(one_decode(&fb, "a1 01 f5"));
	CHECK(b);
	CHECK_ERR(one_decode(&fb, "a1 01 01"), OBOL_E_WIRE_WRONG_TYPE);
	CHECK_ERR(one_decode(&fb, "a1 01 f7"), OBOL_E_WIRE_WRONG_TYPE); /* undefined */
	CHECK_OK(one_decode(&fa, "a1 01 69 4555523a302e303031")); /* "EUR:0.001" */
	CHECK_EQ_INT(a.units, 100000);
	CHECK_ERR(one_decode(&fa, "a1 01 63 455552"), OBOL_E_AMOUNT_SYNTAX);
	CHECK_ERR(one_decode(&fa, "a1 01 6a 4555523a2d302e303031"), OBOL_E_AMOUNT_SYNTAX); /* negative */
	CHECK_ERR(one_decode(&fa, "a1 01 60"), OBOL_E_WIRE_BAD_LENGTH);
	CHECK_ERR(one_decode(&fa, "a1 01 1a 00000001"), OBOL_E_WIRE_WRONG_TYPE);
}

TEST(wire_cbor, bytes_and_list_bounds)
{
	uint8_t b[4], keys[2][3], blobs[2][3];
	size_t blen = 0, nkeys = 0, blob_lens[2], nblobs = 0, nidx = 0;
	uint64_t idx[2];
	struct obol_field fb = OBOL_F_BYTES("b", 1, b, 2, 4, &blen);
	struct obol_field fk = OBOL_F_FIXED_LIST("k", 1, keys, 3, &nkeys, 2);
	struct obol_field fl = OBOL_F_BYTES_LIST("l", 1, blobs, 1, 3, blob_lens, &nblobs, 2);
	struct obol_field fu = OBOL_F_UINT_LIST("u", 1, idx, 9, &nidx, 2);
	CHECK_OK(one_decode(&fb, "a1 01 42 0102"));
	CHECK_EQ_INT(blen, 2);
	CHECK_ERR(one_decode(&fb, "a1 01 41 01"), OBOL_E_WIRE_BAD_LENGTH);
	CHECK_ERR(one_decode(&fb, "a1 01 45 0102030405"), OBOL_E_WIRE_OVERSIZED);
	CHECK_OK(one_decode(&fk, "a1 01 82 43 010203 43 040506"));
	CHECK_EQ_INT(nkeys, 2);
	CHECK(keys[1][2] == 6);
	CHECK_ERR(one_decode(&fk, "a1 01 83 43 010203 43 040506 43 070809"), OBOL_E_WIRE_OVERSIZED);
	CHECK_ERR(one_decode(&fk, "a1 01 81 42 0102"), OBOL_E_WIRE_BAD_LENGTH);
	CHECK_ERR(one_decode(&fk, "a1 01 81 01"), OBOL_E_WIRE_WRONG_TYPE);
	CHECK_ERR(one_decode(&fk, "a1 01 9f 43 010203 ff"), OBOL_E_WIRE_MALFORMED);
	CHECK_ERR(one_decode(&fk, "a1 01 43 010203"), OBOL_E_WIRE_WRONG_TYPE);
	CHECK_ERR(one_decode(&fk, "a1 01 9b ffffffffffffffff"), OBOL_E_WIRE_OVERSIZED);
	CHECK_ERR(one_decode(&fk, "a1 01 82 43 010203"), OBOL_E_WIRE_TRUNCATED);
	CHECK_OK(one_decode(&fl, "a1 01 82 41 01 43 010203"));
	CHECK_EQ_INT(nblobs, 2);
	CHECK_EQ_INT(blob_lens[0], 1);
	CHECK_EQ_INT(blob_lens[1], 3);
	CHECK_ERR(one_decode(&fl, "a1 01 81 40"), OBOL_E_WIRE_BAD_LENGTH);
	CHECK_ERR(one_decode(&fl, "a1 01 81 44 01020304"), OBOL_E_WIRE_OVERSIZED);
	CHECK_OK(one_decode(&fu, "a1 01 82 00 09"));
	CHECK(nidx == 2 && idx[1] == 9);
	CHECK_ERR(one_decode(&fu, "a1 01 81 0a"), OBOL_E_WIRE_OVERSIZED);
	CHECK_ERR(one_decode(&fu, "a1 01 81 20"), OBOL_E_WIRE_WRONG_TYPE);
	CHECK_OK(one_decode(&fu, "a1 01 80"));
	CHECK_EQ_INT(nidx, 0);
}

TEST(wire_cbor, nested_refusals)
{
	struct sample m;
	struct sample_spec s;
	uint8_t buf[1024];
	size_t len = 0;
	sample_fill(&m);
	sample_spec_init(&s, &m);
	REQUIRE_OK(obol_cbor_encode(&s.spec, buf, sizeof(buf), &len));
	/* Too many coins: rewrite the coins array header 0x82 as 0x85. */
	uint8_t *p = memchr(buf, 0x09, len); /* key 9 (coins) is the first 0x09 byte */
	REQUIRE(p != NULL && p[1] == 0x82);
	p[1] = 0x85;
	CHECK_ERR(obol_cbor_decode(buf, len, &s.spec), OBOL_E_WIRE_OVERSIZED);
	CHECK_EQ_STR(obol_wire_error_field(), "coins");
	p[1] = 0x83; /* one more coin announced: the next key (10) is read as a coin */
	CHECK_ERR(obol_cbor_decode(buf, len, &s.spec), OBOL_E_WIRE_WRONG_TYPE);
	p[1] = 0x82;
	/* In the first coin {1: h'a1a1..', 2: 10}: an id one byte short (the
	 * field named is the coin's), then key 1 changed to the unknown 3. */
	REQUIRE(p[2] == 0xa2 && p[3] == 0x01 && p[4] == 0x58 && p[5] == 32);
	p[5] = 31;
	CHECK_ERR(obol_cbor_decode(buf, len, &s.spec), OBOL_E_WIRE_BAD_LENGTH);
	CHECK_EQ_STR(obol_wire_error_field(), "id");
	p[5] = 32;
	p[3] = 0x03;
	CHECK_ERR(obol_cbor_decode(buf, len, &s.spec), OBOL_E_WIRE_UNKNOWN_FIELD);
	p[3] = 0x01;
	CHECK_OK(obol_cbor_decode(buf, len, &s.spec));
}

TEST(wire_cbor, encode_refusals)
{
	struct sample m;
	struct sample_spec s;
	uint8_t buf[1024];
	size_t len = 0;
	sample_fill(&m);
	sample_spec_init(&s, &m);
	m.u = 1000001;
	CHECK_ERR(obol_cbor_encode(&s.spec, buf, sizeof(buf), &len), OBOL_E_WIRE_OVERSIZED);
	CHECK_EQ_STR(obol_wire_error_field(), "u");
	sample_fill(&m);
	m.bytes_len = 17;
	CHECK_ERR(obol_cbor_encode(&s.spec, buf, sizeof(buf), &len), OBOL_E_WIRE_OVERSIZED);
	m.bytes_len = 1;
	CHECK_ERR(obol_cbor_encode(&s.spec, buf, sizeof(buf), &len), OBOL_E_WIRE_BAD_LENGTH);
	sample_fill(&m);
	m.amount.units = -1;
	CHECK_ERR(obol_cbor_encode(&s.spec, buf, sizeof(buf), &len), OBOL_E_AMOUNT_NEGATIVE);
	sample_fill(&m);
	m.ncoins = SAMPLE_COINS_MAX + 1;
	CHECK_ERR(obol_cbor_encode(&s.spec, buf, sizeof(buf), &len), OBOL_E_WIRE_OVERSIZED);
	sample_fill(&m);
	m.idx[0] = 100;
	CHECK_ERR(obol_cbor_encode(&s.spec, buf, sizeof(buf), &len), OBOL_E_WIRE_OVERSIZED);
	sample_fill(&m);
	m.blob_lens[0] = 0;
	CHECK_ERR(obol_cbor_encode(&s.spec, buf, sizeof(buf), &len), OBOL_E_WIRE_BAD_LENGTH);
	sample_fill(&m);
	memcpy(m.text, "\xff", 2);
	CHECK_ERR(obol_cbor_encode(&s.spec, buf, sizeof(buf), &len), OBOL_E_WIRE_MALFORMED);
	sample_fill(&m);
	memset(m.text, 'x', sizeof(m.text)); /* no NUL within the limit */
	CHECK_ERR(obol_cbor_encode(&s.spec, buf, sizeof(buf), &len), OBOL_E_WIRE_OVERSIZED);
	sample_fill(&m);
	/* A buffer too small for the message, at every size below it. */
	REQUIRE_OK(obol_cbor_encode(&s.spec, buf, sizeof(buf), &len));
	for (size_t cap = 0; cap < len; cap++)
		CHECK_ERR(obol_cbor_encode(&s.spec, buf, cap, &len), OBOL_E_WIRE_OVERSIZED);
}

TEST(wire_cbor, spec_check)
{
	uint64_t a = 0, b = 0;
	struct obol_field dup_key[] = { OBOL_F_UINT("a", 1, &a, 0), OBOL_F_UINT("b", 1, &b, 0) };
	struct obol_field dup_name[] = { OBOL_F_UINT("a", 1, &a, 0), OBOL_F_UINT("a", 2, &b, 0) };
	struct obol_field no_len[] = { OBOL_F_BYTES("a", 1, &a, 0, 8, NULL) };
	struct obol_field ok[] = { OBOL_F_UINT("a", 1, &a, 0), OBOL_F_UINT("b", 2, &b, 0) };
	struct obol_fields s1 = OBOL_FIELDS(dup_key), s2 = OBOL_FIELDS(dup_name), s3 = OBOL_FIELDS(no_len),
			   s4 = OBOL_FIELDS(ok);
	CHECK_ERR(obol_fields_check(&s1), OBOL_E_INTERNAL);
	CHECK_ERR(obol_fields_check(&s2), OBOL_E_INTERNAL);
	CHECK_ERR(obol_fields_check(&s3), OBOL_E_INTERNAL);
	CHECK_OK(obol_fields_check(&s4));
	/* Nesting beyond OBOL_WIRE_DEPTH_MAX. */
	struct obol_field lv[OBOL_WIRE_DEPTH_MAX + 1];
	struct obol_fields ls[OBOL_WIRE_DEPTH_MAX + 1];
	lv[0] = (struct obol_field)OBOL_F_UINT("a", 1, &a, 0);
	ls[0] = (struct obol_fields){ &lv[0], 1 };
	for (size_t k = 1; k <= OBOL_WIRE_DEPTH_MAX; k++) {
		lv[k] = (struct obol_field)OBOL_F_MAP("m", 1, &ls[k - 1]);
		ls[k] = (struct obol_fields){ &lv[k], 1 };
	}
	CHECK_OK(obol_fields_check(&ls[OBOL_WIRE_DEPTH_MAX - 1]));
	CHECK_ERR(obol_fields_check(&ls[OBOL_WIRE_DEPTH_MAX]), OBOL_E_INTERNAL);
}
