/**
 * Reverse-mode automatic differentiation over the op graph. The engine alone walks the
 * nodes backwards, sums contributions to a value, reduces gradients over broadcast axes
 * and checks every gradient's shape against its input, naming the op when a rule is
 * missing or wrong. Rules (GRADIENTS, one per op kind) only return one gradient per input.
 *
 * @example
 *   const grads = gradients(graph, 'loss', ['conv.weight']);  // value name -> gradient value name
 */
import { GraphBuilder } from '../graph/builder.js';
import type { Graph } from '../graph/graph.js';
import type { Shape } from '../graph/shape.js';
import { GRADIENTS } from './gradients.js';
import type { GradientRule } from './rule.js';

export function gradients(graph: Graph, loss: string, wrt: readonly string[]): Map<string, string> {
  const b = new GraphBuilder(graph, 'grad');
  if (graph.shape(loss).length !== 0) throw new Error(`gradients: loss '${loss}' must be a scalar, has shape [${graph.shape(loss).join(', ')}]`);
  // Values that depend on something we differentiate with respect to.
  const live = new Set(wrt);
  for (const n of graph.nodes) if (n.inputs.some((i) => live.has(i))) n.outputs.forEach((o) => live.add(o));

  const parts = new Map<string, string[]>();
  const contribute = (v: string, g: string) => parts.set(v, [...(parts.get(v) ?? []), g]);
  const total = (v: string): string | null => {
    const gs = parts.get(v);
    if (!gs?.length) return null;
    const sum = gs.reduce((acc, g) => b.add(acc, g));
    parts.set(v, [sum]);
    return sum;
  };

  contribute(loss, b.scalar(1, 'seed'));
  const nodes = [...graph.nodes];
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k]!;
    if (!node.inputs.some((i) => live.has(i))) continue;
    const outGrads = node.outputs.map(total);
    if (outGrads.every((g) => g === null)) continue;
    const rule = GRADIENTS[node.kind] as GradientRule<unknown> | null;
    if (!rule) throw new Error(`no gradient rule for op '${node.kind}' (node '${node.name}')`);
    const inGrads = rule(new GraphBuilder(graph, `${node.name}.grad`), node, outGrads);
    if (inGrads.length !== node.inputs.length)
      throw new Error(`gradient rule of '${node.kind}' (node '${node.name}') returned ${inGrads.length} gradients for ${node.inputs.length} inputs`);
    inGrads.forEach((g, i) => {
      const input = node.inputs[i]!;
      if (g === null || !live.has(input)) return;
      contribute(input, unbroadcast(b, g, graph.shape(input), `'${node.kind}' (node '${node.name}') input ${i}`));
    });
  }
  // A parameter the loss does not depend on (e.g. a head with deep-supervision weight 0) gets zeros.
  return new Map(wrt.map((w) => [w, total(w) ?? b.constant(b.dims(w), [0], 'zero_grad')]));
}

/** Sums g over the axes numpy broadcasting added or stretched, so it takes the input's shape. */
function unbroadcast(b: GraphBuilder, g: string, want: Shape, what: string): string {
  const have = b.shape(g);
  const same = (x: Shape, y: Shape) => x.length === y.length && x.every((d, i) => d === y[i]);
  if (same(have, want)) return g;
  const lead = have.length - want.length;
  const stretched = want.map((d, i) => (d === 1 && have[lead + i] !== 1 ? lead + i : -1)).filter((a) => a >= 0);
  const fits = lead >= 0 && want.every((d, i) => d === have[lead + i] || d === 1);
  if (!fits) throw new Error(`gradient of ${what} has shape [${have.join(', ')}], expected [${want.join(', ')}]`);
  let out = g;
  if (stretched.length) out = b.sum(out, stretched, true);
  if (lead > 0) out = b.sum(out, Array.from({ length: lead }, (_, i) => i));
  return out;
}

/** Every value `value` depends on (itself included): e.g. the parameters a loss actually uses. */
export function dependencies(graph: Graph, value: string): Set<string> {
  const needed = new Set([value]);
  for (let k = graph.nodes.length - 1; k >= 0; k--) {
    const n = graph.nodes[k]!;
    if (n.outputs.some((o) => needed.has(o))) n.inputs.forEach((i) => needed.add(i));
  }
  return needed;
}
