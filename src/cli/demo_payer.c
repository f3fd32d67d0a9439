/* obol demo --scheme payer (issue 15 items 3 and 4): the payer's limits and
 * the vendor's signed receipts on coupon payments. An issuer and a vendor as
 * real processes; alice's wallet keeps a default cap; a payment within it
 * goes through with a receipt the wallet verifies and keeps; one past the
 * cap and one above a price given on the command line are refused before
 * anything is paid; the history lists them all; the audit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/demo_payer.h"

obol_err obol_demo_user(struct obol_demo *d, const struct obol_demo_user_req *q, char *wallet, size_t cap)
{
	char *out = NULL, key[128], file[64];
	snprintf(file, sizeof file, "%s.wallet", q->name);
	snprintf(wallet, cap, "%s", obol_demo_path(d, file));
	obol_err e = obol_demo_run(d, &out, "wallet", "init", "--wallet", wallet, "--issuer", q->issuer_url,
				   "--account", q->name, NULL);
	if (e == OBOL_OK)
		e = obol_demo_field(out, "account-key", key, sizeof key);
	if (e == OBOL_OK)
		e = obol_demo_run(d, NULL, "issuer", "account", "add", "--db", q->db, "--kind", "user", "--name",
				  q->name, "--auth-key", key, NULL);
	if (e == OBOL_OK && q->fund != NULL)
		e = obol_demo_run(d, NULL, "issuer", "fund", "--db", q->db, "--account", q->name, "--amount", q->fund,
				  NULL);
	free(out);
	return e;
}

obol_err obol_demo_vendor(struct obol_demo *d, const struct obol_demo_vendor_req *q, struct obol_demo_proc **proc)
{
	char vkey[128], bkey[128], dir[512], cert[600];
	char *out = NULL;
	obol_err e;
	snprintf(dir, sizeof dir, "%s", obol_demo_path(d, q->name));
	snprintf(cert, sizeof cert, "%s/vendor.cert", dir);
	if ((e = obol_demo_run(d, &out, "vendor", "init", "--dir", dir, "--issuer", q->issuer_url, NULL)) != OBOL_OK ||
	    (e = obol_demo_field(out, "vendor-key", vkey, sizeof vkey)) != OBOL_OK ||
	    (e = obol_demo_field(out, "box-key", bkey, sizeof bkey)) != OBOL_OK)
		goto out;
	if ((e = q->signer != NULL
			 ? obol_demo_run(d, NULL, "issuer", "vendor", "add", "--db", q->db, "--name", q->name,
					 "--vendor-key", vkey, "--box-key", bkey, "--out", cert, "--signer", q->signer, NULL)
			 : obol_demo_run(d, NULL, "issuer", "vendor", "add", "--db", q->db, "--name", q->name,
					 "--vendor-key", vkey, "--box-key", bkey, "--out", cert, NULL)) != OBOL_OK)
		goto out;
	e = obol_demo_start(d, q->proc_name != NULL ? q->proc_name : q->name, proc, "vendor", "serve", "--dir", dir,
			    "--issuer", q->issuer_url, "--listen", "127.0.0.1:0", "--price", q->price, NULL);
out:
	free(out);
	return e;
}

obol_err obol_demo_history(struct obol_demo *d, const char *wallet)
{
	char *out = NULL;
	unsigned paid = 0;
	obol_err e = obol_demo_run(d, &out, "wallet", "history", "--wallet", wallet, NULL);
	for (char *line = out, *next; e == OBOL_OK && line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strstr(line, " payment ") == NULL || strstr(line, " paid ") == NULL)
			continue;
		if (strstr(line, "; receipt: verified") != NULL)
			paid++;
		else if (strstr(line, "; no receipt (") == NULL) /* a wallet as payee signs none */
			e = OBOL_E_RECEIPT_INVALID;
	}
	if (e == OBOL_OK && paid == 0)
		e = OBOL_E_RECEIPT_MISSING;
	free(out);
	return e;
}

static obol_err payer_demo(struct obol_demo *d)
{
	struct obol_demo_proc *issuer, *shop;
	char wallet[512], addr[64], iurl[96];
	const char *db = obol_demo_db_url(d, "issuer");
	obol_err e;

	obol_demo_step(d, "an issuer (coupon coins of EUR:1 in 1000 tokens), alice's wallet funded with EUR:5");
	if ((e = obol_demo_run(d, NULL, "issuer", "init", "--db", db, "--currency", "EUR", "--coupon-denom",
			       "EUR:1,1000", "--coupon-lock-max", "600", OBOL_DEMO_INIT_ARGS(d), NULL)) != OBOL_OK ||
	    (e = obol_demo_issuer(d, db, &issuer)) != OBOL_OK)
		return e;
	snprintf(iurl, sizeof iurl, "%s", obol_demo_proc_url(issuer));
	if ((e = obol_demo_user(d, &(struct obol_demo_user_req){ db, iurl, "alice", "EUR:5" }, wallet,
				sizeof wallet)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "a vendor, cornershop, certified by the issuer, at EUR:0.001 a unit");
	if ((e = obol_demo_vendor(d, &(struct obol_demo_vendor_req){ db, iurl, "cornershop", "EUR:0.001", NULL, obol_demo_signer_socket(d) },
				  &shop)) != OBOL_OK)
		goto out;
	snprintf(addr, sizeof addr, "%s", obol_demo_proc_addr(shop));

	obol_demo_step(d, "alice withdraws a coin and sets her wallet's default cap: EUR:0.002 a unit, EUR:0.5 a payment");
	if ((e = obol_demo_run(d, NULL, "wallet", "withdraw", "--wallet", wallet, NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "limits", "set", "--wallet", wallet, "--max-price", "EUR:0.002",
			       "--max-amount", "EUR:0.5", NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "limits", "show", "--wallet", wallet, NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "within the cap: 300 units for EUR:0.3; the vendor signs a receipt, the wallet checks it");
	if ((e = obol_demo_run(d, NULL, "wallet", "pay", "--wallet", wallet, "--vendor", addr, "--units", "300",
			       NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "600 units would be EUR:0.6, past the default cap: refused before anything is paid");
	if ((e = obol_demo_expect(d, OBOL_E_PAY_AMOUNT_OVER_CAP, "wallet", "pay", "--wallet", wallet, "--vendor",
				  addr, "--units", "600", NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "--max-price EUR:0.0005 on the command line: the vendor's EUR:0.001 is refused");
	if ((e = obol_demo_expect(d, OBOL_E_PAY_PRICE_OVER_CAP, "wallet", "pay", "--wallet", wallet, "--vendor", addr,
				  "--units", "10", "--max-price", "EUR:0.0005", NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "--max-amount EUR:0.2 for 200 units: paid, with its receipt");
	if ((e = obol_demo_run(d, NULL, "wallet", "pay", "--wallet", wallet, "--vendor", addr, "--units", "200",
			       "--max-amount", "EUR:0.2", NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "the wallet's history: the top-up, two paid payments with verified receipts, two refusals");
	if ((e = obol_demo_history(d, wallet)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "the books balance");
	e = obol_demo_audit(d, db);
out:
	return e;
}

OBOL_DEMO(payer_demo_reg, "payer", 60, payer_demo)
