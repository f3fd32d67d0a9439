/* The codex bank's HTTP bodies as field specs (api.h). */
#include "schemes/codex/api.h"

void codex_api_open_req_spec(struct codex_api_open_req *m)
{
	m->f[0] = (struct obol_field)OBOL_F_TEXT("request_id", 1, m->request_id, CODEX_API_RID_MAX, .min = 1);
	m->f[1] = (struct obol_field)OBOL_F_FIXED("box_pk", 2, m->box_pk, OBOL_BOX_PK_LEN);
	m->f[2] = (struct obol_field)OBOL_F_AMOUNT("amount", 3, &m->amount);
	m->f[3] = (struct obol_field)OBOL_F_AMOUNT("deposit", 4, &m->deposit);
	m->spec = OBOL_FIELDS(m->f);
}

void codex_api_open_reply_spec(struct codex_api_open_reply *m)
{
	m->f[0] = (struct obol_field)OBOL_F_BYTES("cert", 1, m->cert, 1, CODEX_CERT_MAX, &m->cert_len);
	m->f[1] = (struct obol_field)OBOL_F_BYTES("state", 2, m->state, 1, CODEX_STATE_MAX, &m->state_len,
						  OBOL_OPT(&m->has_state));
	m->f[2] = (struct obol_field)OBOL_F_BYTES("blacklist", 3, m->blacklist, 1, CODEX_BLACKLIST_BYTES_MAX,
						  &m->blacklist_len);
	m->spec = OBOL_FIELDS(m->f);
}

void codex_api_vendor_req_spec(struct codex_api_vendor_req *m)
{
	m->f[0] = (struct obol_field)OBOL_F_FIXED("box_pk", 1, m->box_pk, OBOL_BOX_PK_LEN);
	m->f[1] = (struct obol_field)OBOL_F_TEXT("request_id", 2, m->request_id, CODEX_API_RID_MAX, .min = 1,
						 OBOL_OPT(&m->has_request_id));
	m->spec = OBOL_FIELDS(m->f);
}

void codex_api_sync_req_spec(struct codex_api_sync_req *m, bool close)
{
	m->f[0] = (struct obol_field)OBOL_F_TEXT("request_id", 1, m->request_id, CODEX_API_RID_MAX, .min = 1);
	m->f[1] = (struct obol_field)OBOL_F_BYTES("state", 2, m->state, 1, CODEX_STATE_MAX, &m->state_len);
	m->f[2] = (struct obol_field)OBOL_F_BYTES_LIST("entries", 3, m->entries, 1, CODEX_ENTRY_MAX, m->entry_len,
						       &m->nentries, CODEX_LOG_MAX);
	m->f[3] = (struct obol_field)OBOL_F_AMOUNT("balance", 4, &m->balance);
	m->f[4] = (struct obol_field)OBOL_F_FIXED_LIST("refusals", 6, m->refusals, CODEX_REFUSAL_LEN, &m->nrefusals,
						       CODEX_SYNC_REFUSALS_MAX, OBOL_OPT(&m->has_refusals));
	m->f[5] = (struct obol_field)OBOL_F_AMOUNT("load", 5, &m->load, OBOL_OPT(&m->has_load));
	m->spec = (struct obol_fields){ m->f, close ? 5 : 6 };
}

static obol_err settled_element(void *ctx, size_t i, struct obol_fields *out)
{
	struct codex_api_sync_reply *m = ctx;
	m->sf[0] = (struct obol_field)OBOL_F_FIXED("id", 1, m->settled[i].id, CODEX_TOKEN_ID_LEN);
	m->sf[1] = (struct obol_field)OBOL_F_INT("time", 2, &m->settled[i].time);
	m->sspec = OBOL_FIELDS(m->sf);
	*out = m->sspec;
	return OBOL_OK;
}

