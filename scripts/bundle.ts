// Builds the Cloud Functions gen2 source zip that terraform/modules/runguard uploads (source_archive):
//   npm run bundle [-- --config examples/runguard.yaml] [--out build]
// -> build/function/{index.js, app.js, vendor-google.js, vendor-slack.js, warm-compile-cache.js,
//    package.json, package-lock.json, runguard.yaml, runguard.prebuilt.json, rules/, fonts/}
//    and build/function.zip.
//
// How it is built, and why:
// - Everything the functions run is in CommonJS bundles written by esbuild, which the artifact's
//   index.js compiles with V8's code cache (functions/clients/compile-cache.ts):
//   - app.js: runguard's own code with its pure-JavaScript dependencies (CEL, yaml, zod, p-limit).
//     Each module inside initialises on first use, so an entry point runs only what its event needs.
//   - vendor-google.js (google-gax, gRPC, the Google clients) and vendor-slack.js (Slack's WebClient),
//     by the names in functions/clients/external-names.ts (what requireExternal is asked for; in the
//     app bundle, functions/clients/external-artifact.ts takes external.ts's place). The Google ones
//     share one file so that they share one gax and one gRPC, as in node_modules; each bundle loads
//     only when an event first needs one of its libraries.
//   Measured on a cold start: ~150 module files found, read and compiled one by one cost a Cloud Run
//   revert ~0.3 s of CPU; the bundles with their caches a few tens of milliseconds.
// - The code caches are written by the Cloud Functions build itself (the `gcp-build` script runs
//   warm-compile-cache.js after installing), on the Node.js the function runs on: a cache only fits
//   the V8 that wrote it. Without one, the bundles compile from source and still work.
// - The Google clients read their .proto descriptors as JSON through require(), which esbuild bundles;
//   the only __dirname lookups left in vendor-google.js are for .proto files of gRPC's channelz/ORCA servers
//   and gax's loadProto, which a client never uses (checked below).
// - Installed by the build from the artifact's package.json, pinned by a package-lock.json cut from the
//   repository's lockfile: the Functions Framework (bundling it breaks its function registry) and
//   @resvg/resvg-js (the report's rasteriser, a native addon with its platform's package).
// - The configuration and the rules are validated here, as the function would at start: a bad
//   configuration fails the build, not the first event. They ship validated too
//   (runguard.prebuilt.json): the function compiles the rules' CEL from it without loading the YAML
//   parser or zod, as long as the files are byte for byte those validated (functions/startup.ts).
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';
import { lockfileFor } from './lockfile.js';
import { FONT_FILES, fontFiles } from '../functions/report/png.js';
import { EXTERNALS, resolveExternal, VENDOR_BUNDLES } from '../functions/clients/external-names.js';
import { PREBUILT_FILE, type Prebuilt } from '../functions/startup.js';
import { prebuiltFor } from './prebuilt.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'examples/runguard.yaml' },
    out: { type: 'string', default: 'build' },
  },
});
const configPath = values.config ?? 'examples/runguard.yaml';
const out = resolve(values.out ?? 'build');
const dir = join(out, 'function');

// The configuration and the rules, validated as the function would at start (a bad one fails the
// build), and shipped validated (runguard.prebuilt.json, see functions/startup.ts).
let prebuilt: Prebuilt;
try {
  prebuilt = prebuiltFor(configPath, 'rules');
} catch (e) {
  console.error(`bundle: ${(e as Error).message}`);
  process.exit(2);
}

/**
 * Installed by the Cloud Functions build from the artifact's package.json, never bundled (see above):
 * the framework serves the function; app.js requires the rasteriser through createRequire
 * (functions/report/png.ts), which esbuild does not see.
 */
const INSTALLED = ['@google-cloud/functions-framework', '@resvg/resvg-js'];
const WARM_SCRIPT = 'warm-compile-cache.js';
/** Required inside try/catch by a dependency that works without them (debug's colours): left out. */
const OPTIONAL = ['supports-color'];

rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outdir: dir,
  metafile: true,
  logLevel: 'warning',
  // The bundles are read as one-byte strings (compile-cache.ts): esbuild escapes non-ASCII characters
  // in strings; the rest are escaped below.
  charset: 'ascii',
};

/** In the app bundle, external-artifact.ts (the vendor bundle) answers requireExternal, not node_modules. */
const vendorExternals: Plugin = {
  name: 'vendor-externals',
  setup(b) {
    const external = resolve('functions/clients/external.js');
    b.onResolve({ filter: /\/external\.js$/ }, (args) =>
      resolve(args.resolveDir, args.path) === external
        ? { path: resolve('functions/clients/external-artifact.ts') }
        : undefined,
    );
  },
};

