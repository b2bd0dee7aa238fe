/**
 * Derivation tree -> Architecture. Depends only on the TreeNode shape and the U-Net
 * grammar's fixed vocabulary (see docs/compiler.md), so it needs no grammar object;
 * every deviation from the vocabulary is a TreeError naming the tree path.
 */
import { TreeError } from '../../src/errors.js';
import { isNode, type GrammarRef, type TreeChild, type TreeNode } from './tree-types.js';
import { NONLINS, NORMS, resEncDefaultBlocks, type Architecture, type BlockChoices, type EncoderType } from './architecture.js';

const ENCODERS: Record<string, { type: EncoderType; stage: string; block: string }> = {
  conv_encoder: { type: 'conv', stage: 'C', block: 'conv_block' },
  res_encoder: { type: 'residual', stage: 'R', block: 'res_block' },
};

/** Reads the architecture out of a U-Net derivation tree. `grammar` (from a tree file) is checked when given. */
export function architectureFromTree(tree: TreeNode, grammar?: GrammarRef): Architecture {
  if (grammar) checkGrammarRef(grammar);
  if (!isObjectNode(tree)) throw new TreeError('expected a tree node {symbol, children}', { path: '$' });
  if (tree.symbol !== 'S') throw new TreeError(`expected the start symbol 'S' of the unet grammar, got '${tree.symbol}'`, { path: tree.symbol });
  const [unet, enc, dec] = expectChildren(tree, 'S', 3);
  expectTerminal(unet, 'unet', step('S', unet, 0));
  const ePath = step('S', enc, 1);
  const dPath = step('S', dec, 2);
  const e = expectNode(enc, ePath, /^E(\d+)$/);
  const d = expectNode(dec, dPath, /^D(\d+)$/);
  const n = Number(e.symbol.slice(1));
  if (Number(d.symbol.slice(1)) !== n) throw new TreeError(`decoder '${d.symbol}' does not match encoder '${e.symbol}'`, { path: dPath });
  if (n < 1) throw new TreeError(`a U-Net needs at least one stage, got '${e.symbol}'`, { path: ePath });

  const eKids = expectChildren(e, ePath, 4 + n + (n - 1));
  const encName = terminal(eKids[0]!, step(ePath, eKids[0], 0));
  const encoder = ENCODERS[encName];
  if (!encoder) throw new TreeError(`expected 'conv_encoder' or 'res_encoder', got '${encName}'`, { path: step(ePath, eKids[0], 0) });
  const encChoices = readChoices(eKids, 'E', ePath);
  const encoderBlocks: number[] = [];
  for (let k = 1; k <= n; k++) {
    const at = 4 + 2 * (k - 1);
    if (k > 1) expectTerminal(eKids[at - 1]!, 'down', step(ePath, eKids[at - 1], at - 1));
    encoderBlocks.push(readBlocks(eKids[at]!, `${encoder.stage}${k}`, encoder.block, step(ePath, eKids[at], at)));
  }

  const dKids = expectChildren(d, dPath, 4 + 2 * (n - 1));
  expectTerminal(dKids[0]!, 'conv_decoder', step(dPath, dKids[0], 0));
  const decChoices = readChoices(dKids, 'D', dPath);
  const decoderBlocks: number[] = [];
  for (let k = 1; k < n; k++) {
    const at = 4 + 2 * (k - 1);
    expectTerminal(dKids[at]!, 'up', step(dPath, dKids[at], at));
    decoderBlocks.push(readBlocks(dKids[at + 1]!, `B${k}`, 'conv_block', step(dPath, dKids[at + 1], at + 1)));
  }

  const arch: Architecture = { encoderType: encoder.type, encoderBlocks, decoderBlocks, encoder: encChoices, decoder: decChoices };
  if (grammar) checkBounds(arch, grammar);
  return arch;
}

function checkGrammarRef(g: GrammarRef): void {
  if (g.name !== 'unet') throw new TreeError(`the compiler needs a tree of the 'unet' grammar, got grammar '${g.name}'`, { path: '$.grammar.name' });
}

