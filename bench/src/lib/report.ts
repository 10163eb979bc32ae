/** The table on stdout, latest.json and the SVG chart. */
import type { Machine } from './machine.js';
import { aimText, type Row, type ScenarioReport } from './scenario.js';

export interface Results {
  mode: 'quick' | 'full';
  startedAt: string;
  seconds: number;
  commit: string;
  machine: Machine;
  postgres: string;
  scenarios: ScenarioReport[];
  profiles?: unknown;
}

/** A figure with sensible digits. */
export function fmt(n: number, unit = ''): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  const digits = a >= 1000 ? 0 : a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
  return `${n.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

export function fmtRatio(r: Row): string {
  if (!Number.isFinite(r.ratio)) return String(r.ratio);
  return `${r.ratio.toFixed(r.aim?.op === '==' ? 3 : 2)}×`;
}

function metText(r: Row): string {
  return r.met === undefined ? '' : r.met ? 'met' : 'NOT met';
}

const HEADER = ['scenario', 'case', 'metric', 'value', 'baseline', 'ratio', 'aim', 'met'];

export function tableCells(r: Row): string[] {
  return [
    r.scenario,
    r.case,
    r.metric,
    fmt(r.value, r.unit),
    `${fmt(r.baseline, r.unit)} (${r.baselineLabel})`,
    fmtRatio(r),
    aimText(r.aim),
    metText(r),
  ];
}

/** A fixed-width text table: left-aligned columns, the numeric ones right-aligned. */
export function textTable(rows: Row[]): string {
  const cells = [HEADER, ...rows.map(tableCells)];
  const widths = HEADER.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  const right = new Set([3, 5]);
  return cells
    .map((c) =>
      c
        .map((v, i) => (right.has(i) ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The same as a Markdown table (docs/performance.md). */
export function markdownTable(rows: Row[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${HEADER.join(' | ')} |`,
    `| ${HEADER.map((_, i) => ([3, 5].includes(i) ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${tableCells(r).map(esc).join(' | ')} |`),
  ].join('\n');
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A horizontal bar per row on a log scale of the ratio (1× in the middle): green when its aim is
 * met, red when not, grey without an aim; the aim's bound as a tick when it is about the ratio.
 * Plain SVG with the system's sans-serif font: nothing is fetched to show it.
 */
export function svgChart(results: Results): string {
  const rows = results.scenarios.flatMap((s) => s.rows).filter((r) => Number.isFinite(r.ratio));
  const width = 980;
  const labelW = 430;
  const plotW = width - labelW - 90;
  const rowH = 17;
  const top = 64;
  const height = top + rows.length * rowH + 40;
  const [lo, hi] = [0.05, 200];
  const x = (ratio: number) =>
    labelW +
    ((Math.log(Math.min(hi, Math.max(lo, ratio))) - Math.log(lo)) / (Math.log(hi) - Math.log(lo))) *
      plotW;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">msgr benchmarks: each figure as a ratio to its same-run baseline (${results.mode} run)</text>`,
    `<text x="10" y="38" fill="#555">${xmlEscape(
      `${results.startedAt.slice(0, 16).replace('T', ' ')} UTC, commit ${results.commit}, ${results.machine.nproc} cores, Node ${results.machine.node}, ${results.postgres}; green: aim met, red: not met, grey: no aim; tick: the aim`,
    )}</text>`,
  );
  for (const t of [0.1, 0.25, 0.5, 1, 2, 5, 10, 25, 100]) {
    out.push(
      `<line x1="${x(t).toFixed(1)}" y1="${top - 6}" x2="${x(t).toFixed(1)}" y2="${height - 30}" stroke="${t === 1 ? '#333' : '#ddd'}" stroke-width="${t === 1 ? 1.2 : 1}"/>`,
      `<text x="${x(t).toFixed(1)}" y="${top - 10}" text-anchor="middle" fill="#555">${t}×</text>`,
    );
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const color = r.met === undefined ? '#90a4ae' : r.met ? '#2e7d32' : '#c62828';
    const [a, b] = [x(1), x(r.ratio)].sort((p, q) => p - q) as [number, number];
    const label = `${r.scenario} · ${r.case} · ${r.metric}`;
    out.push(
      `<text x="${labelW - 8}" y="${y + 12}" text-anchor="end">${xmlEscape(label.length > 72 ? `${label.slice(0, 71)}…` : label)}</text>`,
      `<rect x="${a.toFixed(1)}" y="${y + 3}" width="${Math.max(1.5, b - a).toFixed(1)}" height="${rowH - 6}" fill="${color}"/>`,
      `<text x="${(x(hi) + 6).toFixed(1)}" y="${y + 12}">${xmlEscape(fmtRatio(r))}</text>`,
    );
    if (r.aim?.on === 'ratio') {
      const t = x(r.aim.target);
      out.push(
        `<line x1="${t.toFixed(1)}" y1="${y + 1}" x2="${t.toFixed(1)}" y2="${y + rowH - 1}" stroke="#000" stroke-width="2"/>`,
      );
    }
  });
  out.push(
    `<text x="10" y="${height - 10}" fill="#555">${xmlEscape('Bars start at 1× (the baseline); the axis is logarithmic and clipped to 0.05×–200×. Source: bench/results/' + results.mode + '.json')}</text>`,
    '</svg>',
  );
  return out.join('\n') + '\n';
}
