#!/usr/bin/env node
/**
 * Converts onnxruntime's published kernel registrations into the JSON that
 * test/compiler/gpu-kernels.test.ts checks every emitted ONNX node against
 * (compiler/onnx/kernels/<provider>.json).
 *
 *   node scripts/kernel-table.mjs markdown docs/OperatorKernels.md CUDAExecutionProvider "SOURCE" > compiler/onnx/kernels/cuda.json
 *   node scripts/kernel-table.mjs webgpu-source onnxruntime/core/providers/webgpu/webgpu_execution_provider.cc "SOURCE" > compiler/onnx/kernels/webgpu.json
 *
 * markdown: the table of docs/OperatorKernels.md (op, parameters, opset range "since+" /
 * "[since, until]" / "n", type constraints). webgpu-source: the WebGPU provider publishes no such
 * table (docs/OperatorKernels.md has no WebGPU section; js/web/docs/webgpu-operators.md is the
 * browser build's), so this reads the kernel classes its source declares: op, domain and opset
 * range, without type constraints (types: null).
 *
 * Output: { source, provider, ops: { "<domain>": { "<Op>": [{ since, until, inputs, types }] } } }
 * where inputs is one list of constraint names (or fixed types) per documented signature and
 * types maps a constraint name to its allowed tensor types.
 */
import { readFileSync } from 'node:fs';

const [mode, file, provider, source = file] = process.argv.slice(2);
if (!mode || !file || !provider) {
  console.error('usage: kernel-table.mjs markdown|webgpu-source FILE PROVIDER [SOURCE-DESCRIPTION]');
  process.exit(2);
}
const text = readFileSync(file, 'utf8');
const ops = {};
const add = (domain, op, entry) => ((ops[domain] ??= {})[op] ??= []).push(entry);

function parseRange(s) {
  s = s.trim();
  let m;
  if ((m = /^(\d+)\+$/.exec(s))) return { since: +m[1], until: null };
  if ((m = /^\[(\d+),\s*(\d+)\]$/.exec(s))) return { since: +m[1], until: +m[2] };
  if ((m = /^(\d+)$/.exec(s))) return { since: +m[1], until: +m[1] };
  throw new Error(`${file}: opset range '${s}' not understood`);
}

if (mode === 'markdown') {
  const start = text.indexOf(`## Operators implemented by ${provider}`);
  if (start < 0) throw new Error(`${file}: no section for ${provider}`);
  const end = text.indexOf('\n## ', start + 5);
  const lines = text.slice(start, end < 0 ? undefined : end).split('\n');
  let domain = null;
  let current = null;
  for (const line of lines) {
    if (!line.startsWith('|') || line.startsWith('|--') || line.startsWith('| Op Name') || line.split('|').length < 6) continue;
    const cells = line.split('|').slice(1, -1);
    const dm = /\*\*Operator Domain:\*\* \*([^*]+)\*/.exec(cells[0] ?? '');
    if (dm) {
      domain = dm[1];
      continue;
    }
    const [name, params, range, typeText] = cells;
    if (name) {
      current = {
        op: name.trim(),
        // Signatures are separated by "<br><br>or<br><br>"; each lists "*in* NAME:**T**".
        inputs: params.split('<br><br>or<br><br>').map((sig) => [...sig.matchAll(/\*in\* [^:]+:\*\*([^*]+)\*\*/g)].map((m) => m[1])),
      };
    }
    if (!current || !domain) throw new Error(`${file}: table row before an op or domain: ${line.slice(0, 80)}`);
    const types = {};
    for (const part of typeText.split('<br/>')) {
      const m = /\*\*([^*]+)\*\* = (.*)$/.exec(part.trim());
      if (m) types[m[1]] = m[2].split(',').map((t) => t.trim()).filter(Boolean);
    }
    add(domain, current.op, { ...parseRange(range), inputs: current.inputs, types });
  }
} else if (mode === 'webgpu-source') {
  const domains = { kOnnxDomain: 'ai.onnx', kMSDomain: 'com.microsoft', kMSInternalNHWCDomain: 'com.ms.internal.nhwc' };
  // Every kernel class the provider declares (the registration list uses shorthand macros and
  // typed helpers for some ops, e.g. Cast; the declarations name them all).
  const re = /^class ONNX_OPERATOR_(VERSIONED_)?(TYPED_)?KERNEL_CLASS_NAME\(\s*kWebGpuExecutionProvider,\s*(\w+),\s*(\d+)((?:,\s*\w+)+)\);/gm;
  for (const m of text.matchAll(re)) {
    const [, versioned, typed, dom, since, tail] = m;
    const args = tail.split(',').map((x) => x.trim()).filter(Boolean);
    const op = args.pop();
    const until = versioned ? +args.shift() : null;
    const type = typed ? args.shift() : undefined;
    add(domains[dom] ?? dom, op, { since: +since, until, inputs: null, types: type ? { T: [`tensor(${type})`] } : null });
  }
  // ...and the registration list's shorthand macros, for kernels declared by other macros.
  const short = /^\s+KERNEL_CREATE_INFO(_VERSIONED|_TYPED)?\(\s*(\d+),\s*(\w+)(?:,\s*(\w+))?\)/gm;
  for (const [, kind, a, b, c] of text.matchAll(short)) {
    if (kind === '_VERSIONED') add('ai.onnx', c, { since: +a, until: +b, inputs: null, types: null });
    else if (kind === '_TYPED') add('ai.onnx', c, { since: +a, until: null, inputs: null, types: { T: [`tensor(${b})`] } });
    else add('ai.onnx', b, { since: +a, until: null, inputs: null, types: null });
  }
  for (const d of Object.values(ops))
    for (const [op, list] of Object.entries(d)) d[op] = list.filter((e, i) => list.findIndex((f) => JSON.stringify(f) === JSON.stringify(e)) === i);
} else throw new Error(`unknown mode '${mode}'`);

for (const d of Object.values(ops)) for (const list of Object.values(d)) list.sort((x, y) => x.since - y.since);
process.stdout.write(`${JSON.stringify({ source, provider, ops }, null, 1)}\n`);
