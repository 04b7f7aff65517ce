/** The extension as users install it: the .vsix that `npm run package` builds. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_DIR } from './paths.mjs';

/** The .vsix file name `vsce package` writes for the current manifest: cnn-lab-<version>.vsix. */
export function vsixPath() {
  const { name, version } = JSON.parse(readFileSync(join(REPO_DIR, 'package.json'), 'utf8'));
  return join(REPO_DIR, `${name}-${version}.vsix`);
}

/**
 * The .vsix to install: the one named by CNN_LAB_VSIX (the runner builds it once for all test files),
 * else a fresh `npm run package`, so a packaging mistake fails the tests.
 */
export function ensureVsix() {
  const given = process.env.CNN_LAB_VSIX;
  if (given) {
    if (!existsSync(given)) throw new Error(`CNN_LAB_VSIX names ${given}, which does not exist`);
    return given;
  }
  const started = Date.now();
  execFileSync('npm', ['run', '--silent', 'package'], { cwd: REPO_DIR, stdio: ['ignore', 'ignore', 'inherit'] });
  const file = vsixPath();
  if (!existsSync(file)) throw new Error(`npm run package did not write ${file}`);
  process.env.CNN_LAB_VSIX = file;
  console.error(`# e2e: packaged ${file} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return file;
}
