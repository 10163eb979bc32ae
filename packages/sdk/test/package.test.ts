/**
 * The packaging promise: the tarball `npm pack` makes holds the built SDK and nothing else, and a
 * fresh project outside the repository can install it, type-check against it (node16 and bundler
 * resolution, strict) and run it as plain Node ESM.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const here = path.dirname(fileURLToPath(import.meta.url));
const sdkDir = path.resolve(here, '..');
const repoRoot = path.resolve(sdkDir, '../..');
const tscBin = path.join(repoRoot, 'node_modules/typescript/bin/tsc');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: 'pipe' });
  } catch (err) {
    const { stdout, stderr } = err as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed:\n${stdout ?? ''}\n${stderr ?? ''}`, {
      cause: err,
    });
  }
}

function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Uses the public API with types; the @ts-expect-error proves the types are real, not `any`. */
const CONSUMER_TS = `import { MessengerClient, MessengerError, type Message, type SubscriptionEvent } from '@msgr/sdk';

const client = new MessengerClient({ hosts: ['http://127.0.0.1:8000'], strategy: 'failover' });

export async function latest(chatId: number): Promise<Message | undefined> {
  const page: Message[] = await client.history(chatId, { limit: 1 });
  return page[0];
}

export function text(event: SubscriptionEvent): string {
  return event.type === 'Message' ? event.message.text : event.type;
}

export function code(err: unknown): string {
  return err instanceof MessengerError ? err.code : 'unknown';
}

// @ts-expect-error user ids are numbers
void client.sendToUser('2', 'hi');
`;

/** Runs in plain Node: the runtime entry, the error class, the `ws` dependency, the exports map. */
const CONSUMER_MJS = `import { MessengerClient, MessengerError, MemoryTokenStore, CloseCodes } from '@msgr/sdk';

const client = new MessengerClient({ hosts: ['http://127.0.0.1:8000/'], tokenStore: new MemoryTokenStore() });
const error = new MessengerError(404, 'x', 'y');
const ws = await import('ws');
let deepImport = 'allowed';
try {
  await import('@msgr/sdk/dist/client.js');
} catch (err) {
  deepImport = err.code;
}
console.log(JSON.stringify({
  hosts: client.hosts,
  isInstance: error instanceof MessengerError && error instanceof Error,
  error: [error.status, error.code, error.detail, error.name],
  tokenExpired: CloseCodes.TokenExpired,
  hasWs: typeof ws.default === 'function',
  deepImport,
}));
`;

describe('sdk package (npm pack + install in a fresh project)', function () {
  this.timeout(120_000);
  let tmp: string;
  let tarball: string;
  let entries: string[];
  let project: string;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'msgr-sdk-pack-'));
    run(process.execPath, [tscBin, '-b', sdkDir], repoRoot);
    const packed = JSON.parse(
      run(npm, ['pack', '-w', 'packages/sdk', '--json', '--pack-destination', tmp], repoRoot),
    ) as { filename: string }[];
    tarball = path.join(tmp, packed[0]!.filename);
    entries = run('tar', ['-tzf', tarball], tmp).split('\n').filter(Boolean);

    project = path.join(tmp, 'consumer');
    fs.mkdirSync(project);
    writeJson(path.join(project, 'package.json'), {
      name: 'consumer',
      private: true,
      type: 'module',
    });
    // One install: the SDK (which brings `ws`) and Node's types for the node16 consumer.
    run(npm, ['install', '--no-audit', '--no-fund', tarball, '@types/node@20'], project);
  });

  after(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('the tarball', () => {
    it('holds package.json, README.md, CHANGELOG.md and the built entry', () => {
      expect(entries).to.include.members([
        'package/package.json',
        'package/README.md',
        'package/CHANGELOG.md',
        'package/dist/index.js',
        'package/dist/index.d.ts',
      ]);
    });

    it('holds a .d.ts next to every .js of dist/', () => {
      const js = entries.filter((e) => e.endsWith('.js'));
      expect(js.length).to.be.greaterThan(5);
      for (const file of js) expect(entries).to.include(file.replace(/\.js$/, '.d.ts'));
    });

    it('holds no source, tests, server code or build leftovers', () => {
      const unexpected = entries.filter(
        (e) =>
          !/^package\/(package\.json|README\.md|CHANGELOG\.md|dist\/.+\.(js|d\.ts))$/.test(e) ||
          /\/(src|test|server)\//.test(e),
      );
      expect(unexpected).to.deep.equal([]);
    });
  });

  describe('a fresh project outside the repository', () => {
    it('is outside the repository and installed the SDK with its ws dependency', () => {
      expect(path.relative(repoRoot, project).startsWith('..')).to.be.true;
      const installed = path.join(project, 'node_modules/@msgr/sdk');
      expect(fs.lstatSync(installed).isSymbolicLink()).to.be.false;
      expect(fs.existsSync(path.join(project, 'node_modules/ws/package.json'))).to.be.true;
    });

    const consumers: [string, Record<string, unknown>][] = [
      [
        'node16',
        { module: 'node16', moduleResolution: 'node16', lib: ['ES2022'], types: ['node'] },
      ],
      [
        'bundler',
        { module: 'ESNext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], types: [] },
      ],
    ];
    for (const [name, resolution] of consumers) {
      it(`when a strict TypeScript consumer uses moduleResolution ${name} then it compiles`, () => {
        const dir = path.join(project, name);
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, 'consumer.ts'), CONSUMER_TS);
        writeJson(path.join(dir, 'tsconfig.json'), {
          compilerOptions: {
            target: 'ES2022',
            strict: true,
            skipLibCheck: false,
            noEmit: true,
            ...resolution,
          },
          files: ['consumer.ts'],
        });
        run(process.execPath, [tscBin, '-p', path.join(dir, 'tsconfig.json')], dir);
      });
    }

    it('when a plain Node ESM script imports @msgr/sdk then it runs', () => {
      fs.writeFileSync(path.join(project, 'consumer.mjs'), CONSUMER_MJS);
      const out = JSON.parse(run(process.execPath, ['consumer.mjs'], project)) as unknown;
      expect(out).to.deep.equal({
        hosts: ['http://127.0.0.1:8000'],
        isInstance: true,
        error: [404, 'x', 'y', 'MessengerError'],
        tokenExpired: 4401,
        hasWs: true,
        deepImport: 'ERR_PACKAGE_PATH_NOT_EXPORTED',
      });
    });
  });
});
