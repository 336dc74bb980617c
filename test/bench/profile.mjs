// Summarizes a V8 .cpuprofile (node --cpu-prof): self time per function and per package.
//   node test/bench/profile.mjs <file.cpuprofile> [top]
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** "typeorm", "@nestjs/core", "app:libs/courses", "node:internal", "(garbage collector)", ... */
export function packageOf(url) {
  if (!url) return '(native/vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const dist = url.match(/\/dist\/((?:apps|libs)\/[^/]+)\//);
  if (dist) return `app:${dist[1]}`;
  if (url.startsWith('node:')) return 'node:internals';
  return url.replace(/^file:\/\//, '');
}

function shortUrl(url) {
  if (!url) return '';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

/**
 * { totalMs, idleMs, busyMs, functions: [{name, where, selfMs, pct}], packages: [{name, selfMs, pct}],
 *   inclusive: [{name, ms, pct}] } (percentages of the non-idle time). `window` ({fromUs, toUs}, on the
 * profile's clock: CLOCK_MONOTONIC µs, as process.hrtime) keeps only the samples taken inside it.
 * `inclusive` is the share of samples with at least one frame of the package on the stack.
 */
export function summarizeProfile(file, top = 20, window = undefined) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map();
  const { samples, timeDeltas } = profile;
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += timeDeltas[i];
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    // timeDeltas[i + 1] is the time until the next sample: attribute it to this one.
    const dt = timeDeltas[i + 1] ?? 0;
    selfUs.set(samples[i], (selfUs.get(samples[i]) ?? 0) + dt);
  }
  const pkgOfNode = (node) => {
    const frame = node.callFrame;
    if (frame.url) return packageOf(frame.url);
    return frame.functionName.startsWith('(') ? frame.functionName : '(native/vm)';
  };
  const stackPackages = new Map();
  const packagesOnStack = (id) => {
    let set = stackPackages.get(id);
    if (!set) {
      const up = parent.get(id);
      set = new Set(up === undefined ? [] : packagesOnStack(up));
      const pkg = pkgOfNode(byId.get(id));
      if (!pkg.startsWith('(') && pkg !== '(native/vm)') set.add(pkg);
      stackPackages.set(id, set);
    }
    return set;
  };
  const fns = new Map();
  const pkgs = new Map();
  const incl = new Map();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    const frame = node.callFrame;
    const name = frame.functionName || '(anonymous)';
    total += us;
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${name} ${where}`;
    const f = fns.get(key) ?? { name, where, selfUs: 0 };
    f.selfUs += us;
    fns.set(key, f);
    const pkg = pkgOfNode(node);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + us);
    for (const p of packagesOnStack(id)) incl.set(p, (incl.get(p) ?? 0) + us);
  }
  const busy = total - idle || 1;
  const fmt = (us) => Math.round(us / 100) / 10;
  return {
    totalMs: fmt(total),
    idleMs: fmt(idle),
    busyMs: fmt(busy),
    functions: [...fns.values()]
      .sort((a, b) => b.selfUs - a.selfUs)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, selfMs: fmt(f.selfUs), pct: (100 * f.selfUs) / busy })),
    packages: [...pkgs.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: fmt(us), pct: (100 * us) / busy })),
    inclusive: [...incl.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: fmt(us), pct: (100 * us) / busy })),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node test/bench/profile.mjs <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  const s = summarizeProfile(file, Number(process.argv[3] ?? 25));
  process.stdout.write(`busy ${s.busyMs} ms, idle ${s.idleMs} ms\n\nby package (self time):\n`);
  for (const p of s.packages) process.stdout.write(`  ${p.pct.toFixed(1).padStart(5)}%  ${p.name}\n`);
  process.stdout.write('\non the stack (inclusive):\n');
  for (const p of s.inclusive) process.stdout.write(`  ${p.pct.toFixed(1).padStart(5)}%  ${p.name}\n`);
  process.stdout.write('\ntop functions (self time):\n');
  for (const f of s.functions) process.stdout.write(`  ${f.pct.toFixed(1).padStart(5)}%  ${f.name}  ${f.where}\n`);
}
