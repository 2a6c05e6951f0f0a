#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: `source scripts/postgres.sh` starts one on a free
# loopback port (installing Debian's postgresql package first if it is missing), exports
# GATEHOUSE_TEST_POSTGRES_URL, GATEHOUSE_REQUIRE_POSTGRES=1 and GATEHOUSE_TEST_POSTGRES_CTL (its
# pg_ctl), and stops and removes it when the sourcing shell exits. The cluster offers TLS with a
# certificate for 127.0.0.1 from a CA of its own, whose certificate is in
# GATEHOUSE_TEST_POSTGRES_CA (the tests of sslmode=verify-ca and verify-full use it); beside it,
# other-ca.crt is a CA that signed nothing here, and client.crt and client.key are the role
# gh_cert's, which logs in over TCP with them only.
set -euo pipefail

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

if [ -z "$(pg_bin)" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing PostgreSQL from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "postgres: no PostgreSQL found; install Debian's postgresql package" >&2
    exit 1
  fi
fi
PG_BIN="$(pg_bin)"
if ! command -v openssl >/dev/null; then
  echo "== installing openssl from Debian's packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
fi

# PostgreSQL refuses to run as root: as root, the cluster belongs to the package's postgres user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

PG_DIR="$(mktemp -d /tmp/gatehouse-pg.XXXXXX)"
chmod 755 "$PG_DIR"
[ "$(id -u)" = 0 ] && chown postgres "$PG_DIR"
PG_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U gatehouse --auth=trust -E UTF8 >/dev/null
# A CA of the tests' own, and the server's certificate from it, naming localhost only: so that
# 127.0.0.1, the same server, is a name the certificate does not hold. (The TLS library
# Gatehouse uses matches a certificate's IP addresses against the address connected to, whatever
# name was given: a certificate naming 127.0.0.1 would pass for localhost too.)
(
  cd "$PG_DIR"
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -days 2 -subj "/CN=Gatehouse test CA" -keyout ca.key -out ca.crt 2>/dev/null
  # Another CA, which signed nothing here: a root file that does not hold the server's.
  openssl req -x509 "${ec[@]}" -days 2 -subj "/CN=Another CA" -keyout other-ca.key -out other-ca.crt 2>/dev/null
  openssl req "${ec[@]}" -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
  printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext \
    -out server.crt 2>/dev/null
  # A client certificate for the role gh_cert, which may log in over TCP with it only (pg_hba.conf below).
  openssl req "${ec[@]}" -subj "/CN=gh_cert" -keyout client.key -out client.csr 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' >client.ext
  openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile client.ext \
    -out client.crt 2>/dev/null
  chmod 600 server.key ca.key other-ca.key client.key
  chmod 644 ca.crt other-ca.crt server.crt client.crt
  [ "$(id -u)" = 0 ] && chown postgres server.key server.crt
  true
)
# The settings go in the cluster's own file, so a plain `pg_ctl start` (the restart e2e) brings it
# back on the same port.
as_pg tee -a "$PG_DIR/data/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
fsync = off
max_connections = 300
ssl = on
ssl_cert_file = '$PG_DIR/server.crt'
ssl_key_file = '$PG_DIR/server.key'
ssl_ca_file = '$PG_DIR/ca.crt'
CONF
# Over TCP, gh_cert logs in with TLS and its client certificate, and no other way.
as_pg sed -i '/^# TYPE/a hostssl all gh_cert 127.0.0.1/32 cert\nhost all gh_cert 0.0.0.0/0 reject' "$PG_DIR/data/pg_hba.conf"
# GATEHOUSE_TEST_POSTGRES_CTL runs pg_ctl on this cluster as its owner: `"$GATEHOUSE_TEST_POSTGRES_CTL" stop`.
cat >"$PG_DIR/ctl" <<CTL
#!/usr/bin/env bash
if [ "\$(id -u)" = 0 ]; then exec runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w "\$@"; fi
exec "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w "\$@"
CTL
chmod 755 "$PG_DIR/ctl"
"$PG_DIR/ctl" start >/dev/null
"$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U gatehouse -d postgres -c "CREATE ROLE gh_cert LOGIN" >/dev/null

stop_postgres() {
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap stop_postgres EXIT

export GATEHOUSE_TEST_POSTGRES_URL="postgres://gatehouse@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
export GATEHOUSE_REQUIRE_POSTGRES=1
export GATEHOUSE_TEST_POSTGRES_CTL="$PG_DIR/ctl"
export GATEHOUSE_TEST_POSTGRES_CA="$PG_DIR/ca.crt"
echo "== PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
