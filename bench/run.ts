/**
 * `npm run bench [-- filter]`: runs every bench/*.bench.ts (or those whose name
 * contains the filter). Each suite prints its own table of ours vs the reference.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
const all = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort();
// A filter that names a suite exactly runs only that one ('auto' is not also 'automl').
const suites = all.includes(`${filter}.bench.ts`) ? [`${filter}.bench.ts`] : all.filter((f) => f.includes(filter));
if (suites.length === 0) {
  console.error(`no benchmark matches '${filter}'`);
  process.exit(2);
}
for (const file of suites) {
  console.log(`\n=== ${file} ===`);
  const suite = (await import(pathToFileURL(join(here, file)).href)) as { run(): Promise<void> };
  await suite.run();
}
