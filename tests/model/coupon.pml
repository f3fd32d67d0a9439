/*
 * coupon.pml: the coupon scheme's message protocol, with a cheating vendor
 * and an intruder, for SPIN.
 *
 * Protocol modelled: seed 000/001 §4.1 (coin generation) and §4.2 (payment:
 * lock, tokens, settle), as docs/protocol.md "Scheme coupon" (Withdraw,
 * Payment steps 1-6) describes it, with the fixes issue 11 asks for:
 *   - the wallet counts what it hands over and never passes the tokens it
 *     agreed to, whatever the vendor says it served (issue 11 #1);
 *   - a refusal that changes the wallet's coin state must be signed by the
 *     issuer over (coin, last index, H(C)); an unsigned one changes nothing
 *     (#2);
 *   - a retried withdrawal gets its stored answer whatever has changed since,
 *     and the wallet keeps the pending request until a definite answer (#3);
 *   - a settle names the lock it ends (a lock id) and ends no other (#4).
 *
 * Each fix can be undone by a macro, to show that the model catches the
 * defect (docs/threats.md, "Defects found"):
 *   DEFECT_TRUST_SERVED      the wallet answers token requests until the
 *                            vendor's SERVED count reaches the units (#1)
 *   DEFECT_UNSIGNED_REFUSAL  the wallet believes unsigned REFUSED frames (#2)
 *   DEFECT_WITHDRAW_RECHECK  the issuer checks the withdraw window before
 *                            the idempotency lookup (#3)
 *   DEFECT_SETTLE_UNBOUND    a settle is bound to H(C), not to its lock (#4)
 *
 * Abstractions: one coin of N tokens and one vendor certificate; hashes and
 * signatures are symbolic (a token is its index; the issuer's signature on
 * a refusal is the fact that the issuer issued that refusal, recorded in
 * sigref[]); the sealed authorisation is readable by the issuer alone, so
 * the vendor learns the lock token only from the issuer's LOCKED answer;
 * the time T of a lock is one flag (lexp); amounts are counted in tokens.
 * The device link is not lossy in this model (a lost frame there only ends
 * the session); the issuer's links are.
 *
 * Properties (assertions; the books as an LTL invariant):
 *   P1 books:      the wallet's account, the coupon liability and the
 *                  vendor's credit always sum to what the wallet had, and
 *                  the liability is exactly the tokens not yet credited;
 *   P1 once:       a token is credited at most once (f_cred only falls);
 *   P2 consent:    tokens handed over in a session <= the tokens agreed;
 *   P3 wallet:     a lost withdraw answer costs the wallet nothing, and the
 *                  wallet never writes off a token it has not handed over;
 *   P3 vendor:     an honest vendor is credited every token it accepted,
 *                  after lost messages, lapsed locks and relocks;
 *   lock binding:  a settle ends only the lock it was made for.
 */

#define N        3   /* tokens per coin; index N is the coin id */
#define AGREED   2   /* tokens the wallet agrees to per session, lock token included */
#define SESSIONS 2   /* payment sessions the wallet starts */
#define NOLOCK   255
#ifndef BUDGET
#define BUDGET   2   /* the intruder's drops and injections */
#endif

mtype = { WREQ, WANS, WREF,                      /* wallet <-> issuer */
          PAY, TOKEN, END,                       /* wallet -> vendor */
          LOCKED, REFUSED, TREQ, RECEIPT,        /* vendor -> wallet */
          LOCK, SETTLE,                          /* vendor -> issuer */
          SETTLED, SREF,                         /* issuer -> vendor's outbox */
          SPENT, MISMATCH, BUSY };               /* refusal codes */

chan w2f = [1] of { mtype, byte };
chan f2w = [1] of { mtype, byte };
chan w2v = [2] of { mtype, byte, byte };     /* PAY p session | TOKEN j | END */
chan v2w = [4] of { mtype, byte, byte, bit };    /* type, a, b, signed by F */
chan v2f = [2] of { mtype, byte, byte };
chan f2v = [1] of { mtype, byte, byte, bit };
chan f2o = [1] of { mtype, byte, byte };

