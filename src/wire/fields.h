/* Field specs: one declaration of a message's fields drives both its CBOR
 * (device link) and its JSON (issuer API) encoding and decoding.
 *
 * A message is a map. Decoding refuses, each with its named error: unknown
 * keys (WIRE_UNKNOWN_FIELD), missing required fields (WIRE_MISSING_FIELD),
 * duplicated keys (WIRE_DUPLICATE_FIELD), mistyped values (WIRE_WRONG_TYPE),
 * values above their limit: integers, string lengths, element counts
 * (WIRE_OVERSIZED), and byte/text strings shorter than their minimum or of
 * the wrong fixed length (WIRE_BAD_LENGTH). In CBOR the key is the small
 * unsigned integer `key`; in JSON the text `name`. Binary fields are CBOR byte
 * strings and, in JSON, base64url text without padding (a bad character is
 * PARSE_ENCODING). Amounts are CBOR/JSON text in the "CUR:V.F" form (a bad one
 * is AMOUNT_SYNTAX or AMOUNT_OVERFLOW; negative amounts are never sent).
 * Encoding checks the same rules, so obol never sends what it would refuse.
 * docs/protocol.md "Encodings" is the written form of these rules.
 *
 * A spec is a plain array of struct obol_field, usually built on the stack
 * with pointers into the message struct, e.g.
 *
 *     struct obol_field f[] = {
 *             OBOL_F_FIXED("coin_id", 1, m->coin_id, 32),
 *             OBOL_F_UINT("index", 2, &m->index, 1000000),
 *             OBOL_F_AMOUNT("value", 3, &m->value),
 *             OBOL_F_TEXT("memo", 4, m->memo, 64, OBOL_OPT(&m->has_memo)),
 *     };
 *     struct obol_fields spec = OBOL_FIELDS(f);
 *     err = obol_cbor_decode(buf, len, &spec);
 *
 * Every OBOL_F_* macro takes optional trailing designated initializers;
 * OBOL_OPT(&present) is the usual one (an optional field). The macros are
 * brace initializers; to assign one, cast it: f[0] = (struct obol_field)
 * OBOL_F_UINT(...).
 *
 * An array of nested messages names a callback that gives element i's spec
 * (tests/unit/wire_sample.h has a complete example):
 *
 *     struct coins_ctx { struct msg *m; struct obol_field f[2]; };
 *     static obol_err coin(void *ctx, size_t i, struct obol_fields *out)
 *     {
 *             struct coins_ctx *c = ctx;
 *             c->f[0] = (struct obol_field)OBOL_F_FIXED("id", 1, c->m->coins[i].id, 32);
 *             c->f[1] = (struct obol_field)OBOL_F_UINT("denom", 2, &c->m->coins[i].denom, 0);
 *             *out = (struct obol_fields){ c->f, 2 };
 *             return OBOL_OK;
 *     }
 *     struct coins_ctx cc = { m };
 *     struct obol_field_array coins = { coin, &cc, &m->ncoins, MSG_COINS_MAX };
 *     ... OBOL_F_ARRAY("coins", 5, &coins) ...
 *
 * Arrays of byte strings or integers need no callback: OBOL_F_FIXED_LIST,
 * OBOL_F_BYTES_LIST, OBOL_F_UINT_LIST over a two-dimensional array. */
#ifndef OBOL_WIRE_FIELDS_H
#define OBOL_WIRE_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/amount.h"
#include "core/compiler.h"
#include "core/error.h"

/* Most fields in one spec (duplicates are tracked in a 64-bit mask). */
#define OBOL_FIELDS_MAX 64
/* Most levels of nesting, counted as the frame counts them on the wire (each
 * CBOR map or array, each JSON object or array, is one level): the top-level
 * map is level 1; a MAP field adds one, a list field (OBOL_F_*_LIST) one for
 * its array, and an ARRAY field two, its array and the element maps inside.
 * So every spec that passes obol_fields_check encodes to a frame that
 * obol_frame_decode accepts. A spec nested deeper is a programming error
 * (OBOL_E_INTERNAL); input can only nest as its spec does, anything else is
 * a wrong type. */
