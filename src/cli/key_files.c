/* The key ceremony's files (contract in key_files.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/key_files.h"
#include "core/parse.h"
#include "crypto/secret.h"
#include "schemes/common/key_announce.h"

#define KEY_FILE_VERSION 1
#define KEY_FILE_MAX (1024 * 1024)
#define MASTER_TAG "obol-master-key-v1 "

static const char *list_name(const char *format)
{
	return strcmp(format, KEY_FILE_REQUESTS) == 0 ? "requests" : "announcements";
}

obol_err key_file_write(const char *path, const char *format, const uint8_t master_pk[static OBOL_SIGN_PK_LEN],
			const uint8_t *const *items, const size_t *lens, size_t n)
{
	char pk[OBOL_B64_LEN(OBOL_SIGN_PK_LEN)], tmp[4096];
	json_t *list = json_array(), *doc = NULL;
	obol_err e = list != NULL && n <= KEY_FILE_ITEMS_MAX ? OBOL_OK : OBOL_E_NO_MEMORY;
	if (e == OBOL_OK)
		e = obol_b64_encode(master_pk, OBOL_SIGN_PK_LEN, pk, sizeof pk);
	for (size_t i = 0; e == OBOL_OK && i < n; i++) {
		char text[OBOL_KEY_ANNOUNCE_TEXT_MAX];
		if ((e = obol_b64_encode(items[i], lens[i], text, sizeof text)) == OBOL_OK &&
		    json_array_append_new(list, json_string(text)) != 0)
			e = OBOL_E_NO_MEMORY;
	}
	if (e == OBOL_OK) {
		doc = json_pack("{s:s, s:i, s:s, s:O}", "format", format, "version", KEY_FILE_VERSION, "master_pk", pk,
				list_name(format), list);
		if (doc == NULL)
			e = OBOL_E_NO_MEMORY;
	}
	if (e == OBOL_OK && snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		e = OBOL_E_INVALID_ARGUMENT;
	if (e == OBOL_OK && (json_dump_file(doc, tmp, JSON_INDENT(1) | JSON_PRESERVE_ORDER) != 0 ||
			     rename(tmp, path) != 0))
		e = OBOL_E_IO;
	json_decref(doc);
	json_decref(list);
	return e;
}

obol_err key_file_read(const char *path, const char *format, uint8_t master_pk[static OBOL_SIGN_PK_LEN],
		       json_t **items)
{
	struct stat st;
	json_error_t jerr;
	size_t n = 0;
	*items = NULL;
	if (stat(path, &st) != 0)
		return OBOL_E_IO;
	if (st.st_size > KEY_FILE_MAX)
		return OBOL_E_KEY_FILE_FORMAT;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return OBOL_E_KEY_FILE_FORMAT;
	const char *f = json_string_value(json_object_get(doc, "format"));
	const char *pk = json_string_value(json_object_get(doc, "master_pk"));
	json_t *ver = json_object_get(doc, "version"), *list = json_object_get(doc, list_name(format));
	obol_err e = OBOL_OK;
	if (json_object_size(doc) != 4 || f == NULL || strcmp(f, format) != 0 || !json_is_integer(ver) ||
	    json_integer_value(ver) != KEY_FILE_VERSION || pk == NULL || !json_is_array(list) ||
	    json_array_size(list) > KEY_FILE_ITEMS_MAX ||
	    obol_b64_decode(pk, master_pk, OBOL_SIGN_PK_LEN, &n, 1) != OBOL_OK || n != OBOL_SIGN_PK_LEN)
		e = OBOL_E_KEY_FILE_FORMAT;
	for (size_t i = 0; e == OBOL_OK && i < json_array_size(list); i++)
		if (!json_is_string(json_array_get(list, i)))
			e = OBOL_E_KEY_FILE_FORMAT;
	if (e == OBOL_OK)
		*items = json_incref(list);
	json_decref(doc);
	return e;
}

obol_err key_file_item(const json_t *items, size_t i, uint8_t *buf, size_t cap, size_t *len)
{
	const char *text = json_string_value(json_array_get(items, i));
	if (text == NULL || strlen(text) >= OBOL_B64_LEN(cap) || obol_b64_decode(text, buf, cap, len, 0) != OBOL_OK)
		return OBOL_E_KEY_FILE_FORMAT;
	return OBOL_OK;
}

obol_err master_key_file_write(const char *path, const uint8_t seed[static OBOL_SIGN_SEED_LEN])
{
	char line[sizeof MASTER_TAG + OBOL_B64_LEN(OBOL_SIGN_SEED_LEN) + 1], b64[OBOL_B64_LEN(OBOL_SIGN_SEED_LEN)];
	obol_err e = obol_b64_encode(seed, OBOL_SIGN_SEED_LEN, b64, sizeof b64);
	if (e != OBOL_OK)
		return e;
	int len = snprintf(line, sizeof line, "%s%s\n", MASTER_TAG, b64);
	OBOL_WIPE(b64);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		OBOL_WIPE(line);
		return OBOL_E_IO;
	}
	if (write(fd, line, (size_t)len) != len || fsync(fd) != 0)
		e = OBOL_E_IO;
	if (close(fd) != 0)
		e = OBOL_E_IO;
	OBOL_WIPE(line);
	if (e != OBOL_OK)
		unlink(path);
	return e;
}

obol_err master_key_file_read(const char *path, struct obol_sign_keypair *kp)
{
	char line[256];
	uint8_t seed[OBOL_SIGN_SEED_LEN];
	size_t n = 0, tag = strlen(MASTER_TAG);
	obol_err e = OBOL_OK;
	memset(kp, 0, sizeof *kp);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return OBOL_E_IO;
	size_t got = fread(line, 1, sizeof line - 1, f);
	fclose(f);
	line[got] = '\0';
	if (got > 0 && line[got - 1] == '\n')
		line[--got] = '\0';
	if (got <= tag || strncmp(line, MASTER_TAG, tag) != 0 ||
	    obol_b64_decode(line + tag, seed, sizeof seed, &n, 1) != OBOL_OK || n != sizeof seed)
		e = OBOL_E_KEY_FILE_FORMAT;
	if (e == OBOL_OK)
		obol_sign_keypair_from_seed(kp, seed);
	OBOL_WIPE(line);
	OBOL_WIPE(seed);
	return e;
}
