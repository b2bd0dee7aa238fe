/** The analyses read studies; nothing upstream (the optimiser, the driver, the data and model layers) imports them. */
import { describe, expect, it } from 'vitest';
import { importsUnder } from '../helpers/imports.js';

describe('data flows one way into src/analysis', () => {
  it('no module of src/ outside src/analysis, src/report and src/cli imports src/analysis or src/report', () => {
    const upstream = ['src/optimize', 'src/automl', 'src/space', 'src/grammar', 'src/tree-sampling', 'src/data', 'src/pipeline', 'src/runtime', 'src/util'];
    const offending = upstream.flatMap((dir) => importsUnder(dir)).filter(({ target }) => /^src\/(analysis|report)\//.test(target));
    expect(offending).toEqual([]);
    expect(importsUnder('src/report').some(({ target }) => target.startsWith('src/analysis/'))).toBe(true);
  });
  it('src/analysis imports no report, CLI or rendering code', () => {
    expect(importsUnder('src/analysis').filter(({ target }) => /^src\/(report|cli)\//.test(target))).toEqual([]);
  });
});
