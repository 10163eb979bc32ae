/**
 * Renders the last fault run (`artifacts/faults/latest.json`, written by `npm run test:faults`)
 * as a Markdown table. With `--write`, replaces the table in docs/reliability.md between its
 * `faults-report` markers; otherwise prints it.
 *
 *   npx tsx scripts/faults-report.ts --write
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LATEST = path.join(ROOT, 'artifacts', 'faults', 'latest.json');
const DOC = path.join(ROOT, 'docs', 'reliability.md');
const BEGIN = '<!-- faults-report:begin -->';
const END = '<!-- faults-report:end -->';

interface Counts {
  attempted: number;
  acknowledged: number;
  delivered: number;
  lost: number;
  duplicated: number;
  fiveXx: number;
  networkErrors: number;
  fiveXxTakenAsSuccess: number;
  /** Changes other than new messages (v1.2); absent in runs from before they were audited. */
  changesAttempted?: number;
  changesAcknowledged?: number;
  changesDelivered?: number;
  changesLost?: number;
  changesDuplicated?: number;
}

interface Scenario {
  passed: boolean;
  durationMs: number;
  at: string;
  commit: string;
  counts: Counts;
}

function table(scenarios: Record<string, Scenario>): string {
  const rows = Object.entries(scenarios).sort(([a], [b]) => a.localeCompare(b));
  const lines = [
    '| scenario | result | attempted | acknowledged | delivered | lost | duplicated | 5xx | 5xx taken as success | network errors | changes attempted / acknowledged / delivered | changes lost / duplicated | seconds | commit |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map(([name, s]) => {
      const c = s.counts;
      const changes =
        c.changesAttempted === undefined
          ? '— | —'
          : `${c.changesAttempted} / ${c.changesAcknowledged} / ${c.changesDelivered} | ${c.changesLost} / ${c.changesDuplicated}`;
      return `| ${name} | ${s.passed ? 'pass' : '**FAIL**'} | ${c.attempted} | ${c.acknowledged} | ${c.delivered} | ${c.lost} | ${c.duplicated} | ${c.fiveXx} | ${c.fiveXxTakenAsSuccess} | ${c.networkErrors} | ${changes} | ${(s.durationMs / 1000).toFixed(1)} | ${s.commit} |`;
    }),
  ];
  const last = rows
    .map(([, s]) => s.at)
    .sort()
    .at(-1);
  return `${lines.join('\n')}\n\nLast recorded ${last ?? 'never'} (scenario time, without starting the cluster).`;
}

async function main(): Promise<void> {
  let scenarios: Record<string, Scenario>;
  try {
    scenarios = (JSON.parse(await fs.readFile(LATEST, 'utf8')) as { scenarios: typeof scenarios })
      .scenarios;
  } catch {
    console.error(`no ${path.relative(ROOT, LATEST)}: run npm run test:faults first`);
    process.exit(1);
  }
  const rendered = table(scenarios);
  if (!process.argv.includes('--write')) {
    console.log(rendered);
    return;
  }
  const doc = await fs.readFile(DOC, 'utf8');
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) {
    console.error(`${path.relative(ROOT, DOC)} has no ${BEGIN} … ${END} section`);
    process.exit(1);
  }
  await fs.writeFile(
    DOC,
    `${doc.slice(0, start + BEGIN.length)}\n\n${rendered}\n\n${doc.slice(end)}`,
  );
  console.log(`updated ${path.relative(ROOT, DOC)}`);
}

await main();
