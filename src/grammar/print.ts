/**
 * Grammar -> grammar language text that parses back to an equal grammar. Short
 * rules stay on one line; long ones put each alternative on its own `|` line.
 */
import { alternativeText, type Grammar } from './grammar.js';

const LINE_WIDTH = 100;

export function printGrammar(grammar: Grammar, comments: readonly string[] = []): string {
  const width = Math.max(...[...grammar.rules.keys()].map((h) => h.length));
  const lines = comments.map((c) => `# ${c}`.trimEnd());
  // The start rule must come first: the language takes the first head as start.
  const heads = [grammar.start, ...[...grammar.rules.keys()].filter((h) => h !== grammar.start)];
  for (const head of heads) {
    const alts = grammar.rules.get(head)!.map(alternativeText);
    const lead = `${head.padEnd(width)} -> `;
    const oneLine = lead + alts.join(' | ');
    if (oneLine.length <= LINE_WIDTH || alts.length === 1) lines.push(oneLine);
    else lines.push(lead + alts[0], ...alts.slice(1).map((a) => `${' '.repeat(width + 1)}| ${a}`));
  }
  return `${lines.join('\n')}\n`;
}
