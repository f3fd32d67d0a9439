/* The payer's guard on every payment (issue 15 items 3 and 4; P2 Consent):
 * the cap in force, the question on a terminal, the history entry, and the
 * vendor's signed receipt, the same for the four schemes.
 *
 * An open wallet has one guard (obol_wallet_payer); obol_wallet_connect_vendor
 * and the ecash wallet's connect attach it to every link to a vendor
 * (obol_devlink_set_payer), and each scheme's wallet session calls, on the
 * link:
 *   obol_pay_offer    when the vendor states its price (and the units);
 *   obol_pay_hand     before any value leaves the wallet (a token, coins, a
 *                     payword range, a codex token): the sum handed over in
 *                     this payment never passes the cap, whatever the vendor
 *                     announced or asks for later;
 *   obol_pay_sent     with the body of the payment message as it is sent
 *                     (it names the payment: receipt.h);
 *   obol_pay_receipt  after the scheme's last answer to an accepted payment:
 *                     reads and checks the vendor's signed receipt;
 *   obol_pay_refused  when the vendor refused and took nothing.
 * Each is a no-op returning OK on a link without a guard.
 *
 * The cap in force: --max-price and --max-amount when the command line gives
 * either (obol_payer_set_opts), else the wallet's default (limits.h); no cap
 * at all when neither is set. When a pay command runs on a terminal (stdin)
 * without --yes, obol_pay_offer shows the vendor's certified name, the price and the
 * total and asks; anything but "y" or "yes" is PAY_DECLINED. */
#ifndef OBOL_WALLET_PAYER_H
#define OBOL_WALLET_PAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/amount.h"
#include "net/devlink.h"
#include "schemes/common/paycap.h"
#include "wallet/file.h"
#include "wire/fields.h"

/* What the command line said for the command being run. */
struct obol_payer_opts {
	struct obol_paycap cap; /* --max-price, --max-amount (has_* false: not given) */
	bool yes;               /* --yes: do not ask */
};
/* Sets the options for the guards made from now on (NULL: none). The CLI
 * sets them around one pay command; a program running commands in process
 * gets them cleared after each. */
void obol_payer_set_opts(const struct obol_payer_opts *o);

struct obol_payer;
/* A guard for the open wallet w (borrowed; outlives it). NULL on no memory. */
struct obol_payer *obol_payer_new(struct obol_wallet *w);
void obol_payer_free(struct obol_payer *p);

/* The cap in force for a payment on the link (none set: has_* false), for a
 * scheme core that takes limits of its own. */
OBOL_MUST_CHECK obol_err obol_pay_cap(struct obol_devlink *dl, struct obol_paycap *cap);
/* The same where no link is open (p NULL: none). */
OBOL_MUST_CHECK obol_err obol_payer_cap(struct obol_payer *p, struct obol_paycap *cap);
OBOL_MUST_CHECK obol_err obol_pay_offer(struct obol_devlink *dl, const char *scheme, const struct obol_amount *price,
					uint64_t units);
OBOL_MUST_CHECK obol_err obol_pay_hand(struct obol_devlink *dl, const struct obol_amount *more);
/* The same two where no link is open at that moment: payword prepares its
 * range between the link that told the price and the one that pays, and a
 * codex payment may travel in a file (dl NULL: no vendor certificate; the
 * payment stays "pending" in the history). */
OBOL_MUST_CHECK obol_err obol_payer_offer(struct obol_payer *p, const struct obol_devlink *dl, const char *scheme,
					  const struct obol_amount *price, uint64_t units);
OBOL_MUST_CHECK obol_err obol_payer_hand(struct obol_payer *p, const struct obol_amount *more);
OBOL_MUST_CHECK obol_err obol_pay_sent(struct obol_devlink *dl, const struct obol_fields *body);
/* units: what the wallet was served. The payment is "paid" in the history
 * either way, for the sum handed over (obol_pay_hand); the receipt is kept
 * when it verifies under the link's vendor certificate and names this
 * scheme, this payment's id, that sum and these units; else the entry
 * names RECEIPT_MISSING, RECEIPT_INVALID or RECEIPT_MISMATCH and a line
 * "receipt: NAME: ..." goes to stderr, but OK is returned: the value has
 * left and the payment stands (a caller must not take it for unpaid). A payee that is a wallet, not a certified vendor (ecash
 * receive), signs no receipt: OK, and the entry says so. The wallet is saved. */
OBOL_MUST_CHECK obol_err obol_pay_receipt(struct obol_devlink *dl, uint64_t units);
void obol_pay_refused(struct obol_devlink *dl, obol_err why);
/* The payment ended with why before its end: refused when nothing was
 * handed over yet (the wallet found no coin, the vendor broke off first),
 * else it stays pending (in doubt: the scheme's own recovery settles it),
 * with why noted. No-op when no payment is under way. */
void obol_pay_failed(struct obol_devlink *dl, obol_err why);
void obol_payer_failed(struct obol_payer *p, obol_err why);

#endif
