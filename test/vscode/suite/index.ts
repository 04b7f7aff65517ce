/**
 * The entry point of the integration suite, one file for both runners:
 *   - @vscode/test-electron loads this bundle (dist/test/vscode/suite.js) as `extensionTestsPath` and
 *     calls `run()`, which prints mocha's spec report and rejects when a test failed;
 *   - here, the runner extension in test/vscode/runner/ requires the same bundle inside code-server's
 *     extension host and calls `runSuite()`, which resolves to every test's result for a JSON file.
 * Mocha (what VS Code's own testing guide uses) because it runs in-process with a programmatic API and
 * per-test results; node:test cannot: its tests start themselves and report when the process exits,
 * which an extension host never does, and running files goes through child processes.
 */
import Mocha from 'mocha';
import { defineTests } from './cnnLab.test.js';

/** One test's outcome, as the runner extension writes it. */
export interface TestResult {
  /** The suite's and the test's titles, joined. */
  readonly title: string;
  readonly state: 'passed' | 'failed' | 'pending';
  readonly durationMs: number;
  /** The failure's message and stack, for a failed test. */
  readonly error?: string;
}

/** Every test's outcome and the totals. */
export interface SuiteResult {
  readonly passed: number;
  readonly failed: number;
  readonly tests: readonly TestResult[];
  readonly durationMs: number;
}

/** Options of one run of the suite. */
export interface SuiteOptions {
  /** Mocha's reporter: 'spec' prints to the extension host's console; the runner extension uses its own listeners. */
  readonly reporter?: string;
  /** Per-test timeout in milliseconds (a bound on waiting for the editor, never a pause). */
  readonly timeoutMs?: number;
}

/** Runs the suite once in this extension host and resolves to the outcome of every test. */
export function runSuite(options: SuiteOptions = {}): Promise<SuiteResult> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: options.timeoutMs ?? 60_000, reporter: options.reporter ?? 'spec' });
  // The tests are bundled with this file rather than loaded by path: define them the way mocha's
  // loader would, between the 'pre-require' event (which sets suite/test on the context) and run().
  mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_PRE_REQUIRE, globalThis, 'cnnLab.test.ts', mocha);
  defineTests();
  const tests: TestResult[] = [];
  const started = Date.now();
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run(() => {
        resolve({
          passed: tests.filter((t) => t.state === 'passed').length,
          failed: tests.filter((t) => t.state === 'failed').length,
          tests, durationMs: Date.now() - started,
        });
      });
      const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;
      runner.on(EVENT_TEST_PASS, (t: Mocha.Test) => tests.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration ?? 0 }));
      runner.on(EVENT_TEST_PENDING, (t: Mocha.Test) => tests.push({ title: t.fullTitle(), state: 'pending', durationMs: 0 }));
      // A failing hook is reported here too (as "before all" hook …), so a broken set-up is not silent.
      runner.on(EVENT_TEST_FAIL, (t: Mocha.Test, err: Error) => tests.push({
        title: t.fullTitle(), state: 'failed', durationMs: t.duration ?? 0, error: err?.stack ?? String(err),
      }));
    } catch (e) {
      reject(e);
    }
  });
}

/** @vscode/test-electron's entry point (`extensionTestsPath`): runs the suite, rejects when a test failed. */
export async function run(): Promise<void> {
  const r = await runSuite({ reporter: 'spec' });
  if (r.failed > 0) throw new Error(`${r.failed} of ${r.tests.length} integration tests failed`);
}
