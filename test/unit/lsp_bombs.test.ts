/**
 * One bad document must not take the editor down: over the real protocol, expansion bombs, deep nesting,
 * a 50 MB file and many million-layer networks each get their diagnostics (refusals with codes), the
 * server stays up, and a hover on another document is answered after each. Budgets are asserted as
 * behaviour (answered, refused, alive), not as timings; the timings are in `npm run bench`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../helpers/lsp.js';

const BOMBS: Record<string, string> = {
  'empty repeat 1e9': 'input 3x8x8\nrepeat 1000000000\nend\n',
  'two nested empty repeats': 'input 3x8x8\nrepeat 1000000000\nrepeat 1000000000\nend\nend\n',
  'relu x99999999999999': 'input 3x8x8\nrelu x99999999999999\n',
  'repeat 1e5 in repeat 1e5': 'input 3x8x8\nrepeat 100000\nrepeat 100000\nconv3-8 pad1\nend\nend\n',
  'conv3-8 x99999999': 'input 3x8x8\nconv3-8 x99999999\n',
  '20 networks of relu x1000000': Array.from({ length: 20 }, (_, i) => `network n${i}\ninput 3x8x8\nrelu x1000000\n`).join(''),
  'blocks nested 3,000 deep': 'input 3x8x8\n' + 'repeat 1\n'.repeat(3000) + 'relu\n' + 'end\n'.repeat(3000),
  'a chain of 3,000 blocks': Array.from({ length: 3000 }, (_, i) => `block b${i}\n  ${i === 2999 ? 'relu' : `b${i + 1}`}\nend\n`).join('') + 'network n\ninput 3x8x8\nb0\n',
  '50 MB file': 'input 3x8x8\n' + 'conv3-8 pad1\n'.repeat(4_000_000),
};

let server: TestServer;
const OTHER = 'file:///other.cnn';
before(async () => {
  server = await startTestServer();
  await server.open(OTHER, 'input 3x32x32\nconv3-16 pad1\n');
});
after(async () => { await server?.stop(); });

for (const [name, text] of Object.entries(BOMBS)) {
  test(`${name}: refused with a code, and another document is still answered`, async () => {
    const uri = `file:///bomb-${name.replace(/\W+/g, '-')}.cnn`;
    const d = await server.open(uri, text);
    const codes = [...new Set(d.diagnostics.map((x) => x.code))];
    assert.ok(codes.every((c) => ['too-large', 'too-deep'].includes(String(c))), `${name}: ${codes}`);
    assert.ok(codes.length > 0 || name.startsWith('empty') || name.startsWith('two nested'), `${name}: no refusal`);
    for (const x of d.diagnostics) assert.ok(x.range.start.line >= 0 && String(x.message).length > 10);
    const h = await server.conn.sendRequest<{ contents: { value: string } } | null>('textDocument/hover', { textDocument: { uri: OTHER }, position: { line: 1, character: 2 } });
    assert.match(h!.contents.value, /448/, 'conv3-16 on 3 channels: 16·3·9 + 16 = 448 parameters');
    // The status bar's request on the bomb itself is answered too.
    await server.conn.sendRequest('cnnLab/networkAt', { uri, position: { line: 0, character: 0 } });
    await server.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  });
}
