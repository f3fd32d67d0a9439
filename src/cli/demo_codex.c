/* obol demo --scheme codex: seed 004's Alice and Bob, and Carol. Each opens
 * a Codex with EUR 10 and a safe deposit of EUR 10 (what the Codex may pay
 * offline between two syncs); Alice and Bob pay each other offline (frames
 * in files, no issuer involved) until Alice's Codex is empty and refuses to
 * go below; Alice goes to the bank, which learns Bob's balance from her log;
 * Alice pays a vendor daemon; then she keeps a copy of her Codex, pays Bob,
 * puts the copy back and pays Bob again: Bob refuses offline (a copied Codex
 * cannot pay one payee twice from one epoch); the copy pays Carol instead,
 * and Carol's reconciliation finds the fork: Alice is blacklisted, her safe
 * deposit pays; Carol then refuses her offline with a signed refusal, which
 * she keeps; the bank's consistency check and the audit hold. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/demo.h"
#include "cli/demo_payer.h"

struct cx {
	struct obol_demo *d;
	const char *db;
	char alice[512], bob[512], carol[512];
};

static obol_err copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	obol_err e = OBOL_OK;
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (in < 0 || out < 0)
		e = OBOL_E_IO;
	while (e == OBOL_OK && (n = read(in, buf, sizeof(buf))) != 0)
		if (n < 0 || write(out, buf, (size_t)n) != n)
			e = OBOL_E_IO;
	if (out >= 0 && (fsync(out) != 0 || close(out) != 0))
		e = OBOL_E_IO;
	if (in >= 0)
		close(in);
	return e;
}

/* An offline payment between two wallets: request, payment, ack in files. */
static obol_err pay(struct cx *c, const char *from, const char *to, const char *amount)
{
	struct obol_demo *d = c->d;
	char req[512], payf[512], ack[512];
	obol_err e;
	snprintf(req, sizeof req, "%s", obol_demo_path(d, "request.cbor"));
	snprintf(payf, sizeof payf, "%s", obol_demo_path(d, "payment.cbor"));
	snprintf(ack, sizeof ack, "%s", obol_demo_path(d, "ack.cbor"));
	if ((e = obol_demo_run(d, NULL, "wallet", "codex", "request", "--wallet", to, "--out", req, NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "codex", "pay", "--wallet", from, "--request", req, "--amount", amount,
			       "--out", payf, NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "codex", "receive", "--wallet", to, "--in", payf, "--out", ack, NULL)) !=
		    OBOL_OK)
		return e;
	return obol_demo_run(d, NULL, "wallet", "codex", "ack", "--wallet", from, "--in", ack, NULL);
}

/* Requires "balance: want" in `wallet codex show`. */
static obol_err expect_balance(struct cx *c, const char *wallet, const char *want)
{
	char *out = NULL, got[64];
	obol_err e = obol_demo_run(c->d, &out, "wallet", "codex", "show", "--wallet", wallet, NULL);
	if (e == OBOL_OK && (e = obol_demo_field(out, "balance", got, sizeof got)) == OBOL_OK && strcmp(got, want) != 0) {
		printf("   !! balance %s, expected %s\n", got, want);
		e = OBOL_E_INTERNAL;
	}
	free(out);
	return e;
}

static obol_err user(struct cx *c, struct obol_demo_proc *issuer, const char *name, char *wallet, size_t cap)
{
	struct obol_demo *d = c->d;
	char *out = NULL, key[128], file[64];
	obol_err e;
	snprintf(file, sizeof file, "%s.wallet", name);
	snprintf(wallet, cap, "%s", obol_demo_path(d, file));
	if ((e = obol_demo_run(d, &out, "wallet", "init", "--wallet", wallet, "--issuer", obol_demo_proc_url(issuer),
			       "--account", name, NULL)) == OBOL_OK &&
	    (e = obol_demo_field(out, "account-key", key, sizeof key)) == OBOL_OK &&
	    (e = obol_demo_run(d, NULL, "issuer", "account", "add", "--db", c->db, "--kind", "user", "--name", name,
			       "--auth-key", key, NULL)) == OBOL_OK &&
	    (e = obol_demo_run(d, NULL, "issuer", "fund", "--db", c->db, "--account", name, "--amount", "EUR:30", NULL)) ==
		    OBOL_OK)
		e = obol_demo_run(d, NULL, "wallet", "codex", "open", "--wallet", wallet, "--amount", "EUR:10", "--deposit",
				  "EUR:10", NULL);
	free(out);
	return e;
}

