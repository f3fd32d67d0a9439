#include "vg.h"
void vg_coupon(struct vg *g) { (void)g; }
