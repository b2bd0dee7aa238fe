#!/usr/bin/env node
/**
 * Builds the dashboard's front end (src/dashboard/web) with Vite into dist/dashboard/: scripts,
 * styles and onnxruntime-web's WebAssembly (an asset of the bundle), everything the page loads
 * served by `hnas dashboard` itself (no CDN). Runs from `npm ci` (the prepare script) and from the
 * dashboard's tests; skips the build when the sources, the lock file and this script are
 * unchanged since the last one (dist/dashboard/.build-stamp holds their digest).
 *
 *   node scripts/build-dashboard.mjs [--force]
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const WEB = join(REPO, 'src/dashboard/web');
const OUT = join(REPO, 'dist/dashboard');
const STAMP = join(OUT, '.build-stamp');
/** What the bundle is made of: the page, the shared modules it imports (src/data and what they import), the dependencies' versions. */
const INPUTS = ['src/dashboard/web', 'src/data', 'src/util', 'src/errors.ts', 'compiler', 'package-lock.json', 'scripts/build-dashboard.mjs'];

function digest() {
  const hash = createHash('sha256');
  const add = (path) => {
    const full = join(REPO, path);
    if (!existsSync(full)) return;
    const files = statSync(full).isDirectory() ? readdirSync(full, { recursive: true, encoding: 'utf8' }).map((f) => join(full, f)).filter((f) => statSync(f).isFile()) : [full];
    for (const f of files.sort()) {
      hash.update(relative(REPO, f));
      hash.update(readFileSync(f));
    }
  };
  for (const p of INPUTS) add(p);
  return hash.digest('hex');
}

/** Node's built-ins, imported by shared modules the page uses (src/data), become stubs that throw if called. */
function nodeBuiltinStubs() {
  const PREFIX = '\0node-stub:';
  return {
    name: 'hnas-node-builtin-stubs',
    enforce: 'pre',
    resolveId: (id) => (id.startsWith('node:') ? PREFIX + id : null),
    async load(id) {
      if (!id.startsWith(PREFIX)) return null;
      const name = id.slice(PREFIX.length);
      const mod = await import(name);
      const names = Object.keys(mod).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
      const stub = `() => { throw new Error(${JSON.stringify(`${name} is not available in the browser`)}); }`;
      return `${names.map((n) => `export const ${n} = ${stub};`).join('\n')}\nexport default {};\n`;
    },
  };
}

export async function buildDashboard({ force = false } = {}) {
  const sum = digest();
  if (!force && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === sum && existsSync(join(OUT, 'index.html'))) return { built: false, out: OUT };
  const { build } = await import('vite');
  rmSync(OUT, { recursive: true, force: true });
  await build({
    root: WEB,
    base: '/',
    configFile: false,
    logLevel: 'error',
    plugins: [nodeBuiltinStubs()],
    build: { outDir: OUT, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096, sourcemap: false, assetsInlineLimit: 0 },
    // onnxruntime-web and niivue load only on the pages that use them.
    optimizeDeps: { noDiscovery: true },
  });
  writeFileSync(STAMP, sum);
  return { built: true, out: OUT };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t = Date.now();
  const r = await buildDashboard({ force: process.argv.includes('--force') });
  process.stdout.write(r.built ? `dashboard front end built into ${relative(REPO, r.out)}/ in ${((Date.now() - t) / 1000).toFixed(1)} s\n` : `dashboard front end up to date (${relative(REPO, r.out)}/)\n`);
}
