import { parseGrammarSyntax } from '../src/grammar/syntax.js';
const n = Number(process.argv[2]);
const text = 'S -> ' + Array.from({ length: n }, (_, i) => `t${i}`).join(' | ') + '\n';
const t0 = performance.now();
const rules = parseGrammarSyntax(text);
console.log(n, 'alts', rules[0]!.alts.length, 'bytes', text.length, ((performance.now() - t0) / 1000).toFixed(2), 's', (process.memoryUsage().rss / 2 ** 20).toFixed(0), 'MB rss');
