# Sourced by scripts/testdb.sh: start_mariadb, stop_mariadb, env_mariadb (prints export lines, nothing if down).
start_mariadb() { echo "mariadb: not implemented yet" >&2; return 1; }
stop_mariadb() { :; }
env_mariadb() { :; }
