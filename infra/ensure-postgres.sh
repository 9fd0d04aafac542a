#!/usr/bin/env bash
# Start the machine's PostgreSQL if it is not accepting connections (tests need it).
set -euo pipefail
host=${ANBU_TEST_PG_HOST:-127.0.0.1}
if pg_isready -q -h "$host" -p 5432 2>/dev/null; then exit 0; fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
fi
for _ in $(seq 1 30); do
  if pg_isready -q -h "$host" -p 5432 2>/dev/null; then exit 0; fi
  sleep 1
done
echo "error: PostgreSQL is not reachable on $host:5432 (the tests need it)" >&2
exit 1
