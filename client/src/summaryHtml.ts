/**
 * The HTML of the summary view: a torchinfo-like table of one network, sortable by index, parameters,
 * MACs, activations and receptive field. Rows are the graph's nodes in execution order; in a branching
 * network a "Reads" column names the layers a row reads when they are not simply the row before
 * (merges, and the first layer of a shortcut or branch). Pure (no `vscode` import) so it can be unit-tested; the tiny
 * script only sorts rows and posts messages, and runs under a content security policy with a nonce.
 */
import { esc, pageHead } from './webviewHtml.js';
import type { SummaryNetwork } from '../../server/src/analysis/summary.js';
import { fmtInt, fmtShape, fmtSi, totalLines } from '../../server/src/analysis/summary.js';

/** The page for one network. `cspSource` is the webview's `cspSource`. */
export function summaryHtml(n: SummaryNetwork, nonce: string, cspSource: string): string {
  const chain = (l: SummaryNetwork['layers'][number]) => l.inputs.length === 1 && l.inputs[0] === l.index - 1;
  const graph = !n.layers.every(chain);
  const reads = (l: SummaryNetwork['layers'][number]) => (chain(l) ? '' : l.inputs.map((i) => (i < 0 ? 'input' : `#${i}`)).join(', '));
  const rows = n.layers.map((l) => {
    const rf = l.rf ? (l.rf[0] === l.rf[1] ? String(l.rf[0]) : `${l.rf[0]}×${l.rf[1]}`) : '?';
    const cls = l.auto ? ' class="auto"' : '';
    return `<tr${cls} tabindex="0" data-line="${l.line - 1}" data-index="${l.index}" data-params="${l.params}" data-macs="${l.macs}" data-activations="${l.activations}" data-rf="${l.rf ? l.rf[0] * l.rf[1] : -1}">`
      + `<td class="num">${l.index}</td><td><code>${esc(l.text)}</code></td>${graph ? `<td class="reads">${esc(reads(l))}</td>` : ''}<td class="num">${l.line}</td>`
      + `<td>${esc(fmtShape(l.out))}</td><td class="num" title="${esc(l.formula)}">${fmtInt(l.params)}</td>`
      + `<td class="num" title="${fmtInt(l.macs)}">${fmtSi(l.macs)}</td><td class="num" title="${fmtInt(l.activations)}">${fmtSi(l.activations)}</td><td class="num">${rf}</td></tr>`;
  }).join('\n');
  const totals = totalLines(n).map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('');
  const th = (label: string, key?: string) => (key ? `<th class="sortable" data-key="${key}" tabindex="0" role="button" title="sort (Enter)">${label}</th>` : `<th>${label}</th>`);
  return `<!DOCTYPE html>
<html lang="en">
<head>
${pageHead({ cspSource, nonce, title: n.name, inlineStyle: true })}
<style nonce="${nonce}">
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1em; }
  /* Half an editor wide, the table scrolls sideways rather than wrapping \`conv3-128 pad1\` over three lines. */
  .scroll { overflow-x: auto; max-width: 100%; }
  table { border-collapse: collapse; font-variant-numeric: tabular-nums; white-space: nowrap; }
  th:focus, tbody tr:focus { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
  th, td { padding: 2px 10px; border-bottom: 1px solid var(--vscode-panel-border, #8884); text-align: left; }
  td.num, th.num { text-align: right; }
  th.sortable { cursor: pointer; user-select: none; }
  th[data-dir="asc"]::after { content: " ▲"; } th[data-dir="desc"]::after { content: " ▼"; }
  tbody tr { cursor: pointer; } tbody tr:hover { background: var(--vscode-list-hoverBackground); }
  tr.auto { opacity: 0.7; }
  dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; }
  dt { font-weight: bold; }
  button { margin: 0.5em 0; }
</style>
</head>
<body>
<h2>${esc(n.name)} — input ${esc(fmtShape(n.input))}</h2>
<button id="copy">Copy as Markdown</button>
<div class="scroll"><table>
<thead><tr>${th('#', 'index')}${th('Layer')}${graph ? th('Reads') : ''}${th('Line')}${th('Output shape')}${th('Params', 'params')}${th('MACs', 'macs')}${th('Activations', 'activations')}${th('RF', 'rf')}</tr></thead>
<tbody>
${rows}
</tbody>
</table></div>
<dl>${totals}</dl>
<script nonce="${nonce}">
(function () {
  const vscode = acquireVsCodeApi();
  const tbody = document.querySelector('tbody');
  function sort(key, dir) {
    const rows = Array.from(tbody.rows);
    rows.sort((a, b) => (Number(a.dataset[key]) - Number(b.dataset[key])) * (dir === 'asc' ? 1 : -1));
    for (const r of rows) tbody.appendChild(r);
    for (const h of document.querySelectorAll('th[data-key]')) h.removeAttribute('data-dir');
    document.querySelector('th[data-key="' + key + '"]').setAttribute('data-dir', dir);
    vscode.setState({ key, dir });
  }
  const isEnter = (e) => e.key === 'Enter' || e.key === ' ';
  for (const h of document.querySelectorAll('th[data-key]')) {
    const toggle = () => sort(h.dataset.key, h.dataset.dir === 'desc' ? 'asc' : 'desc');
    h.addEventListener('click', toggle);
    h.addEventListener('keydown', (e) => { if (isEnter(e)) { e.preventDefault(); toggle(); } });
  }
  const reveal = (e) => {
    const tr = e.target.closest('tr');
    if (tr) vscode.postMessage({ type: 'reveal', line: Number(tr.dataset.line) });
  };
  tbody.addEventListener('click', reveal);
  tbody.addEventListener('keydown', (e) => { if (isEnter(e)) { e.preventDefault(); reveal(e); } });
  document.getElementById('copy').addEventListener('click', () => vscode.postMessage({ type: 'copyMarkdown' }));
  const state = vscode.getState();
  if (state && state.key) sort(state.key, state.dir);
})();
</script>
</body>
</html>`;
}

/** The status bar text for a network's totals. */
export function statusText(name: string, totals: SummaryNetwork['totals']): string {
  return `$(symbol-structure) ${name}: ${fmtSi(totals.params)} params · ${fmtSi(totals.macs)} MACs${totals.complete ? '' : ' (partial)'}`;
}
