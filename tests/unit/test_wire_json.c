/* JSON codec of field specs (src/wire/json.c): round trips, each refusal with
 * the same named error as CBOR, canonical text and error bodies. */
#include <stdlib.h>

#include "crypto/secret.h"
#include "test.h"
#include "wire/json.h"
#include "wire_sample.h"

/* {"n": uint <= 100, "f": 2 bytes, "t": text <= 3 (optional)} */
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

static obol_err small_decode(const char *text)
{
	struct small s;
	small_init(&s);
	return obol_json_decode_text(text, strlen(text), &s.spec);
}

TEST(wire_json, small_accepts_valid)
{
	struct small s;
	const char *t = "{\"f\": \"qrs\", \"n\": 5, \"t\": \"\\u00e9\"}";
	small_init(&s);
	CHECK_OK(obol_json_decode_text(t, strlen(t), &s.spec));
	CHECK_EQ_INT(s.n, 5);
	CHECK(s.f[0] == 0xaa && s.f[1] == 0xbb);
	CHECK(s.has_t);
	CHECK_EQ_STR(s.t, "\xc3\xa9");
	CHECK_OK(small_decode(" {\"n\":100,\"f\":\"qrs\"}\n"));
}

TEST(wire_json, refuses_unknown_missing_duplicate)
{
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"qrs\",\"x\":0}"), OBOL_E_WIRE_UNKNOWN_FIELD);
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"qrs\",\"N\":0}"), OBOL_E_WIRE_UNKNOWN_FIELD);
	CHECK_ERR(small_decode("{\"n\":5}"), OBOL_E_WIRE_MISSING_FIELD);
	CHECK_EQ_STR(obol_wire_error_field(), "f");
	CHECK_ERR(small_decode("{}"), OBOL_E_WIRE_MISSING_FIELD);
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"qrs\",\"n\":6}"), OBOL_E_WIRE_DUPLICATE_FIELD);
}

TEST(wire_json, refuses_wrong_types)
{
	CHECK_ERR(small_decode("{\"n\":\"5\",\"f\":\"qrs\"}"), OBOL_E_WIRE_WRONG_TYPE);
	CHECK_ERR(small_decode("{\"n\":5.0,\"f\":\"qrs\"}"), OBOL_E_WIRE_WRONG_TYPE);
	CHECK_ERR(small_decode("{\"n\":-1,\"f\":\"qrs\"}"), OBOL_E_WIRE_WRONG_TYPE);
	CHECK_ERR(small_decode("{\"n\":null,\"f\":\"qrs\"}"), OBOL_E_WIRE_WRONG_TYPE);
	CHECK_ERR(small_decode("{\"n\":true,\"f\":\"qrs\"}"), OBOL_E_WIRE_WRONG_TYPE);
	CHECK_ERR(small_decode("{\"n\":5,\"f\":[170,187]}"), OBOL_E_WIRE_WRONG_TYPE);
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"qrs\",\"t\":1}"), OBOL_E_WIRE_WRONG_TYPE);
	CHECK_ERR(small_decode("[5]"), OBOL_E_WIRE_WRONG_TYPE);
	CHECK_ERR(small_decode("5"), OBOL_E_WIRE_WRONG_TYPE);
	CHECK_ERR(small_decode("\"x\""), OBOL_E_WIRE_WRONG_TYPE);
}

