/* When a wallet renews its e-cash key by itself (ecash_wallet_renewal_due):
 * from a tenth of its certificate's life before the end, at most 30 days,
 * and after the end. */
#include "../test.h"
#include "wallet/ecash_wallet.h"

TEST(ecash_wallet_renew, due_a_tenth_before_the_end_at_most_30_days)
{
	struct ecash_cert year = { .issued = 0, .expiry = 365 * INT64_C(86400) };
	struct ecash_cert brief = { .issued = 1000, .expiry = 1020 };
	CHECK(!ecash_wallet_renewal_due(&year, 335 * INT64_C(86400) - 1));
	CHECK(ecash_wallet_renewal_due(&year, 335 * INT64_C(86400)));
	CHECK(ecash_wallet_renewal_due(&year, 400 * INT64_C(86400)));
	CHECK(!ecash_wallet_renewal_due(&brief, 1017));
	CHECK(ecash_wallet_renewal_due(&brief, 1018));
	CHECK(ecash_wallet_renewal_due(&brief, 5000));
}