// app.js, index.js (the main module, which loads app.js) and the gcp-build warm-up.
const app = await build({
  ...common,
  entryPoints: {
    app: 'functions/artifact/app.ts',
    index: 'functions/artifact/main.ts',
    [WARM_SCRIPT.replace(/\.js$/, '')]: 'functions/artifact/warm.ts',
  },
  sourcemap: true,
  external: INSTALLED,
  plugins: [vendorExternals],
  // import.meta.url in a CommonJS bundle: the bundle's own file.
  define: { 'import.meta.url': '__rgImportMetaUrl' },
  banner: { js: "var __rgImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// The vendor bundles: each name requireExternal is asked for, resolved from where the repository resolves it.
const here = createRequire(join(process.cwd(), 'package.json'));
const vendors = await Promise.all(
  VENDOR_BUNDLES.map((bundle) => {
    const entry = [
      '// Generated by scripts/bundle.ts from functions/clients/external-names.ts.',
      'module.exports = {',
      ...Object.entries(EXTERNALS)
        .filter(([, m]) => m.bundle === bundle)
        .map(([name, m]) => `  ${name}: () => require(${JSON.stringify(resolveExternal(m, here))}),`),
      '};',
    ].join('\n');
    return build({
      ...common,
      stdin: { contents: entry, resolveDir: process.cwd(), sourcefile: `${bundle}-entry.js`, loader: 'js' },
      outfile: join(dir, bundle),
      outdir: undefined,
      external: INSTALLED,
      // Smaller source to read and hold: whitespace and syntax only, so stack traces keep their names.
      minifyWhitespace: true,
      minifySyntax: true,
    });
  }),
);

const outputs: Metafile['outputs'] = Object.assign({}, ...[app, ...vendors].map((r) => r.metafile?.outputs));
for (const [file] of Object.entries(outputs)) {
  if (!file.endsWith('.js')) continue;
  const text = readFileSync(file, 'utf8');
  // What esbuild leaves non-ASCII (comments, regular expression literals) is escaped as \uXXXX, which
  // means the same code unit in a string, a regular expression or an identifier.
  const ascii = text.replace(/[^\t\n\r\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (ascii !== text) writeFileSync(file, ascii);
  // A bundle compiled by vm.Script has no dynamic import(): every import() must have been bundled.
  // Two in vendor-google.js import node's crypto only where globalThis.crypto is missing, never on Node 20.
  for (const [, specifier] of ascii.matchAll(/\bimport\(\s*["'`]([^"'`]+)/g))
    if (!(isBuiltin(specifier!) && file.endsWith('vendor-google.js')))
      throw new Error(`bundle: ${file} still has import("${specifier}"), which fails under vm.Script`);
  // The vendor bundles' __dirname lookups: only those known to be unused by a client (see above).
  const bundle = VENDOR_BUNDLES.find((b) => file.endsWith(`/${b}`));
  const dirnames = ascii.match(/__dirname/g)?.length ?? 0;
  if (bundle && dirnames > (bundle === 'vendor-google.js' ? 4 : 0))
    throw new Error(`bundle: ${bundle} has ${dirnames} __dirname lookups, more than known: check them`);
}

// Every package the bundles leave to node_modules must be one the artifact installs.
for (const output of Object.values(outputs)) {
  for (const i of output.imports) {
    if (!i.external || i.path.startsWith('node:') || isBuiltin(i.path)) continue;
    const name = i.path.startsWith('@') ? i.path.split('/').slice(0, 2).join('/') : i.path.split('/')[0]!;
    if (!INSTALLED.includes(name) && !OPTIONAL.includes(name))
      throw new Error(`bundle: ${i.path} is external but not declared`);
  }
}
const rootPkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  version: string;
  engines?: Record<string, string>;
  dependencies: Record<string, string>;
};
// Declared at the repository's versions.
const dependencies = Object.fromEntries(
  [...INSTALLED].sort().map((name) => {
    const range = rootPkg.dependencies[name];
    if (!range) throw new Error(`bundle: ${name} is installed by the artifact but not a dependency in package.json`);
    return [name, range];
  }),
);
const pkg = {
  name: 'runguard-function',
  version: rootPkg.version,
  private: true,
  main: 'index.js',
  engines: rootPkg.engines,
  // Run by the Cloud Functions Node.js build after it installs the dependencies.
  scripts: { 'gcp-build': `node ${WARM_SCRIPT}` },
  dependencies,
};
writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify(lockfileFor(pkg, 'package-lock.json'), null, 2)}\n`);
cpSync('rules', join(dir, 'rules'), { recursive: true });
copyFileSync(configPath, join(dir, 'runguard.yaml'));
// The report's font, beside the bundles where functions/report/png.ts looks first: two files, not the
// whole font package with its 18 weights.
mkdirSync(join(dir, 'fonts'));
for (const [i, path] of fontFiles().entries()) copyFileSync(path, join(dir, 'fonts', FONT_FILES[i]!));
writeFileSync(join(dir, PREBUILT_FILE), `${JSON.stringify(prebuilt)}\n`);

const zip = join(out, 'function.zip');
if (existsSync(zip)) rmSync(zip);
// -X: no extra attributes; a fixed mtime keeps the zip (and so the object name) stable across identical builds.
execFileSync('find', [dir, '-exec', 'touch', '-h', '-d', '2000-01-01T00:00:00Z', '{}', '+']);
execFileSync('zip', ['-q', '-r', '-X', zip, '.'], { cwd: dir });
const files = countFiles(dir);
console.log(
  `wrote ${zip}: ${(readFileSync(zip).length / 1024).toFixed(0)} KiB, ` +
    `${files} files (${readFileSync(join(dir, 'index.js')).length} bytes index.js); ` +
    `installs ${Object.keys(dependencies).join(', ')}`,
);

function countFiles(path: string): number {
  return readdirSync(path, { withFileTypes: true }).reduce(
    (n, e) => n + (e.isDirectory() ? countFiles(join(path, e.name)) : 1),
    0,
  );
}
