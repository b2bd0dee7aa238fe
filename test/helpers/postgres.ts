/**
 * A throw-away PostgreSQL server for tests: Debian's server binaries
 * (/usr/lib/postgresql/<v>/bin; .ci/run installs the `postgresql` package where they are
 * missing), a data folder in a temp folder, listening on 127.0.0.1 at a free port with trust
 * auth. The server refuses to run as root, so as root it runs as the `postgres` user.
 *
 *   const pg = await startPostgres();          // once per test file (top level)
 *   describe.skipIf(!pg.server)(...)           // pg.reason says why not
 *   const url = await pg.server!.freshDatabase();
 *   afterAll(() => pg.server?.stop());
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresServer {
  readonly port: number;
  /** postgresql://hnas@127.0.0.1:<port>/<db> of a new, empty database. */
  freshDatabase(): Promise<string>;
  /** Stops the server (fast shutdown: clients are disconnected). */
  halt(): void;
  /** Starts it again on the same port and data. */
  start(): void;
  stop(): void;
}

function serverBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] && join(root, versions[0], 'bin');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<{ server?: PostgresServer; reason: string }> {
  const bin = serverBin();
  if (!bin) return { reason: 'no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (.ci/run installs Debian\'s postgresql package)' };
  const asRoot = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), 'hnas-pg-'));
  const data = join(dir, 'data');
  let started = false;
  try {
    let uid = -1;
    if (asRoot) {
      uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()));
    }
    const sh = (tool: string, args: string[]) =>
      execFileSync(asRoot ? 'runuser' : join(bin, tool), asRoot ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args, { stdio: 'pipe', cwd: dir, timeout: 60_000 });
    sh('initdb', ['-D', data, '-U', 'hnas', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    const port = await freePort();
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
    const start = () => void sh('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '60', 'start']);
    const halt = () => void sh('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']);
    start();
    started = true;
    let n = 0;
    const server: PostgresServer = {
      port,
      async freshDatabase() {
        const name = `t${process.pid}_${n++}`;
        const admin = new pg.Client({ connectionString: `postgresql://hnas@127.0.0.1:${port}/postgres` });
        await admin.connect();
        try {
          await admin.query(`CREATE DATABASE ${name}`);
        } finally {
          await admin.end();
        }
        return `postgresql://hnas@127.0.0.1:${port}/${name}`;
      },
      halt,
      start,
      stop() {
        if (started) {
          started = false;
          try {
            halt();
          } catch {
            // already stopped
          }
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return { server, reason: '' };
  } catch (err) {
    const e = err as Error & { stderr?: Buffer };
    rmSync(dir, { recursive: true, force: true });
    return { reason: `the PostgreSQL server could not start: ${(e.stderr?.toString() || e.message).trim().split('\n').slice(-3).join(' ')}` };
  }
}
