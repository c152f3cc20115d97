import { readFileSync } from 'node:fs';

// The function artifact's package-lock.json, cut from the repository's (scripts/bundle.ts; the artifact tests).

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  [key: string]: unknown;
}

/**
 * The artifact's package-lock.json: the part of the repository's lockfile its dependencies reach,
 * at the same paths, so `npm ci` in the Cloud Functions build installs the tree the tests ran with.
 * Node's resolution (nearest node_modules upwards) is followed from each package's own path.
 */
export function lockfileFor(
  artifact: { name: string; version: string; dependencies: Record<string, string> },
  rootLockfile: string,
) {
  const root = JSON.parse(readFileSync(rootLockfile, 'utf8')) as {
    lockfileVersion: number;
    packages: Record<string, LockEntry>;
  };
  if (root.lockfileVersion < 2) throw new Error('bundle: package-lock.json must be lockfileVersion 2 or 3');
  const all = root.packages;
  const find = (from: string, name: string): string | undefined => {
    for (let base = from; ; ) {
      const key = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
      if (all[key]) return key;
      if (!base) return undefined;
      base = base.replace(/\/?node_modules\/(@[^/]+\/)?[^/]+$/, '');
    }
  };
  const keep = new Set<string>();
  const visit = (from: string, deps: Record<string, string>, optional: (name: string) => boolean) => {
    for (const name of Object.keys(deps)) {
      const key = find(from, name);
      if (!key) {
        if (optional(name)) continue;
        throw new Error(`bundle: ${name} (needed by ${from || 'the function'}) is not in package-lock.json`);
      }
      if (keep.has(key)) continue;
      keep.add(key);
      const e = all[key]!;
      visit(key, { ...e.dependencies }, () => false);
      visit(key, { ...e.optionalDependencies }, () => true);
      visit(key, { ...e.peerDependencies }, (n) => e.peerDependenciesMeta?.[n]?.optional === true);
    }
  };
  visit('', artifact.dependencies, () => false);
  const packages: Record<string, LockEntry> = {
    '': { name: artifact.name, version: artifact.version, dependencies: artifact.dependencies },
  };
  for (const key of [...keep].sort()) {
    // Everything here is a production dependency of the artifact: no dev flags. "dev or optional"
    // in the repository means optional here, since the artifact's edges are a subset of the repository's.
    const { dev: _dev, devOptional, ...entry } = all[key]!;
    packages[key] = devOptional ? { ...entry, optional: true } : entry;
  }
  return { name: artifact.name, version: artifact.version, lockfileVersion: 3, requires: true, packages };
}
