/** Reading a V8 `.cpuprofile` (node --cpu-prof): self time per function and per area. */
import fs from 'node:fs/promises';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Frame {
  /** `name (file:line)` */
  frame: string;
  /** Where it lives: msgr's src, a package, Node itself, or V8's pseudo-frames. */
  area: string;
  selfMs: number;
  /** Self time as a share of the profile's non-idle time. */
  share: number;
}

export interface ProfileSummary {
  file: string;
  busyMs: number;
  wallMs: number;
  top: Frame[];
  areas: { area: string; selfMs: number; share: number }[];
}

function areaOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /packages\/([^/]+)\/src\//.exec(url);
  if (ours) return `msgr ${ours[1]}`;
  if (url.startsWith('node:')) return 'node';
  return path.basename(url);
}

function short(url: string): string {
  const i = url.search(/node_modules\/|packages\//);
  return (i >= 0 ? url.slice(i) : url.replace(/^file:\/\//, '')).replace(/^node_modules\//, '');
}

/**
 * Self time per frame of the samples taken within `window` (µs of the process's monotonic
 * clock, `process.hrtime`: the one V8 stamps samples with), so start-up and shutdown do not
 * count; the whole profile without one.
 */
export async function summariseProfile(
  file: string,
  window?: { from: number; to: number },
  topN = 15,
): Promise<ProfileSummary> {
  const profile = JSON.parse(await fs.readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = profile.startTime;
  let first = Infinity;
  let last = -Infinity;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (window && (t < window.from || t > window.to)) return;
    first = Math.min(first, t);
    last = Math.max(last, t);
    self.set(id, (self.get(id) ?? 0) + delta / 1000);
  });
  const frames = new Map<string, { area: string; selfMs: number }>();
  const areas = new Map<string, number>();
  let busyMs = 0;
  for (const [id, ms] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    busyMs += ms;
    const name = functionName || '(anonymous)';
    const key = url ? `${name} (${short(url)}:${lineNumber + 1})` : name;
    const area = areaOf(url, name);
    const f = frames.get(key) ?? { area, selfMs: 0 };
    f.selfMs += ms;
    frames.set(key, f);
    areas.set(area, (areas.get(area) ?? 0) + ms);
  }
  const top = [...frames]
    .map(([frame, f]) => ({ frame, area: f.area, selfMs: f.selfMs, share: f.selfMs / busyMs }))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, topN);
  return {
    file,
    busyMs,
    wallMs: (last - first) / 1000,
    top,
    areas: [...areas]
      .map(([area, selfMs]) => ({ area, selfMs, share: selfMs / busyMs }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, 12),
  };
}

export function profileLines(p: ProfileSummary): string[] {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)} %`;
  return [
    `${path.basename(p.file)}: ${(p.busyMs / 1000).toFixed(1)} s on CPU of ${(p.wallMs / 1000).toFixed(1)} s`,
    '  top frames by self time:',
    ...p.top.map((f) => `  ${pct(f.share)}  ${f.frame}  [${f.area}]`),
    '  by area:',
    ...p.areas.map((a) => `  ${pct(a.share)}  ${a.area}`),
  ];
}
