// libpq for the benchmark's raw C PostgreSQL baseline (Debian: libpq-dev). The main package's
// CPostgreSQL is a target, not a product, so this package declares its own.
#include <libpq-fe.h>
