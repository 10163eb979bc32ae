/**
 * The end of every fault scenario: read the database, drain the subscribers (bounded), audit,
 * add the scenario's own checks, record the numbers into `artifacts/faults/latest.json`, and
 * fail with a readable account of every broken promise.
 */
import { Audit, describeReport, recordScenario, type AuditReport } from './audit.js';
import { testBusKind } from './engines.js';
import type { RunningSubscriber } from './fault-workload.js';

/** A scenario's name in the record: `[redis]` or `[nats]` after it when run on an engine. */
export function scenarioName(name: string): string {
  const kind = testBusKind();
  return kind ? `${name} [${kind}]` : name;
}

/** Collects a scenario's own failed checks (beside the audit's), as readable lines. */
export class Checks {
  readonly problems: string[] = [];
  readonly observed: Record<string, unknown> = {};

  /** Records `message` as a problem unless `ok`. */
  expect(ok: boolean, message: string): void {
    if (!ok) this.problems.push(message);
  }

  /** Keeps a number of the fault for the record (`readyz_503_after_ms`…). */
  observe(name: string, value: unknown): void {
    this.observed[name] = value;
  }
}

export interface FinishOptions {
  audit: Audit;
  /** Straight to PostgreSQL. */
  databaseUrl: string;
  /** The scenario's name in latest.json and docs/reliability.md. */
  name: string;
  /** What `-g` selects it with. */
  grep: string;
  startedAt: number;
  checks?: Checks;
  /** How long subscribers may take to catch up (default 20 s). */
  drainMs?: number;
  /** Their sockets' story goes into the record: opens, Resyncs, close codes, resume cursors. */
  subscribers?: RunningSubscriber[];
}

/** What each subscriber's sockets went through, compactly (evidence for a loss). */
function socketStories(subscribers: RunningSubscriber[]): Record<string, unknown> {
  return Object.fromEntries(
    subscribers.map((s) => [
      s.label,
      {
        opens: s.stats.opens,
        resyncs: s.stats.resyncs,
        closeCodes: s.stats.closeCodes.join(','),
        // `port?after=`: where each connection went and the cursor it resumed from.
        connections: s.stats.connections
          .map((c) => {
            const u = new URL(c.url);
            return `${c.atMs}ms:${u.port}${u.search}`;
          })
          .join(' '),
      },
    ]),
  );
}

export async function finishScenario({
  audit,
  databaseUrl,
  name,
  grep,
  startedAt,
  checks = new Checks(),
  drainMs = 20_000,
  subscribers = [],
}: FinishOptions): Promise<AuditReport> {
  await audit.readDatabase(databaseUrl);
  const drainedInMs = await audit.drain(drainMs);
  const report = audit.check();
  report.problems.push(...checks.problems);
  await recordScenario(scenarioName(name), {
    grep,
    passed: report.problems.length === 0,
    durationMs: Date.now() - startedAt,
    counts: report.counts,
    problems: report.problems,
    observed: {
      ...checks.observed,
      drainedInMs,
      failureKinds: report.failureKinds,
      subscribers: socketStories(subscribers),
    },
  });
  console.log(`      ${describeReport(report).replace(/\n/g, '\n      ')}`);
  if (report.problems.length > 0) throw new Error(describeReport(report));
  return report;
}

export { Audit };
