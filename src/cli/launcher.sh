#!/bin/sh
# The `mbake` command (package.json "bin", installed as dist/bin/mbake): runs mbake under
# Node (dist/cli/main.js). Node reads and parses the file NODE_EXTRA_CA_CERTS names before
# any JavaScript runs; where that is the system's whole CA bundle, it is more than half of
# a short run's CPU time, even for runs that open no TLS connection. So Node starts without
# it, and mbake gets the file's name as MBAKE_EXTRA_CA_CERTS and adds those certificates to
# every TLS connection it opens (src/support/deferred-ca.ts); the programs mbake starts get
# NODE_EXTRA_CA_CERTS back (src/cli/main.ts).
if [ -n "${NODE_EXTRA_CA_CERTS-}" ]; then
  MBAKE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS
  export MBAKE_EXTRA_CA_CERTS
  unset NODE_EXTRA_CA_CERTS
fi
here=$(dirname -- "$(readlink -f -- "$0")")
exec node "$here/../cli/main.js" "$@"