#define OBOL_WIRE_DEPTH_MAX 6

enum obol_field_kind {
	OBOL_FIELD_UINT,       /* uint64_t *; value <= max (max 0 = no limit; JSON: <= 2^63-1) */
	OBOL_FIELD_INT,        /* int64_t * (times, signed values) */
	OBOL_FIELD_BOOL,       /* bool * */
	OBOL_FIELD_BYTES,      /* uint8_t[max]; length in *len; min <= len <= max */
	OBOL_FIELD_FIXED,      /* uint8_t[max]; length exactly max */
	OBOL_FIELD_TEXT,       /* char[max + 1], NUL-terminated; UTF-8, no NUL inside; min <= len <= max */
	OBOL_FIELD_AMOUNT,     /* struct obol_amount *; never negative */
	OBOL_FIELD_MAP,        /* a nested message: struct obol_fields * in `sub` */
	OBOL_FIELD_ARRAY,      /* an array of nested messages, see obol_field_array */
	OBOL_FIELD_FIXED_LIST, /* uint8_t[max_count][max]; *count elements of exactly max bytes */
	OBOL_FIELD_BYTES_LIST, /* uint8_t[max_count][max]; *count elements, element i's length
				* in len[i], min <= len[i] <= max */
	OBOL_FIELD_UINT_LIST,  /* uint64_t[max_count]; *count elements, each <= max (0 = no limit) */
};

struct obol_fields;

/* An array of nested messages (maps), e.g. the coins of a deposit. */
struct obol_field_array {
	/* Called for each element with its index, in order; fills *out with the
	 * element's spec (pointing into caller storage), for decoding (index <
	 * the received count, which is checked against max first) or encoding
	 * (index < *count). The fields *out points to need only stay valid
	 * until the next call. An error it returns ends the decode or encode. */
	obol_err (*element)(void *ctx, size_t index, struct obol_fields *out);
	void *ctx;
	size_t *count; /* decode: out; encode: in */
	size_t max;    /* most elements accepted */
};

struct obol_field {
	const char *name;  /* JSON key */
	uint32_t key;      /* CBOR key */
	enum obol_field_kind kind;
	bool optional;
	void *value;       /* where the value is read from / written to */
	size_t *len;       /* BYTES: the length; BYTES_LIST: the lengths, one per element */
	uint64_t min, max; /* UINT(_LIST): max value; BYTES/TEXT(_LIST): length bounds; FIXED(_LIST): length */
	bool *present;     /* optional fields: set on decode, read on encode (NULL = always) */
	const struct obol_fields *sub;          /* MAP */
	const struct obol_field_array *array;   /* ARRAY */
	size_t *count;     /* *_LIST: number of elements (decode: out; encode: in) */
	size_t max_count;  /* *_LIST: most elements accepted */
};

struct obol_fields {
	const struct obol_field *f;
	size_t n;
};

/* ---- compact spec macros ------------------------------------------------ */

/* struct obol_fields over a local array of fields. */
#define OBOL_FIELDS(arr) ((struct obol_fields){ (arr), OBOL_ARRAY_LEN(arr) })

/* Trailing option: the field may be absent; *present tells (decode) or
 * decides (encode) whether it is there. */
#define OBOL_OPT(present_p) .optional = true, .present = (present_p)

/* Unsigned integer at uint64_t *p, at most max_ (0 = no limit). */
#define OBOL_F_UINT(name_, key_, p, max_, ...) \
	{ .name = (name_), .key = (key_), .kind = OBOL_FIELD_UINT, .value = (p), .max = (max_), __VA_ARGS__ }
/* Signed integer at int64_t *p. */
#define OBOL_F_INT(name_, key_, p, ...) \
	{ .name = (name_), .key = (key_), .kind = OBOL_FIELD_INT, .value = (p), __VA_ARGS__ }
/* Boolean at bool *p. */
#define OBOL_F_BOOL(name_, key_, p, ...) \
	{ .name = (name_), .key = (key_), .kind = OBOL_FIELD_BOOL, .value = (p), __VA_ARGS__ }