/* the issuer's books, in tokens */
byte acct = N;       /* the wallet's account */
byte liab;           /* @liability:coupon */
byte credit;         /* the vendor's payout account */

/* the issuer's coin row (docs/protocol.md "State") */
bit  wclosed;        /* now > withdraw_until */
bit  wdone;          /* the withdrawal (request id 1) is recorded */
byte f_last = N;     /* last index F knows */
byte f_cred = N;     /* credited index: tokens f_last..f_cred-1 are not credited yet */
bit  lockv;          /* locked by the vendor */
bit  lexp;           /* the lock's T has passed */
byte lockid;         /* the lock instance */
byte lockp, locks;   /* the lock's box: index p and session (its T): a retry is the same box */
byte nextid = 1;
byte ans[4] = NOLOCK;       /* ans[lock id]: the index of the settle answered for that lock */
bit  sigref[N+1];    /* refusals F signed, by their last_index */

/* the wallet */
bit  have;           /* holds the coin */
byte w_last;         /* the coin's index in the wallet file */
byte w_rev = N;      /* lowest index the wallet ever handed over (PAY box or TOKEN) */

/* the vendor */
bit  vcheat;         /* the vendor asks for more than it offered */
byte v_min = N;      /* lowest index the vendor holds (it holds every token above) */
bit  v_timer;        /* the vendor's lock request or its answer was lost */
bit  pend[4];        /* the outbox: a settle per lock id not yet answered */
byte pj[4];
bit  otm[4];         /* the outbox's retry timer per lock id */

/* the intruder and the world */
byte budget = BUDGET;    /* drops and injections */
byte ticks = 1;      /* lock deadlines that may pass */
bit  w_timer;        /* the wallet's withdraw request or its answer was lost */
bit  wphase = 1;     /* the wallet is withdrawing (the window may close meanwhile) */

#ifdef DEFECT_UNSIGNED_REFUSAL
#define TRUSTED(sg, L) (1)
#else
#define TRUSTED(sg, L) ((sg) && sigref[L])
#endif

#ifdef DEFECT_SETTLE_UNBOUND
#define SETTLE_FOR_LOCK(lid) (1)
#else
#define SETTLE_FOR_LOCK(lid) ((lid) == lockid)
#endif

ltl books { [] (acct + liab + credit == N && (!wdone || liab == f_cred)) }

active proctype Issuer()
{
	byte p, lid, j, x;
end:
	do
	:: w2f?WREQ(x) ->
		atomic {
#ifdef DEFECT_WITHDRAW_RECHECK
			if
			:: wclosed -> f2w!WREF(0)
			:: else ->
#endif
			if
			:: wdone -> f2w!WANS(0)                  /* the stored answer */
			:: !wdone && wclosed -> f2w!WREF(0)      /* never debited: definite */
			:: !wdone && !wclosed ->
				acct = acct - N; liab = liab + N; wdone = 1;
				f2w!WANS(0)
			fi
#ifdef DEFECT_WITHDRAW_RECHECK
			fi
#endif
		}
	:: v2f?LOCK(p, x) ->
		atomic {
			if
			:: lockv && !lexp && lockp == p && locks == x ->
				f2v!LOCKED(lockid, p, 1)          /* the same box again: a retry */
			:: else ->
				if
				:: f_last == 0 ->
					sigref[0] = 1; f2v!REFUSED(SPENT, 0, 1)
				:: f_last != 0 && p + 1 != f_last ->
					sigref[f_last] = 1; f2v!REFUSED(MISMATCH, f_last, 1)
				:: f_last != 0 && p + 1 == f_last && lockv && !lexp ->
					f2v!REFUSED(BUSY, f_last, 0)
				:: f_last != 0 && p + 1 == f_last && (!lockv || lexp) ->
					/* a lapsed lock's holder is credited what F knows */
					credit = credit + f_cred - f_last;
					liab = liab - (f_cred - f_last);
					f_cred = f_last;
					f_last = p; lockv = 1; lexp = 0; lockp = p; locks = x;
					lockid = nextid; nextid++;
					f2v!LOCKED(lockid, p, 1)
				fi
			fi
		}
	:: v2f?SETTLE(lid, j) ->
		atomic {
			if
			:: ans[lid] == j -> f2o!SETTLED(lid, j)  /* answered: the same, nothing credited */
			:: ans[lid] != j && lockv && SETTLE_FOR_LOCK(lid) && j <= f_last ->
				assert(lid == lockid);            /* a settle ends only its own lock */
				assert(j <= f_cred);              /* each token credited once */
				credit = credit + f_cred - j;
				liab = liab - (f_cred - j);
				f_cred = j; f_last = j; lockv = 0; ans[lid] = j;
				f2o!SETTLED(lid, j)
			:: else -> f2o!SREF(lid, j)
			fi
		}
	od
}

