/*
 * codex.pml: the codex scheme's offline payment, reconciliation and close,
 * with a payer that rolls its Codex back and reuses token ids, a payee that
 * claims and refuses, for SPIN.
 *
 * Protocol modelled: seed 004 §III (make and receive payment, update
 * Codex), §V.A (the payee's checks), §VI.B (ActivityMonitor: fraud found at
 * reconciliation, guarantee of payment from the safe deposit), as
 * docs/protocol.md "Scheme codex" (The payment token and the exchange, The
 * bank) describes them, with the fixes issue 14 asks for:
 *   - the bank knows a token by its whole signed bytes; two different
 *     tokens under one id signed by one payer are a proven fork: the honest
 *     payee is credited and the payer charged (#1);
 *   - close holds the safe deposit until every token the closed Codex could
 *     still issue has expired and the payees have had the bank's window
 *     (the hold's grace) to hand in what they took; tokens handed in then
 *     are charged to it, later ones are refused (CODEX_TOKEN_LATE) (#2);
 *   - the bank-signed Codex carries a per-token and a per-epoch offline
 *     limit that every payee checks, with the payer's place in its log
 *     after the last one that payee took; the deposit is the per-epoch
 *     limit (#3);
 *   - a payee's signed refusal and its claim of the same token are a proven
 *     conflict: the claim loses and the payee is the one found, whichever
 *     reaches the bank first (#7).
 *
 * Each fix can be undone by a macro (docs/threats.md, "Defects found"):
 *   DEFECT_TOKEN_BY_ID         the bank records a token by its id alone (#1)
 *   DEFECT_CLOSE_FREES_DEPOSIT close returns the value and the deposit at
 *                              once (#2)
 *   DEFECT_NO_OFFLINE_LIMITS   the payee checks only amount > 0 (#3)
 *   DEFECT_CLAIM_AND_REFUSE    the first to reach the bank wins: a claim
 *                              before the refusal stands (#7)
 *   DEFECT_LATE_TOKEN_PAID     a token handed in after the hold ended is
 *                              paid from outside (found by this model)
 *
 * Abstractions: one payer P with a Codex of balance BAL and deposit DEP,
 * per-token limit TL and per-epoch limit EL (the most the running total a
 * token carries may say); at most one rolled-back copy of P's Codex, made
 * before its first payment, paying twice (its tokens restart the sequence;
 * it states whatever running total a payee takes: the total is the payer's
 * word, so only each payee's last place bounds it); three payees B, C, D,
 * of which D may hand in after the bank's window; a token is (id, payee,
 * amount, seq, running total), signed by P, and a signed ACK or REFUSAL is
 * recorded as a fact; the expiry of the Codex's tokens (date and freshness
 * window) is one event, the end of the window another; each bank call (a
 * sync, a close, a claim) is one atomic step. The sync retry (#4) and the
 * blacklist's growth (#5) are left to the simulator and the unit tests.
 *
 * Properties:
 *   P1 books (LTL): P's account + its Codex value at the bank + the held
 *                   deposit + the payees' credits = what P put in + what
 *                   the bank put in from outside;
 *   P5:             what the bank puts in from outside stays within the
 *                   bound of docs/threats.md: EL for every payee credited
 *                   a token of the Codex (a (payee, epoch) pair), less the
 *                   deposit and the value the bank kept; the deposit pays
 *                   before the outside. With one copy and two payees that
 *                   is nothing; the copy reaching a third payee costs EL.
 *   P3 payee:       an honest payee that hands in within the bank's window
 *                   is credited at least what it accepted;
 *   P3 payer:       an honest payer's value falls only by what it paid to
 *                   payees that took the payment (not those that refused);
 *   P4:             P is blacklisted only on two conflicting tokens it
 *                   signed (never an honest P); a payee is named only for a
 *                   refusal and a claim of one token (never an honest one).
 */

#define B   1
#define C   2
#define D   3
#define BAL 1      /* the Codex's balance */
#define DEP 1      /* the safe deposit, equal to the per-epoch limit */
#define TL  1      /* per-token offline limit */
#define EL  1      /* per-epoch offline limit (the most a token's running total may say) */
#define NT  3      /* tokens at most: the Codex's one, the copy's two */

/* the bank's books */
byte pacct;              /* P's account outside the Codex */
byte balP = BAL;         /* P's Codex value as the bank computes it */
byte dep = DEP;          /* the safe deposit, held */
byte cred[4];            /* payees' credits */
byte loss;               /* put in by the bank from outside (codex-loss) */
byte vkept = BAL;        /* V: the value the bank kept for the Codex (after a close, what its log spent) */
bit  closed;
bit  expired;            /* every token the Codex could issue has expired */
bit  released;           /* the hold ended: what was left of the deposit went back */
bit  bl;                 /* P blacklisted */
bit  named[4];           /* a payee found claiming a token it refused */

