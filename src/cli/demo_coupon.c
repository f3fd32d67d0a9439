/* obol demo --scheme coupon (seed 000/001 §4, DESIGN §5): an issuer and two
 * vendors as real processes on loopback; a wallet withdraws one coin, buys
 * metered service at vendor 1, spends the rest of the same coin at vendor 2;
 * both vendors settle; a coin of a short-lived denomination is refunded
 * once it can no longer be spent; the balances, then the audit. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli/demo.h"
#include "cli/demo_payer.h"
#include "core/clock.h"

/* The short-lived denomination: issued for 20 s, spendable for 30 s. */
#define SHORT_DENOM "EUR:0.5,500,20s,30s"
#define SHORT_SPEND_S 30

static obol_err coupon_demo(struct obol_demo *d)
{
	struct obol_demo_proc *issuer, *v1, *v2;
	char wallet[512], v1addr[64], v2addr[64], iurl[96];
	const char *db = obol_demo_db_url(d, "issuer");
	obol_err e;

	obol_demo_step(d, "the issuer: coins of EUR:1 in 1000 tokens of EUR:0.001, and a short-lived denomination "
			  "(EUR:0.5, spendable for 30 s) to show a refund");
	int64_t t0 = obol_now();
	if ((e = obol_demo_run(d, NULL, "issuer", "init", "--db", db, "--currency", "EUR", "--coupon-denom",
			       "EUR:1,1000", "--coupon-denom", SHORT_DENOM, "--coupon-lock-max", "600", OBOL_DEMO_INIT_ARGS(d), NULL)) != OBOL_OK)
		return e;
	if ((e = obol_demo_issuer(d, db, &issuer)) != OBOL_OK)
		return e;
	snprintf(iurl, sizeof iurl, "%s", obol_demo_proc_url(issuer));

	obol_demo_step(d, "alice's wallet and account, funded with EUR:5");
	if ((e = obol_demo_user(d, &(struct obol_demo_user_req){ db, iurl, "alice", "EUR:5" }, wallet,
				sizeof wallet)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "alice withdraws a coin of the short-lived denomination (EUR:0.5) and keeps it unspent");
	if ((e = obol_demo_run(d, NULL, "wallet", "withdraw", "--wallet", wallet, "--denom", "2", NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "two vendors, certified by the issuer, selling a unit of service for EUR:0.001");
	if ((e = obol_demo_vendor(d, &(struct obol_demo_vendor_req){ db, iurl, "vendor1", "EUR:0.001", NULL, obol_demo_signer_socket(d) }, &v1)) != OBOL_OK)
		goto out;
	snprintf(v1addr, sizeof v1addr, "%s", obol_demo_proc_addr(v1));
	if ((e = obol_demo_vendor(d, &(struct obol_demo_vendor_req){ db, iurl, "vendor2", "EUR:0.001", NULL, obol_demo_signer_socket(d) }, &v2)) != OBOL_OK)
		goto out;
	snprintf(v2addr, sizeof v2addr, "%s", obol_demo_proc_addr(v2));

	obol_demo_step(d, "alice withdraws one coin: the issuer debits EUR:1 and blind-signs H^1000(S) (RFC 9474)");
	if ((e = obol_demo_run(d, NULL, "wallet", "withdraw", "--wallet", wallet, NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "balance", "--wallet", wallet, NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "issuer", "account", "show", "--db", db, "--account", "alice", NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "at vendor 1: lock the coin until T, 400 units of metered service, a token per unit; settle");
	if ((e = obol_demo_run(d, NULL, "wallet", "pay", "--wallet", wallet, "--vendor", v1addr, "--units", "400",
			       NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "at vendor 2: the rest of the same coin, 600 units; settle; the coin is spent");
	if ((e = obol_demo_run(d, NULL, "wallet", "pay", "--wallet", wallet, "--vendor", v2addr, "--units", "600",
			       NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "coins", "--wallet", wallet, NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "the coin has no value left: one more unit is refused");
	if ((e = obol_demo_expect(d, OBOL_E_COUPON_NO_COIN, "wallet", "pay", "--wallet", wallet, "--vendor", v2addr,
				  "--units", "1", NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "the short-lived coin's denomination passes its spend-until; alice refunds its rest to her "
			  "account (the issuer now knows that coin was hers)");
	while (obol_now() <= t0 + SHORT_SPEND_S) {
		struct timespec ts = { 0, 250 * 1000000L };
		nanosleep(&ts, NULL);
	}
	if ((e = obol_demo_run(d, NULL, "wallet", "refund", "--wallet", wallet, NULL)) != OBOL_OK ||
	    (e = obol_demo_run(d, NULL, "wallet", "coins", "--wallet", wallet, NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "balances: alice has EUR:4 (EUR:1 spent; the EUR:0.5 coin came back whole); vendor 1 was "
			  "credited EUR:0.4, vendor 2 EUR:0.6");
	if ((e = obol_demo_run(d, NULL, "issuer", "account", "list", "--db", db, NULL)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "alice's history: the coin withdrawn, both payments with the vendors' verified receipts");
	if ((e = obol_demo_history(d, wallet)) != OBOL_OK)
		goto out;

	obol_demo_step(d, "the books balance: funding - payouts = balances + value outstanding in coins");
	e = obol_demo_audit(d, db);
out:
	return e;
}

OBOL_DEMO(coupon_demo_reg, "coupon", 10, coupon_demo)
