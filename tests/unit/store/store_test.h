/* Helpers shared by the store, ledger, batch and audit tests. */
#ifndef OBOL_TESTS_STORE_TEST_H
#define OBOL_TESTS_STORE_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The URL of a database of the running backend that does not exist. */
bool store_test_missing_url(char *buf, size_t cap);
/* The same database opened read-only: SQLite's mode=ro URI, PostgreSQL's
 * default_transaction_read_only. */
bool store_test_read_only_url(const char *db_url, char *buf, size_t cap);
/* The first column of the first row of a query as an integer; -1 on error. */
int64_t store_test_count(struct obol_store *s, const char *sql);
bool store_test_table_exists(struct obol_store *s, const char *table);
/* fn in one transaction on a new connection to db_url with the ledger
 * attached: committed when fn returns OK, rolled back otherwise; fn's error,
 * or the store's. */
obol_err store_test_ledger_tx(const char *db_url, obol_err (*fn)(struct obol_store *, void *), void *ctx);

#endif
