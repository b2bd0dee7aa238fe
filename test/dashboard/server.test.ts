/**
 * The dashboard server's guarantees, over raw HTTP (no client-side path normalisation): nothing
 * outside the study, model and dataset folders can be read (traversal variants, encodings,
 * symlinks), only GET and HEAD are answered, every answer has the security headers, a
 * non-loopback address needs an explicit permission, and a rebinding Host is refused.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { fileInside } from '../../src/dashboard/files.js';
import { type Dashboard, isLoopback, startDashboard } from '../../src/dashboard/server.js';
import { syntheticStudy } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'hnas-dashboard-server-'));
const web = join(dir, 'web');
let dashboard: Dashboard;
let study: string;

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }
/** A request with the path exactly as given (node:http does not normalise it). */
function raw(path: string, method = 'GET', host?: string): Promise<Answer> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port: dashboard.port, path, method, headers: host ? { host } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

beforeAll(async () => {
  mkdirSync(join(web, 'assets'), { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(web, 'assets', 'app-1234.js'), 'console.log(1)');
  study = (await syntheticStudy(dir, 4)).study;
  // Bait outside every served folder, and links from inside the study folder to it and to a file inside.
  writeFileSync(join(dir, 'secret.json'), '{"secret": true}');
  writeFileSync(join(study, 'secret.json'), '{"secret": true}');
  const folder = join(study, 'hpo_hnas');
  symlinkSync(join(dir, 'secret.json'), join(folder, 'escape.json'));
  symlinkSync(dir, join(folder, 'escape-dir'));
  symlinkSync(join(folder, 'plans.json'), join(folder, 'inside.json'));
  dashboard = await startDashboard({ study, port: 0, webDir: web });
}, 60_000);

afterAll(async () => {
  await dashboard?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('dashboard server: files', () => {
  it('serves the study folder\'s files, the front end and the API', async () => {
    expect((await raw('/files/study/plans.json')).status).toBe(200);
    expect((await raw('/files/study/inside.json')).status).toBe(200);
    expect((await raw('/')).status).toBe(200);
    expect((await raw('/assets/app-1234.js')).status).toBe(200);
    const s = JSON.parse((await raw('/api/study')).body);
    expect(s.counts.total).toBe(4);
  });

  const TRAVERSALS = [
    '/files/study/../secret.json', '/files/study/../../secret.json', '/files/study/%2e%2e/secret.json', '/files/study/%2E%2E/%2E%2E/secret.json',
    '/files/study/..%2fsecret.json', '/files/study/..%2F..%2Fsecret.json', '/files/study/%2e%2e%2f%2e%2e%2fsecret.json', '/files/study/%252e%252e/secret.json',
    '/files/study/..%5csecret.json', '/files/study/..\\secret.json', '/files/study//secret.json', '/files/study/%2f' + encodeURIComponent(join(dir, 'secret.json').slice(1)),
    `/files/study/${join(dir, 'secret.json')}`, '/files/study/escape.json', '/files/study/escape-dir/secret.json', '/files/study/./plans.json',
    '/files/study/plans.json%00.json', '/files/study/%c0%ae%c0%ae/secret.json', '/files/study/%', '/files/../secret.json', '/files/%2e%2e/secret.json',
    '/files/nosuchroot/plans.json', '/../secret.json', '/%2e%2e/secret.json', '/assets/../../secret.json', '/assets/%2e%2e/index.html', '/files/study/C:%5csecret.json',
  ];
  for (const path of TRAVERSALS)
    it(`refuses ${path}`, async () => {
      const a = await raw(path);
      expect(a.status).toBe(404);
      expect(a.body).not.toContain('secret');
    });

  it('never serves the database or files of kinds the pages do not read', async () => {
    for (const p of ['/files/study/study.db', '/files/study/hpo_hnas/trials', '/files/study/hpo_hnas/study.json/', '/study.db'])
      expect((await raw(p)).status).toBe(404);
    // (the study root is the study's own folder: study.db lies above it)
    expect((await raw('/files/study/../study.db')).status).toBe(404);
  });

  it('fileInside: whatever the segments, a result lies inside the root', () => {
    const root = join(study, 'hpo_hnas');
    const piece = fc.constantFrom('..', '.', '', '%2e%2e', '%2f', '..%2f', '%5c', '%00', 'plans.json', 'escape.json', 'escape-dir', 'inside.json', 'secret.json', 'trials', '%', '%252e%252e', dir.slice(1));
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 5 }), (segments) => {
        const file = fileInside(root, segments);
        if (file !== undefined) expect(file.startsWith(`${root}/`) && statSync(file).isFile()).toBe(true);
      }),
    );
  });
});

describe('dashboard server: read-only, headers, binding', () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])
    it(`answers ${method} with 405 and changes nothing`, async () => {
      const before = statSync(join(study, 'study.db')).mtimeMs;
      for (const path of ['/api/study', '/files/study/plans.json', '/']) {
        const a = await raw(path, method);
        expect(a.status).toBe(405);
        expect(a.headers.allow).toBe('GET, HEAD');
      }
      expect(statSync(join(study, 'study.db')).mtimeMs).toBe(before);
    });

  it('every answer carries the security headers and a Cache-Control', async () => {
    for (const [path, method] of [['/', 'GET'], ['/api/study', 'GET'], ['/assets/app-1234.js', 'GET'], ['/nothing', 'GET'], ['/api/study', 'POST'], ['/files/study/plans.json', 'HEAD']] as const) {
      const a = await raw(path, method);
      expect(a.headers['content-security-policy'], path).toMatch(/^default-src 'self';/);
      expect(a.headers['content-security-policy']).not.toMatch(/'unsafe-inline'|'unsafe-eval'|\*/);
      expect(a.headers['x-content-type-options']).toBe('nosniff');
      expect(a.headers['referrer-policy']).toBe('no-referrer');
      expect(a.headers['cache-control']).toBeTruthy();
    }
    expect((await raw('/api/study')).headers['cache-control']).toBe('no-store');
    expect((await raw('/assets/app-1234.js')).headers['cache-control']).toContain('immutable');
  });

  it('refuses a Host that is not a loopback name (DNS rebinding)', async () => {
    expect((await raw('/api/study', 'GET', 'evil.example')).status).toBe(421);
    expect((await raw('/api/study', 'GET', `localhost:${dashboard.port}`)).status).toBe(200);
  });

  it('refuses a non-loopback address unless allowed explicitly', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.org'])
      await expect(startDashboard({ study, port: 0, webDir: web, host })).rejects.toThrow(UsageError);
    const open = await startDashboard({ study, port: 0, webDir: web, host: '0.0.0.0', allowRemote: true });
    try {
      expect(open.host).toBe('0.0.0.0');
    } finally {
      await open.close();
    }
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'].every(isLoopback)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', 'localhost.example.org', '128.0.0.1'].some(isLoopback)).toBe(false);
  });

  it('says how to build the front end when it is missing', async () => {
    await expect(startDashboard({ study, port: 0, webDir: join(dir, 'none') })).rejects.toThrow(/npm run build:dashboard/);
  });
});