/** Block counts and stage count against the grammar's n_max / s_max, when the tree file names them. */
function checkBounds(a: Architecture, g: GrammarRef): void {
  const n = a.encoderBlocks.length;
  if (g.nMax !== undefined && (n > g.nMax || n < Math.floor(g.nMax / 2)))
    throw new TreeError(`${n} stages is outside the grammar's range ${Math.floor(g.nMax / 2)}..${g.nMax}`, { path: '$.tree' });
  if (g.sMax === undefined) return;
  const sMax = g.sMax;
  a.encoderBlocks.forEach((b, i) => {
    const max = a.encoderType === 'conv' ? 2 * sMax : sMax * resEncDefaultBlocks(i);
    if (b > max) throw new TreeError(`encoder stage ${i + 1} has ${b} blocks, the grammar allows at most ${max}`, { path: `$.tree` });
  });
  a.decoderBlocks.forEach((b, i) => {
    if (b > 2 * sMax) throw new TreeError(`decoder stage ${i + 1} has ${b} blocks, the grammar allows at most ${2 * sMax}`, { path: `$.tree` });
  });
}

function readChoices(kids: readonly TreeChild[], half: 'E' | 'D', path: string): BlockChoices {
  const norm = readChoice(kids[1]!, `${half}NORM`, NORMS, step(path, kids[1], 1));
  const nonlin = readChoice(kids[2]!, `${half}NONLIN`, NONLINS, step(path, kids[2], 2));
  const dropout = readChoice(kids[3]!, `${half}DROPOUT`, ['dropout', 'no_dropout'] as const, step(path, kids[3], 3));
  return { norm, nonlin, dropout: dropout === 'dropout' };
}

function readChoice<T extends string>(child: TreeChild, symbol: string, options: readonly T[], path: string): T {
  const node = expectNode(child, path, new RegExp(`^${symbol}$`));
  const [only] = expectChildren(node, path, 1);
  const value = terminal(only!, step(path, only, 0));
  if (!(options as readonly string[]).includes(value))
    throw new TreeError(`expected one of ${options.join(', ')}, got '${value}'`, { path: step(path, only, 0) });
  return value as T;
}

function readBlocks(child: TreeChild, symbol: string, block: string, path: string): number {
  const node = expectNode(child, path, new RegExp(`^${symbol}$`));
  if (node.children.length === 0) throw new TreeError(`stage '${symbol}' has no blocks`, { path });
  node.children.forEach((c, i) => expectTerminal(c, block, step(path, c, i)));
  return node.children.length;
}

/** Tree paths as `hnas check` writes them (src/grammar/derivation.ts): each step is a node or terminal and its index in its parent. */
function step(parent: string, child: TreeChild | undefined, index: number): string {
  const name = typeof child === 'string' ? child : isObjectNode(child) ? child.symbol : '?';
  return `${parent}/${name}[${index}]`;
}

function isObjectNode(x: unknown): x is TreeNode {
  return typeof x === 'object' && x !== null && typeof (x as TreeNode).symbol === 'string' && Array.isArray((x as TreeNode).children);
}

function expectNode(child: TreeChild | undefined, path: string, symbol: RegExp): TreeNode {
  if (child === undefined || !isObjectNode(child))
    throw new TreeError(`expected a '${symbol.source.replace(/[\^$]/g, '').replace('(\\d+)', '{n}')}' node, got ${JSON.stringify(child)}`, { path });
  if (!symbol.test(child.symbol))
    throw new TreeError(`expected '${symbol.source.replace(/[\^$]/g, '').replace('(\\d+)', '{n}')}', got '${child.symbol}' (not the unet grammar's vocabulary)`, { path });
  return child;
}

function expectChildren(node: TreeNode, path: string, count: number): readonly TreeChild[] {
  if (node.children.length !== count)
    throw new TreeError(`'${node.symbol}' must have ${count} children, has ${node.children.length}`, { path });
  return node.children;
}

function terminal(child: TreeChild, path: string): string {
  if (typeof child === 'string') return child;
  const what = isObjectNode(child) ? `node '${child.symbol}'` : JSON.stringify(child);
  throw new TreeError(`expected a terminal, got ${what}`, { path });
}

function expectTerminal(child: TreeChild | undefined, expected: string, path: string): void {
  if (child === undefined) throw new TreeError(`expected '${expected}', got nothing`, { path });
  const got = terminal(child, path);
  if (got !== expected) throw new TreeError(`expected '${expected}', got '${got}'`, { path });
}
