// zlib from the system (Debian: zlib1g-dev), to read the gzip-compressed event logs.
#include <zlib.h>
