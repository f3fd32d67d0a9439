/* Fuzzes the parsers of what every client fetches from the issuer to learn
 * its keys and lists: key announcements (src/schemes/common/key_announce.c,
 * CBOR and their base64url text form), the "announcements" array of the key
 * document (keys_doc.c obol_keys_doc_key_set), the Codex blacklist pages
 * (src/schemes/codex/blacklist_pages.c) and the payword CRL pages
 * (src/schemes/payword/wire.c). The first byte picks the parser, the rest is
 * its input. Any input is refused with a named error or parsed. A parsed
 * announcement re-encodes to its canonical form (obol's CBOR profile takes
 * any integer width and key order, docs/protocol.md "Encodings"; signatures
 * and key ids are over the canonical form), which decodes to the same
 * value and re-encodes to the same bytes; a blacklist page (a fixed binary
 * layout) re-encodes to exactly the input; a CRL page re-encodes to JSON
 * that decodes to the same page. No input signed by a master key this harness holds the
 * secret of can exist, so a key set built from fuzzed announcements must
 * stay empty. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schemes/codex/blacklist_pages.h"
#include "schemes/common/key_announce.h"
#include "schemes/common/keys_doc.h"
#include "schemes/payword/messages.h"
#include "schemes/payword/wire.h"
#include "wire/cbor.h"
#include "wire/json.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void announcement(const uint8_t *in, size_t len)
{
	static struct obol_key_announce a, b;
	static uint8_t enc[OBOL_KEY_ANNOUNCE_MAX + 64], enc2[OBOL_KEY_ANNOUNCE_MAX + 64];
	static char text[OBOL_KEY_ANNOUNCE_TEXT_MAX];
	size_t n, n2;
	obol_err e = obol_key_announce_decode(in, len, &a);
	if (e != OBOL_OK) {
		fuzz_refused(e);
		return;
	}
	if (obol_key_announce_encode(&a, enc, sizeof enc, &n) != OBOL_OK ||
	    obol_key_announce_decode(enc, n, &b) != OBOL_OK || obol_key_announce_encode(&b, enc2, sizeof enc2, &n2) != OBOL_OK)
		abort();
	fuzz_same(enc, n, enc2, n2);
	/* The text form carries the same value. */
	if (obol_key_announce_to_text(&a, text) == OBOL_OK &&
	    (obol_key_announce_from_text(text, &b) != OBOL_OK || memcmp(a.sig, b.sig, sizeof a.sig) != 0 ||
	     a.kind != b.kind || a.serial != b.serial))
		abort();
	/* What decodes checks or is refused by name; none verifies under a
	 * master key of all zeroes (no one holds its secret). */
	e = obol_key_announce_check(&a);
	if (e != OBOL_OK)
		fuzz_refused(e);
	static const uint8_t zero_pk[OBOL_SIGN_PK_LEN];
	if (obol_key_announce_verify(&a, zero_pk) == OBOL_OK)
		abort();
}

static void announcement_texts(const uint8_t *in, size_t len)
{
	/* A keys object whose "announcements" is the input cut at newlines:
	 * each entry is parsed and verified under the pinned master, and a
	 * document listing any that is not the master's is refused. */
	static struct obol_key_set set;
	static const uint8_t pk[OBOL_SIGN_PK_LEN] = { 1 };
	json_t *keys = json_object(), *list = json_array();
	if (keys == NULL || list == NULL)
		abort();
	size_t start = 0;
	for (size_t i = 0; i <= len; i++)
		if (i == len || in[i] == '\n') {
			json_t *s = json_stringn((const char *)in + start, i - start);
			if (s != NULL)
				json_array_append_new(list, s);
			start = i + 1;
		}
	json_object_set_new(keys, "announcements", list);
	obol_err e = obol_keys_doc_key_set(keys, pk, &set);
	if (e == OBOL_OK ? set.n != 0 : !obol_err_is_known((int)e))
		abort();
	json_decref(keys);
}

static void blacklist_page(const uint8_t *in, size_t len)
{
	struct codex_blacklist_page p = { 0 }, q = { 0 };
	uint8_t *enc = NULL, *enc2 = NULL;
	size_t n, n2;
	obol_err e = codex_blacklist_page_decode(in, len, &p);
	if (e != OBOL_OK) {
		fuzz_refused(e);
		return;
	}
	if (codex_blacklist_page_encode(&p, &enc, &n) != OBOL_OK)
		abort();
	fuzz_same(in, len, enc, n);
	if (codex_blacklist_page_decode(enc, n, &q) != OBOL_OK || codex_blacklist_page_encode(&q, &enc2, &n2) != OBOL_OK)
		abort();
	fuzz_same(enc, n, enc2, n2);
	static const uint8_t zero_pk[OBOL_SIGN_PK_LEN];
	if (codex_blacklist_page_verify(&p, zero_pk) == OBOL_OK)
		abort();
	free(enc);
	free(enc2);
	codex_blacklist_page_free(&p);
	codex_blacklist_page_free(&q);
}

static void crl_page(const uint8_t *in, size_t len)
{
	static uint64_t serials[PAYWORD_CRL_PAGE_MAX], serials2[PAYWORD_CRL_PAGE_MAX];
	struct payword_crl_page p = { .serials = serials }, q = { .serials = serials2 };
	struct payword_crl_page_spec s, s2;
	payword_crl_page_spec_init(&s, &p);
	obol_err e = obol_json_decode_text((const char *)in, len, &s.spec);
	if (e != OBOL_OK) {
		fuzz_refused(e);
		return;
	}
	if (p.count > PAYWORD_CRL_PAGE_MAX)
		abort();
	/* What decodes encodes to JSON that decodes to the same page. */
	json_t *j = NULL;
	if (obol_json_encode(&s.spec, &j) != OBOL_OK)
		abort();
	char *t = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (t == NULL)
		abort();
	payword_crl_page_spec_init(&s2, &q);
	if (obol_json_decode_text(t, strlen(t), &s2.spec) != OBOL_OK || p.issued != q.issued || p.since != q.since ||
	    p.after != q.after || p.through != q.through || p.count != q.count ||
	    memcmp(p.serials, q.serials, p.count * sizeof p.serials[0]) != 0 || memcmp(p.sig, q.sig, sizeof p.sig) != 0)
		abort();
	free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const uint8_t *in = data + 1;
	size_t len = size - 1;
	switch (data[0] % 4) {
	case 0: announcement(in, len); break;
	case 1: announcement_texts(in, len); break;
	case 2: blacklist_page(in, len); break;
	default: crl_page(in, len); break;
	}
	return 0;
}
