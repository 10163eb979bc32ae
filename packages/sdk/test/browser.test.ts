/**
 * The SDK in a real browser (headless Chromium): the built ESM files loaded as-is by a page on
 * another origin, the platform fetch and WebSocket, CORS, and bearer-subprotocol auth.
 * Skips when no Chromium is installed (CI installs Debian's).
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startServerProcesses, type ServerProcesses } from '../../server/test/support/processes.js';
import { MessengerClient } from '../src/index.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));

const PAGE = `<!doctype html><meta charset="utf-8"><title>msgr sdk</title>
<script type="module">
  import { MessengerClient } from '/sdk/index.js';
  window.events = [];
  window.start = async (hosts) => {
    window.client = new MessengerClient({ hosts });
    await window.client.login({ email: 'test2@test.com', password: 'test', clientId: 'browser' });
    window.subscription = window.client.subscribe();
    (async () => { for await (const e of window.subscription) window.events.push(e); })();
  };
  window.ready = true;
</script>`;

/** Serves the page and the SDK's dist/ on its own origin. */
async function staticServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
        return;
      }
      const file = path.join(DIST, path.normalize(url.pathname.replace(/^\/sdk\//, '')));
      if (!url.pathname.startsWith('/sdk/') || !file.startsWith(DIST)) {
        res.writeHead(404).end();
        return;
      }
      try {
        const body = await fs.readFile(file);
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    })();
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function until<T>(page: Page, expression: string, timeoutMs = 10_000): Promise<T> {
  const handle = await page.waitForFunction(expression, undefined, { timeout: timeoutMs });
  return (await handle.jsonValue()) as T;
}

describe('@msgr/sdk in a browser', function () {
  this.timeout(60_000);
  let servers: ServerProcesses;
  let site: Awaited<ReturnType<typeof staticServer>>;
  let browser: Browser;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`      (skipped: no Chromium at ${CHROMIUM}; apt-get install chromium)`);
      this.skip();
    }
    servers = await startServerProcesses(2);
    site = await staticServer();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    await site?.close();
    await servers?.close();
  });

  it('when a page on another origin uses the SDK then it logs in, receives live and sends', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(site.url);
    await until(page, 'window.ready === true');
    await page.evaluate((hosts) => (window as any).start(hosts), servers.urls);
    await until(page, `window.events.some((e) => e.type === 'State' && e.state === 'open')`);

    const node = new MessengerClient({ hosts: servers.urls });
    await node.login({ email: 'test1@test.com', password: 'test', clientId: 'node' });
    const sent = await node.sendToUser(2, 'hello browser');
    const received = await until<{ message: { id: number; text: string } }>(
      page,
      `window.events.find((e) => e.type === 'Message' && e.message.id === ${sent.id})`,
    );
    expect(received.message.text).to.equal('hello browser');

    const reply = await page.evaluate(async () => {
      const m = await (window as any).client.sendToUser(1, 'hello node');
      return m as { id: number; chat_id: number };
    });
    const history = await node.history(reply.chat_id, { after: sent.id });
    expect(history.map((m) => m.text)).to.deep.equal(['hello node']);
    expect(errors).to.deep.equal([]);
    await page.evaluate(() => (window as any).subscription.close());
  });
});
