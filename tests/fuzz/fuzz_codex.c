/* Fuzzes the codex scheme's parsers (src/schemes/codex/messages.c, codex.c,
 * api.c). The first byte picks the parser, the rest is its input. Any input
 * is either refused with a named error or parsed; what parses re-encodes to
 * exactly the same bytes (one encoding per value, so a signature over the
 * encoding is a signature over the value), tokens and states of both
 * versions alike. A whole Codex parses only with valid bank signatures (the
 * seed carries one), and then serialises back to the same bytes when it was
 * written in the current form, version 3 (a version 1 or 2 wallet is written
 * back as version 3: it must then parse again to the same Codex). The bank's HTTP
 * bodies (sync request, sync answer, deposit request) decode through their
 * field specs or are refused, and re-encode to JSON that decodes again. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schemes/codex/api.h"
#include "schemes/codex/codex.h"
#include "wire/json.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct codex_blacklist bl;
	static uint8_t out[CODEX_PAYMENT_MAX];
	struct codex_cert cert;
	struct codex_state st;
	struct codex_token t;
	struct codex_ack a;
	struct codex_entry en;
	uint8_t *blob;
	size_t n;
	obol_err e;

	if (size < 1)
		return 0;
	const uint8_t *in = data + 1;
	size_t len = size - 1;
	switch (data[0] % 12) {
	case 0:
		if ((e = codex_cert_decode(in, len, &cert)) != OBOL_OK)
			return fuzz_refused(e), 0;
		if (codex_cert_encode(&cert, out, sizeof(out), &n) != OBOL_OK)
			abort();
		fuzz_same(in, len, out, n);
		break;
	case 1:
		if ((e = codex_state_decode(in, len, &st)) != OBOL_OK)
			return fuzz_refused(e), 0;
		if (codex_state_encode(&st, out, sizeof(out), &n) != OBOL_OK)
			abort();
		fuzz_same(in, len, out, n);
		break;
	case 2:
		if ((e = codex_token_decode(in, len, &t)) != OBOL_OK)
			return fuzz_refused(e), 0;
		if (codex_token_encode(&t, out, sizeof(out), &n) != OBOL_OK)
			abort();
		fuzz_same(in, len, out, n);
		break;
	case 3:
		if ((e = codex_ack_decode(in, len, &a)) != OBOL_OK)
			return fuzz_refused(e), 0;
		if (codex_ack_encode(&a, out) != OBOL_OK)
			abort();
		fuzz_same(in, len, out, CODEX_ACK_LEN);
		break;
	case 4:
		if ((e = codex_blacklist_decode(in, len, &bl)) != OBOL_OK)
			return fuzz_refused(e), 0;
		if (codex_blacklist_encode(&bl, &blob, &n) != OBOL_OK)
			abort();
		fuzz_same(in, len, blob, n);
		free(blob);
		break;
	case 5:
		if ((e = codex_entry_decode(in, len, &en)) != OBOL_OK)
			return fuzz_refused(e), 0;
		if (codex_entry_encode(&en, out, sizeof(out), &n) != OBOL_OK)
			abort();
		fuzz_same(in, len, out, n);
		break;
	case 6:
		if ((e = codex_payment_decode(in, len, &t, &cert, &st)) != OBOL_OK)
			return fuzz_refused(e), 0;
		if (codex_payment_encode(&t, &cert, &st, out, sizeof(out), &n) != OBOL_OK)
			abort();
		fuzz_same(in, len, out, n);
		break;
	case 8: {
		struct codex_refusal f;
		if ((e = codex_refusal_decode(in, len, &f)) != OBOL_OK)
			return fuzz_refused(e), 0;
		if (codex_refusal_encode(&f, out) != OBOL_OK)
			abort();
		fuzz_same(in, len, out, CODEX_REFUSAL_LEN);
		break;
	}
	case 9: {
		static struct codex_api_sync_req m, back;
		json_t *j = NULL;
		memset(&m, 0, sizeof(m));
		codex_api_sync_req_spec(&m, len > 0 && (in[0] & 1));
		if ((e = obol_json_decode_text((const char *)in, len, &m.spec)) != OBOL_OK)
			return fuzz_refused(e), 0;
		if (obol_json_encode(&m.spec, &j) != OBOL_OK)
			abort();
		memset(&back, 0, sizeof(back));
		codex_api_sync_req_spec(&back, len > 0 && (in[0] & 1));
		if (obol_json_decode(j, &back.spec) != OBOL_OK || back.nentries != m.nentries || back.nrefusals != m.nrefusals)
			abort();
		json_decref(j);
		break;
	}
	case 10: {
		static struct codex_api_sync_reply m;
		json_t *j = NULL;
		memset(&m, 0, sizeof(m));
		codex_api_sync_reply_spec(&m);
		if ((e = obol_json_decode_text((const char *)in, len, &m.spec)) != OBOL_OK)
			return fuzz_refused(e), 0;
		if (obol_json_encode(&m.spec, &j) != OBOL_OK)
			abort();
		json_decref(j);
		break;
	}
	case 11: {
		static struct codex_api_deposit_req m;
		json_t *j = NULL;
		memset(&m, 0, sizeof(m));
		codex_api_deposit_req_spec(&m);
		if ((e = obol_json_decode_text((const char *)in, len, &m.spec)) != OBOL_OK)
			return fuzz_refused(e), 0;
		if (obol_json_encode(&m.spec, &j) != OBOL_OK)
			abort();
		json_decref(j);
		break;
	}
	default: {
		struct codex *c = codex_alloc(), *again = codex_alloc();
		if (!c || !again)
			abort();
		if ((e = codex_parse(c, in, len)) != OBOL_OK) {
			fuzz_refused(e);
		} else {
			if (codex_serialize(c, &blob, &n) != OBOL_OK)
				abort();
			if (len > 4 && in[4] == 3)
				fuzz_same(in, len, blob, n);
			else if (codex_parse(again, blob, n) != OBOL_OK || again->nlog != c->nlog ||
				 memcmp(&again->state, &c->state, sizeof(c->state)) != 0)
				abort();
			free(blob);
		}
		codex_free(c);
		codex_free(again);
		break;
	}
	}
	return 0;
}