TEST(wire_json, refuses_oversized_and_bad_lengths)
{
	CHECK_ERR(small_decode("{\"n\":101,\"f\":\"qrs\"}"), OBOL_E_WIRE_OVERSIZED);
	CHECK_EQ_STR(obol_wire_error_field(), "n");
	CHECK_ERR(small_decode("{\"n\":9223372036854775807,\"f\":\"qrs\"}"), OBOL_E_WIRE_OVERSIZED);
	CHECK_ERR(small_decode("{\"n\":18446744073709551616,\"f\":\"qrs\"}"), OBOL_E_WIRE_OVERSIZED);
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"qg\"}"), OBOL_E_WIRE_BAD_LENGTH);
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"qrvM\"}"), OBOL_E_WIRE_BAD_LENGTH);
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"\"}"), OBOL_E_WIRE_BAD_LENGTH);
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"qrs\",\"t\":\"abcd\"}"), OBOL_E_WIRE_OVERSIZED);
	CHECK_OK(small_decode("{\"n\":5,\"f\":\"qrs\",\"t\":\"abc\"}"));
	/* Bodies above OBOL_JSON_MAX are refused before they are parsed. */
	size_t big = OBOL_JSON_MAX + 1;
	char *text = malloc(big);
	REQUIRE(text != NULL);
	memset(text, ' ', big);
	memcpy(text, "{\"n\":5,\"f\":\"qrs\"}", 17);
	struct small s;
	small_init(&s);
	CHECK_ERR(obol_json_decode_text(text, big, &s.spec), OBOL_E_WIRE_OVERSIZED);
	CHECK_OK(obol_json_decode_text(text, big - 1, &s.spec));
	free(text);
}

TEST(wire_json, refuses_bad_encodings)
{
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"qr+\"}"), OBOL_E_PARSE_ENCODING); /* base64, not url */
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"qr==\"}"), OBOL_E_WIRE_BAD_LENGTH);
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"qrs=\"}"), OBOL_E_WIRE_BAD_LENGTH);
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"qrt\"}"), OBOL_E_PARSE_ENCODING); /* stray low bits */
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"q\"}"), OBOL_E_PARSE_ENCODING);
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"q s\"}"), OBOL_E_PARSE_ENCODING);
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"qrs\",\"t\":\"\\u0000\"}"), OBOL_E_WIRE_MALFORMED);
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"qrs\",\"t\":\"\xff\"}"), OBOL_E_WIRE_MALFORMED);
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"qrs\",\"t\":\"\\ud800\"}"), OBOL_E_WIRE_MALFORMED);
}

TEST(wire_json, refuses_truncated_trailing_malformed)
{
	CHECK_ERR(small_decode(""), OBOL_E_WIRE_TRUNCATED);
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"qrs\""), OBOL_E_WIRE_TRUNCATED);
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"qr"), OBOL_E_WIRE_TRUNCATED);
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"qrs\"} {}"), OBOL_E_WIRE_TRAILING_DATA);
	CHECK_ERR(small_decode("{\"n\":5,\"f\":\"qrs\"}x"), OBOL_E_WIRE_TRAILING_DATA);
	CHECK_ERR(small_decode("{\"n\":5,,\"f\":\"qrs\"}"), OBOL_E_WIRE_MALFORMED);
	CHECK_ERR(small_decode("{'n':5}"), OBOL_E_WIRE_MALFORMED);
	/* A NUL byte anywhere inside the given length is not JSON. */
	struct small s;
	small_init(&s);
	CHECK_ERR(obol_json_decode_text("{\"n\"\0:5}", 8, &s.spec), OBOL_E_WIRE_MALFORMED);
	CHECK_ERR(obol_json_decode_text("{\"n\":5,\"f\":\"qrs\"}\0", 18, &s.spec), OBOL_E_WIRE_MALFORMED);
	CHECK_OK(obol_json_decode_text("{\"n\":5,\"f\":\"qrs\"}\0", 17, &s.spec));
}

