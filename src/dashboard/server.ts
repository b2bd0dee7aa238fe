/**
 * `hnas dashboard`: a read-only web server over one study (and any model folders named), for
 * watching a study while it runs. node:http, no framework. What it guarantees:
 *  - it binds to loopback unless the caller allows another address (the CLI: only an explicit
 *    --host), and while on loopback it answers only requests whose Host is a loopback name (no
 *    DNS rebinding);
 *  - GET and HEAD only (every other method: 405), no endpoint writes anything;
 *  - files come only from the built front end and from the study, model and dataset folders,
 *    through files.ts (no traversal, no symlink escape), and only of the kinds the pages read;
 *  - every answer carries a self-only Content-Security-Policy, nosniff, no-referrer and a
 *    Cache-Control; the page learns of new trials through server-sent events (/api/events).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LoadedStudy, loadStudy } from '../automl/load.js';
import { parsePlan } from '../data/plan-file.js';
import type { Plan } from '../data/plan-types.js';
import { EnvironmentError, HnasError, UsageError } from '../errors.js';
import { openStorage } from '../optimize/storage-url.js';
import type { StudyStorage } from '../optimize/storage.js';
import type { TrialRecord } from '../optimize/trial.js';
import { readJsonFile } from '../util/json.js';
import { fileInside, fileUrl, relativeSegments, SERVED_SUFFIXES, type ServedRoot } from './files.js';
import { datasetOrNull, isModelDir, modelView, validationCases } from './model-view.js';
import { studyOverview } from './study-view.js';
import { networkView, trialModelDir, trialView } from './trial-view.js';

/** Where `npm run build:dashboard` (scripts/build-dashboard.mjs) puts the front end. */
export const WEB_DIST = fileURLToPath(new URL('../../dist/dashboard', import.meta.url));

export interface DashboardOptions {
  readonly study: string;
  readonly name?: string;
  readonly storage?: string;
  /** Model folders of `hnas train` to show besides the study's trials. */
  readonly models?: readonly string[];
  /** The dataset the validation cases come from (default: the study's). */
  readonly dataset?: string;
  readonly host?: string;
  /** 0: any free port. */
  readonly port?: number;
  /** Allow a non-loopback address (the CLI sets it only for an explicit --host). */
  readonly allowRemote?: boolean;
  /** How often the study's storage is read for changes while a page listens (default 1000 ms). */
  readonly pollMs?: number;
  /** The built front end (default WEB_DIST). */
  readonly webDir?: string;
}

export interface Dashboard {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h);
  return false;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.jsonl': 'application/x-ndjson; charset=utf-8', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.onnx': 'application/octet-stream', '.nii': 'application/octet-stream', '.gz': 'application/gzip',
};
const WEB_SUFFIXES = ['.html', '.js', '.mjs', '.css', '.wasm', '.svg', '.png'];

/** 'wasm-unsafe-eval': onnxruntime-web compiles its WebAssembly; nothing else is relaxed. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "style-src 'self'", "img-src 'self' data: blob:", "connect-src 'self'",
  "worker-src 'self' blob:", "object-src 'none'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

class NotFound extends Error {}

/** The study as the server sees it: loaded once, then refreshed with what the storage wrote since. */
class LiveStudy {
  private version = 0;
  private readonly byKey = new Map<string, TrialRecord>();
  private refreshing: Promise<void> | undefined;
  private readonly networks = new Map<string, ReturnType<typeof networkView>>();

  private constructor(private base: LoadedStudy, private readonly storage: StudyStorage, readonly plan: Plan | null) {
    this.merge(base.trials);
  }

  static async open(o: DashboardOptions): Promise<LiveStudy> {
    const base = await loadStudy(o.study, o.name, o.storage);
    const planFile = join(base.folder, 'plans.json');
    const plan = existsSync(planFile) ? parsePlan(readJsonFile(planFile, HnasError, 'the study plan'), planFile) : null;
    return new LiveStudy(base, await openStorage(base.paths.storage, { mustExist: true }), plan);
  }