/* The wallet's reaction to a refusal: only a trusted one moves the coin. */
inline take_refusal(code, L, sg)
{
	if
	:: TRUSTED(sg, L) && code == SPENT -> w_last = 0
	:: TRUSTED(sg, L) && code == MISMATCH -> w_last = L
	:: else -> skip
	fi;
	/* P3: the wallet writes off no token it did not hand over */
	assert(w_last >= w_rev)
}

active proctype Wallet()
{
	byte s, p, j, L, lid, x, paid, tries;
	mtype code;
	bit sg;

	/* withdraw (seed §4.1; docs/protocol.md "Withdraw") */
	w2f!WREQ(1);
	do
	:: f2w?WANS(x) -> have = 1; w_last = N; break
	:: f2w?WREF(x) -> break               /* definite: the pending request is dropped */
	:: w_timer -> w_timer = 0; w2f!WREQ(1) /* the same request id again */
	od;
	/* P3: a lost answer costs nothing */
	assert(acct + (have -> N : 0) == N);
	wphase = 0;

	/* payment sessions (seed §4.2; docs/protocol.md "Payment") */
	do
	:: have && w_last > 0 && s < SESSIONS ->
		s++; paid = 0; tries = 0;
		p = w_last - 1;
		if :: p < w_rev -> w_rev = p :: else fi;
		w2v!PAY(p, s);
		do
		:: v2w?LOCKED(lid, x, sg) ->
			if
			:: x == p ->                       /* the answer to this PAY */
				if :: p < w_last -> w_last = p :: else fi;
				paid = 1;
				break
			:: else -> skip                    /* an old session's */
			fi
		:: v2w?REFUSED(code, L, sg) ->
			take_refusal(code, L, sg);
			if
			:: TRUSTED(sg, L) && code == MISMATCH && tries == 0 && w_last > 0 ->
				tries++;                       /* resync and pay again */
				p = w_last - 1;
				if :: p < w_rev -> w_rev = p :: else fi;
				w2v!PAY(p, s)
			:: else -> w2v!END(0, 0); goto next
			fi
		:: v2w?TREQ(x, L, sg) -> skip          /* stale */
		:: v2w?RECEIPT(x, L, sg) -> skip
		od;
		do
		:: v2w?TREQ(x, L, sg) ->
#ifdef DEFECT_TRUST_SERVED
			if
			:: w_last > 0 ->
#else
			if
			:: w_last > 0 && paid < AGREED ->
#endif
				j = w_last - 1; w_last = j;
				if :: j < w_rev -> w_rev = j :: else fi;
				paid++;
				/* P2: never more than agreed */
				assert(paid <= AGREED);
				w2v!TOKEN(j, 0)
			:: else -> w2v!END(0, 0); break
			fi
		:: v2w?RECEIPT(x, L, sg) -> break
		:: v2w?REFUSED(code, L, sg) -> take_refusal(code, L, sg); w2v!END(0, 0); break
		:: v2w?LOCKED(lid, x, sg) -> skip      /* replayed */
		od;
next:		skip
	:: else -> break
	od
}

