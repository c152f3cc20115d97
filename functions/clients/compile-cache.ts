import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { type Logger, stdoutLogger } from '../core/log.js';

// The function's artifact is a few CommonJS bundles (scripts/bundle.ts). Each is compiled here with
// V8's code cache: bytecode for the bundle's top level and for every function its warm-up ran,
// written beside it by the Cloud Functions build (`gcp-build`, functions/artifact/warm.ts) on the
// Node.js the function then runs on. Compiling a bundle from source costs a cold start ~60 ms per
// 3 MB of JavaScript, and every function it calls is compiled again on its first call; from the
// cache it costs a few milliseconds. V8 checks that a cache fits (its version, its flags, the
// source's length) and rejects one that does not: the bundle is then compiled from source, as
// `require()` would, and a NOTICE says so once. V8 compares only the source's length, so the cache
// also records the SHA-256 of the bundle it was made from (~0.7 ms per MB to check), and a cache made
// from any other source is not offered to V8 at all: a cache never changes what the code does.

/** Written beside each bundle, `<bundle>.v8cache`. */
export const CACHE_SUFFIX = '.v8cache';
/** The cache file: this header (the source it was made from), then V8's data. */
const HEADER_BYTES = 96;
const header = (source: Buffer): Buffer =>
  Buffer.from(
    `runguard-v8cache 1 ${createHash('sha256').update(source).digest('hex')}\n`.padEnd(HEADER_BYTES, ' '),
    'latin1',
  );

export type CacheUse = 'accepted' | 'rejected' | 'absent';

export interface Compiled {
  exports: unknown;
  cache: CacheUse;
}

/** What writeCompileCaches needs of each bundle loaded: its compiled script and its header, not its bytes. */
const loaded: Array<{ file: string; script: Script; header: Buffer }> = [];
let notices = true;

/** The build's warm-up has no cache to load yet: it says nothing about that. */
export function quietCompileCacheNotices(): void {
  notices = false;
}

/**
 * Loads the CommonJS bundle `file` as require() would (its own module, exports, require and
 * __dirname), compiled with its code cache when the cache fits. The bundle must be ASCII: it is
 * read as a one-byte string, without UTF-8 decoding (scripts/bundle.ts writes it so).
 */
export function loadCompiled(file: string, log: Logger = stdoutLogger): Compiled {
  const bytes = readFileSync(file);
  const made = header(bytes);
  let cachedData: Buffer | undefined;
  let stale = false;
  try {
    const written = readFileSync(file + CACHE_SUFFIX);
    stale = !written.subarray(0, HEADER_BYTES).equals(made);
    if (!stale) cachedData = written.subarray(HEADER_BYTES);
  } catch {
    // No cache (a build that did not run gcp-build, or the repository's tests): compiled from source.
  }
  // Node's own CommonJS wrapper, on the source's first line so that line numbers stay as they are.
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname) { ${bytes.toString('latin1')}\n})`,
    {
      filename: file,
      ...(cachedData ? { cachedData } : {}),
    },
  );
  const cache: CacheUse = stale
    ? 'rejected'
    : !cachedData
      ? 'absent'
      : script.cachedDataRejected
        ? 'rejected'
        : 'accepted';
  if (cache !== 'accepted' && notices)
    log({
      severity: 'NOTICE',
      event: 'compile-cache',
      message:
        cache === 'absent'
          ? `no compile cache for ${file}: compiled from source, a slower cold start ` +
            '(the Cloud Functions build writes one with gcp-build)'
          : `the compile cache for ${file} was made from another source, or by another Node.js or V8 flags: ` +
            'compiled from source, a slower cold start',
      file,
      cache,
    });
  loaded.push({ file, script, header: made });
  const module = { exports: {} as unknown };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return { exports: module.exports, cache };
}

/**
 * Writes the code cache of every bundle this module has loaded since the last call, with what has
 * been compiled so far: run after a warm-up, it holds the bytecode of the functions the warm-up called.
 */
export function writeCompileCaches(): Array<{ file: string; bytes: number }> {
  return loaded.splice(0).map(({ file, script, header: made }) => {
    const data = Buffer.concat([made, script.createCachedData()]);
    writeFileSync(file + CACHE_SUFFIX, data);
    return { file: file + CACHE_SUFFIX, bytes: data.length };
  });
}
