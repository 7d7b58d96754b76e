#ifndef CROSSLINK_UNITS_BASELINE_H
#define CROSSLINK_UNITS_BASELINE_H
#include <stdint.h>

/// The raw C single-lookup baseline of the page benchmark: for each SKU, in one read
/// transaction, the SKU lookup and the linked-products query (`linked_sql`, related, limit 5)
/// — one block of a product page. Writes each lookup's nanoseconds; returns the rows read, or
/// -1 with a message in `error`.
int64_t units_baseline_lookups(const char *path, const char *const *skus, int count, int64_t *nanoseconds,
                               const char *linked_sql, char *error, int error_length);

#endif
