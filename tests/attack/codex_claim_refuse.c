/* A codex payee that both takes a payment and signs a refusal of it (issue
 * 14 case 7), with its own Codex and key, read from its own wallet file:
 *
 *   codex-claim-and-refuse --wallet W --in PAY --ack ACK --refusal REF
 *
 * receives the payment in PAY as an honest payee would (the Codex is
 * credited and stored, the signed acknowledgement written to ACK), and also
 * writes a signed refusal of the same token to REF, to hand its payer
 * instead of the acknowledgement. Prints "token-id:" and "balance:". */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack.h"
#include "core/clock.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "schemes/codex/codex.h"
#include "wallet/codex_wallet.h"

static int run(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "wallet", required_argument, NULL, 'w' }, { "in", required_argument, NULL, 'i' },
		{ "ack", required_argument, NULL, 'a' },    { "refusal", required_argument, NULL, 'r' },
		{ 0, 0, 0, 0 },
	};
	const char *wallet = NULL, *in = NULL, *ackf = NULL, *reff = NULL;
	struct obol_wallet_keysrc ks = { 0 };
	struct obol_wallet *w = NULL;
	struct codex *c = NULL;
	struct codex_msg_pay *pay = calloc(1, sizeof(*pay));
	struct codex_msg_ack ack;
	struct codex_msg_refusal ref;
	struct codex_token t;
	struct obol_field f[1];
	struct obol_fields spec;
	char hex[2 * CODEX_TOKEN_ID_LEN + 1], bal[OBOL_AMOUNT_STR_MAX];
	int64_t now = obol_now();
	int ch;
	obol_err e;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'w': wallet = optarg; break;
		case 'i': in = optarg; break;
		case 'a': ackf = optarg; break;
		case 'r': reff = optarg; break;
		default: free(pay); return 2;
		}
	}
	if (!wallet || !in || !ackf || !reff || !pay) {
		fprintf(stderr, "usage: %s --wallet W --in PAY --ack ACK --refusal REF\n", argv[0]);
		free(pay);
		return 2;
	}
	codex_msg_pay_spec(pay, f, &spec);
	if ((e = obol_crypto_init()) != OBOL_OK || (e = obol_wallet_open(wallet, &ks, &w)) != OBOL_OK ||
	    (e = codex_wallet_load(w, &c)) != OBOL_OK || (e = codex_frame_read(in, CODEX_MSG_PAY, &spec)) != OBOL_OK)
		goto fail;
	/* the claim: taken and stored as an honest payee does */
	if ((e = codex_receive(c, pay, now, &ack, &t)) != OBOL_OK || (e = codex_wallet_store(w, c)) != OBOL_OK)
		goto fail;
	codex_msg_ack_spec(&ack, f, &spec);
	if ((e = codex_frame_write(ackf, CODEX_MSG_ACK, &spec)) != OBOL_OK)
		goto fail;
	/* ... and the refusal of the very same token, signed with its key */
	if ((e = codex_make_refusal(&t, c->cert.user_id, c->sign_sk, OBOL_E_CODEX_TOKEN_STALE, now, &ref)) != OBOL_OK)
		goto fail;
	codex_msg_refusal_spec(&ref, f, &spec);
	if ((e = codex_frame_write(reff, CODEX_MSG_REFUSAL, &spec)) != OBOL_OK)
		goto fail;
	obol_hex_encode(t.id, CODEX_TOKEN_ID_LEN, hex);
	obol_amount_format(&c->balance, bal);
	printf("token-id: %s\nbalance: %s\n", hex, bal);
	codex_free(c);
	obol_wallet_close(w);
	free(pay);
	return 0;
fail:
	fprintf(stderr, "%s: %s\n", argv[0], obol_strerror(e));
	codex_free(c);
	obol_wallet_close(w);
	free(pay);
	return 1;
}

OBOL_ATTACK(codex_claim_and_refuse, "codex-claim-and-refuse", "--wallet W --in PAY --ack ACK --refusal REF",
	    "a codex payee takes a payment and signs a refusal of it too", run)
