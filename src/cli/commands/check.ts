/** `hnas check tree.json`: is the tree a derivation of the grammar it names? Prints its prior log-probability. */
import type { Command } from 'commander';
import { inFile, TreeError, UsageError } from '../../errors.js';
import { readGrammarFile } from '../../grammar/parse.js';
import { readTreeFile, treeSize, treeTerminals, validateTree } from '../../grammar/tree.js';
import { isNode } from '../../grammar/tree-types.js';
import { DEFAULT_S_MAX, unetGrammar } from '../../grammar/unet.js';
import { unetPrior, weightsPrior, type Confidence } from '../../tree-sampling/prior.js';
import { treeLogPrior } from '../../tree-sampling/sample.js';
import { output } from '../output.js';
import { confidenceOption } from './grammar-source.js';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('check that a tree.json file is a derivation of its grammar (the U-Net grammar it records, or --grammar FILE)')
    .argument('<tree.json>', 'tree file to check')
    .option('--grammar <file>', 'grammar-language file the tree belongs to (for trees of other grammars than unet)')
    .addOption(confidenceOption())
    .option('--json', 'print the result as JSON')
    .action((path: string, opts: { grammar?: string; confidence: Confidence; json?: boolean }) => {
      const file = readTreeFile(path);
      const ref = file.grammar;
      let grammar;
      let prior;
      if (opts.grammar !== undefined) {
        grammar = readGrammarFile(opts.grammar);
        prior = weightsPrior(grammar);
      } else if (ref.name === 'unet') {
        if (ref.nMax === undefined) throw new TreeError('a unet tree file must record grammar.nMax', { file: path, path: '$.grammar.nMax' });
        grammar = unetGrammar(ref.nMax, ref.sMax ?? DEFAULT_S_MAX);
        prior = unetPrior(ref.nMax, ref.sMax ?? DEFAULT_S_MAX, opts.confidence);
      } else {
        throw new UsageError(`${path} belongs to grammar '${ref.name}': pass its file with --grammar <file>`);
      }
      try {
        validateTree(grammar, file.tree);
      } catch (err) {
        throw inFile(err, path);
      }
      const logPrior = treeLogPrior(grammar, prior, file.tree);
      const encoder = file.tree.children.find((c) => isNode(c) && /^E\d+$/.test(c.symbol));
      const stages = ref.name === 'unet' && encoder && isNode(encoder) ? Number(encoder.symbol.slice(1)) : undefined;
      const result = {
        file: path,
        valid: true,
        grammar: ref,
        nodes: treeSize(file.tree),
        terminals: treeTerminals(file.tree).length,
        ...(stages === undefined ? {} : { stages }),
        logPrior,
        prior: opts.grammar !== undefined ? 'weights' : opts.confidence,
      };
      output(!!opts.json, result, () => {
        const name = ref.name === 'unet' ? `unet(n_max=${ref.nMax}, s_max=${ref.sMax ?? DEFAULT_S_MAX})` : (opts.grammar ?? ref.name);
        const shape = stages === undefined ? '' : `${stages} stages, `;
        return `ok: ${path} is a derivation of ${name}: ${shape}${result.nodes} nodes, ${result.terminals} terminals; log prior (${result.prior}) = ${logPrior.toFixed(4)}`;
      });
    });
}
