/* How the vendor reaches its issuer (contract in vendor.h, "the vendor's
 * files"): DIR/issuer-ca.pem, the CA its https:// certificate is verified
 * against, and DIR/issuer-transport.json {"url": URL, "insecure_http":
 * true|false}, the URL it was set up with and whether plain http:// to a
 * host that is not loopback was allowed for it. */
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "net/tls_cert.h"
#include "vendor/vendor.h"
#include "vendor/vendor_files.h"

obol_err obol_vendor_trust_save(const char *dir, const char *url, const char *ca_file, bool insecure_http)
{
	char path[PATH_MAX], *ca = NULL, *text = NULL;
	json_t *j = NULL;
	obol_err e = OBOL_OK;
	if (ca_file != NULL && ((e = obol_tls_ca_load(ca_file, &ca)) != OBOL_OK ||
				(e = obol_vendor_file_path(dir, "issuer-ca.pem", path)) != OBOL_OK ||
				(e = obol_vendor_file_write(path, ca, 0644)) != OBOL_OK))
		goto out;
	if ((j = json_pack("{s:s, s:b}", "url", url, "insecure_http", insecure_http)) == NULL ||
	    (text = json_dumps(j, JSON_COMPACT)) == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if ((e = obol_vendor_file_path(dir, "issuer-transport.json", path)) == OBOL_OK)
		e = obol_vendor_file_write(path, text, 0644);
out:
	json_decref(j);
	free(text);
	free(ca);
	return e;
}

obol_err obol_vendor_trust_issuer(const char *dir, const char *url, const char *ca_file, bool insecure_http)
{
	char path[PATH_MAX], *ca = NULL, *text = NULL;
	json_t *j = NULL;
	obol_err e;
	/* The CA: --issuer-ca, else the one saved at init. */
	if (ca_file != NULL) {
		e = obol_tls_ca_load(ca_file, &ca);
	} else if ((e = obol_vendor_file_path(dir, "issuer-ca.pem", path)) == OBOL_OK && access(path, F_OK) == 0) {
		e = obol_tls_ca_load(path, &ca);
	}
	if (e != OBOL_OK)
		goto out;
	/* --insecure-http, else what init said for this very URL. */
	if (!insecure_http && (e = obol_vendor_file_path(dir, "issuer-transport.json", path)) == OBOL_OK &&
	    obol_vendor_file_read(path, &text) == OBOL_OK) {
		j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
		const char *saved = json_string_value(json_object_get(j, "url"));
		insecure_http = saved != NULL && strcmp(saved, url) == 0 && json_is_true(json_object_get(j, "insecure_http"));
	}
	struct obol_http_trust t = { .ca_pem = ca, .ca_len = ca != NULL ? strlen(ca) : 0, .insecure_http = insecure_http };
	e = obol_http_trust_set(url, &t);
	if (e == OBOL_E_HTTP_INSECURE)
		obol_log_error("%s is plain http:// to a host that is not loopback: use https:// or --insecure-http", url);
out:
	json_decref(j);
	free(text);
	free(ca);
	return e;
}
