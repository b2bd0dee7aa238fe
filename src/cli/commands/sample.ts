/** `hnas sample --stages 5 [--seed] [-n] [--confidence] [--format json|string] [-o tree.json]`: prior-weighted derivations. */
import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { makeTreeFile, printTree, treeFileJson } from '../../grammar/tree.js';
import { MAX_TREE_DEPTH } from '../../grammar/tree-types.js';
import type { Confidence } from '../../tree-sampling/prior.js';
import { sampleTree } from '../../tree-sampling/sample.js';
import { writeFileAtomic } from '../../util/fs.js';
import { Rng } from '../../util/rng.js';
import { intOption, seedOption } from '../options.js';
import { addGrammarOptions, confidenceOption, resolveGrammar, type GrammarOptions } from './grammar-source.js';

interface SampleOptions extends GrammarOptions {
  seed: number;
  count: number;
  confidence: Confidence;
  format: 'json' | 'string';
  json?: boolean;
  output?: string;
  maxDepth?: number;
}

export function registerSample(program: Command): void {
  addGrammarOptions(program.command('sample').description('sample derivation trees (architectures) from the prior, reproducibly from --seed'))
    .addOption(seedOption('random seed'))
    .option('-n, --count <n>', 'number of trees', intOption('-n', 1, 1_000_000), 1)
    .addOption(confidenceOption())
    .addOption(new Option('--format <format>', 'json: tree files (an array when n > 1); string: one bracketed tree per line').choices(['json', 'string']).default('string'))
    .option('--json', 'same as --format json')
    .option('-o, --output <file>', 'write the tree as a tree.json file (needs -n 1)')
    .option('--max-depth <d>', `height bound for recursive grammars (at most ${MAX_TREE_DEPTH}, the deepest a tree may be)`, intOption('--max-depth', 1, MAX_TREE_DEPTH))
    .action((opts: SampleOptions) => {
      if (opts.output && opts.count !== 1) throw new UsageError('-o writes one tree file: use -n 1 (or --format json to print many)');
      const { grammar, ref, prior } = resolveGrammar(opts);
      const rng = Rng.seeded(opts.seed);
      const p = prior(opts.confidence);
      const json = opts.json || opts.format === 'json';
      // Streamed in chunks: a million trees never sit in memory at once.
      let chunk = json && opts.count > 1 ? '[\n' : '';
      for (let i = 0; i < opts.count; i++) {
        const tree = sampleTree(grammar, p, rng, { maxDepth: opts.maxDepth });
        if (opts.output) writeFileAtomic(opts.output, treeFileJson(makeTreeFile(ref, tree)));
        if (!json) chunk += `${printTree(tree)}\n`;
        else if (opts.count === 1) chunk += treeFileJson(makeTreeFile(ref, tree));
        else chunk += `  ${JSON.stringify(makeTreeFile(ref, tree), null, 2).replace(/\n/g, '\n  ')}${i + 1 < opts.count ? ',' : ''}\n`;
        if (chunk.length > 1 << 20) {
          process.stdout.write(chunk);
          chunk = '';
        }
      }
      process.stdout.write(json && opts.count > 1 ? `${chunk}]\n` : chunk);
    });
}
