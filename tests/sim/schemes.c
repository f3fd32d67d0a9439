/* The schemes the simulator has a world for: one line per scheme (its
 * world lives in tests/sim/<scheme>*.c; see README.md). */
#include "sim.h"

extern const struct sim_scheme sim_coupon;
extern const struct sim_scheme sim_ecash;
extern const struct sim_scheme sim_payword;
extern const struct sim_scheme sim_codex;

const struct sim_scheme *const sim_schemes[] = {
	&sim_coupon,
	&sim_ecash,
	&sim_payword,
	&sim_codex,
	NULL,
};
