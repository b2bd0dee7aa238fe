/** `hnas count --stages 4..7 [--scale-max 1..3]`: exact search-space sizes (or per-nonterminal counts of a --grammar file). */
import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { countAll, countDerivations } from '../../grammar/count.js';
import { readGrammarFile } from '../../grammar/parse.js';
import { DEFAULT_S_MAX, minStages, unetGrammar } from '../../grammar/unet.js';
import { output } from '../output.js';
import { intOption } from '../options.js';
import { formatCount, MAX_SCALE, MAX_STAGES, rangeOption } from './grammar-source.js';

interface CountOptions {
  stages?: number[];
  scaleMax: number[];
  grammar?: string;
  depth?: number;
  byStage?: boolean;
  json?: boolean;
}

export function registerCount(program: Command): void {
  program
    .command('count')
    .description('exact number of derivations (architectures) of the U-Net grammar, or of every nonterminal of a --grammar file')
    .option('--stages <range>', `n_max or a range A..B (2..${MAX_STAGES})`, rangeOption('--stages', 2, MAX_STAGES))
    .addOption(
      new Option('--scale-max <range>', `s_max or a range A..B (1..${MAX_SCALE})`)
        .argParser(rangeOption('--scale-max', 1, MAX_SCALE))
        .default([DEFAULT_S_MAX], String(DEFAULT_S_MAX)),
    )
    .option('--by-stage', 'also give the count for each stage count n')
    .option('--grammar <file>', 'count a grammar-language file instead')
    .option('--depth <d>', 'count trees of height <= d (needed for recursive grammars)', intOption('--depth', 0, 1000))
    .option('--json', 'print JSON (counts as decimal strings)')
    .action((opts: CountOptions) => {
      if (opts.grammar !== undefined) {
        if (opts.stages) throw new UsageError('give either --stages (the U-Net grammar) or --grammar <file>, not both');
        const grammar = readGrammarFile(opts.grammar);
        const total = countDerivations(grammar, grammar.start, opts.depth);
        const all = countAll(grammar, opts.depth);
        const rows = [...grammar.rules.keys()].map((symbol) => ({ symbol, count: all.get(symbol)?.toString() ?? null }));
        const width = Math.max(...rows.map((r) => r.symbol.length));
        output(!!opts.json, { grammar: opts.grammar, start: grammar.start, depth: opts.depth ?? null, count: total.toString(), nonterminals: rows }, () =>
          [
            `${opts.grammar}: ${formatCount(total)} derivations of ${grammar.start}${opts.depth === undefined ? '' : ` of height <= ${opts.depth}`}`,
            ...rows.map((r) => `  ${r.symbol.padEnd(width)}  ${r.count === null ? 'recursive (use --depth)' : formatCount(BigInt(r.count))}`),
          ].join('\n'),
        );
        return;
      }
      if (!opts.stages) throw new UsageError('missing --stages <n or A..B> (or --grammar <file>)');
      const rows = opts.stages.flatMap((nMax) =>
        opts.scaleMax.map((sMax) => {
          const start = performance.now();
          const grammar = unetGrammar(nMax, sMax);
          const size = countDerivations(grammar);
          const byStage = Array.from({ length: nMax - minStages(nMax) + 1 }, (_, i) => minStages(nMax) + i).map((n) => ({
            stages: n,
            size: (countDerivations(grammar, `E${n}`) * countDerivations(grammar, `D${n}`)).toString(),
          }));
          return { nMax, sMax, size: size.toString(), ...(opts.byStage ? { byStage } : {}), ms: performance.now() - start };
        }),
      );
      output(!!opts.json, rows.map(({ ms: _ms, ...r }) => r), () =>
        [
          `${'n_max'.padStart(5)} ${'s_max'.padStart(5)} ${'derivations'.padStart(30)}`,
          ...rows.map((r) =>
            [
              `${String(r.nMax).padStart(5)} ${String(r.sMax).padStart(5)} ${formatCount(BigInt(r.size)).padStart(30)}`,
              ...(r.byStage ?? []).map((s) => `${''.padStart(11)} ${formatCount(BigInt(s.size)).padStart(30)}  (${s.stages} stages)`),
            ].join('\n'),
          ),
        ].join('\n'),
      );
    });
}
