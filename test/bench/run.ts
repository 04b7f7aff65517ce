/** `npm run bench`: every benchmark in turn, each in its own process so one's heap does not slow the next. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
const benches = ['core-bench.ts', 'lsp-bench.ts', 'engine-bench.ts', 'run-bench.ts'].filter((b) => existsSync(here(b)));
let failed = false;
for (const b of benches) {
  console.log(`\n## ${b}\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', here(b)], { stdio: 'inherit' });
  if (r.status !== 0) failed = true;
}
process.exitCode = failed ? 1 : 0;
