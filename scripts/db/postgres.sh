# Sourced by scripts/testdb.sh: start_postgres, stop_postgres, env_postgres (prints export lines, nothing if down).
start_postgres() { echo "postgres: not implemented yet" >&2; return 1; }
stop_postgres() { :; }
env_postgres() { :; }
