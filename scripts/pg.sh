#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks.
#
#   scripts/pg.sh start DIR [--durable]   initdb into DIR/data (unless already there), start it on a free port of
#                                         127.0.0.1 (socket in DIR/run, log in DIR/log) and print one line:
#                                         Host=127.0.0.1;Port=…;Username=winloss;Password=…;Database=postgres
#                                         (a superuser). Starting a running cluster prints the same line again.
#   scripts/pg.sh stop DIR                stops it (fast shutdown); nothing to do when it is not running.
#   scripts/pg.sh restart DIR             restarts it on the same port (fast shutdown: open sessions are cut).
#   scripts/pg.sh url DIR                 prints the connection string of a started cluster.
#
# Without --durable the cluster runs with fsync, synchronous_commit and full_page_writes off: fine for tests, wrong for
# benchmarks (commits would cost nothing). --durable keeps PostgreSQL's defaults. The choice is made at initdb; a
# cluster directory keeps the settings it was created with.
#
# initdb and pg_ctl refuse to run as root, so they run as the "postgres" OS user (created when missing); DIR is made
# theirs. Everything but the printed line goes to stderr or DIR/log.
set -euo pipefail

usage() { echo "usage: $0 start DIR [--durable] | stop DIR | restart DIR | url DIR" >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
dir=$2
shift 2
durable=0
for a in "$@"; do
  case "$a" in
    --durable) durable=1 ;;
    *) usage ;;
  esac
done

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data="$dir/data"
run="$dir/run"
log="$dir/log"
user=winloss

bindir() {
  local b
  b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$b" ] || [ ! -x "$b/initdb" ]; then
    echo "PostgreSQL not found under /usr/lib/postgresql; installing it..." >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2
    b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    [ -n "$b" ] && [ -x "$b/initdb" ] || { echo "PostgreSQL could not be installed" >&2; exit 1; }
  fi
  echo "$b"
}

# Runs a command as the unprivileged OS user when we are root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$osuser" -- "$@"
  else
    "$@"
  fi
}

osuser=$(id -un)
if [ "$(id -u)" = 0 ]; then
  osuser=postgres
  if ! id "$osuser" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$osuser" >&2
  fi
fi

conn_line() {
  echo "Host=127.0.0.1;Port=$(cat "$dir/port");Username=$user;Password=$(cat "$dir/password");Database=postgres"
}

is_running() {
  [ -f "$data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

free_port() {
  python3 - <<'EOF' 2>/dev/null || echo $(( 20000 + RANDOM % 20000 ))
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

bin=$(bindir)

case "$cmd" in
  start)
    if [ ! -f "$data/PG_VERSION" ]; then
      mkdir -p "$data" "$run" "$log"
      head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$dir/password"
      chmod 600 "$dir/password"
      chown -R "$osuser" "$dir"
      as_owner test -x "$dir" || { echo "the $osuser user cannot reach $dir: make its parent directories traversable (chmod o+x)" >&2; exit 1; }
      # Only the owner may read the data directory; the parents must let it through.
      chmod 700 "$data"
      pwfile="$dir/.pw"
      cp "$dir/password" "$pwfile"
      chown "$osuser" "$pwfile"
      as_owner "$bin/initdb" -D "$data" -U "$user" --pwfile="$pwfile" --auth=scram-sha-256 \
        --encoding=UTF8 --locale=C.UTF-8 >"$log/initdb.log" 2>&1 \
        || { rm -f "$pwfile"; echo "initdb failed; see $log/initdb.log" >&2; exit 1; }
      rm -f "$pwfile"
      {
        echo "# scripts/pg.sh"
        echo "listen_addresses = '127.0.0.1'"
        echo "unix_socket_directories = '$run'"
        echo "max_connections = 300"
        echo "logging_collector = off"
        if [ "$durable" = 0 ]; then
          echo "fsync = off"
          echo "synchronous_commit = off"
          echo "full_page_writes = off"
        fi
      } >> "$data/postgresql.conf"
    fi
    if is_running; then
      conn_line
      exit 0
    fi
    chown -R "$osuser" "$dir"
    # A fresh free port on every start (the previous one may be taken by now).
    for attempt in 1 2 3 4 5; do
      port=$(free_port)
      echo "$port" > "$dir/port"
      if as_owner "$bin/pg_ctl" -D "$data" -l "$log/postgresql.log" -o "-p $port" -w -t 60 start >"$log/pg_ctl.log" 2>&1; then
        break
      fi
      echo "start on port $port failed (attempt $attempt); see $log/postgresql.log" >&2
      [ "$attempt" = 5 ] && exit 1
    done
    for _ in $(seq 1 60); do
      if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
        conn_line
        exit 0
      fi
      sleep 0.5
    done
    echo "PostgreSQL did not become ready on port $port; see $log/postgresql.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$data/PG_VERSION" ] && is_running; then
      as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >>"$log/pg_ctl.log" 2>&1 \
        || { echo "pg_ctl stop failed; see $log/pg_ctl.log" >&2; exit 1; }
    fi
    ;;
  restart)
    # The same port again (clients reconnect to the address they know); what a database restart under load looks like.
    is_running || { echo "no cluster running in $dir" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$data" -m fast -w -t 60 -o "-p $(cat "$dir/port")" restart >>"$log/pg_ctl.log" 2>&1 \
      || { echo "pg_ctl restart failed; see $log/pg_ctl.log" >&2; exit 1; }
    conn_line
    ;;
  url)
    is_running || { echo "no cluster running in $dir" >&2; exit 1; }
    conn_line
    ;;
  *) usage ;;
esac
