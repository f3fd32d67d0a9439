/* The coupon world's cheating parties (coupon.h). */
#include "coupon.h"

void cw_cheat_greedy_vendor(struct sim *sim) { (void)sim; }
void cw_cheat_fake_refusal(struct sim *sim) { (void)sim; }
void cw_cheat_probe(struct sim *sim) { (void)sim; }
void cw_cheat_hold_link(struct sim *sim) { (void)sim; }
void cw_cheat_rollback(struct sim *sim) { (void)sim; }
void cw_cheat_eavesdrop(struct sim *sim) { (void)sim; }
void cw_cheat_withholding_vendor(struct sim *sim) { (void)sim; }
void cw_cheat_denom_swap(struct sim *sim) { (void)sim; }
