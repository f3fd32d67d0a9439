/*
 * ecash.pml: the ecash scheme's top-up, payment, deposit and release, with a
 * cheating payer, a cheating merchant and an eavesdropper, for SPIN.
 *
 * Protocol modelled: seed 002 §3.3.1 (obtaining e-cash), §3.3.2 (spending
 * at a merchant), §3.3.3 and §3.5.1 (deposit and the double-spending
 * registry), §6.4 (withdrawal), as docs/protocol.md "Scheme ecash"
 * (Protocol: top-up, payment, deposit) describes them, with the fixes
 * issue 12 asks for:
 *   - only the coin's owner can make its first claim: the coin carries the
 *     public half of a per-coin key and the first claim is signed by it, so
 *     a copy of (m, sigma0) off the link earns nothing (#1);
 *   - the revocation list says when a key was revoked; a claim made before
 *     that (by its signed time) stays good (#2);
 *   - the wallet keeps its top-up request and resends it after a lost
 *     answer; the bank answers a retry with the stored answer (#3);
 *   - coins that left the wallet come back only on the merchant's signed
 *     refusal or through an exchange at the bank that retires them
 *     (`wallet ecash release`); a later deposit of a retired coin is
 *     refused (#4).
 *
 * Each fix can be undone by a macro (docs/threats.md, "Defects found"):
 *   DEFECT_NO_OWNER_KEY       the bank accepts a first claim signed by any
 *                             registered key (#1)
 *   DEFECT_REVOCATION_BACK    deposit checks signers against today's
 *                             revocation list (#2)
 *   DEFECT_TOPUP_NOT_KEPT     the wallet keeps nothing to resend after a
 *                             lost top-up answer (#3)
 *   DEFECT_REUSE_ON_ERROR     the wallet makes coins spendable again on an
 *                             unsigned ERROR from the merchant (#4)
 *   DEFECT_RELEASE_AT_ONCE    `wallet ecash release` retires the coin before
 *                             the merchant holding it had its chance to
 *                             deposit (found by this model; the bank's
 *                             ECASH_EXCHANGE_TOO_EARLY within the deposit
 *                             window in the code)
 *
 * Abstractions: one coin of value 1, issued to the customer C; two
 * merchants (M may cheat, M2 is honest) and an eavesdropper E with a
 * registered key of its own; signatures are symbolic: a claim records who
 * signed it, and whether the coin's owner key signed it (own), which only C
 * can do; a claim's signed time is abstracted to whether it was made before
 * its signer's revocation (merchants check the time against their clock
 * and their list, so a payer cannot backdate a claim to an honest
 * merchant); a bank call is one atomic step (its reply may be lost, and
 * the caller resends). Rings are not modelled (the ring hides the signer
 * among registered keys; the fork analysis then names the account the
 * coin was issued to, as here).
 *
 * Properties:
 *   P1 books (LTL): C's account + the ecash liability + every credit is 1,
 *                   and the liability is 1 exactly while the coin (or its
 *                   exchange) is outstanding; so a coin is credited once;
 *   owner claim:    a first claim the bank accepts was made by the owner;
 *   P4:             the bank names C only if C signed two claims of the
 *                   coin (a conflict), never an honest C, and never
 *                   anyone else;
 *   P3 payer:       a lost top-up answer costs C nothing;
 *   P3 merchant:    an honest merchant that accepted a payment from an
 *                   honest C is credited, even if C's key is revoked later
 *                   and an eavesdropper saw the coin.
 */

#define C  1
#define M  2
#define M2 3
#define E  4
#ifndef BUDGET
#define BUDGET 2   /* lost answers and forged link frames */
#endif

typedef Claim {
	byte payee;
	byte by;       /* the registered key that signed it */
	bit  own;      /* signed by the coin's owner key (only C holds it) */
	bit  prerev;   /* its signed time is before its signer's revocation */
};

/* the bank's books */
byte acctC = 1;
byte liab;
byte cred[5];
bit  topped;       /* top-up nonce 1 answered (stored answer) */
bit  deposited;    /* the spent registry's entry */
byte depositor;
Claim dep;
bit  retired;      /* exchanged by `wallet ecash release` */
bit  revoked[5];
bit  named[5];     /* the fork analysis' culprit */

/* the customer */
bit  ccheat;       /* C double spends on purpose */
bit  have;         /* C holds the coin, spendable */
bit  fresh;        /* C holds the exchanged coin */
byte c_claims;     /* claims C signed for the coin (2 = a conflict) */

/* the merchants and the eavesdropper */
bit  mcheat;       /* M keeps the coin and answers an unsigned ERROR */
bit  mhas[5];
bit  receipt[5];   /* an honest merchant accepted in good faith */
bit  mdone[5];
Claim mclaim[5];
bit  e_seen;       /* E has copied the coin off the link */
byte budget = BUDGET;

#ifdef DEFECT_NO_OWNER_KEY
#define OWNER_OK(cl) (1)
#else
#define OWNER_OK(cl) (cl.own)
#endif
#ifdef DEFECT_REVOCATION_BACK
#define SIGNER_OK(cl) (!revoked[cl.by])
#else
#define SIGNER_OK(cl) (!revoked[cl.by] || cl.prerev)
#endif

/* The exchange retires the coin; it waits out the merchants' deposit
 * window (an honest merchant deposits within it), else a merchant whose
 * RECEIPT was replaced on the link by a forged ERROR loses the payment. */
