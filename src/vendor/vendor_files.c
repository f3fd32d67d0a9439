/* The vendor's files in DIR: keys, issuer pin (contracts in vendor.h). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/parse.h"
#include "wire/json.h"
#include "crypto/secret.h"
#include "net/http_client.h"
#include "schemes/common/keys_doc.h"
#include "vendor/vendor.h"
#include "vendor/vendor_files.h"

obol_err obol_vendor_file_path(const char *dir, const char *name, char out[PATH_MAX])
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
	return n > 0 && n < PATH_MAX ? OBOL_OK : OBOL_E_INVALID_ARGUMENT;
}

obol_err obol_vendor_file_write(const char *path, const char *text, mode_t mode)
{
	char tmp[PATH_MAX + 8];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return OBOL_E_INVALID_ARGUMENT;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return OBOL_E_IO;
	size_t len = strlen(text), done = 0;
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(tmp);
			return OBOL_E_IO;
		}
		done += (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return OBOL_E_IO;
	}
	return OBOL_OK;
}

obol_err obol_vendor_file_read(const char *path, char **text)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return errno == ENOENT ? OBOL_E_NOT_FOUND : OBOL_E_IO;
	char *buf = malloc(65536);
	size_t n = buf != NULL ? fread(buf, 1, 65535, f) : 0;
	bool err = ferror(f) || !feof(f);
	fclose(f);
	if (buf == NULL)
		return OBOL_E_NO_MEMORY;
	if (err) {
		obol_free_wiped(buf); /* part of a key file, maybe */
		return OBOL_E_IO;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	*text = buf;
	return OBOL_OK;
}

obol_err obol_vendor_cert_load(const char *dir, struct obol_vendor_cert *cert)
{
	char path[PATH_MAX];
	char *text = NULL;
	obol_err e = obol_vendor_file_path(dir, "vendor.cert", path);
	if (e == OBOL_OK)
		e = obol_vendor_file_read(path, &text);
	if (e == OBOL_OK)
		e = obol_vendor_cert_from_text(text, cert);
	free(text);
	return e;
}

