/** Timings the scenarios measure, appended to test/e2e/artifacts/timings.jsonl; run.sh prints them. */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ARTIFACTS_DIR } from './paths.mjs';

/** Records one measured figure (and prints it as a test-runner diagnostic line). */
export function recordTiming(name, value) {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const v = Math.round(value * 10) / 10;
  appendFileSync(join(ARTIFACTS_DIR, 'timings.jsonl'), JSON.stringify({ name, value: v, at: new Date().toISOString() }) + '\n');
  console.error(`# timing: ${name}: ${v}`);
}
