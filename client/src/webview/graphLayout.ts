/**
 * Where each node of a branching network goes in the panel's graph diagram, as arithmetic with no DOM:
 * a column per step of the longest path from the input (so every edge points right) and a row per
 * branch (so the paths of an inception module or a projection shortcut lie side by side). Pure, so
 * unit tests check it by hand-computed cases.
 */

/** A node's place: column (0 is the network input) and row (0 is the main path). */
export interface Cell {
  readonly col: number;
  readonly row: number;
}

/** The layout of a graph: the network input's cell, each layer's cell, and the grid's size. */
export interface GraphLayout {
  readonly input: Cell;
  readonly layers: readonly Cell[];
  readonly cols: number;
  readonly rows: number;
}

/** True when every layer reads only the one before it (the input for the first): the strip diagram suits it. */
export function isChain(inputs: readonly (readonly number[])[]): boolean {
  return inputs.every((ins, i) => ins.length === 1 && ins[0] === i - 1);
}

/**
 * The cells of a graph whose layer `i` reads the layers `inputs[i]` (earlier indices, −1 the network
 * input). A layer's column is one more than its inputs' largest. A layer with one input continues that
 * input's row when it is the input's first reader, and otherwise opens the lowest free row (a branch);
 * a merge (several inputs) sits on the lowest of its inputs' rows and frees the others, so the rows of
 * joined branches are reused by later ones.
 */
export function graphLayout(inputs: readonly (readonly number[])[]): GraphLayout {
  const input: Cell = { col: 0, row: 0 };
  const cells: Cell[] = [];
  const cell = (i: number): Cell => (i < 0 ? input : cells[i]);
  const continued = new Set<number>();
  const busy = new Set<number>([0]);
  const freeRow = (): number => {
    let r = 0;
    while (busy.has(r)) r++;
    busy.add(r);
    return r;
  };
  inputs.forEach((ins, i) => {
    const from = ins.length ? ins : [i - 1];
    for (const j of from) {
      if (j >= i || j < -1) throw new Error(`layer ${i} reads layer ${j}, which is not an earlier layer`);
    }
    const col = Math.max(...from.map((j) => cell(j).col)) + 1;
    let row: number;
    if (from.length > 1) {
      row = Math.min(...from.map((j) => cell(j).row));
      for (const j of from) if (cell(j).row !== row) busy.delete(cell(j).row);
      busy.add(row);
      for (const j of from) continued.add(j);
    } else if (!continued.has(from[0])) {
      row = cell(from[0]).row;
      continued.add(from[0]);
    } else {
      row = freeRow();
    }
    cells.push({ col, row });
  });
  const all = [input, ...cells];
  return { input, layers: cells, cols: Math.max(...all.map((c) => c.col)) + 1, rows: Math.max(...all.map((c) => c.row)) + 1 };
}

/** What a layer reads, as its section names it: each input layer's index, text and 0-based line, or the network input. */
export interface ReadName {
  readonly index: number;
  readonly text: string;
  readonly line?: number;
}

/** The names of the inputs of a layer that reads `inputs`, looked up in `layers` (index, text, line). */
export function readNames(inputs: readonly number[], layers: readonly { readonly index: number; readonly text: string; readonly line: number }[]): ReadName[] {
  return inputs.map((j) => {
    const l = j >= 0 ? layers[j] : undefined;
    return l ? { index: j, text: `${l.index}: ${l.text}`, line: l.line } : { index: -1, text: 'the network input' };
  });
}
