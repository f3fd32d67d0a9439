/* The wallet-wide default spending cap (`obol wallet limits set|show`), kept
 * in the sealed wallet file as
 *   "limits": {"max_price": "CUR:V.F"?, "max_amount": "CUR:V.F"?}
 * and applied to every payment for which the command line gives no cap
 * (src/wallet/payer.h). */
#ifndef OBOL_WALLET_LIMITS_H
#define OBOL_WALLET_LIMITS_H

#include "schemes/common/paycap.h"
#include "wallet/file.h"

/* The default cap (limits not set: has_* false). WALLET_FILE when the
 * section is malformed. */
OBOL_MUST_CHECK obol_err obol_wallet_limits(struct obol_wallet *w, struct obol_paycap *cap);
/* Replaces the default cap (a limit not set is removed); then obol_wallet_save. */
OBOL_MUST_CHECK obol_err obol_wallet_set_limits(struct obol_wallet *w, const struct obol_paycap *cap);

#endif
