import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layers, bottom to top, as the folders under functions/ show them (see the README's layout table):
//   core/ — shared kinds and pure helpers; imports nothing outside core/
//   events/ rules/ config/ decisions/ slack rendering — pure logic
//   clients/ remediation/ state/ slack posting enforcement/ — ports, adapters, the shared
//     evaluate → decide → act → notify path
//   audit-events/ interactions/ reconcile/ backtest/ report/ — features, which never import each other
//   index.ts, artifact/ and cli/ — the entry points, which wire features together
const ROOT = resolve(new URL('..', import.meta.url).pathname);
const FUNCTIONS = join(ROOT, 'functions');
const FEATURES = ['audit-events', 'interactions', 'reconcile', 'backtest', 'report'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.(ts|js|cjs|mjs)$/.test(name) ? [path] : [];
  });
}

/** Every relative module a file imports or re-exports (type-only included), as a path from the repository root. */
function imports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specs = [...source.matchAll(/(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((s) => relative(ROOT, resolve(dirname(file), s)));
}

const rel = (file: string) => relative(ROOT, file);
const folderOf = (path: string) => (path.startsWith('functions/') ? path.split('/')[1] : undefined);
const productFiles = files(FUNCTIONS);

describe('the layers', () => {
  it('finds the files and imports it checks', () => {
    expect(productFiles.length).toBeGreaterThan(50);
    expect(imports(join(FUNCTIONS, 'index.ts')).length).toBeGreaterThan(2);
  });

  it.each(files(join(FUNCTIONS, 'core')).map((f) => [rel(f), f]))('%s imports nothing outside core/', (_, file) => {
    expect(imports(file).filter((p) => !p.startsWith('functions/core/'))).toEqual([]);
  });

  it.each(FEATURES)('the feature %s/ imports no other feature', (feature) => {
    const crossings = files(join(FUNCTIONS, feature)).flatMap((f) =>
      imports(f)
        .filter((p) => FEATURES.includes(folderOf(p) ?? '') && folderOf(p) !== feature)
        .map((p) => `${rel(f)} → ${p}`),
    );
    expect(crossings).toEqual([]);
  });

  it('nothing below the features imports a feature or an entry point', () => {
    const upper = [...FEATURES, 'cli', 'artifact', 'index.ts'];
    const crossings = productFiles
      .filter((f) => !upper.includes(folderOf(rel(f)) ?? ''))
      .flatMap((f) =>
        imports(f)
          .filter((p) => upper.includes(folderOf(p) ?? ''))
          .map((p) => `${rel(f)} → ${p}`),
      );
    expect(crossings).toEqual([]);
  });

  it('nothing under functions/, scripts/ or stand-ins/ imports test/', () => {
    const sources = [...productFiles, ...files(join(ROOT, 'scripts')), ...files(join(ROOT, 'stand-ins'))].filter(
      (f) => !f.endsWith('.test.ts'),
    );
    const crossings = sources.flatMap((f) =>
      imports(f)
        .filter((p) => p.startsWith('test/'))
        .map((p) => `${rel(f)} → ${p}`),
    );
    expect(crossings).toEqual([]);
  });

  it('nothing under functions/ imports scripts/, stand-ins/, bench/ or test/', () => {
    const crossings = productFiles.flatMap((f) =>
      imports(f)
        .filter((p) => !p.startsWith('functions/') && !p.startsWith('node_modules/'))
        .map((p) => `${rel(f)} → ${p}`),
    );
    expect(crossings).toEqual([]);
  });
});
