#!/usr/bin/env bash
# The end-to-end tests (npm run test:e2e): installs the harness once (setup.sh), packages the extension
# as users get it (npm run package → cnn-lab-<version>.vsix), then runs every test/e2e/*.e2e.test.mjs
# with node's test runner, each file in its own fresh code-server and browser.
#
# Where Chromium or the harness cannot be had, it says so and fails: `npm test` is never green without the
# end-to-end tests unless they were skipped on purpose with CNN_LAB_SKIP_E2E=1, which prints a banner
# saying they did not run. CNN_LAB_VSIX=path skips packaging and uses that file.
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
start=$SECONDS

# Says loudly that the end-to-end tests did not run (and why), so a green `npm test` cannot hide it.
skipped_banner() {
  {
    echo
    echo "################################################################################"
    echo "##  e2e: SKIPPED: the end-to-end tests did NOT run ($1)."
    echo "##  Nothing of the extension in a real VS Code was tested; unset CNN_LAB_SKIP_E2E to run them."
    echo "################################################################################"
    echo
  } >&2
}

if [[ "${CNN_LAB_SKIP_E2E:-}" == 1 ]]; then
  skipped_banner "CNN_LAB_SKIP_E2E=1"
  exit 0
fi

bash "$here/setup.sh"
rc=$?
if [[ $rc -eq 3 ]]; then
  echo "e2e: FAILED: the end-to-end tests need Debian's chromium (see above). Install it, or skip them on purpose" \
    "with CNN_LAB_SKIP_E2E=1 npm test." >&2
  exit 1
elif [[ $rc -ne 0 ]]; then
  echo "e2e: FAILED: the set-up step failed (exit $rc)" >&2
  exit "$rc"
fi
setup_s=$((SECONDS - start))

if [[ -z "${CNN_LAB_VSIX:-}" ]]; then
  t=$SECONDS
  if ! (cd "$repo" && npm run --silent package >"$here/.harness/package.log" 2>&1); then
    cat "$here/.harness/package.log" >&2
    echo "e2e: FAILED: npm run package" >&2
    exit 1
  fi
  CNN_LAB_VSIX="$repo/$(cd "$repo" && node -p 'const p=require("./package.json"); `${p.name}-${p.version}.vsix`')"
  grep -h 'DONE' "$here/.harness/package.log" >&2 || true
  echo "e2e: packaged $CNN_LAB_VSIX ($(stat -c %s "$CNN_LAB_VSIX") bytes) in $((SECONDS - t)) s" >&2
fi
export CNN_LAB_VSIX

mkdir -p "$here/artifacts"
rm -f "$here/artifacts/timings.jsonl"
t=$SECONDS
# Two test files at a time: each has its own workbench; most of a scenario is waiting on the UI.
# The spec reporter for people; a TAP copy to count the results for the closing line.
tap="$here/artifacts/e2e.tap"
node --test --test-concurrency="${CNN_LAB_E2E_CONCURRENCY:-2}" \
  --test-reporter=spec --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination="$tap" \
  "$here"/*.e2e.test.mjs
rc=$?

if [[ -f "$here/artifacts/timings.jsonl" ]]; then
  echo "e2e timings:"
  node -e 'for (const l of require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")) { const t = JSON.parse(l); console.log(`  ${t.name}: ${t.value}`); }' "$here/artifacts/timings.jsonl"
fi
echo "e2e: set-up ${setup_s} s, tests $((SECONDS - t)) s, whole end-to-end part $((SECONDS - start)) s"
pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -1)
fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -1)
echo "e2e: ${pass:-0} passed, ${fail:-0} failed"
exit $rc
