/* The bodies of the codex bank's HTTP API (POST /codex/open, /vendor, /sync,
 * /close, /deposit, /release; GET /codex/blacklist), each declared once as
 * a field spec (wire/fields.h) over a struct, so that the issuer's routes
 * and the wallet and vendor that call them read and write the same thing.
 * Binary fields carry the fixed binary forms of messages.h (base64url in
 * JSON). The structs holding a log are large: allocate them on the heap. */
#ifndef OBOL_SCHEMES_CODEX_API_H
#define OBOL_SCHEMES_CODEX_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schemes/codex/messages.h"
#include "schemes/codex/blacklist_pages.h"
#include "wire/fields.h"

#define CODEX_API_RID_MAX 64
#define CODEX_DEPOSIT_MAX 256       /* tokens (and refusals) in one deposit */
#define CODEX_SETTLED_MAX CODEX_SEEN_MAX

struct codex_api_open_req {
	char request_id[CODEX_API_RID_MAX + 1];
	uint8_t box_pk[OBOL_BOX_PK_LEN];
	struct obol_amount amount, deposit;
	struct obol_field f[4];
	struct obol_fields spec;
};
void codex_api_open_req_spec(struct codex_api_open_req *m);

/* The answer to open and vendor: certificate, state (open), blacklist. */
struct codex_api_open_reply {
	uint8_t cert[CODEX_CERT_MAX];
	size_t cert_len;
	uint8_t state[CODEX_STATE_MAX];
	size_t state_len;
	bool has_state;
	uint8_t blacklist[CODEX_BLACKLIST_BYTES_MAX];
	size_t blacklist_len;
	struct obol_field f[3];
	struct obol_fields spec;
};
void codex_api_open_reply_spec(struct codex_api_open_reply *m);

struct codex_api_vendor_req {
	uint8_t box_pk[OBOL_BOX_PK_LEN];
	char request_id[CODEX_API_RID_MAX + 1]; /* optional: without it the request is keyed by its content */
	bool has_request_id;
	struct obol_field f[2];
	struct obol_fields spec;
};
void codex_api_vendor_req_spec(struct codex_api_vendor_req *m);

/* Update Codex (close: the same without load). */
struct codex_api_sync_req {
	char request_id[CODEX_API_RID_MAX + 1];
	uint8_t state[CODEX_STATE_MAX];
	size_t state_len;
	uint8_t entries[CODEX_LOG_MAX][CODEX_ENTRY_MAX];
	size_t entry_len[CODEX_LOG_MAX];
	size_t nentries;
	struct obol_amount balance, load;
	bool has_load;
	uint8_t refusals[CODEX_SYNC_REFUSALS_MAX][CODEX_REFUSAL_LEN];
	size_t nrefusals;
	bool has_refusals;
	struct obol_field f[6];
	struct obol_fields spec;
};
void codex_api_sync_req_spec(struct codex_api_sync_req *m, bool close);

struct codex_api_settled {
	uint8_t id[CODEX_TOKEN_ID_LEN];
	int64_t time;
};
struct codex_api_sync_reply {
	bool blacklisted;
	uint64_t findings;
	/* sync */
	bool renewed, has_renewed;
	uint8_t state[CODEX_STATE_MAX];
	size_t state_len;
	bool has_state;
	uint8_t cert[CODEX_CERT_MAX];
	size_t cert_len;
	bool has_cert;
	uint8_t blacklist[CODEX_BLACKLIST_BYTES_MAX];
	size_t blacklist_len;
	bool has_blacklist;
	struct obol_amount value;
	bool has_value;
	struct codex_api_settled settled[CODEX_SETTLED_MAX];
	size_t nsettled;
	bool has_settled;
	/* close */
	bool closed, has_closed;
	struct obol_amount paid_out, held;
	bool has_paid_out, has_held;
	int64_t held_until;
	bool has_held_until;
	struct obol_field f[12], sf[2];
	struct obol_fields spec, sspec;
	struct obol_field_array settled_arr;
};
void codex_api_sync_reply_spec(struct codex_api_sync_reply *m);

struct codex_api_deposit_req {
	char request_id[CODEX_API_RID_MAX + 1];
	uint8_t tokens[CODEX_DEPOSIT_MAX][CODEX_TOKEN_MAX];
	size_t token_len[CODEX_DEPOSIT_MAX];
	size_t ntokens;
	uint8_t refusals[CODEX_DEPOSIT_MAX][CODEX_REFUSAL_LEN];
	size_t nrefusals;
	bool has_refusals;
	struct obol_field f[3];
	struct obol_fields spec;
};
void codex_api_deposit_req_spec(struct codex_api_deposit_req *m);

struct codex_api_deposit_reply {
	uint64_t results[CODEX_DEPOSIT_MAX]; /* per token: 0 paid (or settled before), else the obol_err */
	size_t nresults;
	struct obol_amount paid;
	uint8_t blacklist[CODEX_BLACKLIST_BYTES_MAX];
	size_t blacklist_len;
	struct obol_field f[3];
	struct obol_fields spec;
};
void codex_api_deposit_reply_spec(struct codex_api_deposit_reply *m);

struct codex_api_release_req {
	char request_id[CODEX_API_RID_MAX + 1];
	struct obol_field f[1];
	struct obol_fields spec;
};
void codex_api_release_req_spec(struct codex_api_release_req *m);

struct codex_api_release_reply {
	struct obol_amount paid;
	struct obol_field f[1];
	struct obol_fields spec;
};
void codex_api_release_reply_spec(struct codex_api_release_reply *m);

struct codex_api_blacklist_reply {
	uint8_t blacklist[CODEX_BLACKLIST_BYTES_MAX];
	size_t blacklist_len;
	uint64_t version;
	struct obol_field f[2];
	struct obol_fields spec;
};
void codex_api_blacklist_reply_spec(struct codex_api_blacklist_reply *m);

/* GET /codex/blacklist/page: one signed page (blacklist_pages.h). */
struct codex_api_blacklist_page_reply {
	uint8_t page[CODEX_BLACKLIST_PAGE_BYTES_MAX];
	size_t page_len;
	struct obol_field f[1];
	struct obol_fields spec;
};
void codex_api_blacklist_page_reply_spec(struct codex_api_blacklist_page_reply *m);

#endif
