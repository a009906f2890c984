# Sourced by scripts/test (after _setup.sh): a PostgreSQL the tests can use, named by
# SCALEBOARD_TEST_PG (tests/pg.py; the tests fail, never skip, when it is not there).
#   - SCALEBOARD_TEST_PG given: used as it is.
#   - else the local server on 127.0.0.1:5432 (trust auth, database "test"), if it answers;
#   - else installs Debian's postgresql when missing, starts its cluster, and lets root in
#     over the Unix socket (peer auth) to a database "scaleboard_test".

pg_answers() {  # $1: a URL
  command -v psql >/dev/null 2>&1 && psql "$1" -qAtc 'SELECT 1' >/dev/null 2>&1
}

pg_as_postgres() {  # psql as the postgres superuser over the socket
  as_root runuser -u postgres -- psql -qAt "$@"
}

setup_postgres() {
  if [ -n "${SCALEBOARD_TEST_PG:-}" ]; then
    export SCALEBOARD_TEST_PG
    return 0
  fi
  local tcp="postgresql://postgres@127.0.0.1:5432/test"
  if pg_answers "$tcp"; then
    export SCALEBOARD_TEST_PG="$tcp"
    return 0
  fi
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "Installing PostgreSQL…" >&2
    apt_install postgresql
  fi
  local version
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$version main"; then
    as_root pg_createcluster "$version" main >/dev/null
  fi
  if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}' | grep -q online; then
    echo "Starting PostgreSQL $version…" >&2
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true  # checked below
  fi
  local me
  me=$(id -un)
  if [ "$(pg_as_postgres -c "SELECT 1 FROM pg_roles WHERE rolname='$me'")" != 1 ]; then
    pg_as_postgres -c "CREATE ROLE \"$me\" LOGIN SUPERUSER"
  fi
  if [ "$(pg_as_postgres -c "SELECT 1 FROM pg_database WHERE datname='scaleboard_test'")" != 1 ]; then
    pg_as_postgres -c "CREATE DATABASE scaleboard_test OWNER \"$me\""
  fi
  export SCALEBOARD_TEST_PG="postgresql://$me@/scaleboard_test?host=/var/run/postgresql"
  if ! pg_answers "$SCALEBOARD_TEST_PG"; then
    echo "PostgreSQL does not answer at $SCALEBOARD_TEST_PG" >&2
    return 1
  fi
}
