/**
 * `npm run audit`: `npm audit --omit=dev`, where every finding must be explained in SECURITY.md
 * (by its GHSA id) or the run fails. When the registry's advisory endpoint cannot be reached
 * (this project's CI machines allow only GET to the registry), it says so and passes: an
 * unreachable service is not a finding.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

interface AuditReport {
  statusCode?: number;
  message?: string;
  error?: { summary?: string };
  vulnerabilities?: Record<
    string,
    { severity: string; via: (string | { url?: string; title?: string })[] }
  >;
}

const run = promisify(execFile);
const root = new URL('..', import.meta.url);

async function audit(): Promise<AuditReport> {
  try {
    const { stdout } = await run('npm', ['audit', '--omit=dev', '--json'], {
      cwd: root,
      maxBuffer: 32 * 1024 * 1024,
    });
    return JSON.parse(stdout) as AuditReport;
  } catch (err) {
    // npm audit exits non-zero both on findings and on errors; its JSON tells which.
    const stdout = (err as { stdout?: string }).stdout ?? '';
    try {
      return JSON.parse(stdout) as AuditReport;
    } catch {
      return { message: stdout || String(err) };
    }
  }
}

const report = await audit();
if (!report.vulnerabilities) {
  const why = report.message ?? report.error?.summary ?? 'no report';
  console.log(`npm audit could not run here (${why.split('\n')[0]}): skipped, see SECURITY.md`);
  process.exit(0);
}
const explained = await readFile(new URL('SECURITY.md', root), 'utf8');
const unexplained: string[] = [];
for (const [name, v] of Object.entries(report.vulnerabilities)) {
  for (const via of v.via) {
    if (typeof via === 'string') continue;
    const id = /GHSA-[\w-]+/.exec(via.url ?? '')?.[0] ?? via.url ?? name;
    if (!explained.includes(id))
      unexplained.push(`${name} (${v.severity}): ${via.title ?? ''} ${id}`);
  }
}
if (unexplained.length > 0) {
  console.error(`npm audit: findings not explained in SECURITY.md:\n  ${unexplained.join('\n  ')}`);
  process.exit(1);
}
console.log(
  `npm audit: ${Object.keys(report.vulnerabilities).length} finding(s), each explained in SECURITY.md`,
);
