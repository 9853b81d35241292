#ifndef CMARIADB_SHIM_H
#define CMARIADB_SHIM_H
#include <stddef.h>          // mysql.h does not bring NULL in
#include <mysql.h>

// From <mysql/client_plugin.h>, which can't be included as installed (it needs ma_compress.h, not shipped).
#ifndef MYSQL_CLIENT_AUTHENTICATION_PLUGIN
#define MYSQL_CLIENT_AUTHENTICATION_PLUGIN 2
struct st_mysql_client_plugin;
struct st_mysql_client_plugin *STDCALL mysql_load_plugin(struct st_mysql *mysql, const char *name, int type, int argc, ...);
#endif
/// mysql_library_init is a macro, which Swift does not import. Call once, before any thread starts.
static inline int cmariadb_library_init(void) { return mysql_library_init(0, NULL, NULL); }

/// Loads the authentication plugins libmariadb would otherwise load on first use. Two threads logging in with the
/// same not-yet-loaded plugin race, and one fails with "Plugin client_ed25519 could not be loaded: it is already
/// loaded"; loaded once at start-up, every login finds them. A plugin that is not installed is skipped.
static inline void cmariadb_preload_auth_plugins(void) {
    MYSQL *mysql = mysql_init(NULL);
    if (mysql == NULL) return;
    const char *names[] = {"client_ed25519", "caching_sha2_password", "sha256_password", "mysql_clear_password", "dialog"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        mysql_load_plugin(mysql, names[i], MYSQL_CLIENT_AUTHENTICATION_PLUGIN, 0);
    }
    mysql_close(mysql);
}
#endif