#ifdef DEFECT_RELEASE_AT_ONCE
#define RELEASE_OK (1)
#else
#define RELEASE_OK (!mhas[M] || mdone[M])
#endif

ltl books { [] (acctC + liab + cred[M] + cred[M2] + cred[E] == 1 &&
                ((topped && !deposited && liab == 1) || (!(topped && !deposited) && liab == 0))) }

/* POST /ecash/deposit, one coin (§3.3.3, §3.5.1). */
inline deposit(d, cl)
{
	if
	:: retired || cl.payee != d || !OWNER_OK(cl) || !SIGNER_OK(cl) -> skip
	:: else ->
		if
		:: !deposited ->
			/* only the owner makes a first claim the bank accepts */
			assert(cl.own);
			deposited = 1; depositor = d; dep.payee = cl.payee;
			dep.by = cl.by; dep.own = cl.own; dep.prerev = cl.prerev;
			liab--; cred[d]++
		:: deposited && depositor == d -> skip        /* ALREADY_DEPOSITED */
		:: deposited && depositor != d ->
			/* DOUBLE_SPENT: the fork of the two chains */
			if
			:: dep.by == cl.by -> named[cl.by] = 1    /* two-claims */
			:: else -> named[C] = 1                   /* issued-twice-spent */
			fi;
			/* P4: blame rests on two claims the named party signed */
			assert(!named[C] || c_claims >= 2);
			assert(ccheat || !named[C]);
			assert(!named[M] && !named[M2] && !named[E])
		fi
	fi
}

/* C pays merchant t: PAY carries the coin and a claim naming t. */
inline pay(t)
{
	atomic {
		have = 0; c_claims++; e_seen = 1;
		mclaim[t].payee = t; mclaim[t].by = C; mclaim[t].own = 1;
		mclaim[t].prerev = !revoked[C];
		if
		:: revoked[C] -> have = 1; c_claims--      /* the merchant's list: refused, signed */
		:: !revoked[C] && t == M && (mcheat || budget > 0) ->
			/* M keeps the coin; C sees an unsigned ERROR (M's, or forged on the link) */
			if :: !mcheat -> budget--; receipt[t] = 1 :: else fi;
			mhas[t] = 1;
#ifdef DEFECT_REUSE_ON_ERROR
			have = 1
#else
			pending = 1
#endif
		:: !revoked[C] -> mhas[t] = 1; receipt[t] = 1  /* RECEIPT */
		:: !revoked[C] -> have = 1; c_claims--      /* the merchant's signed refusal voids the claim */
		fi
	}
}

active proctype Customer()
{
	bit lost, pending;

	if :: ccheat = 1 :: ccheat = 0 fi;
	/* top-up, nonce 1 (§3.3.1, §6.2) */
	atomic {
		if :: !topped -> acctC--; liab++; topped = 1 :: else fi;
		if :: budget > 0 -> budget--; lost = 1 :: have = 1 fi
	}
#ifndef DEFECT_TOPUP_NOT_KEPT
	if
	:: lost -> atomic { if :: !topped -> acctC--; liab++; topped = 1 :: else fi; have = 1 }
	:: else
	fi;
#endif
	/* P3: a lost answer costs nothing */
	assert(acctC + have == 1);

	if :: have -> pay(M) :: else fi;
	do
	:: have && !mhas[M2] -> pay(M2)                  /* the coin is C's again: spend it */
	:: ccheat && !have && c_claims == 1 && !mhas[M2] ->
		/* a double spend from a copy of the wallet file */
		atomic { c_claims++; e_seen = 1; mclaim[M2].payee = M2; mclaim[M2].by = C;
		         mclaim[M2].own = 1; mclaim[M2].prerev = !revoked[C];
		         if :: !revoked[C] -> mhas[M2] = 1; receipt[M2] = 1 :: else fi }
	:: pending && RELEASE_OK ->
		/* `wallet ecash release`: exchange at the bank */
		atomic {
			pending = 0;
			if :: !deposited && !retired -> retired = 1; fresh = 1 :: else fi
		}
	:: else -> break
	od
}

proctype Merchant(byte me)
{
end:	do
	:: atomic { mhas[me] && !mdone[me] -> mdone[me] = 1; deposit(me, mclaim[me]) }
	od
}

/* The eavesdropper: deposits a coin it saw under a first claim of its own
 * (it holds a registered key, not the coin's), or replays the claim. */
active proctype Eavesdropper()
{
	Claim cl;
end:	do
	:: atomic { e_seen && cl.payee == 0 ->
		cl.payee = E; cl.by = E; cl.own = 0; cl.prerev = 1; deposit(E, cl) }
	:: atomic { e_seen && cl.payee == 0 && mhas[M] ->
		cl.payee = M; cl.by = C; cl.own = 1; cl.prerev = mclaim[M].prerev; deposit(E, cl) }
	od
}

/* The world: the operator revokes C's key (for anything), at any time. */
active proctype World()
{
	atomic { !revoked[C] -> revoked[C] = 1 }
}

/* P3 for the merchants, once everything has happened. */
active proctype Final()
{
	timeout ->
	assert(ccheat || ((!receipt[M] || mcheat || cred[M] == 1) && (!receipt[M2] || cred[M2] == 1)))
}

init
{
	if :: mcheat = 1 :: mcheat = 0 fi;
	run Merchant(M);
	run Merchant(M2)
}
