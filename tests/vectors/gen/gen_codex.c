/* Vectors of the codex scheme (src/schemes/codex/messages.c): every signed
 * structure is its fixed binary body followed by the 64-byte signature, so
 * the signed bytes are the encoding without its last 64 bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/amount.h"
#include "crypto/hash.h"
#include "schemes/codex/blacklist_pages.h"
#include "schemes/codex/messages.h"
#include "vg.h"

#define T0 INT64_C(1767225600) /* 2026-01-01T00:00:00Z */

static void amount(struct vg *g, const char *k, const struct obol_amount *a)
{
	char t[OBOL_AMOUNT_STR_MAX];
	obol_amount_format(a, t);
	vg_in_text(g, k, t);
}

/* Records encoded, signed_bytes (encoded minus the signature) and the sig. */
static void signed_struct(struct vg *g, const char *key, const char *ctx, const uint8_t *enc, size_t len)
{
	vg_out_hex(g, "encoded", enc, len);
	if (len < OBOL_SIGN_LEN) {
		vg_fail(g, "codex encoding shorter than a signature");
		return;
	}
	vg_out_hex(g, "signed_bytes", enc, len - OBOL_SIGN_LEN);
	vg_sig_ed25519(g, key, ctx, enc, len - OBOL_SIGN_LEN, enc + len - OBOL_SIGN_LEN);
}

static void gen_cert(struct vg *g, const struct obol_sign_keypair *bank, const char *name, uint64_t id,
		     uint8_t kind, const struct obol_sign_keypair *party, struct codex_cert *c)
{
	uint8_t buf[CODEX_CERT_MAX], box[32];
	size_t len = 0;
	char label[64];
	memset(c, 0, sizeof *c);
	c->user_id = id;
	snprintf(c->name, sizeof c->name, "%s", name);
	c->kind = kind;
	memcpy(c->sign_pk, party->pk, OBOL_SIGN_PK_LEN);
	snprintf(label, sizeof label, "codex box key %s", name);
	vg_fixed(label, box);
	memcpy(c->box_pk, box, sizeof box);
	c->not_after = T0 + CODEX_CERT_LIFETIME;
	struct obol_ed25519_signer sg;
	obol_ed25519_signer_local(&sg, bank);
	VG_OK(g, codex_cert_sign(c, &sg));
	VG_OK(g, codex_cert_encode(c, buf, sizeof buf, &len));
	snprintf(label, sizeof label, "codex-cert-%s", name);
	vg_begin(g, label, "codex certificate");
	vg_in_uint(g, "user_id", c->user_id);
	vg_in_text(g, "name", c->name);
	vg_in_uint(g, "kind", c->kind);
	vg_in_hex(g, "sign_pk", c->sign_pk, OBOL_SIGN_PK_LEN);
	vg_in_hex(g, "box_pk", c->box_pk, OBOL_BOX_PK_LEN);
	vg_in_int(g, "not_after", c->not_after);
	signed_struct(g, "bank", CODEX_CTX_CERT, buf, len);
	vg_end(g);
}

