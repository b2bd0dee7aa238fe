/**
 * Which nodes of an ONNX model an execution provider has a kernel for, from the provider's
 * published kernel registrations (cuda.json, webgpu.json, made by scripts/kernel-table.mjs).
 * A node without one runs on the CPU with a copy on either side. Matching follows onnxruntime's
 * kernel lookup: op and domain, the model's opset inside the kernel's [since, until] range, and
 * each input's element type among the types its constraint allows (when the table lists types).
 * Subgraphs (Loop bodies) are walked too.
 */
import { createRequire } from 'node:module';
import pkg from 'onnx-proto';

const { onnx } = pkg;

export interface KernelEntry {
  readonly since: number;
  readonly until: number | null;
  /** Per documented signature: each input's constraint name (or a fixed type like tensor(int64)). */
  readonly inputs: readonly (readonly string[])[] | null;
  readonly types: Readonly<Record<string, readonly string[]>> | null;
}

export interface KernelTable {
  readonly source: string;
  readonly provider: string;
  readonly ops: Readonly<Record<string, Readonly<Record<string, readonly KernelEntry[]>>>>;
}

export type KernelProvider = 'cuda' | 'webgpu';

export function kernelTable(provider: KernelProvider): KernelTable {
  return createRequire(import.meta.url)(`./${provider}.json`) as KernelTable;
}

export interface UncoveredNode {
  readonly node: string;
  readonly op: string;
  readonly inputTypes: readonly string[];
  readonly reason: string;
}

const TYPE_NAMES: Record<number, string> = { 1: 'float', 2: 'uint8', 3: 'int8', 6: 'int32', 7: 'int64', 9: 'bool', 10: 'float16', 11: 'double' };
const BOOL_OUT = new Set(['Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);

/** Every node of `model` (and of its subgraphs) that `table` has no kernel for. */
export function uncoveredNodes(model: Uint8Array, table: KernelTable): UncoveredNode[] {
  const m = onnx.ModelProto.decode(model);
  const opset = Number(m.opsetImport?.find((o) => !o.domain)?.version ?? 0);
  const out: UncoveredNode[] = [];
  walk(m.graph!, new Map(), opset, table, out);
  return out;
}

function tensorType(v: pkg.onnx.IValueInfoProto): string {
  return TYPE_NAMES[v.type?.tensorType?.elemType ?? 1] ?? `type${v.type?.tensorType?.elemType}`;
}

function walk(graph: pkg.onnx.IGraphProto, outer: Map<string, string>, opset: number, table: KernelTable, out: UncoveredNode[]): void {
  const types = new Map(outer);
  for (const t of graph.initializer ?? []) types.set(t.name!, TYPE_NAMES[t.dataType!] ?? `type${t.dataType}`);
  for (const v of graph.input ?? []) types.set(v.name!, tensorType(v));
  for (const node of graph.node ?? []) {
    const op = node.opType!;
    const inputTypes = (node.input ?? []).map((i) => (i ? (types.get(i) ?? 'unknown') : ''));
    // onnxruntime's basic optimizer (run before nodes are assigned to providers) removes an
    // inference-mode Dropout (no training_mode input), so it never needs a kernel.
    const removed = op === 'Dropout' && (node.input ?? []).filter(Boolean).length <= 2;
    const reason = removed ? null : missingKernel(table, node.domain || 'ai.onnx', op, opset, inputTypes);
    if (reason) out.push({ node: node.name ?? op, op, inputTypes, reason });
    for (const a of node.attribute ?? []) if (a.g) walk(a.g, types, opset, table, out);
    // Output element types, as far as the check needs them.
    const attr = (n: string) => node.attribute?.find((a) => a.name === n);
    const outType =
      op === 'Shape' || op === 'ArgMax' || op === 'ArgMin' || op === 'NonZero' ? 'int64'
      : BOOL_OUT.has(op) ? 'bool'
      : op === 'Cast' ? (TYPE_NAMES[Number(attr('to')?.i ?? 1)] ?? 'unknown')
      : op === 'Where' ? inputTypes[1]!
      : op === 'ConstantOfShape' ? (TYPE_NAMES[attr('value')?.t?.dataType ?? 1] ?? 'float')
      : op === 'Loop' ? null
      : inputTypes.find(Boolean) ?? 'float';
    node.output?.forEach((o, i) => {
      if (op === 'TopK' && i === 1) return types.set(o, 'int64');
      // Loop outputs: the carried values keep their types (inputs 2.. of the node); scan outputs are float here.
      const t = outType ?? (inputTypes[i + 2] || 'float');
      types.set(o, t);
    });
  }
}

/** Why no kernel of `table` runs this node, or null when one does. */
export function missingKernel(table: KernelTable, domain: string, op: string, opset: number, inputTypes: readonly string[]): string | null {
  const entries = table.ops[domain]?.[op];
  if (!entries?.length) return `no ${table.provider} kernel for ${domain === 'ai.onnx' ? '' : `${domain}.`}${op}`;
  const inRange = entries.filter((e) => e.since <= opset && (e.until === null || opset <= e.until));
  if (!inRange.length) return `${op}: ${table.provider} kernels only for opsets ${entries.map((e) => (e.until === null ? `${e.since}+` : `${e.since}-${e.until}`)).join(', ')}, the model uses ${opset}`;
  const e = inRange[inRange.length - 1]!;
  if (!e.types || !e.inputs) return null;
  const typesOk = e.inputs.some((signature) =>
    inputTypes.every((t, i) => {
      if (!t) return true;
      const constraint = signature[Math.min(i, signature.length - 1)];
      if (constraint === undefined) return true;
      const allowed = e.types![constraint] ?? [constraint];
      return allowed.includes(`tensor(${t})`);
    }),
  );
  return typesOk ? null : `${op} (opset ${opset}): no ${table.provider} kernel for input types (${inputTypes.map((t) => t || '-').join(', ')}); it has ${JSON.stringify(e.types)}`;
}