active proctype Vendor()
{
	byte p, s, lid, j, L, x, got;
	mtype code;
	bit sg;

	if :: vcheat = 1 :: vcheat = 0 fi;
end:
	do
	:: w2v?PAY(p, s) ->
		v2f!LOCK(p, s);
		do
		:: f2v?LOCKED(lid, x, sg) -> break
		:: f2v?REFUSED(code, L, sg) -> v2w!REFUSED(code, L, sg); goto end
		:: v_timer -> v_timer = 0; v2f!LOCK(p, s)
		od;
		if :: p < v_min -> v_min = p :: else fi;    /* the lock token is V's */
		v2w!LOCKED(lid, p, 1);
		got = 1; j = p;
		do
		:: vcheat || got < AGREED ->
			v2w!TREQ(1, 0, 0);
			if
			:: w2v?TOKEN(j, x) ->
				/* stored durably before serving (step 5) */
				got++;
				if :: j < v_min -> v_min = j :: else fi
			:: w2v?END(x, L) -> break
			fi
		:: !vcheat && got >= AGREED -> v2w!RECEIPT(0, 0, 0); break
		od;
		/* step 6: the settle goes to the outbox in the same unit */
		atomic { pend[lid] = 1; pj[lid] = j; v2f!SETTLE(lid, j) }
	:: w2v?TOKEN(j, x) -> skip                    /* stale */
	:: w2v?END(x, L) -> skip
	od
}

/* The vendor's outbox: resends a settle until it has a final answer. */
active proctype Outbox()
{
	byte lid, j;
end:
	do
	:: f2o?SETTLED(lid, j) -> pend[lid] = 0
	:: f2o?SREF(lid, j) -> pend[lid] = 0
	:: atomic { otm[1] && pend[1] -> otm[1] = 0; v2f!SETTLE(1, pj[1]) }
	:: atomic { otm[2] && pend[2] -> otm[2] = 0; v2f!SETTLE(2, pj[2]) }
	:: atomic { otm[3] && pend[3] -> otm[3] = 0; v2f!SETTLE(3, pj[3]) }
	od
}

/* The intruder on the device link and the world on the issuer's links. */
active proctype Intruder()
{
	mtype m;
	byte a, b;
	bit sg;
end:
	do
	/* forge an unsigned refusal (any code, any index) */
	:: atomic { budget > 0 -> budget--; v2w!REFUSED(SPENT, 0, 0) }
	:: atomic { budget > 0 -> budget--; v2w!REFUSED(MISMATCH, 0, 0) }
	/* replay a signed refusal the link has carried */
	:: atomic { budget > 0 && sigref[0] -> budget--; v2w!REFUSED(SPENT, 0, 1) }
	:: atomic { budget > 0 && sigref[1] -> budget--; v2w!REFUSED(MISMATCH, 1, 1) }
	:: atomic { budget > 0 && sigref[2] -> budget--; v2w!REFUSED(MISMATCH, 2, 1) }
	:: atomic { budget > 0 && sigref[3] -> budget--; v2w!REFUSED(MISMATCH, 3, 1) }
	/* lose a message on the issuer's links; the sender's timer fires */
	:: atomic { budget > 0 && nempty(w2f) -> budget--; w2f?m, a; w_timer = 1 }
	:: atomic { budget > 0 && nempty(f2w) -> budget--; f2w?m, a; w_timer = 1 }
	:: atomic { budget > 0 && nempty(v2f) -> budget--; v2f?m, a, b;
	            if :: m == LOCK -> v_timer = 1 :: else -> otm[a] = 1 fi }
	:: atomic { budget > 0 && nempty(f2v) -> budget--; f2v?m, a, b, sg; v_timer = 1 }
	:: atomic { budget > 0 && nempty(f2o) -> budget--; f2o?m, a, b; otm[a] = 1 }
	/* time passes: a lock's T, the withdraw window */
	:: atomic { ticks > 0 && lockv && !lexp -> ticks--; lexp = 1 }
	:: atomic { wphase && !wclosed -> wclosed = 1 }
	od
}

/* P3 for the vendor: once everything is delivered, an honest vendor has
 * been credited every token it holds. Checked in the final state. */
active proctype VendorPaid()
{
	timeout ->
	assert(vcheat || (!pend[1] && !pend[2] && !pend[3] && credit == N - v_min))
}
