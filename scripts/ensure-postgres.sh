#!/usr/bin/env bash
# Installs Debian's PostgreSQL server when missing (needs root), for the PostgreSQL pass of the tests.
# The tests start their own throwaway cluster (initdb + pg_ctl as an unprivileged user in a temporary
# directory): the system cluster is neither started nor used. Without root the PostgreSQL tests are skipped with
# a message, except under CI=true where they fail.
set -u
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "Installing postgresql from Debian…"
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d 101: the package must not start the system cluster (the tests never use it).
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
  fi
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }
  status=$?
  [ -n "$made_policy" ] && rm -f /usr/sbin/policy-rc.d
  [ $status -eq 0 ] || { echo "apt-get install postgresql failed" >&2; exit 1; }
else
  echo "Cannot install postgresql (not root or no apt-get): the PostgreSQL tests will be skipped." >&2
  [ "${CI:-}" = "true" ] && { echo "CI=true: a missing PostgreSQL is a failure." >&2; exit 1; }
fi
exit 0
