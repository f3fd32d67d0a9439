/* The payword scheme's state in the issuer daemon (loaded at start). */
#ifndef OBOL_ISSUER_PAYWORD_ISSUER_H
#define OBOL_ISSUER_PAYWORD_ISSUER_H

#include "issuer/issuer.h"
#include "issuer/payword_db.h"

struct payword_issuer_state {
	struct payword_settings settings;
	struct payword_pw_params pw; /* Argon2id limits for registration */
};

struct payword_issuer_state *payword_issuer_state(struct obol_issuer *iss);

#endif
