/*
 * payword.pml: the payword scheme's purchases and reports, with a cheating
 * user, a cheating vendor and a world that delays and reorders reports, for
 * SPIN.
 *
 * Protocol modelled: seed 003 §3.1 (frauds), §3.5 steps 1-8 (purchase) and
 * "transaction informing and verification" (reports), as docs/protocol.md
 * "Scheme payword" (Purchase, Reports, Fraud protection) describes them,
 * with the fixes of issue 13 (#1, #2, #4), as src/schemes/payword/agent.c
 * has them:
 *   - at each purchase the user signs the range of orders it pays (vendor,
 *     from, to); the vendor reports exactly that range with the signature;
 *   - the agent pays a vendor only for a range the user signed to that
 *     vendor; a claim of a range the user never signed is the vendor's
 *     fabrication (the vendor signed the report); two signed ranges at two
 *     vendors that share an order prove a user double spend, and both
 *     vendors, who accepted in good faith, are paid; another claim of the
 *     same vendor sharing an order is a replay, paid nothing; the order in
 *     which reports arrive decides nothing;
 *   - a report is self-contained (its own start and end).
 *
 * Each fix can be undone by a macro (docs/threats.md, "Defects found"):
 *   DEFECT_TIMING_BLAME    the protocol before signed ranges: the user
 *                          commits to a visit at a vendor and spends in it;
 *                          reports carry only the visit's start; a visit
 *                          runs to the next known visit's start, and a
 *                          claim reaching past it is judged by the order of
 *                          arrival: the vendor's fabrication if the other
 *                          visit arrived first and the vendor has a later
 *                          visit, else (and when a late visit cuts an
 *                          earlier claim) a user double spend (#1, #2)
 *   DEFECT_REPORT_CHAINED  the agent derives a report's start from the
 *                          nearest claim below it and refuses for good a
 *                          report that does not start there, as one that
 *                          arrives before the report it follows (#4)
 *
 * Abstractions: one certificate of K tokens (orders 1..K), bought before
 * the model starts (the payword liability holds K); two vendors; one order
 * per purchase; hashes and signatures symbolic: holding the token of order
 * o gives every order below it (the vendor's fabrication), and a signed
 * range is an entry of the table of ranges the user signed; one report per
 * purchase, delivered by the world in any order. A visit (consecutive
 * purchases at one vendor) matters to the cheaters' moves, and to the old
 * protocol of DEFECT_TIMING_BLAME, whose commitment times are abstracted to
 * the visits' starts. Regeneration (issue 13 #3) is left to the simulator
 * (tests/sim/, strategy lost-batch).
 *
 * Properties:
 *   P1 books (LTL): the user's account + the payword liability + what the
 *                   vendors were paid is constant (a second payment of a
 *                   double-spent token is the user's debt, a finding);
 *   range:          a vendor is paid only for tokens inside a range the
 *                   user signed to it;
 *   P4 user:        the user is blamed only on two overlapping signed
 *                   ranges, and an honest user never;
 *   P4 vendor:      a vendor is blamed only for a report outside the
 *                   ranges signed to it, and an honest vendor never;
 *   P3 vendor:      once every report has arrived, an honest vendor has
 *                   been paid every token it accepted.
 */

#define K  3       /* tokens of the certificate */
#define V1 1
#define V2 2
#define D  2       /* the user's account beyond the chain */
#define NR 4       /* reports, and signed ranges, at most */

/* the agent's books, in tokens */
byte uacct = D;
byte liab = K;
byte paidv[3];
byte tokpaid[K+1];      /* times each order was paid */
bit  paidto[12];        /* paidto[v*4+o]: order o paid to vendor v */
bit  blameU;
bit  blameV[3];

/* the ranges the user signed: (vendor, start, end); for the old rule, the
 * visits it committed to (a ghost: nothing of it reaches the agent) */
byte sgv[NR], ss[NR], se[NR];
byte sn;

/* reports in transit (the vendors' outboxes and the network) */
byte rv[NR], rs[NR], rlo[NR], rhi[NR], re[NR];
bit  rpend[NR];
byte rn;

/* the agent's view: the signed ranges (v, s) that arrived in a report (for
 * the old rule: the visits), by arrival */
byte arr[12];           /* arr[v*4+s]: arrival stamp of (v, s), 0 = unknown */
byte clock = 1;

