import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The core is pure: data in, data out. The edges (cli/, and later functions/index.ts, adapters)
// may do I/O; these folders may not.
const PURE_DIRS = ['core', 'events', 'rules', 'config', 'decisions'];
// Files in a pure folder that are the folder's edge and are allowed node:fs (reading rule and config files).
const EDGE_FILES = new Set(['rules/load-files.ts', 'config/load-file.ts']);
const FORBIDDEN =
  /from\s+['"](node:)?(fs|fs\/promises|http|https|net|dgram|child_process|@google-cloud\/[^'"]+|@slack\/[^'"]+)['"]/;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('the pure core', () => {
  const root = new URL('../functions/', import.meta.url).pathname;
  const sources = PURE_DIRS.flatMap((d) => files(join(root, d))).filter((f) => !EDGE_FILES.has(f.slice(root.length)));

  it('has source files to check', () => {
    expect(sources.length).toBeGreaterThan(3);
  });

  it.each(sources.map((f) => [f.slice(root.length), f]))('%s imports no network, file or SDK module', (_, file) => {
    expect(readFileSync(file, 'utf8')).not.toMatch(FORBIDDEN);
  });
});
