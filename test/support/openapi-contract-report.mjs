// npm run openapi:contract-report [-- --dir <dir>] [--out <file>] [--top <n>]
// Aggregates the OpenAPI contract violations that OPENAPI_CONTRACT=report wrote (JSON lines per
// jest worker, libs/testing/src/openapi-contract.ts) by kind and by operation + status + problem.
// Default directory: OPENAPI_CONTRACT_REPORT_DIR, else the newest run under <tmpdir>/lms-openapi-contract.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { dir: { type: 'string' }, out: { type: 'string' }, top: { type: 'string', default: '40' } },
});

function newestRun() {
  const root = join(tmpdir(), 'lms-openapi-contract');
  if (!existsSync(root)) return undefined;
  const runs = readdirSync(root)
    .map((name) => join(root, name))
    .filter((p) => statSync(p).isDirectory())
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return runs[0];
}

const dir = values.dir ?? process.env.OPENAPI_CONTRACT_REPORT_DIR ?? newestRun();
if (!dir || !existsSync(dir)) {
  console.error('No contract report found: run the e2e suites with OPENAPI_CONTRACT=report first.');
  process.exit(1);
}

const violations = [];
for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
  for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
    if (line.trim()) violations.push(JSON.parse(line));
  }
}

/** A problem without the values that vary per request (ids, lengths). */
function problemOf(v) {
  if (v.kind === 'body-schema' && Array.isArray(v.errors)) {
    return v.errors.map((e) => `${e.path.replace(/\/\d+(?=\/|$)/g, '/*') || '(body)'} ${e.message}`).join('; ');
  }
  return v.message;
}

const count = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);
const byKind = new Map();
const byOperation = new Map();
const groups = new Map();
for (const v of violations) {
  count(byKind, v.kind);
  count(byOperation, v.operation);
  const key = `${v.operation} → ${v.status} ${v.contentType ?? '-'} [${v.kind}] ${problemOf(v)}`;
  const g = groups.get(key) ?? { count: 0, files: new Set() };
  g.count++;
  if (v.file) g.files.add(v.file);
  groups.set(key, g);
}

const top = Number(values.top);
const sorted = (map) => [...map.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
const lines = [
  `OpenAPI contract report: ${violations.length} violations, ${groups.size} distinct, ${byOperation.size} operations (${dir})`,
  '',
  'By kind:',
  ...sorted(byKind).map(([k, n]) => `  ${String(n).padStart(6)}  ${k}`),
  '',
  `Operations (top ${top} of ${byOperation.size}):`,
  ...sorted(byOperation)
    .slice(0, top)
    .map(([k, n]) => `  ${String(n).padStart(6)}  ${k}`),
  '',
  'Distinct violations (operation → status content-type [kind] problem; count; test files):',
  ...[...groups.entries()]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([k, g]) => `  ${k}\n      ${g.count}× in ${[...g.files].sort().join(', ') || '?'}`),
  '',
];
const text = lines.join('\n');
if (values.out) {
  writeFileSync(values.out, text);
  console.log(lines.slice(0, 4 + byKind.size + 1).join('\n'));
  console.log(`Full report: ${values.out}`);
} else {
  console.log(text);
}
