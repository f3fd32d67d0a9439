	switch (t->back) {
	default: Uerror("bad return move");
	case  0: goto R999; /* nothing to undo */

		 /* PROC :init: */

	case 3: // STATE 1
		;
		now.mcheat = trpt->bup.oval;
		;
		goto R999;

	case 4: // STATE 2
		;
		now.mcheat = trpt->bup.oval;
		;
		goto R999;

	case 5: // STATE 5
		;
		;
		delproc(0, now._nr_pr-1);
		;
		goto R999;

	case 6: // STATE 6
		;
		;
		delproc(0, now._nr_pr-1);
		;
		goto R999;

	case 7: // STATE 7
		;
		p_restor(II);
		;
		;
		goto R999;

		 /* PROC Final */
;
		;
		;
		;
		
	case 10: // STATE 3
		;
		p_restor(II);
		;
		;
		goto R999;

		 /* PROC World */

	case 11: // STATE 2
		;
		now.revoked[1] = trpt->bup.oval;
		;
		goto R999;

	case 12: // STATE 4
		;
		p_restor(II);
		;
		;
		goto R999;

		 /* PROC Eavesdropper */

	case 13: // STATE 5
		;
		((P2 *)_this)->cl.prerev = trpt->bup.ovals[3];
		((P2 *)_this)->cl.own = trpt->bup.ovals[2];
		((P2 *)_this)->cl.by = trpt->bup.ovals[1];
		((P2 *)_this)->cl.payee = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 4);
		goto R999;
;
		;
		;
		
	case 15: // STATE 7
		goto R999;
;
		
	case 16: // STATE 33
		goto R999;

	case 17: // STATE 18
		;
		now.cred[4] = trpt->bup.ovals[7];
		now.liab = trpt->bup.ovals[6];
		now.dep.prerev = trpt->bup.ovals[5];
		now.dep.own = trpt->bup.ovals[4];
		now.dep.by = trpt->bup.ovals[3];
		now.dep.payee = trpt->bup.ovals[2];
		now.depositor = trpt->bup.ovals[1];
		now.deposited = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 8);
		goto R999;
;
		
	case 18: // STATE 31
		goto R999;
;
		;
		;
		
	case 20: // STATE 20
		goto R999;
;
		;
		
	case 22: // STATE 23
		;
		now.named[ Index(((P2 *)_this)->cl.by, 5) ] = trpt->bup.oval;
		;
		goto R999;

	case 23: // STATE 25
		;
		now.named[1] = trpt->bup.oval;
		;
		goto R999;
;
		
	case 24: // STATE 28
		goto R999;

	case 25: // STATE 40
		;
		((P2 *)_this)->cl.prerev = trpt->bup.ovals[3];
		((P2 *)_this)->cl.own = trpt->bup.ovals[2];
		((P2 *)_this)->cl.by = trpt->bup.ovals[1];
		((P2 *)_this)->cl.payee = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 4);
		goto R999;
;
		;
		;
		
	case 27: // STATE 42
		goto R999;
;
		
	case 28: // STATE 68
		goto R999;

	case 29: // STATE 53
		;
		now.cred[4] = trpt->bup.ovals[7];
		now.liab = trpt->bup.ovals[6];
		now.dep.prerev = trpt->bup.ovals[5];
		now.dep.own = trpt->bup.ovals[4];
		now.dep.by = trpt->bup.ovals[3];
		now.dep.payee = trpt->bup.ovals[2];
		now.depositor = trpt->bup.ovals[1];
		now.deposited = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 8);
		goto R999;
;
		
	case 30: // STATE 66
		goto R999;
;
		;
		;
		
	case 32: // STATE 55
		goto R999;
;
		;
		
	case 34: // STATE 58
		;
		now.named[ Index(((P2 *)_this)->cl.by, 5) ] = trpt->bup.oval;
		;
		goto R999;

	case 35: // STATE 60
		;
		now.named[1] = trpt->bup.oval;
		;
		goto R999;
;
		
	case 36: // STATE 63
		goto R999;

	case 37: // STATE 74
		;
		p_restor(II);
		;
		;
		goto R999;

		 /* PROC Merchant */

	case 38: // STATE 2
		;
		now.mdone[ Index(((P1 *)_this)->me, 5) ] = trpt->bup.oval;
		;
		goto R999;
;
		;
		;
		
	case 40: // STATE 4
		goto R999;
;
		
	case 41: // STATE 30
		goto R999;

	case 42: // STATE 15
		;
		now.cred[ Index(((P1 *)_this)->me, 5) ] = trpt->bup.ovals[7];
		now.liab = trpt->bup.ovals[6];
		now.dep.prerev = trpt->bup.ovals[5];
		now.dep.own = trpt->bup.ovals[4];
		now.dep.by = trpt->bup.ovals[3];
		now.dep.payee = trpt->bup.ovals[2];
		now.depositor = trpt->bup.ovals[1];
		now.deposited = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 8);
		goto R999;
;
		
	case 43: // STATE 28
		goto R999;
;
		;
		;
		
	case 45: // STATE 17
		goto R999;
;
		;
		
	case 47: // STATE 20
		;
		now.named[ Index(now.mclaim[ Index(((P1 *)_this)->me, 5) ].by, 5) ] = trpt->bup.oval;
		;
		goto R999;

	case 48: // STATE 22
		;
		now.named[1] = trpt->bup.oval;
		;
		goto R999;