TEST(wire_json, sample_round_trip)
{
	struct sample in, out;
	struct sample_spec si, so;
	json_t *obj = NULL, *again = NULL;
	char *text = NULL, *text2 = NULL;
	sample_fill(&in);
	sample_spec_init(&si, &in);
	REQUIRE_OK(obol_json_encode(&si.spec, &obj));
	text = json_dumps(obj, JSON_COMPACT);
	REQUIRE(text != NULL);
	test_note("sample message with every field kind: %zu bytes of JSON", strlen(text));
	memset(&out, 0x33, sizeof(out));
	sample_spec_init(&so, &out);
	CHECK_OK(obol_json_decode_text(text, strlen(text), &so.spec));
	CHECK(sample_equal(&in, &out));
	CHECK_OK(obol_json_decode(obj, &so.spec));
	CHECK(sample_equal(&in, &out));
	/* Keys in spec order, binary in base64url, amounts as text. */
	CHECK(strncmp(text, "{\"u\":123456,\"i\":-42,\"b\":true,\"bytes\":\"AQIDBAU\",\"fixed\":\"_wD-Af0C_AM\","
			    "\"text\":\"h\xc3\xa9llo \xe2\x82\xac\",\"amount\":\"EUR:0.001\",",
		      96) == 0);
	REQUIRE_OK(obol_json_encode(&so.spec, &again));
	text2 = json_dumps(again, JSON_COMPACT);
	REQUIRE(text2 != NULL);
	CHECK_EQ_STR(text2, text);
	free(text);
	free(text2);
	json_decref(obj);
	json_decref(again);
}

static json_t *js(const char *text)
{
	return json_loads(text, 0, NULL);
}

TEST(wire_json, sample_edges_and_refusals)
{
	struct sample m, out;
	struct sample_spec s, so;
	json_t *obj = NULL;
	char *text;
	sample_fill(&m);
	sample_spec_init(&s, &m);
	m.has_opt = false;
	m.nkeys = 0;
	m.i = INT64_MIN;
	REQUIRE_OK(obol_json_encode(&s.spec, &obj));
	CHECK(json_object_get(obj, "opt") == NULL);
	text = json_dumps(obj, JSON_COMPACT);
	REQUIRE(text != NULL);
	sample_spec_init(&so, &out);
	CHECK_OK(obol_json_decode_text(text, strlen(text), &so.spec));
	CHECK(sample_equal(&m, &out));
	free(text);
	/* Nested refusals name the inner field. */
	json_t *coin = json_array_get(json_object_get(obj, "coins"), 0);
	REQUIRE(coin != NULL);
	REQUIRE(json_object_set_new(coin, "denom", json_integer(1001)) == 0);
	CHECK_ERR(obol_json_decode(obj, &so.spec), OBOL_E_WIRE_OVERSIZED);
	CHECK_EQ_STR(obol_wire_error_field(), "denom");
	REQUIRE(json_object_set_new(coin, "denom", json_integer(5)) == 0);
	REQUIRE(json_object_set_new(coin, "extra", json_integer(5)) == 0);
	CHECK_ERR(obol_json_decode(obj, &so.spec), OBOL_E_WIRE_UNKNOWN_FIELD);
	REQUIRE(json_object_del(coin, "extra") == 0);
	REQUIRE(json_object_del(coin, "id") == 0);
	CHECK_ERR(obol_json_decode(obj, &so.spec), OBOL_E_WIRE_MISSING_FIELD);
	CHECK_EQ_STR(obol_wire_error_field(), "id");
	REQUIRE(json_object_set_new(coin, "id", json_string("AAAA")) == 0);
	CHECK_ERR(obol_json_decode(obj, &so.spec), OBOL_E_WIRE_BAD_LENGTH);
	REQUIRE(json_object_set_new(coin, "id", json_integer(0)) == 0);
	CHECK_ERR(obol_json_decode(obj, &so.spec), OBOL_E_WIRE_WRONG_TYPE);
	REQUIRE(json_object_set_new(obj, "coins", js("[{},{},{},{},{}]")) == 0);
	CHECK_ERR(obol_json_decode(obj, &so.spec), OBOL_E_WIRE_OVERSIZED);
	REQUIRE(json_object_set_new(obj, "coins", json_array()) == 0);
	CHECK_OK(obol_json_decode(obj, &so.spec));
	REQUIRE(json_object_set_new(obj, "idx", js("[1, 100]")) == 0);
	CHECK_ERR(obol_json_decode(obj, &so.spec), OBOL_E_WIRE_OVERSIZED);
	REQUIRE(json_object_set_new(obj, "idx", js("[1, -1]")) == 0);
	CHECK_ERR(obol_json_decode(obj, &so.spec), OBOL_E_WIRE_WRONG_TYPE);
	REQUIRE(json_object_set_new(obj, "idx", js("[]")) == 0);
	REQUIRE(json_object_set_new(obj, "keys", js("[\"AAAAAA\", \"AAAA\"]")) == 0);
	CHECK_ERR(obol_json_decode(obj, &so.spec), OBOL_E_WIRE_BAD_LENGTH);
	REQUIRE(json_object_set_new(obj, "keys", js("[\"AAAAAA\"]")) == 0);
	REQUIRE(json_object_set_new(obj, "blobs", js("[\"\"]")) == 0);
	CHECK_ERR(obol_json_decode(obj, &so.spec), OBOL_E_WIRE_BAD_LENGTH);
	REQUIRE(json_object_set_new(obj, "blobs", js("[\"AAAAAAAAAA\"]")) == 0);
	CHECK_ERR(obol_json_decode(obj, &so.spec), OBOL_E_WIRE_OVERSIZED);
	REQUIRE(json_object_set_new(obj, "blobs", js("[\"AA\"]")) == 0);
	REQUIRE(json_object_set_new(obj, "amount", json_string("EUR")) == 0);
	CHECK_ERR(obol_json_decode(obj, &so.spec), OBOL_E_AMOUNT_SYNTAX);
	REQUIRE(json_object_set_new(obj, "amount", json_string("EUR:1.5")) == 0);
	REQUIRE(json_object_set_new(obj, "i", json_real(1.5)) == 0);
	CHECK_ERR(obol_json_decode(obj, &so.spec), OBOL_E_WIRE_WRONG_TYPE);
	REQUIRE(json_object_set_new(obj, "i", json_integer(-7)) == 0);
	REQUIRE(json_object_set_new(obj, "text", json_stringn("a\0b", 3)) == 0);
	CHECK_ERR(obol_json_decode(obj, &so.spec), OBOL_E_WIRE_MALFORMED);
	REQUIRE(json_object_set_new(obj, "text", json_string("ok")) == 0);
	CHECK_OK(obol_json_decode(obj, &so.spec));
	CHECK_EQ_INT(out.i, -7);
	CHECK_EQ_INT(out.amount.units, 150000000);
	json_decref(obj);
}

