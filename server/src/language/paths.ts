/**
 * Module paths: the PyTorch-style dotted name of every layer (`layer2.0.downsample.0`), read from the
 * lowered graph. The weights loader matches state_dict keys against them and the PyTorch exporter names
 * its attributes with them, so a file exported here loads back by name and a torchvision checkpoint
 * loads into a sample labelled like torchvision's modules.
 *
 * The rule (README, "Module paths"):
 *  - a labelled construct or block use is a scope; its label is a path segment (labels may hold dots);
 *  - each instance of a labelled `repeat`, and each copy of a labelled `NAME xN`, is a scope numbered
 *    from 0 inside it; unlabelled constructs, block uses and repeats add nothing;
 *  - the children of a scope, in execution order, are the layers standing directly in it (every kind but
 *    the merges, which PyTorch writes in `forward`: `auto` layers and `xN` copies each count) and the
 *    scopes directly inside it (each counts once, where its first layer runs);
 *  - a labelled layer's path is the scope's path and its label (a labelled `xN` line numbers its copies
 *    below the label); an unlabelled one's is the scope's path and its index among the children, as
 *    nn.Sequential numbers them. The network's top level is a scope with an empty path.
 */
import type { LayerDecl, Scope } from './program.js';

/** A child of a scope: one of its layers (by index in the network) or a scope inside it. */
export type ModuleChild =
  | { readonly kind: 'layer'; readonly index: number; readonly name: string }
  | { readonly kind: 'scope'; readonly node: ModuleNode; readonly name: string };

/** A scope with its children in order; the root stands for the network's top level. */
export interface ModuleNode {
  /** Dotted path from the network's top level ('' for the root). */
  readonly path: string;
  readonly scope?: Scope;
  readonly children: ModuleChild[];
}

/** The scopes of a network as a tree, and each layer's module path (undefined for merges). */
export interface ModuleTree {
  readonly root: ModuleNode;
  readonly paths: readonly (string | undefined)[];
}

const isMerge = (l: LayerDecl): boolean => l.spec.kind === 'add' || l.spec.kind === 'concat' || l.spec.kind === 'mul';
const hasCopies = (l: LayerDecl): boolean => l.stmt.args.some((a) => /^[x×]\d+$/i.test(a.text) && Number(a.text.slice(1)) > 1);
const join = (prefix: string, name: string): string => (prefix ? `${prefix}.${name}` : name);

/** Builds the scope tree and the paths of a network's layers by the rule above. */
export function moduleTree(layers: readonly LayerDecl[]): ModuleTree {
  const root: ModuleNode = { path: '', children: [] };
  const nodes = new Map<Scope, ModuleNode>();
  const nodeOf = (s: Scope | undefined): ModuleNode => {
    if (!s) return root;
    let n = nodes.get(s);
    if (n) return n;
    const parent = nodeOf(s.parent);
    n = { path: join(parent.path, s.name), scope: s, children: [] };
    nodes.set(s, n);
    parent.children.push({ kind: 'scope', node: n, name: s.name });
    return n;
  };
  // A labelled `xN` line is one child (a list of its copies), found again by its statement.
  const listed = new Map<ModuleNode, Set<unknown>>();
  const paths = layers.map((l, index): string | undefined => {
    if (isMerge(l)) return undefined;
    const node = nodeOf(l.scope);
    if (l.label === undefined) {
      const name = String(node.children.length);
      node.children.push({ kind: 'layer', index, name });
      return join(node.path, name);
    }
    if (!hasCopies(l)) {
      node.children.push({ kind: 'layer', index, name: l.label });
      return join(node.path, l.label);
    }
    let seen = listed.get(node);
    if (!seen) listed.set(node, (seen = new Set()));
    if (!seen.has(l.stmt)) {
      seen.add(l.stmt);
      node.children.push({ kind: 'layer', index, name: l.label });
    }
    return join(node.path, `${l.label}.${l.copy ?? 0}`);
  });
  return { root, paths };
}

/** Each layer's module path (undefined for merges), by the rule above. */
export function modulePaths(layers: readonly LayerDecl[]): (string | undefined)[] {
  return [...moduleTree(layers).paths];
}

/**
 * Paths given to more than one layer (a labelled layer inside an unlabelled `repeat`, or a dotted label
 * that spells another scope's path), with the layers that share each; empty when all are distinct.
 */
export function duplicatePaths(paths: readonly (string | undefined)[], only?: (index: number) => boolean): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  paths.forEach((p, i) => {
    if (p === undefined || (only && !only(i))) return;
    const list = seen.get(p);
    if (list) list.push(i);
    else seen.set(p, [i]);
  });
  for (const [p, list] of seen) if (list.length < 2) seen.delete(p);
  return seen;
}
