/** The TextMate grammar against the assertions in test/grammar/*.test.cnn (vscode-tmgrammar-test). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { repoPath } from '../helpers/core.js';

test('the grammar scopes every asserted token as the grammar tests say', () => {
  const files = readdirSync(repoPath('test/grammar')).filter((f) => f.endsWith('.test.cnn'));
  assert.ok(files.length >= 2);
  const cli = repoPath('node_modules/vscode-tmgrammar-test/dist/unit.js');
  const r = spawnSync(process.execPath, [cli, '-g', 'syntaxes/cnn.tmLanguage.json', ...files.map((f) => `test/grammar/${f}`)], {
    cwd: repoPath('.'), encoding: 'utf8',
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  for (const f of files) assert.match(r.stdout, new RegExp(`${f.replace(/\./g, '\\.')} run successfuly`));
});