/* tokens: signed by P (the original Codex, or the rolled-back copy) */
byte tid[NT], tpay[NT], tamt[NT], tseq[NT], tspent[NT];
bit  tcopy[NT];
byte nt;
bit  held[NT];           /* the payee accepted it (signed ACK) */
bit  refused[NT];        /* the payee signed a refusal (P holds it) */
bit  rec[NT];            /* the bank recorded the token (credited) */
bit  recref[NT];         /* the bank recorded it as refused */
bit  claimed[NT];        /* the payee handed it in */
bit  logged[NT];         /* in P's log as synced */

/* the parties */
bit  pcheat;             /* P rolls back and reuses ids */
bit  bcheat;             /* B claims and refuses */
bit  dslow;              /* D hands in after the hold (the bank's grace) has ended */
bit  pconflict;          /* ghost: P signed two conflicting tokens */
byte cum[2];             /* per device (0 original, 1 copy): amount in this epoch */
byte seqd[2];
byte lseq[4], lspent[4]; /* each payee's last place of P's log: sequence, running total */
bit  cp[4];              /* the bank credited the payee a token of P: a (payee, epoch) pair */
byte acc[4];             /* what each payee accepted */
byte otok = 255;         /* the original Codex's payment */
byte agreed;             /* what P paid to payees that took it */

/* The payee's offline checks (docs/protocol.md, "The payee's checks"): the
 * limits the bank signed, and the payer's place in its log after the last
 * one this payee took, its running total grown by the amount at least. The
 * running total is the payer's word: a copy states what it likes, so only
 * each payee's own place bounds it (at most EL per payee and epoch). */
#ifdef DEFECT_NO_OFFLINE_LIMITS
#define WITHIN(a, s, q, y) ((a) > 0)
#else
#define WITHIN(a, s, q, y) ((a) > 0 && (a) <= TL && (a) <= (s) && (s) <= EL && (q) > lseq[y] && (s) >= lspent[y] + (a))
#endif

/* the payees that hand in within the bank's window have handed in all they hold */
#define PROMPT_DONE (!(held[0] && !claimed[0] && !(dslow && tpay[0] == D)) && \
		     !(held[1] && !claimed[1] && !(dslow && tpay[1] == D)) && \
		     !(held[2] && !claimed[2] && !(dslow && tpay[2] == D)))

#define CAN_CLAIM(y, i) (held[i] && !claimed[i] && tpay[i] == (y))

ltl books { [] (pacct + balP + dep + cred[B] + cred[C] + cred[D] == BAL + DEP + loss) }

/* P's Codex value at the bank pays first, then the held deposit, then the
 * bank from outside: never more than the bound of docs/threats.md (P5),
 * EL for every payee that took a token of the Codex, less the deposit and
 * the value the bank kept. */
inline charge(a)
{
	k = a;
	if :: balP >= k -> balP = balP - k; k = 0 :: else -> k = k - balP; balP = 0 fi;
	if :: dep >= k -> dep = dep - k; k = 0 :: else -> k = k - dep; dep = 0 fi;
	loss = loss + k;
	assert(loss == 0 || loss + DEP + vkept <= EL * (cp[B] + cp[C] + cp[D]))
}

/* The bank records token i (from P's log or a payee's claim). */
inline record(i)
{
	if
	:: rec[i] || recref[i] -> skip
	:: else ->
		x = 0; ok = 1;
		do
		:: x < nt && x != i && rec[x] && tid[x] == tid[i] ->
#ifdef DEFECT_TOKEN_BY_ID
			ok = 0; break           /* "seen": nothing more is credited */
#else
			bl = 1; assert(pconflict); x++  /* a fork under one id */
#endif
		:: x < nt && x != i && rec[x] && tseq[x] == tseq[i] ->
			bl = 1; assert(pconflict); x++  /* two tokens at one place */
		:: x < nt && !(x != i && rec[x] && (tid[x] == tid[i] || tseq[x] == tseq[i])) -> x++
		:: x == nt -> break
		od;
		if
		:: ok -> rec[i] = 1; cp[tpay[i]] = 1; cred[tpay[i]] = cred[tpay[i]] + tamt[i]; charge(tamt[i])
		:: else
		fi
	fi
}

/* P pays payee y from device d (0 the Codex, 1 its rolled-back copy): the
 * Codex states its running total, the copy the least the payee takes. */
