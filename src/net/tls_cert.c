/* A throwaway self-signed TLS certificate (contract in tls_cert.h), with
 * OpenSSL 3. */
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/secret.h"
#include "net/tls_cert.h"

static int add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	int ok = ext != NULL && X509_add_ext(x, ext, -1) == 1;
	X509_EXTENSION_free(ext);
	return ok;
}

static obol_err write_pem(const char *path, mode_t mode, X509 *x, EVP_PKEY *k)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	obol_err e = OBOL_OK;
	if (f == NULL) {
		if (fd >= 0)
			close(fd);
		return OBOL_E_IO;
	}
	if ((x != NULL && PEM_write_X509(f, x) != 1) ||
	    (k != NULL && PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) != 1))
		e = OBOL_E_CRYPTO_LIBRARY;
	if (fclose(f) != 0 && e == OBOL_OK)
		e = OBOL_E_IO;
	return e;
}

#define CA_FILE_MAX (256 * 1024)

obol_err obol_tls_ca_load(const char *path, char **pem)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(CA_FILE_MAX + 1);
	size_t n = 0;
	BIO *b = NULL;
	X509 *x = NULL;
	obol_err e = OBOL_E_TLS_CONFIG;
	if (buf == NULL) {
		e = OBOL_E_NO_MEMORY;
		goto out;
	}
	if (f == NULL || (n = fread(buf, 1, CA_FILE_MAX + 1, f)) == 0 || n > CA_FILE_MAX || ferror(f) ||
	    memchr(buf, 0, n) != NULL)
		goto out;
	buf[n] = 0;
	if ((b = BIO_new_mem_buf(buf, (int)n)) == NULL || (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL)
		goto out;
	*pem = buf;
	buf = NULL;
	e = OBOL_OK;
out:
	if (f != NULL)
		fclose(f);
	X509_free(x);
	BIO_free(b);
	ERR_clear_error();
	free(buf);
	return e;
}

obol_err obol_tls_cert_throwaway(const char *cert_path, const char *key_path, unsigned days)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	uint8_t serial[16];
	BIGNUM *bn = NULL;
	obol_err e = OBOL_E_CRYPTO_LIBRARY;
	if (k == NULL || x == NULL)
		goto out;
	obol_random(serial, sizeof serial);
	serial[0] &= 0x7f;
	X509_NAME *name = X509_get_subject_name(x);
	if (X509_set_version(x, 2) != 1 || (bn = BN_bin2bn(serial, sizeof serial, NULL)) == NULL ||
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)days * 86400) == NULL || X509_set_pubkey(x, k) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"obol throwaway issuer", -1,
				       -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 || !add_ext(x, NID_basic_constraints, "critical,CA:TRUE") ||
	    !add_ext(x, NID_key_usage, "critical,digitalSignature,keyCertSign") ||
	    !add_ext(x, NID_ext_key_usage, "serverAuth") ||
	    !add_ext(x, NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost") ||
	    !add_ext(x, NID_subject_key_identifier, "hash") || X509_sign(x, k, EVP_sha256()) <= 0)
		goto out;
	if ((e = write_pem(key_path, 0600, NULL, k)) != OBOL_OK)
		goto out;
	e = write_pem(cert_path, 0644, x, NULL);
out:
	BN_free(bn);
	X509_free(x);
	EVP_PKEY_free(k);
	ERR_clear_error();
	return e;
}
