/* A codex payer that signs tokens its honest Codex never would (issue 14
 * cases 1 and 3), with its own keys, read from its own wallet file:
 *
 *   codex-resign-id     a token under the id of the last payment its Codex
 *                       logged (the same place of its log), for another
 *                       amount and to the payee of the request given;
 *   codex-forge-amount  a token of any amount and running total, at the next
 *                       place of its log, to a payee's request or to a vendor
 *                       daemon over the device link.
 *
 * The wallet file is read, never changed: the honest Codex's log keeps only
 * what it really logged. Prints "token-id:", "amount:" and, for a vendor,
 * "answer:" (ack, or the refusal's reason). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack.h"
#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "net/devlink.h"
#include "schemes/codex/codex.h"
#include "wallet/codex_wallet.h"
#include "wallet/issuer_link.h"
#include "wire/cbor.h"

struct craft {
	const char *wallet, *request, *out, *vendor;
	struct obol_amount amount, spent;
	bool has_spent, reuse_id;
};

static int parse(int argc, char **argv, struct craft *k, bool reuse)
{
	static const struct option lo[] = {
		{ "wallet", required_argument, NULL, 'w' }, { "request", required_argument, NULL, 'r' },
		{ "out", required_argument, NULL, 'o' },    { "vendor", required_argument, NULL, 'v' },
		{ "amount", required_argument, NULL, 'a' }, { "spent", required_argument, NULL, 's' },
		{ 0, 0, 0, 0 },
	};
	const char *amount = NULL, *spent = NULL;
	int ch;
	memset(k, 0, sizeof(*k));
	k->reuse_id = reuse;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'w': k->wallet = optarg; break;
		case 'r': k->request = optarg; break;
		case 'o': k->out = optarg; break;
		case 'v': k->vendor = optarg; break;
		case 'a': amount = optarg; break;
		case 's': spent = optarg; break;
		default: return 2;
		}
	}
	if (!k->wallet || !amount || (!k->vendor && (!k->request || !k->out)) ||
	    obol_amount_parse(amount, &k->amount) != OBOL_OK)
		return 2;
	k->spent = k->amount;
	if (spent && obol_amount_parse(spent, &k->spent) != OBOL_OK)
		return 2;
	return 0;
}

/* Signs the token and seals it with the Codex's certificate and state. */
static obol_err make(const struct codex *c, const struct codex_msg_request *req, const struct craft *k,
		     struct codex_msg_pay *out, struct codex_token *t)
{
	struct codex_cert payee;
	uint8_t plain[CODEX_PAYMENT_MAX];
	size_t n;
	obol_err e;
	if ((e = codex_cert_decode(req->cert, req->cert_len, &payee)) != OBOL_OK)
		return e;
	memset(t, 0, sizeof(*t));
	t->version = CODEX_TOKEN_VERSION;
	if (k->reuse_id) {
		/* the last payment this Codex logged: its id and its place */
		const struct codex_log_rec *last = NULL;
		for (size_t i = 0; i < c->nlog; i++)
			if (c->log[i].e.kind == CODEX_ENTRY_PAY)
				last = &c->log[i];
		if (!last)
			return OBOL_E_CODEX_ACK_UNKNOWN;
		memcpy(t->id, last->e.token.id, CODEX_TOKEN_ID_LEN);
		t->seq = last->e.token.seq;
		memcpy(t->prev, last->e.token.prev, OBOL_HASH_LEN);
	} else {
		obol_random(t->id, CODEX_TOKEN_ID_LEN);
		t->seq = c->nlog + 1;
		memcpy(t->prev, c->head, OBOL_HASH_LEN);
	}
	t->payer_id = c->cert.user_id;
	memcpy(t->payer_name, c->cert.name, sizeof(t->payer_name));
	t->payee_id = payee.user_id;
	memcpy(t->payee_name, payee.name, sizeof(t->payee_name));
	t->amount = k->amount;
	t->spent = k->spent;
	t->time = obol_now();
	t->epoch = c->state.epoch;
	if ((e = codex_token_sign(t, c->sign_sk)) != OBOL_OK ||
	    (e = codex_payment_encode(t, &c->cert, &c->state, plain, sizeof(plain), &n)) != OBOL_OK ||
	    (e = obol_sealbox_seal(out->sealed, plain, n, payee.box_pk)) != OBOL_OK)
		return e;
	out->sealed_len = n + OBOL_SEALBOX_OVERHEAD;
	return OBOL_OK;
}

