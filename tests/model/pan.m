#define rand	pan_rand
#define pthread_equal(a,b)	((a)==(b))
#if defined(HAS_CODE) && defined(VERBOSE)
	#ifdef BFS_PAR
		bfs_printf("Pr: %d Tr: %d\n", II, t->forw);
	#else
		cpu_printf("Pr: %d Tr: %d\n", II, t->forw);
	#endif
#endif
	switch (t->forw) {
	default: Uerror("bad forward move");
	case 0:	/* if without executable clauses */
		continue;
	case 1: /* generic 'goto' or 'skip' */
		IfNotBlocked
		_m = 3; goto P999;
	case 2: /* generic 'else' */
		IfNotBlocked
		if (trpt->o_pm&1) continue;
		_m = 3; goto P999;

		 /* PROC :init: */
	case 3: // STATE 1 - ecash.pml:244 - [mcheat = 1] (0:0:1 - 1)
		IfNotBlocked
		reached[5][1] = 1;
		(trpt+1)->bup.oval = ((int)now.mcheat);
		now.mcheat = 1;
#ifdef VAR_RANGES
		logval("mcheat", ((int)now.mcheat));
#endif
		;
		_m = 3; goto P999; /* 0 */
	case 4: // STATE 2 - ecash.pml:244 - [mcheat = 0] (0:0:1 - 1)
		IfNotBlocked
		reached[5][2] = 1;
		(trpt+1)->bup.oval = ((int)now.mcheat);
		now.mcheat = 0;
#ifdef VAR_RANGES
		logval("mcheat", ((int)now.mcheat));
#endif
		;
		_m = 3; goto P999; /* 0 */
	case 5: // STATE 5 - ecash.pml:245 - [(run Merchant(2))] (0:0:0 - 3)
		IfNotBlocked
		reached[5][5] = 1;
		if (!(addproc(II, 1, 1, 2)))
			continue;
		_m = 3; goto P999; /* 0 */
	case 6: // STATE 6 - ecash.pml:246 - [(run Merchant(3))] (0:0:0 - 1)
		IfNotBlocked
		reached[5][6] = 1;
		if (!(addproc(II, 1, 1, 3)))
			continue;
		_m = 3; goto P999; /* 0 */
	case 7: // STATE 7 - ecash.pml:247 - [-end-] (0:0:0 - 1)
		IfNotBlocked
		reached[5][7] = 1;
		if (!delproc(1, II)) continue;
		_m = 3; goto P999; /* 0 */

		 /* PROC Final */
	case 8: // STATE 1 - ecash.pml:238 - [(timeout)] (0:0:0 - 1)
		IfNotBlocked
		reached[4][1] = 1;
		if (!(((trpt->tau)&1)))
			continue;
		_m = 1; goto P999; /* 0 */
	case 9: // STATE 2 - ecash.pml:239 - [assert((ccheat||(((!(receipt[2])||mcheat)||(cred[2]==1))&&(!(receipt[3])||(cred[3]==1)))))] (0:0:0 - 1)
		IfNotBlocked
		reached[4][2] = 1;
		spin_assert((((int)now.ccheat)||((( !(((int)now.receipt[2]))||((int)now.mcheat))||(((int)now.cred[2])==1))&&( !(((int)now.receipt[3]))||(((int)now.cred[3])==1)))), "(ccheat||((( !(receipt[2])||mcheat)||(cred[2]==1))&&( !(receipt[3])||(cred[3]==1))))", II, tt, t);
		_m = 3; goto P999; /* 0 */
	case 10: // STATE 3 - ecash.pml:240 - [-end-] (0:0:0 - 1)
		IfNotBlocked
		reached[4][3] = 1;
		if (!delproc(1, II)) continue;
		_m = 3; goto P999; /* 0 */

		 /* PROC World */
	case 11: // STATE 1 - ecash.pml:232 - [(!(revoked[1]))] (4:0:1 - 1)
		IfNotBlocked
		reached[3][1] = 1;
		if (!( !(((int)now.revoked[1]))))
			continue;
		/* merge: revoked[1] = 1(0, 2, 4) */
		reached[3][2] = 1;
		(trpt+1)->bup.oval = ((int)now.revoked[1]);
		now.revoked[1] = 1;
#ifdef VAR_RANGES
		logval("revoked[1]", ((int)now.revoked[1]));
#endif
		;
		_m = 3; goto P999; /* 1 */
	case 12: // STATE 4 - ecash.pml:233 - [-end-] (0:0:0 - 1)
		IfNotBlocked
		reached[3][4] = 1;
		if (!delproc(1, II)) continue;
		_m = 3; goto P999; /* 0 */

		 /* PROC Eavesdropper */
	case 13: // STATE 1 - ecash.pml:222 - [((e_seen&&(cl.payee==0)))] (34:0:4 - 1)
		IfNotBlocked
		reached[2][1] = 1;
		if (!((((int)now.e_seen)&&(((int)((P2 *)_this)->cl.payee)==0))))
			continue;
		/* merge: cl.payee = 4(34, 2, 34) */
		reached[2][2] = 1;
		(trpt+1)->bup.ovals = grab_ints(4);
		(trpt+1)->bup.ovals[0] = ((int)((P2 *)_this)->cl.payee);
		((P2 *)_this)->cl.payee = 4;
#ifdef VAR_RANGES
		logval("Eavesdropper:cl.payee", ((int)((P2 *)_this)->cl.payee));
#endif
		;
		/* merge: cl.by = 4(34, 3, 34) */
		reached[2][3] = 1;
		(trpt+1)->bup.ovals[1] = ((int)((P2 *)_this)->cl.by);
		((P2 *)_this)->cl.by = 4;
#ifdef VAR_RANGES
		logval("Eavesdropper:cl.by", ((int)((P2 *)_this)->cl.by));
#endif
		;
		/* merge: cl.own = 0(34, 4, 34) */
		reached[2][4] = 1;
		(trpt+1)->bup.ovals[2] = ((int)((P2 *)_this)->cl.own);
		((P2 *)_this)->cl.own = 0;
#ifdef VAR_RANGES
		logval("Eavesdropper:cl.own", ((int)((P2 *)_this)->cl.own));
#endif
		;
		/* merge: cl.prerev = 1(34, 5, 34) */
		reached[2][5] = 1;
		(trpt+1)->bup.ovals[3] = ((int)((P2 *)_this)->cl.prerev);
		((P2 *)_this)->cl.prerev = 1;
#ifdef VAR_RANGES
		logval("Eavesdropper:cl.prerev", ((int)((P2 *)_this)->cl.prerev));
#endif
		;
		_m = 3; goto P999; /* 4 */
	case 14: // STATE 6 - ecash.pml:125 - [((((retired||(cl.payee!=4))||!(cl.own))||!((!(revoked[cl.by])||cl.prerev))))] (0:0:0 - 1)
		IfNotBlocked
		reached[2][6] = 1;
		if (!((((((int)now.retired)||(((int)((P2 *)_this)->cl.payee)!=4))|| !(((int)((P2 *)_this)->cl.own)))|| !(( !(((int)now.revoked[ Index(((int)((P2 *)_this)->cl.by), 5) ]))||((int)((P2 *)_this)->cl.prerev))))))
			continue;
		_m = 3; goto P999; /* 0 */
	case 15: // STATE 7 - ecash.pml:125 - [(1)] (71:0:0 - 1)
		IfNotBlocked
		reached[2][7] = 1;
		if (!(1))
			continue;
		/* merge: .(goto)(71, 33, 71) */
		reached[2][33] = 1;
		;
		/* merge: .(goto)(0, 72, 71) */
		reached[2][72] = 1;
		;
		_m = 3; goto P999; /* 2 */
	case 16: // STATE 33 - ecash.pml:146 - [.(goto)] (0:71:0 - 2)
		IfNotBlocked
		reached[2][33] = 1;
		;
		/* merge: .(goto)(0, 72, 71) */
		reached[2][72] = 1;
		;
		_m = 3; goto P999; /* 1 */
	case 17: // STATE 9 - ecash.pml:128 - [(!(deposited))] (71:0:8 - 1)
		IfNotBlocked
		reached[2][9] = 1;
		if (!( !(((int)now.deposited))))
			continue;
		/* merge: assert(cl.own)(71, 10, 71) */
		reached[2][10] = 1;
		spin_assert(((int)((P2 *)_this)->cl.own), "cl.own", II, tt, t);
		/* merge: deposited = 1(71, 11, 71) */
		reached[2][11] = 1;
		(trpt+1)->bup.ovals = grab_ints(8);
		(trpt+1)->bup.ovals[0] = ((int)now.deposited);
		now.deposited = 1;
#ifdef VAR_RANGES
		logval("deposited", ((int)now.deposited));
#endif
		;
		/* merge: depositor = 4(71, 12, 71) */
		reached[2][12] = 1;
		(trpt+1)->bup.ovals[1] = ((int)now.depositor);
		now.depositor = 4;
#ifdef VAR_RANGES
		logval("depositor", ((int)now.depositor));
#endif
		;
		/* merge: dep.payee = cl.payee(71, 13, 71) */
		reached[2][13] = 1;
		(trpt+1)->bup.ovals[2] = ((int)now.dep.payee);
		now.dep.payee = ((int)((P2 *)_this)->cl.payee);
#ifdef VAR_RANGES
		logval("dep.payee", ((int)now.dep.payee));
#endif
		;
		/* merge: dep.by = cl.by(71, 14, 71) */
		reached[2][14] = 1;
		(trpt+1)->bup.ovals[3] = ((int)now.dep.by);
		now.dep.by = ((int)((P2 *)_this)->cl.by);
#ifdef VAR_RANGES
		logval("dep.by", ((int)now.dep.by));
#endif
		;
		/* merge: dep.own = cl.own(71, 15, 71) */
		reached[2][15] = 1;
		(trpt+1)->bup.ovals[4] = ((int)now.dep.own);
		now.dep.own = ((int)((P2 *)_this)->cl.own);
#ifdef VAR_RANGES
		logval("dep.own", ((int)now.dep.own));
#endif
		;
		/* merge: dep.prerev = cl.prerev(71, 16, 71) */
		reached[2][16] = 1;
		(trpt+1)->bup.ovals[5] = ((int)now.dep.prerev);
		now.dep.prerev = ((int)((P2 *)_this)->cl.prerev);
#ifdef VAR_RANGES
		logval("dep.prerev", ((int)now.dep.prerev));
#endif
		;
		/* merge: liab = (liab-1)(71, 17, 71) */
		reached[2][17] = 1;
		(trpt+1)->bup.ovals[6] = ((int)now.liab);
		now.liab = (((int)now.liab)-1);
#ifdef VAR_RANGES
		logval("liab", ((int)now.liab));
#endif
		;
		/* merge: cred[4] = (cred[4]+1)(71, 18, 71) */
		reached[2][18] = 1;
		(trpt+1)->bup.ovals[7] = ((int)now.cred[4]);
		now.cred[4] = (((int)now.cred[4])+1);
#ifdef VAR_RANGES
		logval("cred[4]", ((int)now.cred[4]));
#endif
		;
		/* merge: .(goto)(71, 31, 71) */
		reached[2][31] = 1;
		;
		/* merge: .(goto)(71, 33, 71) */
		reached[2][33] = 1;
		;
		/* merge: .(goto)(0, 72, 71) */
		reached[2][72] = 1;
		;
		_m = 3; goto P999; /* 12 */
	case 18: // STATE 31 - ecash.pml:145 - [.(goto)] (0:71:0 - 3)
		IfNotBlocked
		reached[2][31] = 1;
		;
		/* merge: .(goto)(71, 33, 71) */
		reached[2][33] = 1;
		;
		/* merge: .(goto)(0, 72, 71) */
		reached[2][72] = 1;
		;
		_m = 3; goto P999; /* 2 */
	case 19: // STATE 19 - ecash.pml:134 - [((deposited&&(depositor==4)))] (0:0:0 - 1)
		IfNotBlocked
		reached[2][19] = 1;
		if (!((((int)now.deposited)&&(((int)now.depositor)==4))))
			continue;
		_m = 3; goto P999; /* 0 */
	case 20: // STATE 20 - ecash.pml:134 - [(1)] (71:0:0 - 1)
		IfNotBlocked
		reached[2][20] = 1;
		if (!(1))
			continue;
		/* merge: .(goto)(71, 31, 71) */
		reached[2][31] = 1;
		;
		/* merge: .(goto)(71, 33, 71) */
		reached[2][33] = 1;
		;
		/* merge: .(goto)(0, 72, 71) */
		reached[2][72] = 1;
		;
		_m = 3; goto P999; /* 3 */
	case 21: // STATE 21 - ecash.pml:135 - [((deposited&&(depositor!=4)))] (0:0:0 - 1)
		IfNotBlocked
		reached[2][21] = 1;
		if (!((((int)now.deposited)&&(((int)now.depositor)!=4))))
			continue;
		_m = 3; goto P999; /* 0 */
	case 22: // STATE 22 - ecash.pml:138 - [((dep.by==cl.by))] (71:0:1 - 1)
		IfNotBlocked
		reached[2][22] = 1;
		if (!((((int)now.dep.by)==((int)((P2 *)_this)->cl.by))))
			continue;
		/* merge: named[cl.by] = 1(71, 23, 71) */
		reached[2][23] = 1;
		(trpt+1)->bup.oval = ((int)now.named[ Index(((int)((P2 *)_this)->cl.by), 5) ]);
		now.named[ Index(((P2 *)_this)->cl.by, 5) ] = 1;
#ifdef VAR_RANGES
		logval("named[Eavesdropper:cl.by]", ((int)now.named[ Index(((int)((P2 *)_this)->cl.by), 5) ]));
#endif
		;
		/* merge: .(goto)(71, 27, 71) */
		reached[2][27] = 1;
		;
		/* merge: assert((!(named[1])||(c_claims>=2)))(71, 28, 71) */
		reached[2][28] = 1;
		spin_assert(( !(((int)now.named[1]))||(((int)now.c_claims)>=2)), "( !(named[1])||(c_claims>=2))", II, tt, t);
		/* merge: assert(((!(named[2])&&!(named[3]))&&!(named[4])))(71, 29, 71) */
		reached[2][29] = 1;
		spin_assert((( !(((int)now.named[2]))&& !(((int)now.named[3])))&& !(((int)now.named[4]))), "(( !(named[2])&& !(named[3]))&& !(named[4]))", II, tt, t);
		/* merge: .(goto)(71, 31, 71) */
		reached[2][31] = 1;
		;
		/* merge: .(goto)(71, 33, 71) */
		reached[2][33] = 1;
		;
		/* merge: .(goto)(0, 72, 71) */
		reached[2][72] = 1;
		;
		_m = 3; goto P999; /* 7 */
	case 23: // STATE 25 - ecash.pml:139 - [named[1] = 1] (0:71:1 - 1)
		IfNotBlocked
		reached[2][25] = 1;
		(trpt+1)->bup.oval = ((int)now.named[1]);
		now.named[1] = 1;
#ifdef VAR_RANGES
		logval("named[1]", ((int)now.named[1]));
#endif
		;
		/* merge: .(goto)(71, 27, 71) */
		reached[2][27] = 1;
		;
		/* merge: assert((!(named[1])||(c_claims>=2)))(71, 28, 71) */
		reached[2][28] = 1;
		spin_assert(( !(((int)now.named[1]))||(((int)now.c_claims)>=2)), "( !(named[1])||(c_claims>=2))", II, tt, t);
		/* merge: assert(((!(named[2])&&!(named[3]))&&!(named[4])))(71, 29, 71) */
		reached[2][29] = 1;
		spin_assert((( !(((int)now.named[2]))&& !(((int)now.named[3])))&& !(((int)now.named[4]))), "(( !(named[2])&& !(named[3]))&& !(named[4]))", II, tt, t);
		/* merge: .(goto)(71, 31, 71) */
		reached[2][31] = 1;
		;
		/* merge: .(goto)(71, 33, 71) */
		reached[2][33] = 1;
		;
		/* merge: .(goto)(0, 72, 71) */
		reached[2][72] = 1;
		;
		_m = 3; goto P999; /* 6 */
	case 24: // STATE 28 - ecash.pml:142 - [assert((!(named[1])||(c_claims>=2)))] (0:71:0 - 3)
		IfNotBlocked
		reached[2][28] = 1;
		spin_assert(( !(((int)now.named[1]))||(((int)now.c_claims)>=2)), "( !(named[1])||(c_claims>=2))", II, tt, t);
		/* merge: assert(((!(named[2])&&!(named[3]))&&!(named[4])))(71, 29, 71) */
		reached[2][29] = 1;
		spin_assert((( !(((int)now.named[2]))&& !(((int)now.named[3])))&& !(((int)now.named[4]))), "(( !(named[2])&& !(named[3]))&& !(named[4]))", II, tt, t);
		/* merge: .(goto)(71, 31, 71) */
		reached[2][31] = 1;
		;
		/* merge: .(goto)(71, 33, 71) */
		reached[2][33] = 1;
		;
		/* merge: .(goto)(0, 72, 71) */
		reached[2][72] = 1;
		;
		_m = 3; goto P999; /* 4 */
	case 25: // STATE 36 - ecash.pml:224 - [(((e_seen&&(cl.payee==0))&&mhas[2]))] (69:0:4 - 1)
		IfNotBlocked
		reached[2][36] = 1;
		if (!(((((int)now.e_seen)&&(((int)((P2 *)_this)->cl.payee)==0))&&((int)now.mhas[2]))))
			continue;
		/* merge: cl.payee = 2(69, 37, 69) */
		reached[2][37] = 1;
		(trpt+1)->bup.ovals = grab_ints(4);
		(trpt+1)->bup.ovals[0] = ((int)((P2 *)_this)->cl.payee);
		((P2 *)_this)->cl.payee = 2;
#ifdef VAR_RANGES
		logval("Eavesdropper:cl.payee", ((int)((P2 *)_this)->cl.payee));
#endif
		;
		/* merge: cl.by = 1(69, 38, 69) */
		reached[2][38] = 1;
		(trpt+1)->bup.ovals[1] = ((int)((P2 *)_this)->cl.by);
		((P2 *)_this)->cl.by = 1;
#ifdef VAR_RANGES
		logval("Eavesdropper:cl.by", ((int)((P2 *)_this)->cl.by));
#endif
		;
		/* merge: cl.own = 1(69, 39, 69) */
		reached[2][39] = 1;
		(trpt+1)->bup.ovals[2] = ((int)((P2 *)_this)->cl.own);
		((P2 *)_this)->cl.own = 1;
#ifdef VAR_RANGES
		logval("Eavesdropper:cl.own", ((int)((P2 *)_this)->cl.own));
#endif
		;
		/* merge: cl.prerev = mclaim[2].prerev(69, 40, 69) */
		reached[2][40] = 1;
		(trpt+1)->bup.ovals[3] = ((int)((P2 *)_this)->cl.prerev);
		((P2 *)_this)->cl.prerev = ((int)now.mclaim[2].prerev);
#ifdef VAR_RANGES
		logval("Eavesdropper:cl.prerev", ((int)((P2 *)_this)->cl.prerev));
#endif
		;
		_m = 3; goto P999; /* 4 */
	case 26: // STATE 41 - ecash.pml:125 - [((((retired||(cl.payee!=4))||!(cl.own))||!((!(revoked[cl.by])||cl.prerev))))] (0:0:0 - 1)
		IfNotBlocked
		reached[2][41] = 1;
		if (!((((((int)now.retired)||(((int)((P2 *)_this)->cl.payee)!=4))|| !(((int)((P2 *)_this)->cl.own)))|| !(( !(((int)now.revoked[ Index(((int)((P2 *)_this)->cl.by), 5) ]))||((int)((P2 *)_this)->cl.prerev))))))
			continue;
		_m = 3; goto P999; /* 0 */
	case 27: // STATE 42 - ecash.pml:125 - [(1)] (71:0:0 - 1)
		IfNotBlocked
		reached[2][42] = 1;
		if (!(1))
			continue;
		/* merge: .(goto)(71, 68, 71) */
		reached[2][68] = 1;
		;
		/* merge: .(goto)(0, 72, 71) */
		reached[2][72] = 1;
		;
		_m = 3; goto P999; /* 2 */
	case 28: // STATE 68 - ecash.pml:146 - [.(goto)] (0:71:0 - 2)
		IfNotBlocked
		reached[2][68] = 1;
		;
		/* merge: .(goto)(0, 72, 71) */
		reached[2][72] = 1;
		;
		_m = 3; goto P999; /* 1 */
	case 29: // STATE 44 - ecash.pml:128 - [(!(deposited))] (71:0:8 - 1)
		IfNotBlocked
		reached[2][44] = 1;
		if (!( !(((int)now.deposited))))
			continue;
		/* merge: assert(cl.own)(71, 45, 71) */
		reached[2][45] = 1;
		spin_assert(((int)((P2 *)_this)->cl.own), "cl.own", II, tt, t);
		/* merge: deposited = 1(71, 46, 71) */
		reached[2][46] = 1;
		(trpt+1)->bup.ovals = grab_ints(8);
		(trpt+1)->bup.ovals[0] = ((int)now.deposited);
		now.deposited = 1;
#ifdef VAR_RANGES
		logval("deposited", ((int)now.deposited));
#endif
		;
		/* merge: depositor = 4(71, 47, 71) */
		reached[2][47] = 1;
		(trpt+1)->bup.ovals[1] = ((int)now.depositor);
		now.depositor = 4;
#ifdef VAR_RANGES
		logval("depositor", ((int)now.depositor));
#endif
		;
		/* merge: dep.payee = cl.payee(71, 48, 71) */
		reached[2][48] = 1;
		(trpt+1)->bup.ovals[2] = ((int)now.dep.payee);
		now.dep.payee = ((int)((P2 *)_this)->cl.payee);
#ifdef VAR_RANGES
		logval("dep.payee", ((int)now.dep.payee));
#endif
		;
		/* merge: dep.by = cl.by(71, 49, 71) */
		reached[2][49] = 1;
		(trpt+1)->bup.ovals[3] = ((int)now.dep.by);
		now.dep.by = ((int)((P2 *)_this)->cl.by);
#ifdef VAR_RANGES
		logval("dep.by", ((int)now.dep.by));
#endif
		;
		/* merge: dep.own = cl.own(71, 50, 71) */
		reached[2][50] = 1;
		(trpt+1)->bup.ovals[4] = ((int)now.dep.own);
		now.dep.own = ((int)((P2 *)_this)->cl.own);
#ifdef VAR_RANGES
		logval("dep.own", ((int)now.dep.own));
#endif
		;
		/* merge: dep.prerev = cl.prerev(71, 51, 71) */
		reached[2][51] = 1;
		(trpt+1)->bup.ovals[5] = ((int)now.dep.prerev);
		now.dep.prerev = ((int)((P2 *)_this)->cl.prerev);
#ifdef VAR_RANGES
		logval("dep.prerev", ((int)now.dep.prerev));
#endif
		;
		/* merge: liab = (liab-1)(71, 52, 71) */
		reached[2][52] = 1;
		(trpt+1)->bup.ovals[6] = ((int)now.liab);
		now.liab = (((int)now.liab)-1);
#ifdef VAR_RANGES
		logval("liab", ((int)now.liab));
#endif
		;
		/* merge: cred[4] = (cred[4]+1)(71, 53, 71) */
		reached[2][53] = 1;
		(trpt+1)->bup.ovals[7] = ((int)now.cred[4]);
		now.cred[4] = (((int)now.cred[4])+1);
#ifdef VAR_RANGES
		logval("cred[4]", ((int)now.cred[4]));
#endif
		;
		/* merge: .(goto)(71, 66, 71) */
		reached[2][66] = 1;
		;
		/* merge: .(goto)(71, 68, 71) */
		reached[2][68] = 1;
		;
		/* merge: .(goto)(0, 72, 71) */
		reached[2][72] = 1;
		;
		_m = 3; goto P999; /* 12 */
	case 30: // STATE 66 - ecash.pml:145 - [.(goto)] (0:71:0 - 3)
		IfNotBlocked
		reached[2][66] = 1;
		;
		/* merge: .(goto)(71, 68, 71) */
		reached[2][68] = 1;
		;
		/* merge: .(goto)(0, 72, 71) */
		reached[2][72] = 1;
		;
		_m = 3; goto P999; /* 2 */
	case 31: // STATE 54 - ecash.pml:134 - [((deposited&&(depositor==4)))] (0:0:0 - 1)
		IfNotBlocked
		reached[2][54] = 1;
		if (!((((int)now.deposited)&&(((int)now.depositor)==4))))
			continue;
		_m = 3; goto P999; /* 0 */
	case 32: // STATE 55 - ecash.pml:134 - [(1)] (71:0:0 - 1)
		IfNotBlocked
		reached[2][55] = 1;
		if (!(1))
			continue;
		/* merge: .(goto)(71, 66, 71) */
		reached[2][66] = 1;
		;
		/* merge: .(goto)(71, 68, 71) */
		reached[2][68] = 1;
		;
		/* merge: .(goto)(0, 72, 71) */
		reached[2][72] = 1;
		;
		_m = 3; goto P999; /* 3 */
	case 33: // STATE 56 - ecash.pml:135 - [((deposited&&(depositor!=4)))] (0:0:0 - 1)
		IfNotBlocked
		reached[2][56] = 1;
		if (!((((int)now.deposited)&&(((int)now.depositor)!=4))))
			continue;
		_m = 3; goto P999; /* 0 */
	case 34: // STATE 57 - ecash.pml:138 - [((dep.by==cl.by))] (71:0:1 - 1)
		IfNotBlocked
		reached[2][57] = 1;
		if (!((((int)now.dep.by)==((int)((P2 *)_this)->cl.by))))
			continue;
		/* merge: named[cl.by] = 1(71, 58, 71) */
		reached[2][58] = 1;
		(trpt+1)->bup.oval = ((int)now.named[ Index(((int)((P2 *)_this)->cl.by), 5) ]);
		now.named[ Index(((P2 *)_this)->cl.by, 5) ] = 1;
#ifdef VAR_RANGES
		logval("named[Eavesdropper:cl.by]", ((int)now.named[ Index(((int)((P2 *)_this)->cl.by), 5) ]));
#endif
		;
		/* merge: .(goto)(71, 62, 71) */
		reached[2][62] = 1;
		;
		/* merge: assert((!(named[1])||(c_claims>=2)))(71, 63, 71) */
		reached[2][63] = 1;
		spin_assert(( !(((int)now.named[1]))||(((int)now.c_claims)>=2)), "( !(named[1])||(c_claims>=2))", II, tt, t);
		/* merge: assert(((!(named[2])&&!(named[3]))&&!(named[4])))(71, 64, 71) */
		reached[2][64] = 1;
		spin_assert((( !(((int)now.named[2]))&& !(((int)now.named[3])))&& !(((int)now.named[4]))), "(( !(named[2])&& !(named[3]))&& !(named[4]))", II, tt, t);
		/* merge: .(goto)(71, 66, 71) */
		reached[2][66] = 1;
		;
		/* merge: .(goto)(71, 68, 71) */
		reached[2][68] = 1;
		;
		/* merge: .(goto)(0, 72, 71) */
		reached[2][72] = 1;
		;
		_m = 3; goto P999; /* 7 */
	case 35: // STATE 60 - ecash.pml:139 - [named[1] = 1] (0:71:1 - 1)
		IfNotBlocked
		reached[2][60] = 1;
		(trpt+1)->bup.oval = ((int)now.named[1]);
		now.named[1] = 1;
#ifdef VAR_RANGES
		logval("named[1]", ((int)now.named[1]));
#endif
		;
		/* merge: .(goto)(71, 62, 71) */
		reached[2][62] = 1;
		;
		/* merge: assert((!(named[1])||(c_claims>=2)))(71, 63, 71) */
		reached[2][63] = 1;
		spin_assert(( !(((int)now.named[1]))||(((int)now.c_claims)>=2)), "( !(named[1])||(c_claims>=2))", II, tt, t);
		/* merge: assert(((!(named[2])&&!(named[3]))&&!(named[4])))(71, 64, 71) */
		reached[2][64] = 1;
		spin_assert((( !(((int)now.named[2]))&& !(((int)now.named[3])))&& !(((int)now.named[4]))), "(( !(named[2])&& !(named[3]))&& !(named[4]))", II, tt, t);
		/* merge: .(goto)(71, 66, 71) */
		reached[2][66] = 1;
		;
		/* merge: .(goto)(71, 68, 71) */
		reached[2][68] = 1;
		;
		/* merge: .(goto)(0, 72, 71) */
		reached[2][72] = 1;
		;
		_m = 3; goto P999; /* 6 */
	case 36: // STATE 63 - ecash.pml:142 - [assert((!(named[1])||(c_claims>=2)))] (0:71:0 - 3)
		IfNotBlocked
		reached[2][63] = 1;
		spin_assert(( !(((int)now.named[1]))||(((int)now.c_claims)>=2)), "( !(named[1])||(c_claims>=2))", II, tt, t);
		/* merge: assert(((!(named[2])&&!(named[3]))&&!(named[4])))(71, 64, 71) */
		reached[2][64] = 1;
		spin_assert((( !(((int)now.named[2]))&& !(((int)now.named[3])))&& !(((int)now.named[4]))), "(( !(named[2])&& !(named[3]))&& !(named[4]))", II, tt, t);
		/* merge: .(goto)(71, 66, 71) */
		reached[2][66] = 1;
		;
		/* merge: .(goto)(71, 68, 71) */
		reached[2][68] = 1;
		;
		/* merge: .(goto)(0, 72, 71) */
		reached[2][72] = 1;
		;
		_m = 3; goto P999; /* 4 */
	case 37: // STATE 74 - ecash.pml:227 - [-end-] (0:0:0 - 1)
		IfNotBlocked
		reached[2][74] = 1;
		if (!delproc(1, II)) continue;
		_m = 3; goto P999; /* 0 */

		 /* PROC Merchant */
	case 38: // STATE 1 - ecash.pml:212 - [((mhas[me]&&!(mdone[me])))] (31:0:1 - 1)
		IfNotBlocked
		reached[1][1] = 1;
		if (!((((int)now.mhas[ Index(((int)((P1 *)_this)->me), 5) ])&& !(((int)now.mdone[ Index(((int)((P1 *)_this)->me), 5) ])))))
			continue;
		/* merge: mdone[me] = 1(0, 2, 31) */
		reached[1][2] = 1;
		(trpt+1)->bup.oval = ((int)now.mdone[ Index(((int)((P1 *)_this)->me), 5) ]);
		now.mdone[ Index(((P1 *)_this)->me, 5) ] = 1;
#ifdef VAR_RANGES
		logval("mdone[Merchant:me]", ((int)now.mdone[ Index(((int)((P1 *)_this)->me), 5) ]));
#endif
		;
		_m = 3; goto P999; /* 1 */
	case 39: // STATE 3 - ecash.pml:125 - [((((retired||(mclaim[me].payee!=me))||!(mclaim[me].own))||!((!(revoked[mclaim[me].by])||mclaim[me].prerev))))] (0:0:0 - 1)
		IfNotBlocked
		reached[1][3] = 1;
		if (!((((((int)now.retired)||(((int)now.mclaim[ Index(((int)((P1 *)_this)->me), 5) ].payee)!=((int)((P1 *)_this)->me)))|| !(((int)now.mclaim[ Index(((int)((P1 *)_this)->me), 5) ].own)))|| !(( !(((int)now.revoked[ Index(((int)now.mclaim[ Index(((int)((P1 *)_this)->me), 5) ].by), 5) ]))||((int)now.mclaim[ Index(((int)((P1 *)_this)->me), 5) ].prerev))))))
			continue;
		_m = 3; goto P999; /* 0 */
	case 40: // STATE 4 - ecash.pml:125 - [(1)] (33:0:0 - 1)
		IfNotBlocked
		reached[1][4] = 1;
		if (!(1))
			continue;
		/* merge: .(goto)(33, 30, 33) */
		reached[1][30] = 1;
		;
		/* merge: .(goto)(0, 34, 33) */
		reached[1][34] = 1;
		;
		_m = 3; goto P999; /* 2 */
	case 41: // STATE 30 - ecash.pml:146 - [.(goto)] (0:33:0 - 2)
		IfNotBlocked
		reached[1][30] = 1;
		;
		/* merge: .(goto)(0, 34, 33) */
		reached[1][34] = 1;
		;
		_m = 3; goto P999; /* 1 */
	case 42: // STATE 6 - ecash.pml:128 - [(!(deposited))] (33:0:8 - 1)
		IfNotBlocked
		reached[1][6] = 1;
		if (!( !(((int)now.deposited))))
			continue;
		/* merge: assert(mclaim[me].own)(33, 7, 33) */
		reached[1][7] = 1;
		spin_assert(((int)now.mclaim[ Index(((int)((P1 *)_this)->me), 5) ].own), "mclaim[me].own", II, tt, t);
		/* merge: deposited = 1(33, 8, 33) */
		reached[1][8] = 1;
		(trpt+1)->bup.ovals = grab_ints(8);
		(trpt+1)->bup.ovals[0] = ((int)now.deposited);
		now.deposited = 1;
#ifdef VAR_RANGES
		logval("deposited", ((int)now.deposited));
#endif
		;
		/* merge: depositor = me(33, 9, 33) */
		reached[1][9] = 1;
		(trpt+1)->bup.ovals[1] = ((int)now.depositor);
		now.depositor = ((int)((P1 *)_this)->me);
#ifdef VAR_RANGES
		logval("depositor", ((int)now.depositor));
#endif
		;
		/* merge: dep.payee = mclaim[me].payee(33, 10, 33) */
		reached[1][10] = 1;
		(trpt+1)->bup.ovals[2] = ((int)now.dep.payee);
		now.dep.payee = ((int)now.mclaim[ Index(((int)((P1 *)_this)->me), 5) ].payee);
#ifdef VAR_RANGES
		logval("dep.payee", ((int)now.dep.payee));
#endif
		;
		/* merge: dep.by = mclaim[me].by(33, 11, 33) */
		reached[1][11] = 1;
		(trpt+1)->bup.ovals[3] = ((int)now.dep.by);
		now.dep.by = ((int)now.mclaim[ Index(((int)((P1 *)_this)->me), 5) ].by);
#ifdef VAR_RANGES
		logval("dep.by", ((int)now.dep.by));
#endif
		;
		/* merge: dep.own = mclaim[me].own(33, 12, 33) */
		reached[1][12] = 1;
		(trpt+1)->bup.ovals[4] = ((int)now.dep.own);
		now.dep.own = ((int)now.mclaim[ Index(((int)((P1 *)_this)->me), 5) ].own);
#ifdef VAR_RANGES
		logval("dep.own", ((int)now.dep.own));
#endif
		;
		/* merge: dep.prerev = mclaim[me].prerev(33, 13, 33) */
		reached[1][13] = 1;
		(trpt+1)->bup.ovals[5] = ((int)now.dep.prerev);
		now.dep.prerev = ((int)now.mclaim[ Index(((int)((P1 *)_this)->me), 5) ].prerev);
#ifdef VAR_RANGES
		logval("dep.prerev", ((int)now.dep.prerev));
#endif
		;
		/* merge: liab = (liab-1)(33, 14, 33) */
		reached[1][14] = 1;
		(trpt+1)->bup.ovals[6] = ((int)now.liab);
		now.liab = (((int)now.liab)-1);
#ifdef VAR_RANGES
		logval("liab", ((int)now.liab));
#endif
		;
		/* merge: cred[me] = (cred[me]+1)(33, 15, 33) */
		reached[1][15] = 1;
		(trpt+1)->bup.ovals[7] = ((int)now.cred[ Index(((int)((P1 *)_this)->me), 5) ]);
		now.cred[ Index(((P1 *)_this)->me, 5) ] = (((int)now.cred[ Index(((int)((P1 *)_this)->me), 5) ])+1);
#ifdef VAR_RANGES
		logval("cred[Merchant:me]", ((int)now.cred[ Index(((int)((P1 *)_this)->me), 5) ]));
#endif
		;
		/* merge: .(goto)(33, 28, 33) */
		reached[1][28] = 1;
		;
		/* merge: .(goto)(33, 30, 33) */
		reached[1][30] = 1;
		;
		/* merge: .(goto)(0, 34, 33) */
		reached[1][34] = 1;
		;
		_m = 3; goto P999; /* 12 */
	case 43: // STATE 28 - ecash.pml:145 - [.(goto)] (0:33:0 - 3)
		IfNotBlocked
		reached[1][28] = 1;
		;
		/* merge: .(goto)(33, 30, 33) */
		reached[1][30] = 1;
		;
		/* merge: .(goto)(0, 34, 33) */
		reached[1][34] = 1;
		;
		_m = 3; goto P999; /* 2 */
	case 44: // STATE 16 - ecash.pml:134 - [((deposited&&(depositor==me)))] (0:0:0 - 1)
		IfNotBlocked
		reached[1][16] = 1;
		if (!((((int)now.deposited)&&(((int)now.depositor)==((int)((P1 *)_this)->me)))))
			continue;
		_m = 3; goto P999; /* 0 */
	case 45: // STATE 17 - ecash.pml:134 - [(1)] (33:0:0 - 1)
		IfNotBlocked
		reached[1][17] = 1;
		if (!(1))
			continue;
		/* merge: .(goto)(33, 28, 33) */
		reached[1][28] = 1;
		;
		/* merge: .(goto)(33, 30, 33) */
		reached[1][30] = 1;
		;
		/* merge: .(goto)(0, 34, 33) */
		reached[1][34] = 1;
		;
		_m = 3; goto P999; /* 3 */
	case 46: // STATE 18 - ecash.pml:135 - [((deposited&&(depositor!=me)))] (0:0:0 - 1)
		IfNotBlocked
		reached[1][18] = 1;
		if (!((((int)now.deposited)&&(((int)now.depositor)!=((int)((P1 *)_this)->me)))))
			continue;
		_m = 3; goto P999; /* 0 */
	case 47: // STATE 19 - ecash.pml:138 - [((dep.by==mclaim[me].by))] (33:0:1 - 1)
		IfNotBlocked
		reached[1][19] = 1;
		if (!((((int)now.dep.by)==((int)now.mclaim[ Index(((int)((P1 *)_this)->me), 5) ].by))))
			continue;
		/* merge: named[mclaim[me].by] = 1(33, 20, 33) */
		reached[1][20] = 1;
		(trpt+1)->bup.oval = ((int)now.named[ Index(((int)now.mclaim[ Index(((int)((P1 *)_this)->me), 5) ].by), 5) ]);
		now.named[ Index(now.mclaim[ Index(((P1 *)_this)->me, 5) ].by, 5) ] = 1;
#ifdef VAR_RANGES
		logval("named[mclaim[Merchant:me].by]", ((int)now.named[ Index(((int)now.mclaim[ Index(((int)((P1 *)_this)->me), 5) ].by), 5) ]));
#endif
		;
		/* merge: .(goto)(33, 24, 33) */
		reached[1][24] = 1;
		;
		/* merge: assert((!(named[1])||(c_claims>=2)))(33, 25, 33) */
		reached[1][25] = 1;
		spin_assert(( !(((int)now.named[1]))||(((int)now.c_claims)>=2)), "( !(named[1])||(c_claims>=2))", II, tt, t);
		/* merge: assert(((!(named[2])&&!(named[3]))&&!(named[4])))(33, 26, 33) */
		reached[1][26] = 1;
		spin_assert((( !(((int)now.named[2]))&& !(((int)now.named[3])))&& !(((int)now.named[4]))), "(( !(named[2])&& !(named[3]))&& !(named[4]))", II, tt, t);
		/* merge: .(goto)(33, 28, 33) */
		reached[1][28] = 1;
		;
		/* merge: .(goto)(33, 30, 33) */
		reached[1][30] = 1;
		;
		/* merge: .(goto)(0, 34, 33) */
		reached[1][34] = 1;
		;
		_m = 3; goto P999; /* 7 */
	case 48: // STATE 22 - ecash.pml:139 - [named[1] = 1] (0:33:1 - 1)
		IfNotBlocked
		reached[1][22] = 1;
		(trpt+1)->bup.oval = ((int)now.named[1]);
		now.named[1] = 1;
#ifdef VAR_RANGES
		logval("named[1]", ((int)now.named[1]));
#endif
		;
		/* merge: .(goto)(33, 24, 33) */
		reached[1][24] = 1;
		;
		/* merge: assert((!(named[1])||(c_claims>=2)))(33, 25, 33) */
		reached[1][25] = 1;
		spin_assert(( !(((int)now.named[1]))||(((int)now.c_claims)>=2)), "( !(named[1])||(c_claims>=2))", II, tt, t);
		/* merge: assert(((!(named[2])&&!(named[3]))&&!(named[4])))(33, 26, 33) */
		reached[1][26] = 1;
		spin_assert((( !(((int)now.named[2]))&& !(((int)now.named[3])))&& !(((int)now.named[4]))), "(( !(named[2])&& !(named[3]))&& !(named[4]))", II, tt, t);
		/* merge: .(goto)(33, 28, 33) */
		reached[1][28] = 1;
		;
		/* merge: .(goto)(33, 30, 33) */
		reached[1][30] = 1;
		;
		/* merge: .(goto)(0, 34, 33) */
		reached[1][34] = 1;
		;
		_m = 3; goto P999; /* 6 */
	case 49: // STATE 25 - ecash.pml:142 - [assert((!(named[1])||(c_claims>=2)))] (0:33:0 - 3)
		IfNotBlocked
		reached[1][25] = 1;
		spin_assert(( !(((int)now.named[1]))||(((int)now.c_claims)>=2)), "( !(named[1])||(c_claims>=2))", II, tt, t);
		/* merge: assert(((!(named[2])&&!(named[3]))&&!(named[4])))(33, 26, 33) */
		reached[1][26] = 1;
		spin_assert((( !(((int)now.named[2]))&& !(((int)now.named[3])))&& !(((int)now.named[4]))), "(( !(named[2])&& !(named[3]))&& !(named[4]))", II, tt, t);
		/* merge: .(goto)(33, 28, 33) */
		reached[1][28] = 1;
		;
		/* merge: .(goto)(33, 30, 33) */
		reached[1][30] = 1;
		;
		/* merge: .(goto)(0, 34, 33) */
		reached[1][34] = 1;
		;
		_m = 3; goto P999; /* 4 */
	case 50: // STATE 36 - ecash.pml:214 - [-end-] (0:0:0 - 1)
		IfNotBlocked
		reached[1][36] = 1;
		if (!delproc(1, II)) continue;
		_m = 3; goto P999; /* 0 */

		 /* PROC Customer */
	case 51: // STATE 1 - ecash.pml:176 - [ccheat = 1] (0:0:1 - 1)
		IfNotBlocked
		reached[0][1] = 1;
		(trpt+1)->bup.oval = ((int)now.ccheat);
		now.ccheat = 1;
#ifdef VAR_RANGES
		logval("ccheat", ((int)now.ccheat));
#endif
		;
		_m = 3; goto P999; /* 0 */
	case 52: // STATE 2 - ecash.pml:176 - [ccheat = 0] (0:0:1 - 1)
		IfNotBlocked
		reached[0][2] = 1;
		(trpt+1)->bup.oval = ((int)now.ccheat);
		now.ccheat = 0;
#ifdef VAR_RANGES
		logval("ccheat", ((int)now.ccheat));
#endif
		;
		_m = 3; goto P999; /* 0 */
	case 53: // STATE 5 - ecash.pml:179 - [(!(topped))] (16:0:3 - 1)
		IfNotBlocked
		reached[0][5] = 1;
		if (!( !(((int)now.topped))))
			continue;
		/* merge: acctC = (acctC-1)(16, 6, 16) */
		reached[0][6] = 1;
		(trpt+1)->bup.ovals = grab_ints(3);
		(trpt+1)->bup.ovals[0] = ((int)now.acctC);
		now.acctC = (((int)now.acctC)-1);
#ifdef VAR_RANGES
		logval("acctC", ((int)now.acctC));
#endif
		;
		/* merge: liab = (liab+1)(16, 7, 16) */
		reached[0][7] = 1;
		(trpt+1)->bup.ovals[1] = ((int)now.liab);
		now.liab = (((int)now.liab)+1);
#ifdef VAR_RANGES
		logval("liab", ((int)now.liab));
#endif
		;
		/* merge: topped = 1(16, 8, 16) */
		reached[0][8] = 1;
		(trpt+1)->bup.ovals[2] = ((int)now.topped);
		now.topped = 1;
#ifdef VAR_RANGES
		logval("topped", ((int)now.topped));
#endif
		;
		/* merge: .(goto)(0, 11, 16) */
		reached[0][11] = 1;
		;
		_m = 3; goto P999; /* 4 */
	case 54: // STATE 12 - ecash.pml:180 - [((budget>0))] (30:0:2 - 1)
		IfNotBlocked
		reached[0][12] = 1;
		if (!((((int)now.budget)>0)))
			continue;
		/* merge: budget = (budget-1)(30, 13, 30) */
		reached[0][13] = 1;
		(trpt+1)->bup.ovals = grab_ints(2);
		(trpt+1)->bup.ovals[0] = ((int)now.budget);
		now.budget = (((int)now.budget)-1);
#ifdef VAR_RANGES
		logval("budget", ((int)now.budget));
#endif
		;
		/* merge: lost = 1(30, 14, 30) */
		reached[0][14] = 1;
		(trpt+1)->bup.ovals[1] = ((int)((P0 *)_this)->lost);
		((P0 *)_this)->lost = 1;
#ifdef VAR_RANGES
		logval("Customer:lost", ((int)((P0 *)_this)->lost));
#endif
		;
		/* merge: .(goto)(30, 17, 30) */
		reached[0][17] = 1;
		;
		_m = 3; goto P999; /* 3 */
	case 55: // STATE 17 - ecash.pml:181 - [.(goto)] (0:30:0 - 2)
		IfNotBlocked
		reached[0][17] = 1;
		;
		_m = 3; goto P999; /* 0 */
	case 56: // STATE 15 - ecash.pml:180 - [have = 1] (0:30:1 - 1)
		IfNotBlocked
		reached[0][15] = 1;
		(trpt+1)->bup.oval = ((int)now.have);
		now.have = 1;
#ifdef VAR_RANGES
		logval("have", ((int)now.have));
#endif
		;
		/* merge: .(goto)(30, 17, 30) */
		reached[0][17] = 1;
		;
		_m = 3; goto P999; /* 1 */
	case 57: // STATE 19 - ecash.pml:184 - [(lost)] (0:0:1 - 1)
		IfNotBlocked
		reached[0][19] = 1;
		if (!(((int)((P0 *)_this)->lost)))
			continue;
		if (TstOnly) return 1; /* TT */
		/* dead 1: lost */  (trpt+1)->bup.oval = ((P0 *)_this)->lost;
#ifdef HAS_CODE
		if (!readtrail)
#endif
			((P0 *)_this)->lost = 0;
		_m = 3; goto P999; /* 0 */
	case 58: // STATE 20 - ecash.pml:184 - [(!(topped))] (32:0:4 - 1)
		IfNotBlocked
		reached[0][20] = 1;
		if (!( !(((int)now.topped))))
			continue;
		/* merge: acctC = (acctC-1)(32, 21, 32) */
		reached[0][21] = 1;
		(trpt+1)->bup.ovals = grab_ints(4);
		(trpt+1)->bup.ovals[0] = ((int)now.acctC);
		now.acctC = (((int)now.acctC)-1);
#ifdef VAR_RANGES
		logval("acctC", ((int)now.acctC));
#endif
		;
		/* merge: liab = (liab+1)(32, 22, 32) */
		reached[0][22] = 1;
		(trpt+1)->bup.ovals[1] = ((int)now.liab);
		now.liab = (((int)now.liab)+1);
#ifdef VAR_RANGES
		logval("liab", ((int)now.liab));
#endif
		;
		/* merge: topped = 1(32, 23, 32) */
		reached[0][23] = 1;
		(trpt+1)->bup.ovals[2] = ((int)now.topped);
		now.topped = 1;
#ifdef VAR_RANGES
		logval("topped", ((int)now.topped));
#endif
		;
		/* merge: .(goto)(32, 26, 32) */
		reached[0][26] = 1;
		;
		/* merge: have = 1(32, 27, 32) */
		reached[0][27] = 1;
		(trpt+1)->bup.ovals[3] = ((int)now.have);
		now.have = 1;
#ifdef VAR_RANGES
		logval("have", ((int)now.have));
#endif
		;
		/* merge: .(goto)(0, 31, 32) */
		reached[0][31] = 1;
		;
		_m = 3; goto P999; /* 6 */
	case 59: // STATE 26 - ecash.pml:184 - [.(goto)] (0:32:1 - 2)
		IfNotBlocked
		reached[0][26] = 1;
		;
		/* merge: have = 1(32, 27, 32) */
		reached[0][27] = 1;
		(trpt+1)->bup.oval = ((int)now.have);
		now.have = 1;
#ifdef VAR_RANGES
		logval("have", ((int)now.have));
#endif
		;
		/* merge: .(goto)(0, 31, 32) */
		reached[0][31] = 1;
		;
		_m = 3; goto P999; /* 2 */
	case 60: // STATE 32 - ecash.pml:189 - [assert(((acctC+have)==1))] (0:0:0 - 3)
		IfNotBlocked
		reached[0][32] = 1;
		spin_assert(((((int)now.acctC)+((int)now.have))==1), "((acctC+have)==1)", II, tt, t);
		_m = 3; goto P999; /* 0 */
	case 61: // STATE 33 - ecash.pml:191 - [(have)] (0:0:0 - 1)
		IfNotBlocked
		reached[0][33] = 1;
		if (!(((int)now.have)))
			continue;
		_m = 3; goto P999; /* 0 */
	case 62: // STATE 34 - ecash.pml:152 - [have = 0] (0:59:7 - 1)
		IfNotBlocked
		reached[0][34] = 1;
		(trpt+1)->bup.ovals = grab_ints(7);
		(trpt+1)->bup.ovals[0] = ((int)now.have);
		now.have = 0;
#ifdef VAR_RANGES
		logval("have", ((int)now.have));
#endif
		;
		/* merge: c_claims = (c_claims+1)(59, 35, 59) */
		reached[0][35] = 1;
		(trpt+1)->bup.ovals[1] = ((int)now.c_claims);
		now.c_claims = (((int)now.c_claims)+1);
#ifdef VAR_RANGES
		logval("c_claims", ((int)now.c_claims));
#endif
		;
		/* merge: e_seen = 1(59, 36, 59) */
		reached[0][36] = 1;
		(trpt+1)->bup.ovals[2] = ((int)now.e_seen);
		now.e_seen = 1;
#ifdef VAR_RANGES
		logval("e_seen", ((int)now.e_seen));
#endif
		;
		/* merge: mclaim[2].payee = 2(59, 37, 59) */
		reached[0][37] = 1;
		(trpt+1)->bup.ovals[3] = ((int)now.mclaim[2].payee);
		now.mclaim[2].payee = 2;
#ifdef VAR_RANGES
		logval("mclaim[2].payee", ((int)now.mclaim[2].payee));
#endif
		;
		/* merge: mclaim[2].by = 1(59, 38, 59) */
		reached[0][38] = 1;
		(trpt+1)->bup.ovals[4] = ((int)now.mclaim[2].by);
		now.mclaim[2].by = 1;
#ifdef VAR_RANGES
		logval("mclaim[2].by", ((int)now.mclaim[2].by));
#endif
		;
		/* merge: mclaim[2].own = 1(59, 39, 59) */
		reached[0][39] = 1;
		(trpt+1)->bup.ovals[5] = ((int)now.mclaim[2].own);
		now.mclaim[2].own = 1;
#ifdef VAR_RANGES
		logval("mclaim[2].own", ((int)now.mclaim[2].own));
#endif
		;
		/* merge: mclaim[2].prerev = !(revoked[1])(59, 40, 59) */
		reached[0][40] = 1;
		(trpt+1)->bup.ovals[6] = ((int)now.mclaim[2].prerev);
		now.mclaim[2].prerev =  !(((int)now.revoked[1]));
#ifdef VAR_RANGES
		logval("mclaim[2].prerev", ((int)now.mclaim[2].prerev));
#endif
		;
		_m = 3; goto P999; /* 6 */
	case 63: // STATE 41 - ecash.pml:156 - [(revoked[1])] (121:0:2 - 1)
		IfNotBlocked
		reached[0][41] = 1;
		if (!(((int)now.revoked[1])))
			continue;
		/* merge: have = 1(121, 42, 121) */
		reached[0][42] = 1;
		(trpt+1)->bup.ovals = grab_ints(2);
		(trpt+1)->bup.ovals[0] = ((int)now.have);
		now.have = 1;
#ifdef VAR_RANGES
		logval("have", ((int)now.have));
#endif
		;
		/* merge: c_claims = (c_claims-1)(121, 43, 121) */
		reached[0][43] = 1;
		(trpt+1)->bup.ovals[1] = ((int)now.c_claims);
		now.c_claims = (((int)now.c_claims)-1);
#ifdef VAR_RANGES
		logval("c_claims", ((int)now.c_claims));
#endif
		;
		/* merge: .(goto)(121, 60, 121) */
		reached[0][60] = 1;
		;
		/* merge: .(goto)(0, 65, 121) */
		reached[0][65] = 1;
		;
		/* merge: .(goto)(0, 122, 121) */
		reached[0][122] = 1;
		;
		_m = 3; goto P999; /* 5 */
	case 64: // STATE 60 - ecash.pml:169 - [.(goto)] (0:121:0 - 4)
		IfNotBlocked
		reached[0][60] = 1;
		;
		/* merge: .(goto)(0, 65, 121) */
		reached[0][65] = 1;
		;
		/* merge: .(goto)(0, 122, 121) */
		reached[0][122] = 1;
		;
		_m = 3; goto P999; /* 2 */
	case 65: // STATE 44 - ecash.pml:157 - [(((!(revoked[1])&&(2==2))&&(mcheat||(budget>0))))] (0:0:0 - 1)
		IfNotBlocked
		reached[0][44] = 1;
		if (!((( !(((int)now.revoked[1]))&&(2==2))&&(((int)now.mcheat)||(((int)now.budget)>0)))))
			continue;
		_m = 3; goto P999; /* 0 */
	case 66: // STATE 45 - ecash.pml:159 - [(!(mcheat))] (121:0:4 - 1)
		IfNotBlocked
		reached[0][45] = 1;
		if (!( !(((int)now.mcheat))))
			continue;
		/* merge: budget = (budget-1)(121, 46, 121) */
		reached[0][46] = 1;
		(trpt+1)->bup.ovals = grab_ints(4);
		(trpt+1)->bup.ovals[0] = ((int)now.budget);
		now.budget = (((int)now.budget)-1);
#ifdef VAR_RANGES
		logval("budget", ((int)now.budget));
#endif
		;
		/* merge: receipt[2] = 1(121, 47, 121) */
		reached[0][47] = 1;
		(trpt+1)->bup.ovals[1] = ((int)now.receipt[2]);
		now.receipt[2] = 1;
#ifdef VAR_RANGES
		logval("receipt[2]", ((int)now.receipt[2]));
#endif
		;
		/* merge: .(goto)(121, 50, 121) */
		reached[0][50] = 1;
		;
		/* merge: mhas[2] = 1(121, 51, 121) */
		reached[0][51] = 1;
		(trpt+1)->bup.ovals[2] = ((int)now.mhas[2]);
		now.mhas[2] = 1;
#ifdef VAR_RANGES
		logval("mhas[2]", ((int)now.mhas[2]));
#endif
		;
		/* merge: pending = 1(121, 52, 121) */
		reached[0][52] = 1;
		(trpt+1)->bup.ovals[3] = ((int)((P0 *)_this)->pending);
		((P0 *)_this)->pending = 1;
#ifdef VAR_RANGES
		logval("Customer:pending", ((int)((P0 *)_this)->pending));
#endif
		;
		/* merge: .(goto)(121, 60, 121) */
		reached[0][60] = 1;
		;
		/* merge: .(goto)(0, 65, 121) */
		reached[0][65] = 1;
		;
		/* merge: .(goto)(0, 122, 121) */
		reached[0][122] = 1;
		;
		_m = 3; goto P999; /* 8 */
	case 67: // STATE 51 - ecash.pml:160 - [mhas[2] = 1] (0:121:2 - 3)
		IfNotBlocked
		reached[0][51] = 1;
		(trpt+1)->bup.ovals = grab_ints(2);
		(trpt+1)->bup.ovals[0] = ((int)now.mhas[2]);
		now.mhas[2] = 1;
#ifdef VAR_RANGES
		logval("mhas[2]", ((int)now.mhas[2]));
#endif
		;
		/* merge: pending = 1(121, 52, 121) */
		reached[0][52] = 1;
		(trpt+1)->bup.ovals[1] = ((int)((P0 *)_this)->pending);
		((P0 *)_this)->pending = 1;
#ifdef VAR_RANGES
		logval("Customer:pending", ((int)((P0 *)_this)->pending));
#endif
		;
		/* merge: .(goto)(121, 60, 121) */
		reached[0][60] = 1;
		;
		/* merge: .(goto)(0, 65, 121) */
		reached[0][65] = 1;
		;
		/* merge: .(goto)(0, 122, 121) */
		reached[0][122] = 1;
		;
		_m = 3; goto P999; /* 4 */
	case 68: // STATE 53 - ecash.pml:166 - [(!(revoked[1]))] (121:0:2 - 1)
		IfNotBlocked
		reached[0][53] = 1;
		if (!( !(((int)now.revoked[1]))))
			continue;
		/* merge: mhas[2] = 1(121, 54, 121) */
		reached[0][54] = 1;
		(trpt+1)->bup.ovals = grab_ints(2);
		(trpt+1)->bup.ovals[0] = ((int)now.mhas[2]);
		now.mhas[2] = 1;
#ifdef VAR_RANGES
		logval("mhas[2]", ((int)now.mhas[2]));
#endif
		;
		/* merge: receipt[2] = 1(121, 55, 121) */
		reached[0][55] = 1;
		(trpt+1)->bup.ovals[1] = ((int)now.receipt[2]);
		now.receipt[2] = 1;
#ifdef VAR_RANGES
		logval("receipt[2]", ((int)now.receipt[2]));
#endif
		;
		/* merge: .(goto)(121, 60, 121) */
		reached[0][60] = 1;
		;
		/* merge: .(goto)(0, 65, 121) */
		reached[0][65] = 1;
		;
		/* merge: .(goto)(0, 122, 121) */
		reached[0][122] = 1;
		;
		_m = 3; goto P999; /* 5 */
	case 69: // STATE 56 - ecash.pml:167 - [(!(revoked[1]))] (121:0:2 - 1)
		IfNotBlocked
		reached[0][56] = 1;
		if (!( !(((int)now.revoked[1]))))
			continue;
		/* merge: have = 1(121, 57, 121) */
		reached[0][57] = 1;
		(trpt+1)->bup.ovals = grab_ints(2);
		(trpt+1)->bup.ovals[0] = ((int)now.have);
		now.have = 1;
#ifdef VAR_RANGES
		logval("have", ((int)now.have));
#endif
		;
		/* merge: c_claims = (c_claims-1)(121, 58, 121) */
		reached[0][58] = 1;
		(trpt+1)->bup.ovals[1] = ((int)now.c_claims);
		now.c_claims = (((int)now.c_claims)-1);
#ifdef VAR_RANGES
		logval("c_claims", ((int)now.c_claims));
#endif
		;
		/* merge: .(goto)(121, 60, 121) */
		reached[0][60] = 1;
		;
		/* merge: .(goto)(0, 65, 121) */
		reached[0][65] = 1;
		;
		/* merge: .(goto)(0, 122, 121) */
		reached[0][122] = 1;
		;
		_m = 3; goto P999; /* 5 */
	case 70: // STATE 66 - ecash.pml:193 - [((have&&!(mhas[3])))] (0:0:0 - 1)
		IfNotBlocked
		reached[0][66] = 1;
		if (!((((int)now.have)&& !(((int)now.mhas[3])))))
			continue;
		_m = 3; goto P999; /* 0 */
	case 71: // STATE 67 - ecash.pml:152 - [have = 0] (0:92:7 - 1)
		IfNotBlocked
		reached[0][67] = 1;
		(trpt+1)->bup.ovals = grab_ints(7);
		(trpt+1)->bup.ovals[0] = ((int)now.have);
		now.have = 0;
#ifdef VAR_RANGES
		logval("have", ((int)now.have));
#endif
		;
		/* merge: c_claims = (c_claims+1)(92, 68, 92) */
		reached[0][68] = 1;
		(trpt+1)->bup.ovals[1] = ((int)now.c_claims);
		now.c_claims = (((int)now.c_claims)+1);
#ifdef VAR_RANGES
		logval("c_claims", ((int)now.c_claims));
#endif
		;
		/* merge: e_seen = 1(92, 69, 92) */
		reached[0][69] = 1;
		(trpt+1)->bup.ovals[2] = ((int)now.e_seen);
		now.e_seen = 1;
#ifdef VAR_RANGES
		logval("e_seen", ((int)now.e_seen));
#endif
		;
		/* merge: mclaim[3].payee = 3(92, 70, 92) */
		reached[0][70] = 1;
		(trpt+1)->bup.ovals[3] = ((int)now.mclaim[3].payee);
		now.mclaim[3].payee = 3;
#ifdef VAR_RANGES
		logval("mclaim[3].payee", ((int)now.mclaim[3].payee));
#endif
		;
		/* merge: mclaim[3].by = 1(92, 71, 92) */
		reached[0][71] = 1;
		(trpt+1)->bup.ovals[4] = ((int)now.mclaim[3].by);
		now.mclaim[3].by = 1;
#ifdef VAR_RANGES
		logval("mclaim[3].by", ((int)now.mclaim[3].by));
#endif
		;
		/* merge: mclaim[3].own = 1(92, 72, 92) */
		reached[0][72] = 1;
		(trpt+1)->bup.ovals[5] = ((int)now.mclaim[3].own);
		now.mclaim[3].own = 1;
#ifdef VAR_RANGES
		logval("mclaim[3].own", ((int)now.mclaim[3].own));
#endif
		;
		/* merge: mclaim[3].prerev = !(revoked[1])(92, 73, 92) */
		reached[0][73] = 1;
		(trpt+1)->bup.ovals[6] = ((int)now.mclaim[3].prerev);
		now.mclaim[3].prerev =  !(((int)now.revoked[1]));
#ifdef VAR_RANGES
		logval("mclaim[3].prerev", ((int)now.mclaim[3].prerev));
#endif
		;
		_m = 3; goto P999; /* 6 */
	case 72: // STATE 74 - ecash.pml:156 - [(revoked[1])] (121:0:2 - 1)
		IfNotBlocked
		reached[0][74] = 1;
		if (!(((int)now.revoked[1])))
			continue;
		/* merge: have = 1(121, 75, 121) */
		reached[0][75] = 1;
		(trpt+1)->bup.ovals = grab_ints(2);
		(trpt+1)->bup.ovals[0] = ((int)now.have);
		now.have = 1;
#ifdef VAR_RANGES
		logval("have", ((int)now.have));
#endif
		;
		/* merge: c_claims = (c_claims-1)(121, 76, 121) */
		reached[0][76] = 1;
		(trpt+1)->bup.ovals[1] = ((int)now.c_claims);
		now.c_claims = (((int)now.c_claims)-1);
#ifdef VAR_RANGES
		logval("c_claims", ((int)now.c_claims));
#endif
		;
		/* merge: .(goto)(121, 93, 121) */
		reached[0][93] = 1;
		;
		/* merge: .(goto)(0, 122, 121) */
		reached[0][122] = 1;
		;
		_m = 3; goto P999; /* 4 */
	case 73: // STATE 93 - ecash.pml:169 - [.(goto)] (0:121:0 - 4)
		IfNotBlocked
		reached[0][93] = 1;
		;
		/* merge: .(goto)(0, 122, 121) */
		reached[0][122] = 1;
		;
		_m = 3; goto P999; /* 1 */
	case 74: // STATE 77 - ecash.pml:157 - [(((!(revoked[1])&&(3==2))&&(mcheat||(budget>0))))] (0:0:0 - 1)
		IfNotBlocked
		reached[0][77] = 1;
		if (!((( !(((int)now.revoked[1]))&&(3==2))&&(((int)now.mcheat)||(((int)now.budget)>0)))))
			continue;
		_m = 3; goto P999; /* 0 */
	case 75: // STATE 78 - ecash.pml:159 - [(!(mcheat))] (121:0:4 - 1)
		IfNotBlocked
		reached[0][78] = 1;
		if (!( !(((int)now.mcheat))))
			continue;
		/* merge: budget = (budget-1)(121, 79, 121) */
		reached[0][79] = 1;
		(trpt+1)->bup.ovals = grab_ints(4);
		(trpt+1)->bup.ovals[0] = ((int)now.budget);
		now.budget = (((int)now.budget)-1);
#ifdef VAR_RANGES
		logval("budget", ((int)now.budget));
#endif
		;
		/* merge: receipt[3] = 1(121, 80, 121) */
		reached[0][80] = 1;
		(trpt+1)->bup.ovals[1] = ((int)now.receipt[3]);
		now.receipt[3] = 1;
#ifdef VAR_RANGES
		logval("receipt[3]", ((int)now.receipt[3]));
#endif
		;
		/* merge: .(goto)(121, 83, 121) */
		reached[0][83] = 1;
		;
		/* merge: mhas[3] = 1(121, 84, 121) */
		reached[0][84] = 1;
		(trpt+1)->bup.ovals[2] = ((int)now.mhas[3]);
		now.mhas[3] = 1;
#ifdef VAR_RANGES
		logval("mhas[3]", ((int)now.mhas[3]));
#endif
		;
		/* merge: pending = 1(121, 85, 121) */
		reached[0][85] = 1;
		(trpt+1)->bup.ovals[3] = ((int)((P0 *)_this)->pending);
		((P0 *)_this)->pending = 1;
#ifdef VAR_RANGES
		logval("Customer:pending", ((int)((P0 *)_this)->pending));
#endif
		;
		/* merge: .(goto)(121, 93, 121) */
		reached[0][93] = 1;
		;
		/* merge: .(goto)(0, 122, 121) */
		reached[0][122] = 1;
		;
		_m = 3; goto P999; /* 7 */
	case 76: // STATE 84 - ecash.pml:160 - [mhas[3] = 1] (0:121:2 - 3)
		IfNotBlocked
		reached[0][84] = 1;
		(trpt+1)->bup.ovals = grab_ints(2);
		(trpt+1)->bup.ovals[0] = ((int)now.mhas[3]);
		now.mhas[3] = 1;
#ifdef VAR_RANGES
		logval("mhas[3]", ((int)now.mhas[3]));
#endif
		;
		/* merge: pending = 1(121, 85, 121) */
		reached[0][85] = 1;
		(trpt+1)->bup.ovals[1] = ((int)((P0 *)_this)->pending);
		((P0 *)_this)->pending = 1;
#ifdef VAR_RANGES
		logval("Customer:pending", ((int)((P0 *)_this)->pending));
#endif
		;
		/* merge: .(goto)(121, 93, 121) */
		reached[0][93] = 1;
		;
		/* merge: .(goto)(0, 122, 121) */
		reached[0][122] = 1;
		;
		_m = 3; goto P999; /* 3 */
	case 77: // STATE 86 - ecash.pml:166 - [(!(revoked[1]))] (121:0:2 - 1)
		IfNotBlocked
		reached[0][86] = 1;
		if (!( !(((int)now.revoked[1]))))
			continue;
		/* merge: mhas[3] = 1(121, 87, 121) */
		reached[0][87] = 1;
		(trpt+1)->bup.ovals = grab_ints(2);
		(trpt+1)->bup.ovals[0] = ((int)now.mhas[3]);
		now.mhas[3] = 1;
#ifdef VAR_RANGES
		logval("mhas[3]", ((int)now.mhas[3]));
#endif
		;
		/* merge: receipt[3] = 1(121, 88, 121) */
		reached[0][88] = 1;
		(trpt+1)->bup.ovals[1] = ((int)now.receipt[3]);
		now.receipt[3] = 1;
#ifdef VAR_RANGES
		logval("receipt[3]", ((int)now.receipt[3]));
#endif
		;
		/* merge: .(goto)(121, 93, 121) */
		reached[0][93] = 1;
		;
		/* merge: .(goto)(0, 122, 121) */
		reached[0][122] = 1;
		;
		_m = 3; goto P999; /* 4 */
	case 78: // STATE 89 - ecash.pml:167 - [(!(revoked[1]))] (121:0:2 - 1)
		IfNotBlocked
		reached[0][89] = 1;
		if (!( !(((int)now.revoked[1]))))
			continue;
		/* merge: have = 1(121, 90, 121) */
		reached[0][90] = 1;
		(trpt+1)->bup.ovals = grab_ints(2);
		(trpt+1)->bup.ovals[0] = ((int)now.have);
		now.have = 1;
#ifdef VAR_RANGES
		logval("have", ((int)now.have));
#endif
		;
		/* merge: c_claims = (c_claims-1)(121, 91, 121) */
		reached[0][91] = 1;
		(trpt+1)->bup.ovals[1] = ((int)now.c_claims);
		now.c_claims = (((int)now.c_claims)-1);
#ifdef VAR_RANGES
		logval("c_claims", ((int)now.c_claims));
#endif
		;
		/* merge: .(goto)(121, 93, 121) */
		reached[0][93] = 1;
		;
		/* merge: .(goto)(0, 122, 121) */
		reached[0][122] = 1;
		;
		_m = 3; goto P999; /* 4 */
	case 79: // STATE 96 - ecash.pml:194 - [((((ccheat&&!(have))&&(c_claims==1))&&!(mhas[3])))] (0:0:0 - 1)
		IfNotBlocked
		reached[0][96] = 1;
		if (!((((((int)now.ccheat)&& !(((int)now.have)))&&(((int)now.c_claims)==1))&& !(((int)now.mhas[3])))))
			continue;
		_m = 3; goto P999; /* 0 */
	case 80: // STATE 97 - ecash.pml:196 - [c_claims = (c_claims+1)] (0:107:6 - 1)
		IfNotBlocked
		reached[0][97] = 1;
		(trpt+1)->bup.ovals = grab_ints(6);
		(trpt+1)->bup.ovals[0] = ((int)now.c_claims);
		now.c_claims = (((int)now.c_claims)+1);
#ifdef VAR_RANGES
		logval("c_claims", ((int)now.c_claims));
#endif
		;
		/* merge: e_seen = 1(107, 98, 107) */
		reached[0][98] = 1;
		(trpt+1)->bup.ovals[1] = ((int)now.e_seen);
		now.e_seen = 1;
#ifdef VAR_RANGES
		logval("e_seen", ((int)now.e_seen));
#endif
		;
		/* merge: mclaim[3].payee = 3(107, 99, 107) */
		reached[0][99] = 1;
		(trpt+1)->bup.ovals[2] = ((int)now.mclaim[3].payee);
		now.mclaim[3].payee = 3;
#ifdef VAR_RANGES
		logval("mclaim[3].payee", ((int)now.mclaim[3].payee));
#endif
		;
		/* merge: mclaim[3].by = 1(107, 100, 107) */
		reached[0][100] = 1;
		(trpt+1)->bup.ovals[3] = ((int)now.mclaim[3].by);
		now.mclaim[3].by = 1;
#ifdef VAR_RANGES
		logval("mclaim[3].by", ((int)now.mclaim[3].by));
#endif
		;
		/* merge: mclaim[3].own = 1(107, 101, 107) */
		reached[0][101] = 1;
		(trpt+1)->bup.ovals[4] = ((int)now.mclaim[3].own);
		now.mclaim[3].own = 1;
#ifdef VAR_RANGES
		logval("mclaim[3].own", ((int)now.mclaim[3].own));
#endif
		;
		/* merge: mclaim[3].prerev = !(revoked[1])(107, 102, 107) */
		reached[0][102] = 1;
		(trpt+1)->bup.ovals[5] = ((int)now.mclaim[3].prerev);
		now.mclaim[3].prerev =  !(((int)now.revoked[1]));
#ifdef VAR_RANGES
		logval("mclaim[3].prerev", ((int)now.mclaim[3].prerev));
#endif
		;
		_m = 3; goto P999; /* 5 */
	case 81: // STATE 103 - ecash.pml:198 - [(!(revoked[1]))] (121:0:2 - 1)
		IfNotBlocked
		reached[0][103] = 1;
		if (!( !(((int)now.revoked[1]))))
			continue;
		/* merge: mhas[3] = 1(121, 104, 121) */
		reached[0][104] = 1;
		(trpt+1)->bup.ovals = grab_ints(2);
		(trpt+1)->bup.ovals[0] = ((int)now.mhas[3]);
		now.mhas[3] = 1;
#ifdef VAR_RANGES
		logval("mhas[3]", ((int)now.mhas[3]));
#endif
		;
		/* merge: receipt[3] = 1(121, 105, 121) */
		reached[0][105] = 1;
		(trpt+1)->bup.ovals[1] = ((int)now.receipt[3]);
		now.receipt[3] = 1;
#ifdef VAR_RANGES
		logval("receipt[3]", ((int)now.receipt[3]));
#endif
		;
		/* merge: .(goto)(121, 108, 121) */
		reached[0][108] = 1;
		;
		/* merge: .(goto)(0, 122, 121) */
		reached[0][122] = 1;
		;
		_m = 3; goto P999; /* 4 */
	case 82: // STATE 108 - ecash.pml:198 - [.(goto)] (0:121:0 - 2)
		IfNotBlocked
		reached[0][108] = 1;
		;
		/* merge: .(goto)(0, 122, 121) */
		reached[0][122] = 1;
		;
		_m = 3; goto P999; /* 1 */
	case 83: // STATE 110 - ecash.pml:199 - [((pending&&(!(mhas[2])||mdone[2])))] (0:0:1 - 1)
		IfNotBlocked
		reached[0][110] = 1;
		if (!((((int)((P0 *)_this)->pending)&&( !(((int)now.mhas[2]))||((int)now.mdone[2])))))
			continue;
		if (TstOnly) return 1; /* TT */
		/* dead 1: pending */  (trpt+1)->bup.oval = ((P0 *)_this)->pending;
#ifdef HAS_CODE
		if (!readtrail)
#endif
			((P0 *)_this)->pending = 0;
		_m = 3; goto P999; /* 0 */
	case 84: // STATE 111 - ecash.pml:202 - [pending = 0] (0:0:1 - 1)
		IfNotBlocked
		reached[0][111] = 1;
		(trpt+1)->bup.oval = ((int)((P0 *)_this)->pending);
		((P0 *)_this)->pending = 0;
#ifdef VAR_RANGES
		logval("Customer:pending", ((int)((P0 *)_this)->pending));
#endif
		;
		_m = 3; goto P999; /* 0 */
	case 85: // STATE 112 - ecash.pml:203 - [((!(deposited)&&!(retired)))] (121:0:2 - 1)
		IfNotBlocked
		reached[0][112] = 1;
		if (!(( !(((int)now.deposited))&& !(((int)now.retired)))))
			continue;
		/* merge: retired = 1(121, 113, 121) */
		reached[0][113] = 1;
		(trpt+1)->bup.ovals = grab_ints(2);
		(trpt+1)->bup.ovals[0] = ((int)now.retired);
		now.retired = 1;
#ifdef VAR_RANGES
		logval("retired", ((int)now.retired));
#endif
		;
		/* merge: fresh = 1(121, 114, 121) */
		reached[0][114] = 1;
		(trpt+1)->bup.ovals[1] = ((int)fresh);
		fresh = 1;
#ifdef VAR_RANGES
		logval("fresh", ((int)fresh));
#endif
		;
		/* merge: .(goto)(121, 117, 121) */
		reached[0][117] = 1;
		;
		/* merge: .(goto)(0, 122, 121) */
		reached[0][122] = 1;
		;
		_m = 3; goto P999; /* 4 */
	case 86: // STATE 117 - ecash.pml:204 - [.(goto)] (0:121:0 - 2)
		IfNotBlocked
		reached[0][117] = 1;
		;
		/* merge: .(goto)(0, 122, 121) */
		reached[0][122] = 1;
		;
		_m = 3; goto P999; /* 1 */
	case 87: // STATE 124 - ecash.pml:207 - [-end-] (0:0:0 - 3)
		IfNotBlocked
		reached[0][124] = 1;
		if (!delproc(1, II)) continue;
		_m = 3; goto P999; /* 0 */
	case  _T5:	/* np_ */
		if (!((!(trpt->o_pm&4) && !(trpt->tau&128))))
			continue;
		/* else fall through */
	case  _T2:	/* true */
		_m = 3; goto P999;
#undef rand
	}