TEST(wire_json, encode_refusals)
{
	struct sample m;
	struct sample_spec s;
	json_t *obj = NULL;
	sample_fill(&m);
	sample_spec_init(&s, &m);
	m.sub_a = (uint64_t)INT64_MAX + 1; /* fine in CBOR, beyond a JSON integer */
	CHECK_ERR(obol_json_encode(&s.spec, &obj), OBOL_E_WIRE_OVERSIZED);
	CHECK_EQ_STR(obol_wire_error_field(), "a");
	sample_fill(&m);
	m.amount.units = -5;
	CHECK_ERR(obol_json_encode(&s.spec, &obj), OBOL_E_AMOUNT_NEGATIVE);
	sample_fill(&m);
	m.nblobs = 4;
	CHECK_ERR(obol_json_encode(&s.spec, &obj), OBOL_E_WIRE_OVERSIZED);
	sample_fill(&m);
	memcpy(m.text, "\xc3", 2);
	CHECK_ERR(obol_json_encode(&s.spec, &obj), OBOL_E_WIRE_MALFORMED);
	sample_fill(&m);
	m.bytes_len = 0;
	CHECK_ERR(obol_json_encode(&s.spec, &obj), OBOL_E_WIRE_BAD_LENGTH);
}

TEST(wire_json, canonical_dump)
{
	const char *t = "{ \"b\": [1, {\"z\": 1, \"a\": \"\\u00e9\"}], \"a\": true }";
	json_t *obj = json_loadb(t, strlen(t), 0, NULL);
	REQUIRE(obj != NULL);
	char *c = obol_json_dump_canonical(obj);
	CHECK_EQ_STR(c, "{\"a\":true,\"b\":[1,{\"a\":\"\xc3\xa9\",\"z\":1}]}");
	free(c);
	json_decref(obj);
}