obol_err obol_vendor_keys_create(const char *dir, struct obol_sign_keypair *sign, struct obol_box_keypair *box)
{
	char path[PATH_MAX];
	uint8_t seed[OBOL_SIGN_SEED_LEN];
	char s64[OBOL_B64_LEN(32)], b64[OBOL_B64_LEN(32)], p64[OBOL_B64_LEN(32)];
	char *text = NULL;
	obol_err e;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return OBOL_E_IO;
	if ((e = obol_vendor_file_path(dir, "vendor.keys", path)) != OBOL_OK)
		return e;
	if (access(path, F_OK) == 0) {
		obol_log_error("%s exists; it is never overwritten", path);
		return OBOL_E_IO;
	}
	obol_random(seed, sizeof seed);
	obol_sign_keypair_from_seed(sign, seed);
	obol_box_keypair_new(box);
	if ((e = obol_b64_encode(seed, 32, s64, sizeof s64)) != OBOL_OK ||
	    (e = obol_b64_encode(box->sk, 32, b64, sizeof b64)) != OBOL_OK ||
	    (e = obol_b64_encode(box->pk, 32, p64, sizeof p64)) != OBOL_OK)
		goto out;
	if (asprintf(&text, "{\"sign_seed\":\"%s\",\"box_sk\":\"%s\",\"box_pk\":\"%s\"}\n", s64, b64, p64) < 0) {
		text = NULL;
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	e = obol_vendor_file_write(path, text, 0600);
out:
	OBOL_WIPE(seed);
	OBOL_WIPE(s64);
	OBOL_WIPE(b64);
	if (text != NULL) {
		obol_wipe(text, strlen(text));
		free(text);
	}
	return e;
}

obol_err obol_vendor_keys_load(const char *dir, struct obol_sign_keypair *sign, struct obol_box_keypair *box)
{
	char path[PATH_MAX];
	uint8_t seed[OBOL_SIGN_SEED_LEN];
	char *text = NULL;
	size_t n;
	json_t *j = NULL;
	obol_err e;

	if ((e = obol_vendor_file_path(dir, "vendor.keys", path)) != OBOL_OK)
		return e;
	if ((e = obol_vendor_file_read(path, &text)) != OBOL_OK) {
		obol_log_error("cannot read %s; run 'obol vendor init --dir %s'", path, dir);
		return OBOL_E_CONFIG;
	}
	j = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	const char *s = json_string_value(json_object_get(j, "sign_seed"));
	const char *b = json_string_value(json_object_get(j, "box_sk"));
	const char *p = json_string_value(json_object_get(j, "box_pk"));
	if (s == NULL || b == NULL || p == NULL || obol_b64_decode(s, seed, 32, &n, 1) != OBOL_OK ||
	    obol_b64_decode(b, box->sk, 32, &n, 1) != OBOL_OK || obol_b64_decode(p, box->pk, 32, &n, 1) != OBOL_OK) {
		e = OBOL_E_CONFIG;
		goto out;
	}
	obol_sign_keypair_from_seed(sign, seed);
out:
	if (j != NULL && s != NULL)
		obol_wipe((char *)s, strlen(s));
	if (j != NULL && b != NULL)
		obol_wipe((char *)b, strlen(b));
	json_decref(j);
	obol_wipe(text, strlen(text));
	free(text);
	OBOL_WIPE(seed);
	return e;
}

obol_err obol_vendor_fetch_keys_doc(const char *url, const uint8_t *pin, json_t **keys, uint8_t master_pk[32],
				    char **doc_text)
{
	struct obol_http_client *c = NULL;
	long status = 0;
	char *text = NULL;
	size_t len = 0;
	obol_err e = obol_http_client_new(url, 0, &c);
	if (e == OBOL_OK)
		e = obol_http_request(c, "GET", "/keys", NULL, 0, 0, &status, &text, &len);
	obol_http_client_free(c);
	if (e != OBOL_OK)
		goto out;
	if (status != 200) {
		e = obol_json_error_from_body(text, len);
		goto out;
	}
	e = obol_keys_doc_verify(text, len, pin, keys, master_pk, NULL, NULL);
	if (e == OBOL_OK && doc_text != NULL) {
		*doc_text = text;
		text = NULL;
	}
out:
	free(text);
	return e;
}

/* DIR/issuer-keys.json verified under pin, which registers its online keys. */
static void register_cached_keys(const char *dir, const uint8_t pin[32])
{
	char path[PATH_MAX];
	char *text = NULL;
	obol_err e = obol_vendor_file_path(dir, "issuer-keys.json", path);
	if (e == OBOL_OK && (e = obol_vendor_file_read(path, &text)) == OBOL_OK)
		e = obol_keys_doc_verify(text, strlen(text), pin, NULL, NULL, NULL, NULL);
	if (e != OBOL_OK && e != OBOL_E_NOT_FOUND)
		obol_log_warn("%s: the issuer's key document kept there is not used: %s", dir, obol_strerror(e));
	free(text);
}

obol_err obol_vendor_pin_issuer(const char *dir, const char *url, uint8_t master_pk[32])
{
	char path[PATH_MAX], pk64[OBOL_B64_LEN(32)];
	char *text = NULL;
	size_t n;
	json_t *keys = NULL;
	obol_err e = obol_vendor_file_path(dir, "issuer.pin", path);
	if (e != OBOL_OK)
		return e;
	e = obol_vendor_file_read(path, &text);
	if (e == OBOL_OK) {
		e = obol_b64_decode(text, master_pk, 32, &n, 1) == OBOL_OK ? OBOL_OK : OBOL_E_CONFIG;
		free(text);
		if (e != OBOL_OK)
			return e;
		if (url == NULL) {
			register_cached_keys(dir, master_pk);
			return OBOL_OK;
		}
		e = obol_vendor_fetch_keys_doc(url, master_pk, &keys, NULL, NULL);
		json_decref(keys);
		return e;
	}
	if (e != OBOL_E_NOT_FOUND)
		return e;
	if (url == NULL)
		return OBOL_E_KEYS_UNKNOWN;
	/* First contact: trust the key the issuer names, and keep it. */
	if ((e = obol_vendor_fetch_keys_doc(url, NULL, &keys, master_pk, NULL)) != OBOL_OK)
		return e;
	json_decref(keys);
	if ((e = obol_b64_encode(master_pk, 32, pk64, sizeof pk64)) != OBOL_OK)
		return e;
	strcat(pk64, "\n");
	return obol_vendor_file_write(path, pk64, 0600);
}
