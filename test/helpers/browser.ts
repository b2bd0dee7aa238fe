/**
 * Debian's Chromium (/usr/bin/chromium; .ci/run installs the `chromium` package where it is
 * missing) driven by playwright-core, for the dashboard's end-to-end tests. A fresh profile per
 * launch; the flags keep it off the network (this machine's closed network refuses Chromium's
 * background connections) and let WebGL2 run on SwiftShader without a GPU.
 *
 *   const chromium = await launchChromium();   // once per test file (top level)
 *   skipAllUnless(!!chromium.browser, chromium.reason);
 *   afterAll(() => chromium.close());
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.HNAS_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
];

export interface LaunchedChromium {
  /** A browser context (one fresh profile); undefined when Chromium could not start. */
  readonly browser?: BrowserContext;
  readonly reason: string;
  close(): Promise<void>;
}

export async function launchChromium(viewport = { width: 1280, height: 900 }): Promise<LaunchedChromium> {
  if (!existsSync(CHROMIUM)) return { reason: `no Chromium at ${CHROMIUM} (.ci/run installs Debian's chromium package: apt-get install -y chromium)`, close: async () => {} };
  const profile = mkdtempSync(join(tmpdir(), 'hnas-chromium-'));
  try {
    const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport, timeout: 30_000 });
    return {
      browser,
      reason: '',
      async close() {
        await browser.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    return { reason: `Chromium (${CHROMIUM}) could not be launched: ${(err as Error).message.split('\n')[0]}`, close: async () => {} };
  }
}