TEST(wire_json, error_bodies)
{
	json_t *body = obol_json_error_body(OBOL_E_WIRE_UNKNOWN_FIELD, "field \"x\"");
	REQUIRE(body != NULL);
	char *text = obol_json_dump_canonical(body);
	REQUIRE(text != NULL);
	CHECK(strstr(text, "\"code\":203") != NULL);
	CHECK(strstr(text, "\"name\":\"WIRE_UNKNOWN_FIELD\"") != NULL);
	CHECK(strstr(text, "\"detail\":\"field \\\"x\\\"\"") != NULL);
	CHECK(strstr(text, "\"hint\":\"") != NULL);
	CHECK_ERR(obol_json_error_from_body(text, strlen(text)), OBOL_E_WIRE_UNKNOWN_FIELD);
	free(text);
	json_decref(body);
	body = obol_json_error_body(OBOL_E_AMOUNT_SYNTAX, NULL);
	REQUIRE(body != NULL);
	CHECK(json_object_get(body, "detail") == NULL);
	text = obol_json_dump_canonical(body);
	REQUIRE(text != NULL);
	CHECK_ERR(obol_json_error_from_body(text, strlen(text)), OBOL_E_AMOUNT_SYNTAX);
	free(text);
	json_decref(body);
	/* What is not an error body of a known error is PEER_ERROR. */
	const char *bad[] = {
		"",
		"not json",
		"{\"code\":203,\"name\":\"WIRE_UNKNOWN_FIELD\"}",
		"{\"code\":203,\"name\":\"WIRE_MISSING_FIELD\",\"hint\":\"h\"}",
		"{\"code\":0,\"name\":\"OK\",\"hint\":\"h\"}",
		"{\"code\":99999,\"name\":\"UNKNOWN_ERROR\",\"hint\":\"h\"}",
		"{\"code\":203,\"name\":\"WIRE_UNKNOWN_FIELD\",\"hint\":\"h\",\"extra\":1}",
		"{\"code\":-1,\"name\":\"WIRE_UNKNOWN_FIELD\",\"hint\":\"h\"}",
		"[203]",
	};
	for (size_t k = 0; k < OBOL_ARRAY_LEN(bad); k++)
		CHECK_ERR(obol_json_error_from_body(bad[k], strlen(bad[k])), OBOL_E_PEER_ERROR);
	const char *good = "{\"code\":203,\"name\":\"WIRE_UNKNOWN_FIELD\",\"hint\":\"anything\"}";
	CHECK_ERR(obol_json_error_from_body(good, strlen(good)), OBOL_E_WIRE_UNKNOWN_FIELD);
}

TEST(wire_json, frees_through_a_wiping_free)
{
	/* json.c installs its wiping free before main: jansson no longer frees
	 * with plain free(), yet still allocates with malloc (json_dumps' text
	 * goes to free()). */
	json_malloc_t m = NULL;
	json_free_t f = NULL;
	json_get_alloc_funcs(&m, &f);
	CHECK(m == malloc);
	CHECK(f == obol_free_wiped);
	json_t *v = json_pack("{s:s}", "password", "correct horse");
	REQUIRE(v != NULL);
	char *text = json_dumps(v, JSON_COMPACT);
	REQUIRE(text != NULL);
	CHECK_EQ_STR(text, "{\"password\":\"correct horse\"}");
	free(text);
	json_decref(v);
}