void vg_codex(struct vg *g)
{
	struct obol_sign_keypair bank, alice, shop;
	struct codex_cert ca, cs;
	struct codex_state st;
	struct codex_token tk;
	struct codex_ack ack;
	struct codex_refusal rf;
	static struct codex_blacklist bl;
	uint8_t buf[CODEX_TOKEN_MAX + CODEX_STATE_MAX], th[OBOL_HASH_LEN], sh[OBOL_HASH_LEN], h[OBOL_HASH_LEN];
	size_t len = 0;

	vg_key_ed25519(g, "bank", &bank);
	vg_key_ed25519(g, "alice", &alice);
	vg_key_ed25519(g, "shop", &shop);

	gen_cert(g, &bank, "alice", 7, CODEX_PARTY_USER, &alice, &ca);
	gen_cert(g, &bank, "shop", 9, CODEX_PARTY_VENDOR, &shop, &cs);

	memset(&st, 0, sizeof st);
	st.version = CODEX_STATE_VERSION;
	st.user_id = 7;
	snprintf(st.name, sizeof st.name, "alice");
	st.epoch = 3;
	VG_OK(g, obol_amount_parse("EUR:12.5", &st.balance));
	VG_OK(g, obol_amount_parse("EUR:20", &st.deposit));
	VG_OK(g, obol_amount_parse("EUR:5", &st.token_max));
	VG_OK(g, obol_amount_parse("EUR:20", &st.spent_max));
	st.tx_total = 41;
	st.tx_limit = CODEX_DEFAULT_TX_LIMIT;
	st.not_after = T0 + CODEX_DEFAULT_LIFETIME;
	st.issued = T0;
	st.perf = 2;
	struct obol_ed25519_signer sg;
	obol_ed25519_signer_local(&sg, &bank);
	VG_OK(g, codex_state_sign(&st, &sg));
	VG_OK(g, codex_state_encode(&st, buf, sizeof buf, &len));
	VG_OK(g, codex_state_hash(&st, sh));
	vg_begin(g, "codex-state", "codex state");
	vg_in_uint(g, "version", st.version);
	vg_in_uint(g, "user_id", st.user_id);
	vg_in_text(g, "name", st.name);
	vg_in_uint(g, "epoch", st.epoch);
	amount(g, "balance", &st.balance);
	amount(g, "deposit", &st.deposit);
	amount(g, "token_max", &st.token_max);
	amount(g, "spent_max", &st.spent_max);
	vg_in_uint(g, "tx_total", st.tx_total);
	vg_in_uint(g, "tx_limit", st.tx_limit);
	vg_in_int(g, "not_after", st.not_after);
	vg_in_int(g, "issued", st.issued);
	vg_in_uint(g, "perf", st.perf);
	signed_struct(g, "bank", CODEX_CTX_STATE, buf, len);
	vg_out_hex(g, "hash", sh, sizeof sh);
	vg_end(g);

	vg_begin(g, "codex-log-start", "codex log chain");
	vg_in_hex(g, "state_hash", sh, sizeof sh);
	codex_log_start(h, sh);
	{
		static const char tag[] = "codex-log-v1";
		struct obol_hash_part p[] = { { tag, sizeof tag - 1 }, { sh, sizeof sh } };
		vg_hash_input(g, p, 2, h);
	}
	vg_out_hex(g, "hash", h, sizeof h);
	vg_end(g);

	memset(&tk, 0, sizeof tk);
	tk.version = CODEX_TOKEN_VERSION;
	vg_fixed("codex token id", buf);
	memcpy(tk.id, buf, CODEX_TOKEN_ID_LEN);
	tk.payer_id = 7;
	snprintf(tk.payer_name, sizeof tk.payer_name, "alice");
	tk.payee_id = 9;
	snprintf(tk.payee_name, sizeof tk.payee_name, "shop");
	VG_OK(g, obol_amount_parse("EUR:0.25", &tk.amount));
	VG_OK(g, obol_amount_parse("EUR:0.25", &tk.spent)); /* the payer's first payment of the epoch */
	tk.time = T0 + 3600;
	tk.epoch = 3;
	tk.seq = 0;
	memcpy(tk.prev, h, OBOL_HASH_LEN);
	VG_OK(g, codex_token_sign(&tk, alice.sk));
	VG_OK(g, codex_token_encode(&tk, buf, sizeof buf, &len));
	VG_OK(g, codex_token_hash(&tk, th));
	vg_begin(g, "codex-token", "codex token");
	vg_in_uint(g, "version", tk.version);
	vg_in_hex(g, "id", tk.id, CODEX_TOKEN_ID_LEN);
	vg_in_uint(g, "payer_id", tk.payer_id);
	vg_in_text(g, "payer_name", tk.payer_name);
	vg_in_uint(g, "payee_id", tk.payee_id);
	vg_in_text(g, "payee_name", tk.payee_name);
	amount(g, "amount", &tk.amount);
	vg_in_int(g, "time", tk.time);
	vg_in_uint(g, "epoch", tk.epoch);
	vg_in_uint(g, "seq", tk.seq);
	amount(g, "spent", &tk.spent);
	vg_in_hex(g, "prev", tk.prev, OBOL_HASH_LEN);
	signed_struct(g, "alice", CODEX_CTX_TOKEN, buf, len);
	vg_out_hex(g, "hash", th, sizeof th);
	vg_end(g);

	vg_begin(g, "codex-log-step", "codex log chain");
	vg_in_hex(g, "prev", h, sizeof h);
	vg_in_uint(g, "kind", CODEX_ENTRY_PAY);
	vg_in_uint(g, "seq", tk.seq);
	vg_in_int(g, "time", tk.time);
	vg_in_hex(g, "token_hash", th, sizeof th);
	{
		static const char tag[] = "codex-log-v1";
		uint8_t num[17], prev[OBOL_HASH_LEN];
		memcpy(prev, h, sizeof prev);
		num[0] = CODEX_ENTRY_PAY;
		for (int i = 0; i < 8; i++) {
			num[1 + i] = (uint8_t)(tk.seq >> (56 - 8 * i));
			num[9 + i] = (uint8_t)((uint64_t)tk.time >> (56 - 8 * i));
		}
		struct obol_hash_part p[] = { { tag, sizeof tag - 1 }, { prev, 32 }, { num, 17 }, { th, 32 } };
		codex_log_step(h, h, CODEX_ENTRY_PAY, tk.seq, tk.time, th);
		vg_hash_input(g, p, 4, h);
	}
	vg_out_hex(g, "hash", h, sizeof h);
	vg_end(g);

	memset(&ack, 0, sizeof ack);
	memcpy(ack.token_hash, th, sizeof th);
	ack.payee_id = 9;
	ack.time = tk.time + 2;
	VG_OK(g, codex_ack_sign(&ack, shop.sk));
	VG_OK(g, codex_ack_encode(&ack, buf));
	vg_begin(g, "codex-ack", "codex acknowledgement");
	vg_in_hex(g, "token_hash", ack.token_hash, OBOL_HASH_LEN);
	vg_in_uint(g, "payee_id", ack.payee_id);
	vg_in_int(g, "time", ack.time);
	signed_struct(g, "shop", CODEX_CTX_ACK, buf, CODEX_ACK_LEN);
	vg_end(g);

	memset(&rf, 0, sizeof rf);
	memcpy(rf.token_id, tk.id, CODEX_TOKEN_ID_LEN);
	memcpy(rf.token_hash, th, sizeof th);
	rf.payer_id = 7;
	rf.payee_id = 9;
	rf.time = tk.time + 2;
	rf.reason = (uint32_t)OBOL_E_CODEX_SIGNATURE;
	VG_OK(g, codex_refusal_sign(&rf, shop.sk));
	VG_OK(g, codex_refusal_encode(&rf, buf));
	vg_begin(g, "codex-refusal", "codex refusal");
	vg_in_hex(g, "token_id", rf.token_id, CODEX_TOKEN_ID_LEN);
	vg_in_hex(g, "token_hash", rf.token_hash, OBOL_HASH_LEN);
	vg_in_uint(g, "payer_id", rf.payer_id);
	vg_in_uint(g, "payee_id", rf.payee_id);
	vg_in_int(g, "time", rf.time);
	vg_in_uint(g, "reason", rf.reason);
	signed_struct(g, "shop", CODEX_CTX_REFUSAL, buf, CODEX_REFUSAL_LEN);
	vg_end(g);

	memset(&bl, 0, sizeof bl);
	bl.version = 5;
	bl.issued = T0 + 86400;
	bl.n = 3;
	bl.ids[0] = 2;
	bl.ids[1] = 11;
	bl.ids[2] = 4096;
	VG_OK(g, codex_blacklist_sign(&bl, &sg));
	uint8_t *bb = NULL;
	VG_OK(g, codex_blacklist_encode(&bl, &bb, &len));
	vg_begin(g, "codex-blacklist", "codex blacklist");
	vg_in_uint(g, "version", bl.version);
	vg_in_int(g, "issued", bl.issued);
	{
		json_t *ids = json_array();
		for (size_t i = 0; i < bl.n; i++)
			json_array_append_new(ids, json_integer((json_int_t)bl.ids[i]));
		vg_in_json(g, "ids", ids);
	}
	if (bb != NULL)
		signed_struct(g, "bank", CODEX_CTX_BLACKLIST, bb, len);
	vg_end(g);
	free(bb);

	/* one page of the paged list: the delta since version 4, at version 5,
	 * ids in (10, 5000] (a last page has through 2^64 - 1) */
	struct codex_blacklist_item items[] = { { 11, T0 + 30 * 86400 }, { 4096, T0 + 31 * 86400 } };
	struct codex_blacklist_page pg = { .version = 5, .issued = T0 + 86400, .since = 4, .after = 10,
					   .through = 5000, .count = 2, .items = items };
	uint8_t *pb = NULL;
	struct obol_ed25519_signer bank_signer;
	obol_ed25519_signer_local(&bank_signer, &bank);
	VG_OK(g, codex_blacklist_page_sign(&pg, &bank_signer));
	VG_OK(g, codex_blacklist_page_encode(&pg, &pb, &len));
	vg_begin(g, "codex-blacklist-page", "codex blacklist page");
	vg_in_uint(g, "version", pg.version);
	vg_in_int(g, "issued", pg.issued);
	vg_in_uint(g, "since", pg.since);
	vg_in_uint(g, "after", pg.after);
	vg_in_uint(g, "through", pg.through);
	{
		json_t *es = json_array();
		for (size_t i = 0; i < pg.count; i++) {
			json_t *e = json_array();
			json_array_append_new(e, json_integer((json_int_t)items[i].user));
			json_array_append_new(e, json_integer((json_int_t)items[i].until));
			json_array_append_new(es, e);
		}
		vg_in_json(g, "entries", es);
	}
	if (pb != NULL)
		signed_struct(g, "bank", CODEX_CTX_BLACKLIST_PAGE, pb, len);
	vg_end(g);
	free(pb);
}