inline pay(y, d, a, id)
{
	tid[nt] = id; tpay[nt] = y; tamt[nt] = a; tcopy[nt] = d;
	seqd[d]++; tseq[nt] = seqd[d];
	if :: d == 0 -> tspent[nt] = cum[0] + a :: else -> tspent[nt] = lspent[y] + a fi;
	if
	:: WITHIN(a, tspent[nt], tseq[nt], y) && !expired ->
		cum[d] = cum[d] + a; lseq[y] = tseq[nt]; lspent[y] = tspent[nt];
		if
		:: y == B && bcheat -> refused[nt] = 1; held[nt] = 1  /* refuses, keeps */
		:: y != B || !bcheat ->                                /* ACK */
			held[nt] = 1; acc[y] = acc[y] + a;
			if :: !pcheat -> agreed = agreed + a :: else fi
		:: y != B || !bcheat -> refused[nt] = 1               /* a signed refusal */
		fi
	:: else -> refused[nt] = 1                                /* refused, signed */
	fi;
	nt++
}

active proctype Payer()
{
	byte k, x, i, id;
	bit ok;

	if :: pcheat = 1 :: pcheat = 0 fi;
	if :: bcheat = 1 :: bcheat = 0 fi;
	if :: dslow = 1 :: dslow = 0 fi;
	do
	:: atomic { nt < NT && seqd[0] == 0 && !closed -> otok = nt; pay(B, 0, 1, nt + 1) }
	/* the rolled-back copy pays: a fresh id, or the id of a logged token */
	:: atomic { pcheat && nt < NT && seqd[1] < NT - 1 ->
		if :: id = nt + 1 :: otok != 255 -> id = tid[otok] fi;
		if :: k = 1 :: k = 2 fi;
		if :: i = B :: i = C :: i = D fi;
		pconflict = 1;
		pay(i, 1, k, id) }
	/* update Codex: P's log goes to the bank (a blacklisted user's sync is refused) */
	:: atomic { !closed && !bl && otok != 255 && !logged[otok] ->
		i = otok; logged[i] = 1;
		if
		:: refused[i] && !rec[i] -> recref[i] = 1      /* refused: nothing moves */
		:: refused[i] && rec[i] ->
#ifndef DEFECT_CLAIM_AND_REFUSE
			/* the payee claimed first: its refusal beats its claim */
			rec[i] = 0; recref[i] = 1;
			cred[tpay[i]] = cred[tpay[i]] - tamt[i]; balP = balP + tamt[i];
			named[tpay[i]] = 1; assert(bcheat && tpay[i] == B)
#else
			skip
#endif
		:: !refused[i] -> record(i)
		fi }
	/* delete account: the value back now */
	:: atomic { !closed && !bl && (otok == 255 || logged[otok]) ->
		closed = 1; pacct = pacct + balP; vkept = vkept - balP; balP = 0;
#ifdef DEFECT_CLOSE_FREES_DEPOSIT
		pacct = pacct + dep; dep = 0   /* and payees are paid from outside */
#endif
	   }
	:: atomic { !expired -> expired = 1 }
	:: else -> break
	od
}

/* The bank pays back what is left of a closed or blacklisted Codex (its
 * value, the held deposit) once every token the Codex could issue has
 * expired and the window in which payees hand in what they took (the
 * hold's grace) has passed: the payees that keep it have handed in. */
active proctype Bank()
{
end:	atomic { (closed || bl) && expired && !released && PROMPT_DONE ->
		pacct = pacct + balP + dep; balP = 0; dep = 0; released = 1 }
}

/* The payees hand in what they hold. */
proctype Payee(byte y)
{
	byte i, k, x;
	bit ok;
end:
	do
	:: atomic { CAN_CLAIM(y, 0) || CAN_CLAIM(y, 1) || CAN_CLAIM(y, 2) ->
		if
		:: CAN_CLAIM(y, 0) -> i = 0
		:: CAN_CLAIM(y, 1) -> i = 1
		:: CAN_CLAIM(y, 2) -> i = 2
		fi;
		claimed[i] = 1;
		if
		:: recref[i] ->
#ifndef DEFECT_CLAIM_AND_REFUSE
			named[y] = 1; assert(bcheat && y == B)  /* its own refusal */
#else
			skip
#endif
#ifndef DEFECT_LATE_TOKEN_PAID
		:: !recref[i] && released && !rec[i] -> skip  /* CODEX_TOKEN_LATE: nothing moves */
		:: !recref[i] && (!released || rec[i]) -> record(i)
#else
		:: else -> record(i)
#endif
		fi }
	od
}

/* Once everything has happened: P3 for the honest payees and the payer. */
active proctype Final()
{
	timeout ->
	assert(bcheat || cred[B] >= acc[B]);
	assert(cred[C] >= acc[C]);
	assert(dslow || cred[D] >= acc[D]);
	assert(pcheat || !bl);
	assert(pcheat || !closed || !expired || pacct == BAL + DEP - agreed)
}

init
{
	run Payee(B);
	run Payee(C);
	run Payee(D)
}
