/* Bounded parsing helpers; see parse.h. */
#include "core/parse.h"

#include <sodium.h>
#include <string.h>

obol_err obol_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i = 0;
	if (s == NULL || s[0] == '\0')
		return OBOL_E_PARSE_NUMBER;
	if (s[0] == '0' && s[1] != '\0')
		return OBOL_E_PARSE_NUMBER; /* no leading zeros: one spelling per number */
	for (; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return OBOL_E_PARSE_NUMBER;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return OBOL_E_PARSE_NUMBER;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return OBOL_E_PARSE_NUMBER;
	*out = v;
	return OBOL_OK;
}

obol_err obol_b64_encode(const uint8_t *in, size_t n, char *out, size_t cap)
{
	if (cap < sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		return OBOL_E_PARSE_TOO_LONG;
	sodium_bin2base64(out, cap, in, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return OBOL_OK;
}

obol_err obol_b64_decode(const char *in, uint8_t *out, size_t cap, size_t *out_len, int exact)
{
	size_t len = 0;
	const char *end = NULL;
	if (sodium_base642bin(out, cap, in, strlen(in), NULL, &len, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return OBOL_E_PARSE_ENCODING;
	if (end == NULL || *end != '\0')
		return OBOL_E_PARSE_ENCODING;
	if (exact && len != cap)
		return OBOL_E_PARSE_ENCODING;
	if (out_len != NULL)
		*out_len = len;
	return OBOL_OK;
}

void obol_hex_encode(const uint8_t *in, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, in, n);
}

obol_err obol_hex_decode(const char *in, uint8_t *out, size_t n)
{
	size_t len = 0;
	const char *end = NULL;
	if (strlen(in) != 2 * n)
		return OBOL_E_PARSE_ENCODING;
	if (sodium_hex2bin(out, n, in, 2 * n, NULL, &len, &end) != 0 || len != n || *end != '\0')
		return OBOL_E_PARSE_ENCODING;
	return OBOL_OK;
}

obol_err obol_strlcpy_checked(char *dst, const char *src, size_t cap)
{
	size_t n = strlen(src);
	if (n >= cap)
		return OBOL_E_PARSE_TOO_LONG;
	memcpy(dst, src, n + 1);
	return OBOL_OK;
}
