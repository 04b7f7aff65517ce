/**
 * One bad document must not take the editor down: over the real protocol, expansion bombs, deep nesting,
 * a 50 MB file and many million-layer networks each get their diagnostics (refusals with codes), the
 * server stays up, and a hover on another document is answered after each. Budgets are asserted as
 * behaviour (answered, refused, alive), not as timings; the timings are in `npm run bench`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { BOMBS } from '../helpers/bombs.js';
import { startTestServer, type TestServer } from '../helpers/lsp.js';


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