/* the parties */
bit  ucheat;
bit  vcheat;            /* V1 fabricates: claims a later visit's tokens with its first sale's */
bit  u_overlap;         /* ghost: the user signed two overlapping ranges */
bit  v_fab[3];          /* ghost: the vendor reported a claim outside its signed ranges */
byte accepted[3];       /* tokens each vendor accepted */
byte first[3];          /* each vendor's first visit start */
byte vs[3], ve[3];      /* each vendor's current visit: start, end */
byte nxt = 1;           /* the user's next unspent order */
bit  respent;

ltl books { [] (uacct + liab + paidv[V1] + paidv[V2] == D + K) }

/* The user signs (v, s, e): a new entry, or (the old rule's visit) a longer
 * end for an entry (v, s). */
inline sign(v, s, e)
{
	j = 0;
	do
	:: j < sn && sgv[j] == v && ss[j] == s -> se[j] = e; break
	:: j < sn && !(sgv[j] == v && ss[j] == s) -> j++
	:: j == sn -> sgv[j] = v; ss[j] = s; se[j] = e; sn++; break
	od;
	j = 0;
	do
	:: j < sn && !(sgv[j] == v && ss[j] == s) && ss[j] <= e && s <= se[j] ->
		u_overlap = 1; j++
	:: j < sn && !(!(sgv[j] == v && ss[j] == s) && ss[j] <= e && s <= se[j]) -> j++
	:: j == sn -> break
	od
}

/* The vendor stores the sale and queues its report: the signed range
 * (start s, end e) and the orders lo..hi it claims. */
inline report(v, o)
{
	rv[rn] = v; rlo[rn] = o; rhi[rn] = o;
#ifdef DEFECT_TIMING_BLAME
	rs[rn] = vs[v]; re[rn] = ve[v];
#else
	rs[rn] = o; re[rn] = o;
#endif
	if
	:: vcheat && v == V1 && first[V1] != 0 && vs[V1] != first[V1] ->
		/* hide the later visit: claim its token with the first sale's */
		rs[rn] = first[V1]; v_fab[V1] = 1;
#ifdef DEFECT_TIMING_BLAME
		j = 0;
		do
		:: sgv[j] == V1 && ss[j] == first[V1] -> re[rn] = se[j]; break
		:: else -> j++
		od
#else
		/* one range from the first sale to this one, across the orders
		 * the user paid V2 in between (tests/sim: hiding-vendor) */
		rlo[rn] = first[V1]
#endif
	:: else
	fi;
	rpend[rn] = 1; rn++
}

/* The user buys order o at vendor v, in a new visit or in v's open one. */
inline buy(v, o, newvisit)
{
	if
	:: newvisit -> vs[v] = o; if :: first[v] == 0 -> first[v] = o :: else fi
	:: else
	fi;
	ve[v] = o;
#ifdef DEFECT_TIMING_BLAME
	sign(v, vs[v], o);          /* the visit, extended */
#else
	sign(v, o, o);              /* this purchase's range */
#endif
	accepted[v]++;
	report(v, o)
}

active proctype User()
{
	byte j, v, b;
	/* who cheats; HONEST_USER or HONEST_VENDORS fixes one side honest, to
	 * show each half of a defect on its own */
#ifndef HONEST_USER
	if :: ucheat = 1 :: ucheat = 0 fi;
#endif
#ifndef HONEST_VENDORS
	if :: vcheat = 1 :: vcheat = 0 fi;
#endif
	do
	:: nxt <= K ->
		atomic {
			if :: v = V1 :: v = V2 fi;
			if
			:: buy(v, nxt, 1)                             /* a new visit */
			:: ve[v] != 0 && ve[v] + 1 == nxt -> buy(v, nxt, 0) /* the visit goes on */
			fi;
			nxt++
		}
	/* a double spend: the user goes on with v's old visit past orders it
	 * has since spent elsewhere */
	:: atomic { ucheat && !respent && ve[V1] != 0 && ve[V1] + 1 < nxt ->
		respent = 1; b = ve[V1] + 1; buy(V1, b, 0) }
	:: atomic { ucheat && !respent && ve[V2] != 0 && ve[V2] + 1 < nxt ->
		respent = 1; b = ve[V2] + 1; buy(V2, b, 0) }
	:: nxt > K -> break
	od
}

/* Pay vendor v for orders lo..hi that it was not paid yet. */
inline pay(v, lo, hi)
{
	o = lo;
	do
	:: o <= hi ->
		if
		:: !paidto[v*4+o] ->
			/* a vendor is paid only inside a range the user signed to it */
			j = 0;
			do
			:: j < sn && sgv[j] == v && ss[j] <= o && o <= se[j] -> break
			:: j < sn && !(sgv[j] == v && ss[j] <= o && o <= se[j]) -> j++
			:: j == sn -> assert(false)
			od;
			paidto[v*4+o] = 1; paidv[v]++;
			if :: tokpaid[o] == 0 -> liab-- :: else -> uacct-- fi;
			tokpaid[o]++
		:: else
		fi;
		o++
	:: o > hi -> break
	od
}

