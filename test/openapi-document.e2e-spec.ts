import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { format, resolveConfig } from 'prettier';
import { createTestApp, type TestApp } from '#testing';

/** The committed OpenAPI document (docs/openapi.json), reviewed with every API change. */
const COMMITTED = fileURLToPath(new URL('../docs/openapi.json', import.meta.url));

/** Objects with their keys sorted, so the committed file diffs cleanly whatever order the builder used. */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
  );
}

/** The file's text: sorted keys, formatted by prettier as `npm run format` would (so the two never fight). */
async function openApiFileText(document: unknown): Promise<string> {
  const options = await resolveConfig(COMMITTED);
  return format(JSON.stringify(sortKeys(document)), { ...options, filepath: COMMITTED });
}

describe('the committed OpenAPI document', () => {
  let t: TestApp;
  let served: string;
  beforeAll(async () => {
    t = await createTestApp({ workers: false });
    const res = await t.request('/openapi.json');
    expect(res.status).toBe(200);
    served = await openApiFileText(await res.json());
    if (process.env.OPENAPI_WRITE === '1') writeFileSync(COMMITTED, served);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('docs/openapi.json is what the app serves (run `npm run openapi:write` after an API change)', () => {
    const committed = readFileSync(COMMITTED, 'utf8');
    // The first differing line with some context, rather than a diff of thousands of lines.
    const a = committed.split('\n');
    const b = served.split('\n');
    const first = a.findIndex((line, i) => line !== b[i]);
    const at = first === -1 ? Math.min(a.length, b.length) : first;
    const excerpt = (lines: string[]): string => lines.slice(Math.max(0, at - 3), at + 4).join('\n');
    expect({ line: at + 1, committed: excerpt(a), served: excerpt(b) }).toEqual({
      line: at + 1,
      committed: excerpt(a),
      served: excerpt(a),
    });
    expect(committed === served).toBe(true);
  });
});
