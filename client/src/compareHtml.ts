/**
 * The comparison view's HTML: a fixed skeleton with stable ids that dist/compare.js fills in from the
 * 'show' message. It runs under a content security policy that allows only the nonce'd script and the
 * nonce'd style element; nothing is loaded from the network. Pure, so tests can check the policy.
 */
import { esc, pageHead } from './webviewHtml.js';

/** Where the page's script is, as a webview URI, the webview's CSP source and the nonce. */
export interface ComparePageResources {
  readonly scriptUri: string;
  readonly cspSource: string;
  readonly nonce: string;
}

/** How stages are defined: the legend says it, as the README does. */
export const STAGE_DEFINITION =
  'Stages split at each spatial downsampling: a layer whose output H×W is smaller than its input\'s starts the next stage '
  + '(an upsampling, whose output is larger, starts one too). In a branching network a layer is in the latest stage of its inputs, '
  + 'so both stride-2 paths of a ResNet block are in one stage. The first fc, gap or flatten in execution order and every layer after it are the head.';

/** The columns of the table: sort key, heading and a tooltip. */
export const COMPARE_COLUMNS: readonly { readonly key: string; readonly label: string; readonly title: string; readonly num: boolean }[] = [
  { key: 'name', label: 'Network', title: 'click a row to open the network', num: false },
  { key: 'weightLayers', label: 'Weight layers', title: 'conv, deconv and fc layers (the VGG paper\'s depth), shortcut projections included; bn not counted', num: true },
  { key: 'params', label: 'Params', title: 'learned parameters (bn\'s scale and shift included)', num: true },
  { key: 'macs', label: 'MACs', title: 'multiply-accumulates for one image (FLOPs = 2·MACs)', num: true },
  { key: 'activations', label: 'Activation memory', title: 'every layer\'s output, float32, batch 1', num: true },
  { key: 'paramBytes', label: 'Parameter memory', title: 'float32', num: true },
  { key: 'fcShare', label: 'fc share', title: 'fc parameters / all parameters', num: true },
  { key: 'rf', label: 'RF', title: 'receptive field at the last feature map: the input of the first fc/gap/flatten in execution order, else the last layer\'s output (≈ after an upsampling)', num: true },
];

/** The page. The bar charts are SVG the script draws, so the policy allows no images at all. */
export function compareHtml(r: ComparePageResources): string {
  const th = COMPARE_COLUMNS.map((c) => `<th class="sortable${c.num ? ' num' : ''}" data-key="${c.key}" title="${esc(c.title)}">${esc(c.label)}</th>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
${pageHead({ cspSource: r.cspSource, nonce: r.nonce, title: 'Compare networks', inlineStyle: true })}
<style nonce="${r.nonce}">
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1em 1em; }
  table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin-bottom: 1em; }
  th, td { padding: 2px 10px; border-bottom: 1px solid var(--vscode-panel-border, #8884); text-align: left; white-space: nowrap; }
  td.num, th.num { text-align: right; }
  th.sortable { cursor: pointer; user-select: none; }
  th[data-dir="asc"]::after { content: " ▲"; } th[data-dir="desc"]::after { content: " ▼"; }
  tbody tr { cursor: pointer; } tbody tr:hover { background: var(--vscode-list-hoverBackground); }
  .chart { width: 100%; max-width: 900px; }
  .chart svg { width: 100%; display: block; overflow: visible; }
  .chart text { fill: var(--vscode-foreground); font-size: 12px; }
  .chart .bar { cursor: pointer; }
  .chart .bar:hover rect { opacity: 0.8; }
  .legend { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 0.5em 0; padding: 0; list-style: none; }
  .legend svg { vertical-align: middle; margin-right: 4px; }
  .note { color: var(--vscode-descriptionForeground); max-width: 900px; }
  .message { color: var(--vscode-descriptionForeground); }
</style>
</head>
<body>
<h2 id="title">Compare networks</h2>
<p id="message" class="message">Waiting for the language server…</p>
<div id="content" hidden>
<table id="table">
<thead><tr>${th}</tr></thead>
<tbody id="rows"></tbody>
</table>
<ul id="legend" class="legend" aria-label="stages"></ul>
<h3>Parameters by stage</h3>
<div id="chart-params" class="chart"></div>
<h3>MACs by stage</h3>
<div id="chart-macs" class="chart"></div>
<p class="note">${esc(STAGE_DEFINITION)} Click a row or a bar to open the network; click a heading to sort (rows and bars follow).</p>
</div>
<script nonce="${r.nonce}" src="${esc(r.scriptUri)}"></script>
</body>
</html>`;
}
