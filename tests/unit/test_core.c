/* The error table and the bounded parsing helpers. */
#include <stdint.h>

#include "core/error.h"
#include "core/parse.h"
#include "test.h"

TEST(error, names_hints_and_lookup)
{
	CHECK_EQ_STR(obol_strerror(OBOL_OK), "OK");
	CHECK_EQ_STR(obol_strerror(OBOL_E_AMOUNT_SYNTAX), "AMOUNT_SYNTAX");
	CHECK(obol_errhint(OBOL_E_AMOUNT_SYNTAX)[0] != '\0');
	CHECK_EQ_INT(obol_errhttp(OBOL_E_LEDGER_INSUFFICIENT_FUNDS), 402);
	CHECK_EQ_INT(obol_err_from_name("WIRE_OVERSIZED"), OBOL_E_WIRE_OVERSIZED);
	CHECK_EQ_INT(obol_err_from_name("NO_SUCH_NAME"), OBOL_E_UNKNOWN_ERROR);
	CHECK_EQ_STR(obol_strerror((obol_err)99999), "UNKNOWN_ERROR");
	CHECK(!obol_err_is_known(99999));
	CHECK(obol_err_is_known(OBOL_E_STORE_SCHEMA_TOO_NEW));
}

TEST(parse, u64_bounds)
{
	uint64_t v;
	CHECK_OK(obol_parse_u64("0", 0, 10, &v));
	CHECK_EQ_INT(v, 0);
	CHECK_OK(obol_parse_u64("18446744073709551615", 0, UINT64_MAX, &v));
	CHECK(v == UINT64_MAX);
	CHECK_ERR(obol_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), OBOL_E_PARSE_NUMBER);
	CHECK_ERR(obol_parse_u64("11", 0, 10, &v), OBOL_E_PARSE_NUMBER);
	CHECK_ERR(obol_parse_u64("01", 0, 10, &v), OBOL_E_PARSE_NUMBER);
	CHECK_ERR(obol_parse_u64("-1", 0, 10, &v), OBOL_E_PARSE_NUMBER);
	CHECK_ERR(obol_parse_u64("", 0, 10, &v), OBOL_E_PARSE_NUMBER);
	CHECK_ERR(obol_parse_u64("1 ", 0, 10, &v), OBOL_E_PARSE_NUMBER);
}

TEST(parse, base64url_roundtrip_and_refusals)
{
	uint8_t in[5] = { 0xfb, 0xff, 0x00, 0x10, 0x7f }, out[5];
	char txt[OBOL_B64_LEN(5)];
	size_t n;
	REQUIRE_OK(obol_b64_encode(in, 5, txt, sizeof(txt)));
	CHECK_EQ_STR(txt, "-_8AEH8");
	CHECK_OK(obol_b64_decode(txt, out, 5, &n, 1));
	CHECK_MEM_EQ(in, out, 5);
	CHECK_ERR(obol_b64_decode("-_8AEH8=", out, 5, &n, 1), OBOL_E_PARSE_ENCODING);
	CHECK_ERR(obol_b64_decode("+/8AEH8", out, 5, &n, 1), OBOL_E_PARSE_ENCODING);
	CHECK_ERR(obol_b64_decode("-_8AEA", out, 5, &n, 1), OBOL_E_PARSE_ENCODING);
	CHECK_ERR(obol_b64_decode("-_8AEH8AAA", out, 5, &n, 0), OBOL_E_PARSE_ENCODING);
	char small[4];
	CHECK_ERR(obol_b64_encode(in, 5, small, sizeof(small)), OBOL_E_PARSE_TOO_LONG);
	uint8_t h[2];
	CHECK_OK(obol_hex_decode("0aFf", h, 2));
	CHECK_EQ_INT(h[1], 0xff);
	CHECK_ERR(obol_hex_decode("0aF", h, 2), OBOL_E_PARSE_ENCODING);
	CHECK_ERR(obol_hex_decode("0aFg", h, 2), OBOL_E_PARSE_ENCODING);
}
