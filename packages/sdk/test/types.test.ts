/**
 * Type-level tests of the public surface: two consumer files import '@msgr/sdk' the way a user
 * does (node_modules/@msgr/sdk → packages/sdk → the built dist/, through the exports map) and are
 * compiled with the TypeScript compiler API under the strict options of fixtures/tsconfig.json.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import ts from 'typescript';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.join(here, 'fixtures');
const sdkDir = path.resolve(here, '..');

interface Found {
  line: number;
  code: string;
  text: string;
}

/** The options a strict consumer uses (fixtures/tsconfig.json). */
function consumerOptions(): ts.CompilerOptions {
  const configFile = path.join(fixtures, 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configFile,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error(`cannot read ${configFile}`);
  return parsed.options;
}

/** Every diagnostic of compiling `file` alone, as (1-based line, TS code, message). */
function compile(file: string, options: ts.CompilerOptions): Found[] {
  const program = ts.createProgram([file], options);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const line =
      d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    const where = d.file ? path.relative(sdkDir, d.file.fileName) : '(global)';
    return {
      line,
      code: `TS${d.code}`,
      text: `${where}:${line} TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`,
    };
  });
}

/** The `// error TSnnnn` markers of a fixture, as (line, code). */
function markers(file: string): { line: number; code: string }[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((text, i) =>
      [...text.matchAll(/\/\/ error (TS\d+)/g)].map((m) => ({ line: i + 1, code: m[1]! })),
    );
}

describe('sdk public types (compiler API)', function () {
  this.timeout(120_000);
  let options: ts.CompilerOptions;

  before(() => {
    // The consumers see the package through its exports map, i.e. the built declarations.
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-b', sdkDir], { stdio: 'pipe' });
    options = consumerOptions();
  });

  it('compiles the consumer options strictly, with NodeNext resolution', () => {
    expect(options).to.include({
      strict: true,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      skipLibCheck: false,
    });
  });

  it('when a consumer uses the public API as documented then it compiles with no diagnostics', () => {
    const found = compile(path.join(fixtures, 'consumer-ok.ts'), options);
    expect(found.map((f) => f.text)).to.deep.equal([]);
  });

  it('when "@msgr/sdk" is imported then it resolves to the built declarations in dist/', () => {
    const resolved = ts.resolveModuleName(
      '@msgr/sdk',
      path.join(fixtures, 'consumer-ok.ts'),
      options,
      ts.sys,
    ).resolvedModule;
    expect(resolved?.resolvedFileName).to.equal(
      path.join(fs.realpathSync(sdkDir), 'dist', 'index.d.ts'),
    );
  });

  describe('when a consumer makes a mistake then it is a compile error on that line', () => {
    const file = path.join(fixtures, 'consumer-bad.ts');
    let found: Found[];

    before(() => {
      found = compile(file, options);
    });

    const cases: [string, string][] = [
      ['a name that is not exported (Transport)', 'TS2305'],
      ['a deep import past the exports map', 'TS2307'],
      ['an unknown strategy', 'TS2322'],
      ['a wrong field name on a Message (m.sender)', 'TS2339'],
      ['a string id for sendToUser', 'TS2345'],
      ['a misspelt send option (operationID)', 'TS2561'],
      ['a wrong createGroup option (participants)', 'TS2353'],
      ['a method that does not exist (sendMessage; "did you mean editMessage?")', 'TS2551'],
      ['a send target that is neither { userId } nor { groupId }', 'TS2353'],
      ['a bare id as the send target', 'TS2345'],
      ['react() without an emoji', 'TS2554'],
      ['a string replyTo', 'TS2322'],
      ['a snake_case search option (chat_id)', 'TS2561'],
      ['an object as the text of editMessage', 'TS2345'],
      ['a misnamed ReactionCount field (mine)', 'TS2339'],
      ["the server's stream mark on a Message event", 'TS2339'],
      ['.message on a MessageDeleted event', 'TS2339'],
      ['a field MembersChanged does not have (members)', 'TS2339'],
      ["the log's seq on an event (positions are the subscription's)", 'TS2339'],
      ['a number as a sync position', 'TS2322'],
      ['a user id passed to leaveGroup', 'TS2559'],
      ['assigning the readonly retryAfterSeconds', 'TS2540'],
      ['.message on a Read event', 'TS2339'],
      ['an event type that does not exist (Messages)', 'TS2367'],
      ['a snake_case subscribe option (chat_id)', 'TS2561'],
      ['a number as a file id', 'TS2345'],
      ['a number as an attachment', 'TS2322'],
      ['a number as an upload source', 'TS2345'],
      ['a download option that does not exist (from)', 'TS2353'],
      ['a misnamed Download field (sha)', 'TS2339'],
      ['a notification level that does not exist (muted)', 'TS2345'],
      ['a number of seconds as until (a Date or an RFC 3339 string)', 'TS2322'],
    ];
    const marked = markers(file);

    it('marks one line per listed mistake', () => {
      expect(marked.map((m) => m.code)).to.deep.equal(cases.map(([, code]) => code));
    });

    cases.forEach(([mistake, code], i) => {
      it(`${mistake} → ${code}`, () => {
        const { line } = marked[i]!;
        const onLine = found.filter((f) => f.line === line);
        expect(
          onLine.map((f) => f.code),
          found.map((f) => f.text).join('\n'),
        ).to.include(code);
      });
    });

    it('fails on no unmarked line', () => {
      const markedLines = new Set(marked.map((m) => m.line));
      expect(found.filter((f) => !markedLines.has(f.line)).map((f) => f.text)).to.deep.equal([]);
    });
  });
});