  private merge(trials: readonly TrialRecord[]): void {
    for (const t of trials) {
      this.byKey.set(t.key, t);
      this.version = Math.max(this.version, t.version);
    }
  }

  get current(): LoadedStudy {
    return { ...this.base, trials: [...this.byKey.values()].sort((a, b) => a.number - b.number) };
  }

  get latestVersion(): number {
    return this.version;
  }

  /** Reads what changed since the last read (one read at a time). */
  refresh(): Promise<void> {
    this.refreshing ??= this.storage
      .trials(this.base.name, this.version)
      .then((t) => this.merge(t))
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  network(t: TrialRecord) {
    if (!this.plan) return null;
    let n = this.networks.get(t.configId);
    if (!n) this.networks.set(t.configId, (n = networkView(t.config, this.plan)));
    return n;
  }

  close(): Promise<void> {
    return this.storage.close();
  }
}

function send(res: ServerResponse, status: number, body: string | Buffer, type: string, cache = 'no-store', extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': cache, ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

const sendJson = (res: ServerResponse, value: unknown, status = 200) =>
  send(res, status, JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)), CONTENT_TYPES['.json']!);

function sendFile(res: ServerResponse, file: string, cache: string): void {
  const suffix = file.endsWith('.nii.gz') ? '.gz' : file.slice(file.lastIndexOf('.'));
  const size = statSync(file).size;
  res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': CONTENT_TYPES[suffix] ?? 'application/octet-stream', 'Content-Length': size, 'Cache-Control': cache });
  if (res.req.method === 'HEAD') res.end();
  else createReadStream(file).on('error', () => res.destroy()).pipe(res);
}