static obol_err vendor(struct cx *c, struct obol_demo_proc *issuer, struct obol_demo_proc **vp)
{
	struct obol_demo *d = c->d;
	char *out = NULL, vkey[128], bkey[128], shop[512];
	obol_err e;
	snprintf(shop, sizeof shop, "%s", obol_demo_path(d, "shop"));
	if ((e = obol_demo_run(d, &out, "vendor", "init", "--dir", shop, "--issuer", obol_demo_proc_url(issuer), NULL)) !=
		    OBOL_OK ||
	    (e = obol_demo_field(out, "vendor-key", vkey, sizeof vkey)) != OBOL_OK ||
	    (e = obol_demo_field(out, "box-key", bkey, sizeof bkey)) != OBOL_OK)
		goto out;
	if ((e = obol_demo_run(d, NULL, "issuer", "vendor", "add", "--db", c->db, "--name", "shop", "--vendor-key", vkey,
			       "--box-key", bkey, "--out", obol_demo_path(d, "shop/vendor.cert"), "--signer",
			       obol_demo_signer_socket(d), NULL)) != OBOL_OK)
		goto out;
	e = obol_demo_start(d, "vendor", vp, "vendor", "serve", "--dir", shop, "--issuer", obol_demo_proc_url(issuer),
			    "--listen", "127.0.0.1:0", "--price", "EUR:0.5", NULL);
out:
	free(out);
	return e;
}

/* The vendor's outbox deposits in the background: wait for the money. */
static obol_err wait_vendor_paid(struct cx *c, const char *want)
{
	char *out = NULL, got[64];
	obol_err e = OBOL_E_INTERNAL;
	for (int i = 0; i < 40; i++) {
		free(out);
		out = NULL;
		if ((e = obol_demo_run(c->d, &out, "issuer", "account", "show", "--db", c->db, "--account", "shop", NULL)) !=
		    OBOL_OK)
			break;
		if (obol_demo_field(out, "balance", got, sizeof got) == OBOL_OK && strcmp(got, want) == 0)
			break;
		e = OBOL_E_INTERNAL;
		usleep(250000);
	}
	free(out);
	return e;
}