void codex_api_sync_reply_spec(struct codex_api_sync_reply *m)
{
	m->settled_arr = (struct obol_field_array){ settled_element, m, &m->nsettled, CODEX_SETTLED_MAX };
	m->f[0] = (struct obol_field)OBOL_F_BOOL("blacklisted", 1, &m->blacklisted);
	m->f[1] = (struct obol_field)OBOL_F_UINT("findings", 2, &m->findings, 0);
	m->f[2] = (struct obol_field)OBOL_F_BOOL("renewed", 3, &m->renewed, OBOL_OPT(&m->has_renewed));
	m->f[3] = (struct obol_field)OBOL_F_BYTES("state", 4, m->state, 1, CODEX_STATE_MAX, &m->state_len,
						  OBOL_OPT(&m->has_state));
	m->f[4] = (struct obol_field)OBOL_F_BYTES("cert", 5, m->cert, 1, CODEX_CERT_MAX, &m->cert_len,
						  OBOL_OPT(&m->has_cert));
	m->f[5] = (struct obol_field)OBOL_F_BYTES("blacklist", 6, m->blacklist, 1, CODEX_BLACKLIST_BYTES_MAX,
						  &m->blacklist_len, OBOL_OPT(&m->has_blacklist));
	m->f[6] = (struct obol_field)OBOL_F_AMOUNT("value", 7, &m->value, OBOL_OPT(&m->has_value));
	m->f[7] = (struct obol_field)OBOL_F_ARRAY("settled", 8, &m->settled_arr, OBOL_OPT(&m->has_settled));
	m->f[8] = (struct obol_field)OBOL_F_BOOL("closed", 9, &m->closed, OBOL_OPT(&m->has_closed));
	m->f[9] = (struct obol_field)OBOL_F_AMOUNT("paid_out", 10, &m->paid_out, OBOL_OPT(&m->has_paid_out));
	m->f[10] = (struct obol_field)OBOL_F_AMOUNT("held", 11, &m->held, OBOL_OPT(&m->has_held));
	m->f[11] = (struct obol_field)OBOL_F_INT("held_until", 12, &m->held_until, OBOL_OPT(&m->has_held_until));
	m->spec = OBOL_FIELDS(m->f);
}

void codex_api_deposit_req_spec(struct codex_api_deposit_req *m)
{
	m->f[0] = (struct obol_field)OBOL_F_TEXT("request_id", 1, m->request_id, CODEX_API_RID_MAX, .min = 1);
	m->f[1] = (struct obol_field)OBOL_F_BYTES_LIST("tokens", 2, m->tokens, 1, CODEX_TOKEN_MAX, m->token_len,
						       &m->ntokens, CODEX_DEPOSIT_MAX);
	m->f[2] = (struct obol_field)OBOL_F_FIXED_LIST("refusals", 3, m->refusals, CODEX_REFUSAL_LEN, &m->nrefusals,
						       CODEX_DEPOSIT_MAX, OBOL_OPT(&m->has_refusals));
	m->spec = OBOL_FIELDS(m->f);
}

void codex_api_deposit_reply_spec(struct codex_api_deposit_reply *m)
{
	m->f[0] = (struct obol_field)OBOL_F_UINT_LIST("results", 1, m->results, 0, &m->nresults, CODEX_DEPOSIT_MAX);
	m->f[1] = (struct obol_field)OBOL_F_AMOUNT("paid", 2, &m->paid);
	m->f[2] = (struct obol_field)OBOL_F_BYTES("blacklist", 3, m->blacklist, 1, CODEX_BLACKLIST_BYTES_MAX,
						  &m->blacklist_len);
	m->spec = OBOL_FIELDS(m->f);
}

void codex_api_release_req_spec(struct codex_api_release_req *m)
{
	m->f[0] = (struct obol_field)OBOL_F_TEXT("request_id", 1, m->request_id, CODEX_API_RID_MAX, .min = 1);
	m->spec = OBOL_FIELDS(m->f);
}

void codex_api_release_reply_spec(struct codex_api_release_reply *m)
{
	m->f[0] = (struct obol_field)OBOL_F_AMOUNT("paid", 1, &m->paid);
	m->spec = OBOL_FIELDS(m->f);
}

void codex_api_blacklist_reply_spec(struct codex_api_blacklist_reply *m)
{
	m->f[0] = (struct obol_field)OBOL_F_BYTES("blacklist", 1, m->blacklist, 1, CODEX_BLACKLIST_BYTES_MAX,
						  &m->blacklist_len);
	m->f[1] = (struct obol_field)OBOL_F_UINT("version", 2, &m->version, 0);
	m->spec = OBOL_FIELDS(m->f);
}

void codex_api_blacklist_page_reply_spec(struct codex_api_blacklist_page_reply *m)
{
	m->f[0] = (struct obol_field)OBOL_F_BYTES("page", 1, m->page, 1, CODEX_BLACKLIST_PAGE_BYTES_MAX, &m->page_len);
	m->spec = OBOL_FIELDS(m->f);
}