export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
  const host = o.host ?? DEFAULT_HOST;
  if (!isLoopback(host) && !o.allowRemote)
    throw new UsageError(`refusing to serve the dashboard on ${host}, which is not a loopback address: give --host ${host} explicitly to serve it to the network (the dashboard has no authentication)`);
  const webDir = o.webDir ?? WEB_DIST;
  if (!existsSync(join(webDir, 'index.html')))
    throw new EnvironmentError(`the dashboard's front end is not built (no ${join(webDir, 'index.html')}): run \`npm run build:dashboard\` (npm ci does it)`);
  const models = (o.models ?? []).map((m) => resolve(m));
  for (const m of models) if (!isModelDir(m)) throw new UsageError(`--model ${m}: not a model folder of \`hnas train\` (expected plans.json and fold_<n>/)`);
  const live = await LiveStudy.open(o);
  const datasetDir = o.dataset !== undefined ? resolve(o.dataset) : (live.current.meta?.dataset ?? null);
  const dataset = datasetOrNull(datasetDir);
  const roots: ServedRoot[] = [
    { name: 'study', dir: live.current.folder, suffixes: SERVED_SUFFIXES },
    ...models.map((dir, i) => ({ name: `model${i}`, dir, suffixes: SERVED_SUFFIXES })),
    ...(dataset ? [{ name: 'dataset', dir: dataset.root, suffixes: ['.nii.gz', '.nii'] }] : []),
  ];
  const urlOf = (file: string | null): string | null => {
    if (file === null) return null;
    for (const r of roots) {
      const segments = relativeSegments(r.dir, file);
      if (segments) return fileUrl(r.name, segments);
    }
    return null;
  };

  /** Every model folder the pages can open: the named ones, then the trials' trained models. */
  const modelFolders = (): { id: string; title: string; dir: string }[] => [
    ...models.map((dir, i) => ({ id: `model/${i}`, title: dir, dir })),
    ...live.current.trials.flatMap((t) => {
      const dir = t.status === 'complete' ? trialModelDir(live.current, t) : null;
      return dir ? [{ id: `trial/${t.number}`, title: `trial ${t.number} (${t.key})`, dir }] : [];
    }),
  ];
  const modelsJson = () =>
    modelFolders().map((m) => {
      const view = modelView(m.dir);
      return {
        id: m.id, title: m.title, labels: view.labels, view,
        plan: urlOf(join(m.dir, 'plans.json')),
        folds: view.folds.filter((f) => f.hasModel).map((f) => ({ fold: f.fold, onnx: urlOf(join(m.dir, `fold_${f.fold}`, 'model.onnx')) })),
        cases: validationCases(m.dir, dataset).map((c) => ({ id: c.id, fold: c.fold, prediction: urlOf(c.prediction), image: urlOf(c.image), label: urlOf(c.label) })),
      };
    });

  const api = async (path: string[], res: ServerResponse): Promise<void> => {
    await live.refresh();
    const study = live.current;
    if (path.length === 1 && path[0] === 'study') return sendJson(res, { ...studyOverview(study), hasPlan: live.plan !== null, datasetFound: dataset !== null });
    if (path.length === 2 && path[0] === 'trials' && /^\d+$/.test(path[1]!)) {
      const trial = study.trials.find((t) => t.number === Number(path[1]));
      if (!trial) throw new NotFound();
      return sendJson(res, trialView(study, trial, live.network(trial)));
    }
    if (path.length === 1 && path[0] === 'models') return sendJson(res, modelsJson());
    throw new NotFound();
  };

  const clients = new Set<ServerResponse>();
  let lastSent = live.latestVersion;
  const ticker = setInterval(() => {
    if (clients.size === 0) return;
    live.refresh().then(() => {
      if (live.latestVersion === lastSent) return;
      lastSent = live.latestVersion;
      for (const c of clients) c.write(`event: change\ndata: ${JSON.stringify({ version: lastSent })}\n\n`);
    }, () => undefined);
  }, o.pollMs ?? 1000);
  ticker.unref();

  const events = (req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify({ version: live.latestVersion })}\n\n`);
    clients.add(res);
    req.on('close', () => clients.delete(res));
  };

  let port = 0;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'read-only: GET and HEAD only\n', 'text/plain; charset=utf-8', 'no-store', { Allow: 'GET, HEAD' });
    // On loopback, a page of another site that rebinds its name to 127.0.0.1 is refused.
    if (isLoopback(host) && !allowedHosts().has((req.headers.host ?? '').toLowerCase())) return send(res, 421, 'unexpected Host header\n', 'text/plain; charset=utf-8');
    const rawPath = (req.url ?? '/').split(/[?#]/)[0]!;
    if (!rawPath.startsWith('/')) throw new NotFound();
    const segments = rawPath.split('/').slice(1);
    const [head, ...rest] = segments;
    if (head === 'api') {
      if (rest.length === 1 && rest[0] === 'events') return events(req, res);
      return api(rest.map((s) => decodeURIComponent(s)), res);
    }
    if (head === 'files') {
      const root = roots.find((r) => r.name === rest[0]);
      const file = root && fileInside(root.dir, rest.slice(1), root.suffixes);
      if (!file) throw new NotFound();
      return sendFile(res, file, 'no-cache');
    }
    if (rawPath === '/' || rawPath === '/index.html') return sendFile(res, join(webDir, 'index.html'), 'no-cache');
    const file = fileInside(webDir, segments, WEB_SUFFIXES);
    if (!file) throw new NotFound();
    // Vite names assets by content hash: they never change under their name.
    return sendFile(res, file, head === 'assets' ? 'public, max-age=31536000, immutable' : 'no-cache');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      if (err instanceof NotFound || err instanceof URIError) return send(res, 404, 'not found\n', 'text/plain; charset=utf-8');
      sendJson(res, { error: err instanceof Error ? err.message : String(err) }, 500);
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      fail(err.code === 'EADDRINUSE' ? new EnvironmentError(`port ${o.port ?? DEFAULT_PORT} on ${host} is in use: choose another with --port`) : err));
    server.listen(o.port ?? DEFAULT_PORT, host, () => ok());
  });
  port = (server.address() as { port: number }).port;
  const shown = isIP(host) === 6 ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    host,
    port,
    async close() {
      clearInterval(ticker);
      for (const c of clients) c.end();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await live.close();
    },
  };
}
