#include "vg.h"
void vg_payword(struct vg *g) { (void)g; }
