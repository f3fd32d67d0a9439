#include "vg.h"
void vg_ecash(struct vg *g) { (void)g; }
