/** What a scenario is, what it reports, and the rows' ratios and aims. */
import type { BenchPostgres, PgConfiguration } from './postgres.js';

export interface Aim {
  /** Which figure the aim is about: the ratio to the baseline, or the value itself. */
  on: 'ratio' | 'value';
  op: '<=' | '>=' | '==';
  target: number;
}

export interface Row {
  scenario: string;
  /** The case inside the scenario (`1 instance, c=16`). */
  case: string;
  /** What was measured (`throughput`, `p99`…). */
  metric: string;
  value: number;
  unit: string;
  baseline: number;
  /** What the baseline is (`pg, same SQL`). */
  baselineLabel: string;
  /** value / baseline (or as the scenario defines it). */
  ratio: number;
  aim?: Aim;
  /** Whether the aim is met; absent without an aim. */
  met?: boolean;
}

export interface ScenarioReport {
  name: string;
  title: string;
  seconds: number;
  /** The whole machine's CPU use while it ran, in % of one core. */
  machineBusy: number;
  rows: Row[];
  notes: string[];
  /** Set when the scenario could not run here (the reason); its rows are then absent. */
  skipped?: string;
  /** Set when it failed (the error). */
  error?: string;
}

export interface Context {
  quick: boolean;
  /** The fast configuration (fsync off), which every scenario uses unless it asks for another. */
  pg: BenchPostgres;
  /** The configurations the send scenarios measure: `fast`, and `durable` unless --quick. */
  configurations: readonly PgConfiguration[];
  /** The PostgreSQL of a configuration (the durable one starts on first use). */
  pgOf(configuration: PgConfiguration): Promise<BenchPostgres>;
  /** Adds a row: ratio = value / baseline unless given; `met` from the aim. */
  row(r: Omit<Row, 'scenario' | 'ratio' | 'met'> & { ratio?: number }): Row;
  /** A line under the table: sizes used, per-case details, why an aim is missed. */
  note(line: string): void;
  /** Prints progress (stderr), so the table on stdout stays clean. */
  log(line: string): void;
}

export interface Scenario {
  name: string;
  title: string;
  run(ctx: Context): Promise<void>;
}

export function isMet(aim: Aim, value: number, ratio: number): boolean {
  const x = aim.on === 'ratio' ? ratio : value;
  if (!Number.isFinite(x)) return false;
  if (aim.op === '<=') return x <= aim.target;
  if (aim.op === '>=') return x >= aim.target;
  return Math.abs(x - aim.target) < 1e-9;
}

export function aimText(aim: Aim | undefined): string {
  if (!aim) return '';
  const target = aim.op === '==' ? aim.target.toFixed(3) : String(aim.target);
  return `${aim.on === 'ratio' ? 'ratio' : 'value'} ${aim.op === '==' ? '=' : aim.op === '<=' ? '≤' : '≥'} ${target}`;
}

export const aim = (on: Aim['on'], op: Aim['op'], target: number): Aim => ({ on, op, target });