inline blame_user()
{
	blameU = 1;
	assert(u_overlap);          /* only on two overlapping signed ranges */
	assert(ucheat)              /* never an honest user */
}

inline blame_vendor(v)
{
	blameV[v] = 1;
	assert(v_fab[v]);           /* only for a claim outside its ranges */
	assert(vcheat && v == V1)   /* never an honest vendor */
}

active proctype Agent()
{
	byte i, j, o, v, s, lo, hi, e, k;
	bit ok;
end:
	do
	:: atomic {
		/* the world delivers any pending report, in any order */
		if
		:: rpend[0] -> i = 0
		:: rpend[1] -> i = 1
		:: rpend[2] -> i = 2
		:: rpend[3] -> i = 3
		fi;
		rpend[i] = 0;
		v = rv[i]; s = rs[i]; lo = rlo[i]; hi = rhi[i]; e = re[i];
#ifndef DEFECT_TIMING_BLAME
		/* the report claims exactly a range the user signed to v */
		j = 0; ok = 0;
		do
		:: j < sn && sgv[j] == v && ss[j] == s && se[j] == e && lo == s && hi == e -> ok = 1; break
		:: j < sn && !(sgv[j] == v && ss[j] == s && se[j] == e && lo == s && hi == e) -> j++
		:: j == sn -> break
		od;
#ifdef DEFECT_REPORT_CHAINED
		/* the start is derived: the order after the nearest claim below */
		k = lo - 1;
		do
		:: k > 0 && tokpaid[k] == 0 -> k--
		:: else -> break
		od;
		if
		:: ok && lo != k + 1 -> ok = 0; v = 0  /* VALUE_MISMATCH, final */
		:: else
		fi;
#endif
		if
		:: ok ->
			pay(v, lo, hi);     /* orders paid to v already: a replay, nothing */
			/* user double spend: a range signed to another vendor that
			 * arrived shares an order with this one */
			j = 0;
			do
			:: j < sn && sgv[j] != v && arr[sgv[j]*4+ss[j]] != 0 &&
			   ss[j] <= e && s <= se[j] -> blame_user(); break
			:: j < sn && !(sgv[j] != v && arr[sgv[j]*4+ss[j]] != 0 &&
			   ss[j] <= e && s <= se[j]) -> j++
			:: j == sn -> break
			od;
			arr[v*4+s] = clock; clock++
		:: !ok && v != 0 -> blame_vendor(v)        /* a claim nobody signed */
		:: else
		fi
#else
		/* the old rule: visits run to the next known start; order decides */
		k = 0;                                       /* the next known visit's start */
		j = 1;
		do
		:: j <= K && j > s && (arr[V1*4+j] != 0 || arr[V2*4+j] != 0) -> k = j; break
		:: j <= K && !(j > s && (arr[V1*4+j] != 0 || arr[V2*4+j] != 0)) -> j++
		:: j > K -> break
		od;
		ok = 1;
		if
		:: k != 0 && hi >= k ->
			/* the claim reaches into the visit starting at k */
			if
			:: (arr[v*4+2] != 0 && s < 2) || (arr[v*4+3] != 0 && s < 3) ->
				/* it arrived after that visit, and v has a later visit: the
				 * vendor derived the tokens from a later one */
				ok = 0; blame_vendor(v)
			:: else -> blame_user()
			fi
		:: else
		fi;
		if
		:: arr[v*4+s] == 0 ->
			/* a new visit: earlier claims of other visits reaching into it */
			j = 0;
			do
			:: j < rn && !rpend[j] && j != i && rs[j] < s && rhi[j] >= s -> blame_user(); break
			:: j < rn && !(!rpend[j] && j != i && rs[j] < s && rhi[j] >= s) -> j++
			:: j == rn -> break
			od;
			arr[v*4+s] = clock; clock++
		:: else
		fi;
		if :: ok -> pay(v, lo, hi) :: else fi
#endif
	   }
	od
}

/* P3 for the vendors, once every report has arrived. */
active proctype Final()
{
	timeout ->
	assert(!(nxt > K) || rpend[0] || rpend[1] || rpend[2] || rpend[3] ||
	       ((vcheat || paidv[V1] == accepted[V1]) && paidv[V2] == accepted[V2]))
}
