// End to end in a real VS Code (code-server + Chromium): "CNN Lab: Export as PyTorch…" from the palette,
// with He-initialised weights, through VS Code's save dialog, to the notification's "Open". When
// /usr/bin/python3 has torch, the exported module is built and the weights loaded with strict=True. Then
// "Export as ONNX…" of the network at the cursor and "Open ONNX Model as .cnn" of the file it wrote, both
// done by the run worker: the notifications give the size and the figures, and the text opens.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { recordTiming } from './lib/timings.mjs';
import { scenario, startWorkbench, STEP_TIMEOUT } from './lib/workbench.mjs';

/** @type {import('./lib/workbench.mjs').Workbench} */
let wb;
before(async () => {
  wb = await startWorkbench({ name: 'export' });
  recordTiming('export: workbench load (s)', wb.timings.workbenchLoadMs / 1000);
}, { timeout: 240_000 });
after(async () => { await wb?.close(); });
const it = (title, fn, options) => scenario(test, () => wb, title, fn, options);

const TOAST = '.notifications-toasts .notification-toast';
const PYTHON = '/usr/bin/python3';

/**
 * Waits for VS Code's save dialog (a quick input taking a path in code-server) titled `title` to
 * propose `expected`, the whole path, and accepts it.
 */
async function acceptSaveDialog(title, expected) {
  const page = wb.page;
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await page.locator('.quick-input-widget', { hasText: title }).first().waitFor();
  const name = basename(expected);
  try {
    await page.waitForFunction((n) => (document.querySelector('.quick-input-widget .quick-input-box input')?.value ?? '').endsWith(n), name);
  } catch (e) {
    throw new Error(`the save dialog did not propose ${name}; its box holds ${await input.inputValue()}`, { cause: e });
  }
  assert.equal(await input.inputValue(), expected, `the save dialog proposes ${name} beside its source`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden' });
}

/** The notification whose text contains `text`, once shown; if none comes, the error lists those that did. */
async function notification(text) {
  const toast = wb.page.locator(TOAST, { hasText: text }).first();
  try {
    await toast.waitFor();
  } catch (e) {
    throw new Error(`no notification "${text}"; toasts: ${JSON.stringify(await wb.page.locator(TOAST).allInnerTexts())}`, { cause: e });
  }
  return toast;
}

/** Waits until a file exists and is not empty (the extension host writes it), bounded by a deadline. */
async function waitForFile(path, timeout = STEP_TIMEOUT) {
  const deadline = Date.now() + timeout;
  while (!(existsSync(path) && statSync(path).size > 0)) {
    if (Date.now() > deadline) throw new Error(`${path} was not written within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Builds the exported module with torch, loads the safetensors file into it with strict=True (parsed
 * by hand: safetensors the package is not needed) and prints the parameter count as JSON.
 */
const CHECK_PY = `
import importlib.util, json, struct, sys, torch
spec = importlib.util.spec_from_file_location("exported", sys.argv[1])
mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
model = mod.build()
raw = open(sys.argv[2], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n]); header.pop("__metadata__", None)
dtypes = {"F32": torch.float32, "I64": torch.int64}
state = {k: torch.frombuffer(bytearray(raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]]), dtype=dtypes[v["dtype"]]).reshape(v["shape"]) for k, v in header.items()}
model.load_state_dict(state, strict=True)
y = model(torch.zeros(1, 1, 6, 6))
print(json.dumps({"params": sum(p.numel() for p in model.parameters()), "keys": sorted(state), "out": list(y.shape)}))
`;

it('exports a network to PyTorch with He-initialised weights, and opens the .py', async () => {
  const t0 = Date.now();
  const page = wb.page;
  await wb.openFile('lecture/01-weight-sharing.cnn');
  await wb.waitForLine(/^conv2-1\b/);
  await wb.command('CNN Lab: Export as PyTorch…');

  // The file has two networks: pick the first.
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  await page.locator('.quick-input-widget', { hasText: 'Export which network?' }).first().waitFor();
  await rows.filter({ hasText: /^\s*two-by-two\s*$/ }).first().click();

  await page.locator('.quick-input-widget', { hasText: 'Weights to write beside the .py' }).first().waitFor();
  await rows.filter({ hasText: 'Module and He-initialised weights' }).first().click();

  // The save dialog proposes <network>.py beside the .cnn file. Accept that.
  const expected = join(wb.workspace, 'lecture', 'two-by-two.py');
  await acceptSaveDialog('Export as PyTorch', expected);
  const toast = await notification('CNN Lab: exported two-by-two to two-by-two.py and two-by-two.safetensors.');

  const st = join(wb.workspace, 'lecture', 'two-by-two.safetensors');
  await waitForFile(expected);
  await waitForFile(st);
  const py = readFileSync(expected, 'utf8');
  assert.match(py, /^def build\(\):$/m);
  assert.match(py, /^class TwoByTwo\(nn\.\w+\):$/m);
  assert.match(py, /return TwoByTwo\(\)\.eval\(\)/);
  assert.ok(statSync(st).size > 8, 'the .safetensors file has a header and data');

  await toast.locator('.monaco-button', { hasText: /^Open$/ }).click();
  await page.locator('.editor-group-container.active .tabs-container .tab.active', { hasText: 'two-by-two.py' }).waitFor();
  // The .py is long: go to its end, where build() is.
  await wb.editor.locator('.view-lines .view-line').first().waitFor();
  await wb.editor.click({ position: { x: 200, y: 10 } });
  await page.keyboard.press('Control+End');
  await wb.waitForLine(/^def build\(\):/);

  const torch = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (torch.status !== 0) {
    console.error(`# ${PYTHON} cannot import torch: the exported module was not built or loaded`);
  } else {
    const r = spawnSync(PYTHON, ['-c', CHECK_PY, expected, st], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `the python check failed:\n${r.stdout}\n${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop());
    // 1×1×2×2 weights + 1 bias, as the sample's comment and its code lens say.
    assert.equal(out.params, 5, JSON.stringify(out));
    assert.deepEqual(out.out, [1, 1, 5, 5], JSON.stringify(out));
  }
  recordTiming('export: scenario (s)', (Date.now() - t0) / 1000);
});

it('exports the network at the cursor as ONNX (built in the run worker) and opens the .onnx back as .cnn text', async () => {
  const t0 = Date.now();
  await wb.openFile('lecture/01-weight-sharing.cnn');
  await wb.waitForLine(/^input 1x600x600/);
  // The cursor in the second network: the worker picks it by the language server's rule.
  await wb.clickToken('input 1x600x600', '600x600');
  await wb.command('CNN Lab: Export as ONNX…');

  const expected = join(wb.workspace, 'lecture', 'same-kernel-bigger-image.onnx');
  await acceptSaveDialog('export same-kernel-bigger-image as ONNX', expected);
  const exported = await notification('CNN Lab: exported same-kernel-bigger-image to same-kernel-bigger-image.onnx (');
  await waitForFile(expected);
  const said = await exported.innerText();
  assert.match(said, /\(([\d,]+) bytes, ONNX \(IR 7, opset 14\) with the weights as initializers; He-initialised weights, seed 0\)\./);
  assert.equal(Number(/\(([\d,]+) bytes/.exec(said)[1].replace(/,/g, '')), statSync(expected).size, 'the notification gives the file\'s size');

  // Back in: the worker reads the model; the text opens in an untitled editor and the weights are offered.
  await wb.command('CNN Lab: Open ONNX Model as .cnn');
  await wb.pickInFileDialog(expected);
  const imported = await notification('CNN Lab: same-kernel-bigger-image.onnx as same-kernel-bigger-image: 1 layers, 5 parameters, 1,435,204 MACs.');
  await wb.waitForLine(/^network same-kernel-bigger-image$/);
  await wb.waitForLine(/^input 1x600x600$/);
  await wb.waitForLine(/^conv2-1\b/);

  // "Save Weights…": the save dialog proposes <network>.safetensors beside the model; the file holds the
  // model's 5 parameters (the conv's 2×2 kernel and bias), the very floats of the ONNX file's initializers.
  await imported.locator('.monaco-button', { hasText: /^Save Weights…$/ }).click();
  const saved = join(wb.workspace, 'lecture', 'same-kernel-bigger-image.safetensors');
  await acceptSaveDialog('save the weights of same-kernel-bigger-image', saved);
  await waitForFile(saved);
  const st = readFileSync(saved);
  const headerLength = Number(st.readBigUInt64LE(0));
  const header = JSON.parse(st.subarray(8, 8 + headerLength).toString('utf8'));
  const tensors = Object.entries(header).filter(([k]) => k !== '__metadata__');
  assert.deepEqual(tensors.map(([, t]) => [t.dtype, t.shape]).sort(), [['F32', [1]], ['F32', [1, 1, 2, 2]]], JSON.stringify(header));
  const onnx = readFileSync(expected);
  for (const [name, t] of tensors) {
    const floats = st.subarray(8 + headerLength + t.data_offsets[0], 8 + headerLength + t.data_offsets[1]);
    assert.ok(onnx.indexOf(floats) >= 0, `${name}'s ${floats.length} bytes are in the exported model`);
  }
  recordTiming('export: ONNX scenario (s)', (Date.now() - t0) / 1000);
});
