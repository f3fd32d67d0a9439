/* Device-link identities for tests (link_fixture.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/clock.h"
#include "crypto/secret.h"
#include "link_fixture.h"

obol_err test_link_vendor(const uint8_t master_sk[64], struct test_link_vendor *v)
{
	size_t len;
	obol_err e;
	memset(v, 0, sizeof *v);
	obol_box_keypair_new(&v->box);
	v->cert.vendor_id = 7;
	v->cert.account = 7;
	snprintf(v->cert.name, sizeof v->cert.name, "test shop");
	obol_random(v->cert.sign_pk, sizeof v->cert.sign_pk);
	memcpy(v->cert.box_pk, v->box.pk, OBOL_BOX_PK_LEN);
	v->cert.has_box_pk = true;
	v->cert.valid_from = obol_now() - 60;
	v->cert.valid_until = obol_now() + 86400;
	struct obol_sign_keypair master;
	struct obol_ed25519_signer sg;
	obol_sign_keypair_from_seed(&master, master_sk); /* the seed is sk's first half */
	obol_ed25519_signer_local(&sg, &master);
	e = obol_vendor_cert_sign(&v->cert, &sg);
	obol_wipe(&master, sizeof master);
	if (e != OBOL_OK || (e = obol_vendor_cert_encode(&v->cert, v->cbor, sizeof v->cbor, &len)) != OBOL_OK)
		return e;
	v->id = (struct obol_devlink_identity){ .key = &v->box, .kind = OBOL_DL_CRED_VENDOR, .cred = v->cbor,
						.cred_len = len };
	return OBOL_OK;
}

struct test_link_responder {
	pthread_t th;
	struct obol_devlink *l;
	const struct obol_devlink_identity *id;
	obol_err result;
};

static void *respond_main(void *arg)
{
	struct test_link_responder *r = arg;
	r->result = obol_devlink_respond(r->l, r->id);
	return NULL;
}

struct test_link_responder *test_link_respond_async(struct obol_devlink *l, const struct obol_devlink_identity *id)
{
	struct test_link_responder *r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->l = l;
	r->id = id;
	if (pthread_create(&r->th, NULL, respond_main, r) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

obol_err test_link_respond_join(struct test_link_responder *r)
{
	if (r == NULL)
		return OBOL_E_INTERNAL;
	pthread_join(r->th, NULL);
	obol_err e = r->result;
	free(r);
	return e;
}

obol_err test_link_pair(const struct obol_devlink_expect *x, const struct obol_devlink_identity *id, int timeout_ms,
			struct obol_devlink **a, struct obol_devlink **b)
{
	int sv[2];
	obol_err e, r;
	*a = *b = NULL;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return OBOL_E_IO;
	if ((e = obol_devlink_from_fd(sv[0], timeout_ms, a)) != OBOL_OK) {
		close(sv[1]);
		return e;
	}
	if ((e = obol_devlink_from_fd(sv[1], timeout_ms, b)) != OBOL_OK)
		return e;
	struct test_link_responder *resp = test_link_respond_async(*b, id);
	e = obol_devlink_initiate(*a, x);
	r = test_link_respond_join(resp);
	return e != OBOL_OK ? e : r;
}
