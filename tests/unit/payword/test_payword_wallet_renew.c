/* When a purchase first regenerates the payword certificate
 * (payword_wallet_renewal_due): from a tenth of its life before its end, at
 * most 30 days, and after the end. */
#include "../test.h"
#include "wallet/payword.h"

TEST(payword_wallet_renew, due_a_tenth_before_the_end_at_most_30_days)
{
	struct payword_vcert year = { .issued = 0, .not_after = 365 * INT64_C(86400) };
	struct payword_vcert brief = { .issued = 1000, .not_after = 1100 };
	CHECK(!payword_wallet_renewal_due(&year, 335 * INT64_C(86400) - 1));
	CHECK(payword_wallet_renewal_due(&year, 335 * INT64_C(86400)));
	CHECK(payword_wallet_renewal_due(&year, 500 * INT64_C(86400)));
	CHECK(!payword_wallet_renewal_due(&brief, 1089));
	CHECK(payword_wallet_renewal_due(&brief, 1090));
}