static obol_err codex_demo(struct obol_demo *d)
{
	struct cx c = { .d = d };
	struct obol_demo_proc *issuer, *shop;
	char backup[512], *out = NULL;
	obol_err e;

	c.db = strdup(obol_demo_db_url(d, "bank"));
	if (!c.db)
		return OBOL_E_NO_MEMORY;
	obol_demo_step(d, "the bank (issuer) and its daemon");
	if ((e = obol_demo_run(d, NULL, "issuer", "init", "--db", c.db, "--currency", "EUR", OBOL_DEMO_INIT_ARGS(d), NULL)) != OBOL_OK ||
	    (e = obol_demo_issuer(d, c.db, &issuer)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "Alice, Bob and Carol become members: the bank creates each a Codex of EUR 10 and a safe deposit "
			  "of EUR 10, which is also what the Codex may pay offline between two syncs");
	if ((e = user(&c, issuer, "alice", c.alice, sizeof c.alice)) != OBOL_OK ||
	    (e = user(&c, issuer, "bob", c.bob, sizeof c.bob)) != OBOL_OK ||
	    (e = user(&c, issuer, "carol", c.carol, sizeof c.carol)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "offline: Alice pays Bob EUR 6 and EUR 4 (payee-specific tokens, signed, sealed to Bob)");
	if ((e = pay(&c, c.alice, c.bob, "EUR:6")) != OBOL_OK || (e = pay(&c, c.alice, c.bob, "EUR:4")) != OBOL_OK ||
	    (e = expect_balance(&c, c.alice, "EUR:0")) != OBOL_OK)
		goto out;
	obol_demo_step(d, "Alice's Codex is empty: the token generator refuses (amount <= balance)");
	if ((e = obol_demo_run(d, NULL, "wallet", "codex", "request", "--wallet", c.bob, "--out",
			       obol_demo_path(d, "request.cbor"), NULL)) != OBOL_OK ||
	    (e = obol_demo_expect(d, OBOL_E_CODEX_INSUFFICIENT, "wallet", "codex", "pay", "--wallet", c.alice, "--request",
				  obol_demo_path(d, "request.cbor"), "--amount", "EUR:1", "--out",
				  obol_demo_path(d, "payment.cbor"), NULL)) != OBOL_OK)
		goto out;
	obol_demo_step(d, "offline the other way: Bob pays Alice EUR 3; the same payment shown twice is a replay");
	if ((e = pay(&c, c.bob, c.alice, "EUR:3")) != OBOL_OK ||
	    (e = obol_demo_expect(d, OBOL_E_CODEX_TOKEN_SEEN, "wallet", "codex", "receive", "--wallet", c.alice, "--in",
				  obol_demo_path(d, "payment.cbor"), "--out", obol_demo_path(d, "ack2.cbor"), NULL)) != OBOL_OK ||
	    (e = expect_balance(&c, c.bob, "EUR:17")) != OBOL_OK)
		goto out;

	obol_demo_step(d, "Alice goes to the bank and loads EUR 5: it copies her log and so knows Bob holds EUR 17");
	if ((e = obol_demo_run(d, NULL, "wallet", "codex", "sync", "--wallet", c.alice, "--load", "EUR:5", NULL)) != OBOL_OK ||
	    (e = expect_balance(&c, c.alice, "EUR:8")) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "issuer", "codex", "check", "--db", c.db, NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "a vendor daemon is a payee too: Alice pays its price over the device link");
	if ((e = vendor(&c, issuer, &shop)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "codex", "pay", "--wallet", c.alice, "--vendor",
			       obol_demo_proc_addr(shop), NULL)) != OBOL_OK ||
	    (e = wait_vendor_paid(&c, "EUR:0.5")) != OBOL_OK)
		goto out;

	obol_demo_step(d, "fraud: Alice keeps a copy of her Codex, pays Bob EUR 7.5, puts the copy back and pays him again");
	snprintf(backup, sizeof backup, "%s", obol_demo_path(d, "alice.wallet.copy"));
	printf("   (copy %s aside)\n", c.alice);
	if ((e = copy_file(c.alice, backup)) != OBOL_OK || (e = pay(&c, c.alice, c.bob, "EUR:7.5")) != OBOL_OK)
		goto out;
	printf("   (put the copy back: a rolled-back Codex)\n");
	if ((e = copy_file(backup, c.alice)) != OBOL_OK || (e = expect_balance(&c, c.alice, "EUR:7.5")) != OBOL_OK)
		goto out;
	obol_demo_step(d, "Bob refuses offline: Alice already paid him at that place of her log (a signed refusal)");
	if ((e = obol_demo_run(d, NULL, "wallet", "codex", "request", "--wallet", c.bob, "--out",
			       obol_demo_path(d, "request.cbor"), NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "codex", "pay", "--wallet", c.alice, "--request",
			       obol_demo_path(d, "request.cbor"), "--amount", "EUR:7.5", "--out",
			       obol_demo_path(d, "payment.cbor"), NULL)) != OBOL_OK ||
	    (e = obol_demo_expect(d, OBOL_E_CODEX_PLACE_REUSED, "wallet", "codex", "receive", "--wallet", c.bob, "--in",
				  obol_demo_path(d, "payment.cbor"), "--out", obol_demo_path(d, "refusal.cbor"), NULL)) != OBOL_OK ||
	    (e = expect_balance(&c, c.bob, "EUR:24.5")) != OBOL_OK)
		goto out;
	obol_demo_step(d, "the copy put back again pays Carol EUR 7, who cannot know: accepted offline");
	if ((e = copy_file(backup, c.alice)) != OBOL_OK || (e = pay(&c, c.alice, c.carol, "EUR:7")) != OBOL_OK)
		goto out;

	obol_demo_step(d, "Bob and Carol reconcile: two tokens at one place of Alice's hash-chained log -> blacklist, "
			  "her safe deposit pays Carol in full");
	if ((e = obol_demo_run(d, NULL, "wallet", "codex", "sync", "--wallet", c.bob, NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "codex", "sync", "--wallet", c.carol, NULL)) != OBOL_OK ||
	    (e = expect_balance(&c, c.bob, "EUR:24.5")) != OBOL_OK ||
	    (e = expect_balance(&c, c.carol, "EUR:17")) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "issuer", "codex", "check", "--db", c.db, NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "Carol's Codex holds the new blacklist: she refuses Alice offline with a signed refusal, which "
			  "Alice keeps in her log (a refused token goes back to its payer at reconciliation, never to "
			  "the payee); the bank renews nothing for her");
	if ((e = obol_demo_run(d, NULL, "wallet", "codex", "request", "--wallet", c.carol, "--out",
			       obol_demo_path(d, "request.cbor"), NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "codex", "pay", "--wallet", c.alice, "--request",
			       obol_demo_path(d, "request.cbor"), "--amount", "EUR:0.5", "--out",
			       obol_demo_path(d, "payment.cbor"), NULL)) != OBOL_OK ||
	    (e = obol_demo_expect(d, OBOL_E_CODEX_PAYER_BLACKLISTED, "wallet", "codex", "receive", "--wallet", c.carol,
				  "--in", obol_demo_path(d, "payment.cbor"), "--out", obol_demo_path(d, "refusal.cbor"),
				  NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "codex", "ack", "--wallet", c.alice, "--in",
			       obol_demo_path(d, "refusal.cbor"), NULL)) != OBOL_OK ||
	    (e = obol_demo_expect(d, OBOL_E_CODEX_BLACKLISTED, "wallet", "codex", "sync", "--wallet", c.alice, NULL)) !=
		    OBOL_OK)
		goto out;

	obol_demo_step(d, "alice's history: the Codex opened and loaded, payments to Bob pending in files, "
			  "the vendor's with its verified receipt");
	if ((e = obol_demo_history(d, c.alice)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "the books balance");
	e = obol_demo_audit(d, c.db);
out:
	free(out);
	free((void *)c.db);
	return e;
}

OBOL_DEMO(codex_demo_reg, "codex", 40, codex_demo)
