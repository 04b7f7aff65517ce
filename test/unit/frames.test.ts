/** The stdio frame guard: well-formed frames pass unchanged whatever the chunking; malformed ones are dropped, not fatal. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { FrameGuard } from '../../server/src/frames.js';
import { repoPath } from '../helpers/core.js';

const frame = (o: unknown): string => {
  const b = Buffer.from(JSON.stringify(o));
  return `Content-Length: ${b.length}\r\n\r\n${b}`;
};

/** Feeds `input` in chunks of the given sizes (cycled) and collects what passes and the notes. */
async function run(input: string, sizes: number[]): Promise<{ out: string; notes: string[] }> {
  const notes: string[] = [];
  const g = new FrameGuard((m) => notes.push(m));
  const chunks: Buffer[] = [];
  g.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((r) => g.on('end', r));
  const bytes = Buffer.from(input);
  for (let i = 0, k = 0; i < bytes.length; k++) {
    const n = sizes[k % sizes.length];
    g.write(bytes.subarray(i, i + n));
    i += n;
  }
  g.end();
  await done;
  return { out: Buffer.concat(chunks).toString(), notes };
}

test('well-formed frames pass byte for byte, split at any point', async () => {
  const input = frame({ a: 1 }) + frame({ text: 'ünïcödé → ×' }) + 'Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: 2\r\n\r\n{}';
  for (const sizes of [[1], [2, 3], [7], [input.length]]) {
    const r = await run(input, sizes);
    assert.equal(r.out, input, `chunks of ${sizes}`);
    assert.deepEqual(r.notes, []);
  }
});

test('a header without Content-Length is dropped with its junk body; the next frame still passes', async () => {
  const good = frame({ id: 1 });
  for (const sizes of [[1], [5], [1000]]) {
    const r = await run('X-Bogus: 1\r\n\r\n{"jsonrpc":"2.0"}' + good, sizes);
    assert.equal(r.out, good);
    assert.equal(r.notes.length, 1);
    assert.match(r.notes[0], /without a Content-Length/);
  }
});

test('a body over the limit is discarded as it streams by', async () => {
  const r = await run(`Content-Length: ${2 ** 31}\r\n\r\n` + 'x'.repeat(1000), [100]);
  assert.equal(r.out, '');
  assert.match(r.notes[0], /dropped a message of 2147483648 bytes/);
});

test('the language server answers after a frame without Content-Length (over stdio)', async () => {
  const p = spawn(process.execPath, [repoPath('dist/server.js'), '--stdio']);
  try {
    let out = '';
    const answered = new Promise<string>((resolve, reject) => {
      p.stdout.on('data', (d: Buffer) => { out += d; if (/"id":1\b/.test(out)) resolve(out); });
      p.on('exit', (code) => reject(new Error(`server exited (${code}) before answering: ${out}`)));
    });
    p.stdin.write('X-Bogus: 1\r\n\r\n{"jsonrpc":"2.0"}');
    p.stdin.write(frame({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } }));
    assert.match(await answered, /"capabilities"/);
  } finally {
    p.kill();
  }
});
