/**
 * The feature-map panel's HTML: a fixed skeleton with stable ids that dist/webview.js fills in. It
 * runs under a content security policy that allows only the nonce'd script and the extension's own
 * stylesheet; nothing is loaded from the network. Pure, so tests can check the policy.
 */
import { esc, pageHead } from '../webviewHtml.js';

/** Where the page's resources are, as webview URIs, and the webview's CSP source. */
export interface PageResources {
  readonly scriptUri: string;
  readonly styleUri: string;
  readonly cspSource: string;
  readonly nonce: string;
}

/** The page. Every picture is a canvas the script draws, so the policy allows no images at all. */
export function featureMapsHtml(r: PageResources): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
${pageHead({ cspSource: r.cspSource, nonce: r.nonce, title: 'Feature maps', inlineStyle: false })}
<link rel="stylesheet" href="${esc(r.styleUri)}">
</head>
<body data-colormap="grey">
<header id="header">
  <h1 id="title">Feature maps</h1>
  <div id="run-info" class="run-info"></div>
  <div id="backend-note" class="backend-note" role="status" hidden></div>
  <div class="toolbar" role="toolbar">
    <button id="rerun" type="button" title="Run the network at the same place in the file on the same image again">Run again</button>
    <label><input id="colormap-toggle" type="checkbox"> Colour map</label>
    <span id="map-legend" class="legend" title="Each tile is scaled from its own channel's minimum (left) to its maximum (right)">
      <span>min</span><canvas id="map-legend-bar" class="legend-bar"></canvas><span>max</span><span class="hint">of each channel</span>
    </span>
    <label>Tile size <input id="tile-size" type="range" min="24" max="224" step="8" value="72"></label>
  </div>
  <div id="message" class="message" hidden></div>
</header>
<nav id="jump-bar" class="jump-bar" aria-label="layers">
  <select id="layer-jump" aria-label="Go to layer"></select>
  <button id="expand-all" type="button">Expand all</button>
  <button id="collapse-all" type="button">Collapse all</button>
</nav>
<main id="content" class="layout" hidden>
  <aside id="input-pane" class="input-pane">
    <div id="input-home" class="input-home">
      <div id="input-view" class="input-view">
        <canvas id="input-canvas" class="input-canvas"></canvas>
        <canvas id="overlay-canvas" class="overlay-canvas" hidden></canvas>
        <div id="rf-box" class="rf-box" hidden></div>
      </div>
    </div>
    <div class="input-side">
      <p id="rf-info" class="rf-info">Click a unit in a feature map to see the patch of the input it sees.</p>
      <div class="overlay-controls">
        <label>Overlay <select id="overlay-select"></select></label>
        <label>Opacity <input id="overlay-opacity" type="range" min="0" max="100" value="55"></label>
        <div id="overlay-legend" class="legend" hidden title="The overlay's colours, from its lowest value (left) to its highest (right)">
          <span id="overlay-legend-min"></span><canvas id="overlay-legend-bar" class="legend-bar"></canvas><span id="overlay-legend-max"></span>
        </div>
      </div>
      <div id="top-values" class="top-values"></div>
    </div>
  </aside>
  <section id="network-pane" class="network-pane">
    <details id="diagram-section" class="section" open>
      <summary>Network</summary>
      <div id="diagram" class="diagram"></div>
    </details>
    <details id="summary-section" class="section">
      <summary>Summary table</summary>
      <div class="table-scroll"><table id="summary-table" class="summary-table"></table></div>
      <dl id="summary-totals" class="summary-totals"></dl>
    </details>
    <div id="layers" class="layers"></div>
  </section>
</main>
<script nonce="${r.nonce}" src="${esc(r.scriptUri)}"></script>
</body>
</html>`;
}
