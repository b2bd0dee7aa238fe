/** A readable listing of an op graph: inputs, parameters (summarised), one line per node. */
import type { Graph } from './graph.js';
import type { Shape } from './shape.js';

const dims = (s: Shape) => `[${s.join(', ')}]`;

function attrText(attrs: object): string {
  const parts = Object.entries(attrs).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('x') : String(v)}`);
  return parts.length ? ` {${parts.join(', ')}}` : '';
}

/**
 * @example
 *   encoder.stage0.block0.conv = conv(input, encoder.stage0.block0.conv.weight[32, 1, 3, 3, 3], ...) {stride=1x1x1, pads=1x1x1} -> [N, 32, 40, 56, 40]
 */
export function formatGraph(graph: Graph): string {
  const lines = graph.inputs.map((i) => `input ${i}: ${dims(graph.shape(i))}`);
  let count = 0;
  for (const p of graph.params.values()) count += p.shape.reduce((a, b) => a * b, 1);
  lines.push(`${graph.params.size} parameter tensors, ${count.toLocaleString('en-US')} values`);
  for (const n of graph.nodes) {
    const args = n.inputs.map((i) => (graph.params.has(i) ? `${i}${dims(graph.shape(i))}` : i)).join(', ');
    lines.push(`${n.outputs.join(', ')} = ${n.kind}(${args})${attrText(n.attrs)} -> ${n.outputs.map((o) => dims(graph.shape(o))).join(', ')}`);
  }
  lines.push(`outputs: ${graph.outputs.join(', ')}`);
  return lines.join('\n');
}
