#ifndef CMARIADB_SHIM_H
#define CMARIADB_SHIM_H
#include <stddef.h>          // mysql.h does not bring NULL in
#include <mysql.h>
/// mysql_library_init is a macro, which Swift does not import. Call once, before any thread starts.
static inline int cmariadb_library_init(void) { return mysql_library_init(0, NULL, NULL); }
#endif
