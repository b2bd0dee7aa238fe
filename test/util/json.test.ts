import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, PlanError } from '../../src/errors.js';
import { readJsonFile } from '../../src/util/json.js';
import { readPlanFile } from '../../src/data/plan-file.js';

const dir = mkdtempSync(join(tmpdir(), 'hnas-json-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => (writeFileSync(join(dir, name), text), join(dir, name));

describe('readJsonFile', () => {
  it('reads JSON, with or without a UTF-8 byte-order mark', () => {
    expect(readJsonFile(file('a.json', '{"a": [1, 2]}'), ConfigError)).toEqual({ a: [1, 2] });
    expect(readJsonFile(file('bom.json', '\ufeff{"a": 1}\n'), ConfigError)).toEqual({ a: 1 });
  });
  it('a syntax error is the given error class, naming the file, line and column', () => {
    const f = file('bad.json', '{\n  "a": 1,\n  }\n');
    expect(() => readJsonFile(f, PlanError)).toThrow(PlanError);
    expect(() => readJsonFile(f, PlanError)).toThrow(new RegExp(`${f.replace(/[.\\/]/g, '\\$&')}:3:3: not valid JSON: `));
    const cut = file('cut.json', '{"a": [1,');
    expect(() => readJsonFile(cut, ConfigError)).toThrow(/cut\.json:1:10: not valid JSON: unexpected end of the file/);
  });
  it('an unreadable file names the file and the reason', () => {
    expect(() => readJsonFile(join(dir, 'none.json'), ConfigError, 'the configuration')).toThrow(/none\.json: cannot read the configuration \(ENOENT\)/);
    mkdirSync(join(dir, 'folder.json'));
    expect(() => readJsonFile(join(dir, 'folder.json'), ConfigError)).toThrow(/folder\.json: cannot read the file \(EISDIR\)/);
  });
  it('modules that read JSON use it (a BOM in a plan is accepted up to the schema)', () => {
    expect(() => readPlanFile(file('plan.json', '\ufeff{}'))).toThrow(PlanError);
    expect(() => readPlanFile(file('plan.json', '\ufeff{}'))).not.toThrow(/not valid JSON/);
  });
});
