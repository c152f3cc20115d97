import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CACHE_SUFFIX, loadCompiled, writeCompileCaches } from '../../functions/clients/compile-cache.js';
import type { LogLine } from '../../functions/core/log.js';

// The loader of the artifact's bundles (scripts/bundle.ts). Each case writes its own small CommonJS
// bundle; what it checks is what require() would give and what V8 says of the cache.

const dirs: string[] = [];
afterEach(() => {
  writeCompileCaches(); // empties the loader's list of what it loaded, while the files are still there
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function bundle(source: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'runguard-compile-cache-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'dep.js'), 'module.exports = { answer: 42 };\n');
  const file = join(dir, 'bundle.js');
  writeFileSync(file, source);
  return file;
}

const SOURCE = [
  'const dep = require("./dep.js");',
  'function twice(n) { return n * 2; }',
  'module.exports = { value: twice(dep.answer), file: __filename, dir: __dirname, self: this === exports };',
  'exports.ignored = true; // module.exports was replaced: require() would drop this too',
  'module.exports.stack = () => new Error("where").stack;',
].join('\n');

describe('loadCompiled', () => {
  it('gives the module what require() would: its exports, a require beside it, __filename and __dirname', () => {
    const file = bundle(SOURCE);
    const lines: LogLine[] = [];
    const { exports } = loadCompiled(file, (l) => lines.push(l));
    const e = exports as {
      value: number;
      file: string;
      dir: string;
      self: boolean;
      ignored?: boolean;
      stack(): string;
    };
    expect(e.value).toBe(84);
    expect(e.file).toBe(file);
    expect(e.dir).toBe(join(file, '..'));
    expect(e.self).toBe(true);
    expect(e.ignored).toBeUndefined();
    // Line numbers stay those of the file: the wrapper sits on its first line.
    expect(e.stack()).toContain(`${file}:5:`);
  });

  it('says once, as a NOTICE, that a bundle without a cache was compiled from source', () => {
    const file = bundle(SOURCE);
    const lines: LogLine[] = [];
    expect(loadCompiled(file, (l) => lines.push(l)).cache).toBe('absent');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ severity: 'NOTICE', event: 'compile-cache', cache: 'absent', file });
  });

  it('uses the cache it wrote after running the bundle, silently', () => {
    const file = bundle(SOURCE);
    loadCompiled(file, () => undefined);
    const written = writeCompileCaches().filter((w) => w.file === file + CACHE_SUFFIX);
    expect(written).toHaveLength(1);
    expect(readFileSync(file + CACHE_SUFFIX).length).toBe(written[0]!.bytes);
    const lines: LogLine[] = [];
    const again = loadCompiled(file, (l) => lines.push(l));
    expect(again.cache).toBe('accepted');
    expect((again.exports as { value: number }).value).toBe(84);
    expect(lines).toEqual([]);
  });

  it('compiles from source, with the same result and a NOTICE, when the cache does not fit', () => {
    const file = bundle(SOURCE);
    writeFileSync(file + CACHE_SUFFIX, Buffer.from('not a V8 code cache, or one from another Node.js'));
    const lines: LogLine[] = [];
    const loaded = loadCompiled(file, (l) => lines.push(l));
    expect(loaded.cache).toBe('rejected');
    expect((loaded.exports as { value: number }).value).toBe(84);
    expect(lines.map((l) => [l.severity, l.cache])).toEqual([['NOTICE', 'rejected']]);
  });

  // V8 itself compares only the source's length: an edit of the same length would run its old bytecode.
  it('does not use the cache of a bundle that has changed since, even to the same length', () => {
    const file = bundle(SOURCE);
    loadCompiled(file, () => undefined);
    writeCompileCaches();
    const edited = SOURCE.replace('n * 2', 'n * 3');
    expect(edited.length).toBe(SOURCE.length);
    writeFileSync(file, edited);
    const loaded = loadCompiled(file, () => undefined);
    expect(loaded.cache).toBe('rejected');
    expect((loaded.exports as { value: number }).value).toBe(126);
  });
});