/* HELLO → REQUEST → the crafted PAY → ACK or REFUSAL. */
static obol_err to_vendor(struct obol_wallet *w, const struct codex *c, const struct craft *k, struct codex_token *t,
			  char *answer, size_t cap)
{
	struct obol_devlink *l = NULL;
	struct codex_msg_hello hello = { .amount = k->amount, .has_amount = true };
	struct codex_msg_request *req = calloc(1, sizeof(*req));
	struct codex_msg_pay *pay = calloc(1, sizeof(*pay));
	struct obol_field f[2];
	struct obol_fields spec;
	const uint8_t *body;
	size_t blen;
	uint32_t type;
	obol_err e;
	if (!req || !pay) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	codex_msg_hello_spec(&hello, f, &spec);
	if ((e = obol_wallet_connect_vendor(w, k->vendor, &l)) != OBOL_OK || (e = obol_devlink_write(l, CODEX_MSG_HELLO, &spec)) != OBOL_OK ||
	    (e = obol_devlink_read(l, &type, &body, &blen)) != OBOL_OK)
		goto out;
	codex_msg_request_spec(req, f, &spec);
	if (type != CODEX_MSG_REQUEST || (e = obol_cbor_decode(body, blen, &spec)) != OBOL_OK) {
		e = e ? e : OBOL_E_WIRE_MALFORMED;
		goto out;
	}
	if ((e = make(c, req, k, pay, t)) != OBOL_OK)
		goto out;
	codex_msg_pay_spec(pay, f, &spec);
	if ((e = obol_devlink_write(l, CODEX_MSG_PAY, &spec)) != OBOL_OK ||
	    (e = obol_devlink_read(l, &type, &body, &blen)) != OBOL_OK)
		goto out;
	if (type == CODEX_MSG_ACK) {
		snprintf(answer, cap, "ack");
	} else if (type == CODEX_MSG_REFUSAL) {
		struct codex_msg_refusal ref;
		struct codex_refusal rf;
		codex_msg_refusal_spec(&ref, f, &spec);
		if ((e = obol_cbor_decode(body, blen, &spec)) != OBOL_OK ||
		    (e = codex_refusal_decode(ref.refusal, sizeof(ref.refusal), &rf)) != OBOL_OK)
			goto out;
		snprintf(answer, cap, "refused %s", obol_strerror((obol_err)rf.reason));
	} else {
		snprintf(answer, cap, "error %s", type == OBOL_DL_TYPE_ERROR ? obol_strerror(obol_devlink_error_decode(body, blen)) : "?");
	}
out:
	obol_devlink_close(l);
	free(req);
	free(pay);
	return e;
}

static int run(int argc, char **argv, bool reuse)
{
	struct craft k;
	struct obol_wallet_keysrc ks = { 0 };
	struct obol_wallet *w = NULL;
	struct codex *c = NULL;
	struct codex_msg_request *req = calloc(1, sizeof(*req));
	struct codex_msg_pay *pay = calloc(1, sizeof(*pay));
	struct codex_token t;
	struct obol_field f[2];
	struct obol_fields spec;
	char hex[2 * CODEX_TOKEN_ID_LEN + 1], answer[96] = "", amount[OBOL_AMOUNT_STR_MAX];
	int rc = parse(argc, argv, &k, reuse);
	obol_err e;
	if (rc != 0 || !req || !pay) {
		fprintf(stderr, "usage: %s --wallet W --amount CUR:X [--spent CUR:X] (--request F --out F | --vendor ADDR)\n",
			argv[0]);
		rc = 2;
		goto done;
	}
	if ((e = obol_crypto_init()) != OBOL_OK || (e = obol_wallet_open(k.wallet, &ks, &w)) != OBOL_OK ||
	    (e = codex_wallet_load(w, &c)) != OBOL_OK)
		goto fail;
	if (k.vendor) {
		if ((e = to_vendor(w, c, &k, &t, answer, sizeof(answer))) != OBOL_OK)
			goto fail;
	} else {
		codex_msg_request_spec(req, f, &spec);
		if ((e = codex_frame_read(k.request, CODEX_MSG_REQUEST, &spec)) != OBOL_OK ||
		    (e = make(c, req, &k, pay, &t)) != OBOL_OK)
			goto fail;
		codex_msg_pay_spec(pay, f, &spec);
		if ((e = codex_frame_write(k.out, CODEX_MSG_PAY, &spec)) != OBOL_OK)
			goto fail;
	}
	obol_hex_encode(t.id, CODEX_TOKEN_ID_LEN, hex);
	obol_amount_format(&t.amount, amount);
	printf("token-id: %s\namount: %s\nseq: %llu\n", hex, amount, (unsigned long long)t.seq);
	if (answer[0])
		printf("answer: %s\n", answer);
	rc = 0;
	goto done;
fail:
	fprintf(stderr, "%s: %s\n", argv[0], obol_strerror(e));
	rc = 1;
done:
	codex_free(c);
	obol_wallet_close(w);
	free(req);
	free(pay);
	return rc;
}

static int run_resign(int argc, char **argv)
{
	return run(argc, argv, true);
}

static int run_forge(int argc, char **argv)
{
	return run(argc, argv, false);
}

OBOL_ATTACK(codex_resign_id, "codex-resign-id", "--wallet W --amount CUR:X (--request F --out F | --vendor ADDR)",
	    "a codex payer signs a token under the id of its last logged payment", run_resign)
OBOL_ATTACK(codex_forge_amount, "codex-forge-amount",
	    "--wallet W --amount CUR:X [--spent CUR:X] (--request F --out F | --vendor ADDR)",
	    "a codex payer signs a token of any amount and running total", run_forge)
