/* The parties every scheme's demo sets up (a user with a funded wallet, a
 * certified vendor serving), and the payer's part of every scheme's demo:
 * the wallet's history. */
#ifndef OBOL_CLI_DEMO_PAYER_H
#define OBOL_CLI_DEMO_PAYER_H

#include "cli/demo.h"

/* A user: `wallet init` of DIR/NAME.wallet at the issuer, its account there
 * (`issuer account add` of the wallet's account key), funded with fund
 * unless it is NULL. */
struct obol_demo_user_req {
	const char *db, *issuer_url; /* the issuer's database and URL */
	const char *name;            /* the account's name */
	const char *fund;            /* "CUR:V.F", or NULL */
};
/* wallet gets the wallet's path. */
OBOL_MUST_CHECK obol_err obol_demo_user(struct obol_demo *d, const struct obol_demo_user_req *q, char *wallet,
					size_t cap);

/* A vendor: `vendor init` in DIR/NAME, the issuer's certificate for it
 * (`issuer vendor add --name NAME`, in DIR/NAME/vendor.cert), and `vendor
 * serve` selling at price on a free port of loopback, as the demo's process
 * proc_name (its log DIR/PROC_NAME.log; NULL: NAME). */
struct obol_demo_vendor_req {
	const char *db, *issuer_url; /* the issuer's database and URL */
	const char *name;
	const char *price;
	const char *proc_name;
	const char *signer; /* the issuer's signing process's socket, or NULL: keys in its database */
};
OBOL_MUST_CHECK obol_err obol_demo_vendor(struct obol_demo *d, const struct obol_demo_vendor_req *q,
					  struct obol_demo_proc **proc);

/* Runs `obol wallet history --wallet WALLET` (printed like every demo
 * command); RECEIPT_MISSING when it lists no paid payment, RECEIPT_INVALID
 * when a paid payment shows no verified receipt. */
OBOL_MUST_CHECK obol_err obol_demo_history(struct obol_demo *d, const char *wallet);

#endif