/* Byte string of min_..max_ bytes in buf (max_ bytes of room), length at size_t *len_p. */
#define OBOL_F_BYTES(name_, key_, buf, min_, max_, len_p, ...)                                \
	{ .name = (name_), .key = (key_), .kind = OBOL_FIELD_BYTES, .value = (buf), .len = (len_p), \
	  .min = (min_), .max = (max_), __VA_ARGS__ }
/* Byte string of exactly n bytes in buf. */
#define OBOL_F_FIXED(name_, key_, buf, n, ...) \
	{ .name = (name_), .key = (key_), .kind = OBOL_FIELD_FIXED, .value = (buf), .max = (n), __VA_ARGS__ }
/* UTF-8 text of at most max_ bytes into char buf[max_ + 1] (at least 0 bytes;
 * add .min = N for a lower bound). */
#define OBOL_F_TEXT(name_, key_, buf, max_, ...) \
	{ .name = (name_), .key = (key_), .kind = OBOL_FIELD_TEXT, .value = (buf), .max = (max_), __VA_ARGS__ }
/* Amount at struct obol_amount *p. */
#define OBOL_F_AMOUNT(name_, key_, p, ...) \
	{ .name = (name_), .key = (key_), .kind = OBOL_FIELD_AMOUNT, .value = (p), __VA_ARGS__ }
/* Nested message: const struct obol_fields *spec_p. */
#define OBOL_F_MAP(name_, key_, spec_p, ...) \
	{ .name = (name_), .key = (key_), .kind = OBOL_FIELD_MAP, .sub = (spec_p), __VA_ARGS__ }
/* Array of nested messages: const struct obol_field_array *arr_p. */
#define OBOL_F_ARRAY(name_, key_, arr_p, ...) \
	{ .name = (name_), .key = (key_), .kind = OBOL_FIELD_ARRAY, .array = (arr_p), __VA_ARGS__ }
/* Array of byte strings of exactly n bytes: uint8_t buf[max_count_][n], count at size_t *count_p. */
#define OBOL_F_FIXED_LIST(name_, key_, buf, n, count_p, max_count_, ...)                     \
	{ .name = (name_), .key = (key_), .kind = OBOL_FIELD_FIXED_LIST, .value = (buf), .max = (n), \
	  .count = (count_p), .max_count = (max_count_), __VA_ARGS__ }
/* Array of byte strings of min_..max_ bytes: uint8_t buf[max_count_][max_],
 * lengths in size_t lens[max_count_], count at size_t *count_p. */
#define OBOL_F_BYTES_LIST(name_, key_, buf, min_, max_, lens, count_p, max_count_, ...)       \
	{ .name = (name_), .key = (key_), .kind = OBOL_FIELD_BYTES_LIST, .value = (buf), .len = (lens), \
	  .min = (min_), .max = (max_), .count = (count_p), .max_count = (max_count_), __VA_ARGS__ }
/* Array of unsigned integers each at most max_ (0 = no limit): uint64_t buf[max_count_]. */
#define OBOL_F_UINT_LIST(name_, key_, buf, max_, count_p, max_count_, ...)                    \
	{ .name = (name_), .key = (key_), .kind = OBOL_FIELD_UINT_LIST, .value = (buf), .max = (max_), \
	  .count = (count_p), .max_count = (max_count_), __VA_ARGS__ }

/* ---- helpers ------------------------------------------------------------ */

/* Checks a spec itself (for tests of each message): at most OBOL_FIELDS_MAX
 * fields, unique keys and names, sane bounds (min <= max, max > 0 for fixed
 * lengths, a count and max_count for lists), storage pointers set, nesting
 * within OBOL_WIRE_DEPTH_MAX. OBOL_E_INTERNAL when it is wrong. Array element
 * specs are produced at run time and checked as they are used. */
OBOL_MUST_CHECK obol_err obol_fields_check(const struct obol_fields *spec);

/* The name of the field the last failed decode or encode on this thread
 * stopped at (for an error reply's "detail"), or NULL when unknown. */
const char *obol_wire_error_field(void);

/* Internal to src/wire: records the field an error is about. */
void obol_wire_set_error_field(const char *name);

#endif