;
		
	case 49: // STATE 25
		goto R999;

	case 50: // STATE 36
		;
		p_restor(II);
		;
		;
		goto R999;

		 /* PROC Customer */

	case 51: // STATE 1
		;
		now.ccheat = trpt->bup.oval;
		;
		goto R999;

	case 52: // STATE 2
		;
		now.ccheat = trpt->bup.oval;
		;
		goto R999;

	case 53: // STATE 8
		;
		now.topped = trpt->bup.ovals[2];
		now.liab = trpt->bup.ovals[1];
		now.acctC = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 3);
		goto R999;

	case 54: // STATE 14
		;
		((P0 *)_this)->lost = trpt->bup.ovals[1];
		now.budget = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 2);
		goto R999;
;
		
	case 55: // STATE 17
		goto R999;

	case 56: // STATE 15
		;
		now.have = trpt->bup.oval;
		;
		goto R999;

	case 57: // STATE 19
		;
	/* 0 */	((P0 *)_this)->lost = trpt->bup.oval;
		;
		;
		goto R999;

	case 58: // STATE 27
		;
		now.have = trpt->bup.ovals[3];
		now.topped = trpt->bup.ovals[2];
		now.liab = trpt->bup.ovals[1];
		now.acctC = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 4);
		goto R999;

	case 59: // STATE 27
		;
		now.have = trpt->bup.oval;
		;
		goto R999;
;
		;
		;
		;
		
	case 62: // STATE 40
		;
		now.mclaim[2].prerev = trpt->bup.ovals[6];
		now.mclaim[2].own = trpt->bup.ovals[5];
		now.mclaim[2].by = trpt->bup.ovals[4];
		now.mclaim[2].payee = trpt->bup.ovals[3];
		now.e_seen = trpt->bup.ovals[2];
		now.c_claims = trpt->bup.ovals[1];
		now.have = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 7);
		goto R999;

	case 63: // STATE 43
		;
		now.c_claims = trpt->bup.ovals[1];
		now.have = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 2);
		goto R999;
;
		
	case 64: // STATE 60
		goto R999;
;
		;
		
	case 66: // STATE 52
		;
		((P0 *)_this)->pending = trpt->bup.ovals[3];
		now.mhas[2] = trpt->bup.ovals[2];
		now.receipt[2] = trpt->bup.ovals[1];
		now.budget = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 4);
		goto R999;

	case 67: // STATE 52
		;
		((P0 *)_this)->pending = trpt->bup.ovals[1];
		now.mhas[2] = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 2);
		goto R999;

	case 68: // STATE 55
		;
		now.receipt[2] = trpt->bup.ovals[1];
		now.mhas[2] = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 2);
		goto R999;

	case 69: // STATE 58
		;
		now.c_claims = trpt->bup.ovals[1];
		now.have = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 2);
		goto R999;
;
		;
		
	case 71: // STATE 73
		;
		now.mclaim[3].prerev = trpt->bup.ovals[6];
		now.mclaim[3].own = trpt->bup.ovals[5];
		now.mclaim[3].by = trpt->bup.ovals[4];
		now.mclaim[3].payee = trpt->bup.ovals[3];
		now.e_seen = trpt->bup.ovals[2];
		now.c_claims = trpt->bup.ovals[1];
		now.have = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 7);
		goto R999;

	case 72: // STATE 76
		;
		now.c_claims = trpt->bup.ovals[1];
		now.have = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 2);
		goto R999;
;
		
	case 73: // STATE 93
		goto R999;
;
		;
		
	case 75: // STATE 85
		;
		((P0 *)_this)->pending = trpt->bup.ovals[3];
		now.mhas[3] = trpt->bup.ovals[2];
		now.receipt[3] = trpt->bup.ovals[1];
		now.budget = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 4);
		goto R999;

	case 76: // STATE 85
		;
		((P0 *)_this)->pending = trpt->bup.ovals[1];
		now.mhas[3] = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 2);
		goto R999;

	case 77: // STATE 88
		;
		now.receipt[3] = trpt->bup.ovals[1];
		now.mhas[3] = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 2);
		goto R999;

	case 78: // STATE 91
		;
		now.c_claims = trpt->bup.ovals[1];
		now.have = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 2);
		goto R999;
;
		;
		
	case 80: // STATE 102
		;
		now.mclaim[3].prerev = trpt->bup.ovals[5];
		now.mclaim[3].own = trpt->bup.ovals[4];
		now.mclaim[3].by = trpt->bup.ovals[3];
		now.mclaim[3].payee = trpt->bup.ovals[2];
		now.e_seen = trpt->bup.ovals[1];
		now.c_claims = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 6);
		goto R999;

	case 81: // STATE 105
		;
		now.receipt[3] = trpt->bup.ovals[1];
		now.mhas[3] = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 2);
		goto R999;
;
		
	case 82: // STATE 108
		goto R999;

	case 83: // STATE 110
		;
	/* 0 */	((P0 *)_this)->pending = trpt->bup.oval;
		;
		;
		goto R999;

	case 84: // STATE 111
		;
		((P0 *)_this)->pending = trpt->bup.oval;
		;
		goto R999;

	case 85: // STATE 114
		;
		fresh = trpt->bup.ovals[1];
		now.retired = trpt->bup.ovals[0];
		;
		ungrab_ints(trpt->bup.ovals, 2);
		goto R999;
;
		
	case 86: // STATE 117
		goto R999;

	case 87: // STATE 124
		;
		p_restor(II);
		;
		;
		goto R999;
	}

