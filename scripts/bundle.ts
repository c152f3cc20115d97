// Builds the Cloud Functions gen2 source zip that terraform/modules/runguard uploads (source_archive):
//   npm run bundle [-- --config examples/runguard.yaml] [--out build]
// -> build/function/{index.js, chunk-*.js, package.json, package-lock.json, runguard.yaml,
//    runguard.prebuilt.json, rules/, fonts/}
//    and build/function.zip.
//
// How it is built, and why:
// - Our code and the pure-JavaScript dependencies (CEL, yaml, zod, p-limit) are bundled by
//   esbuild as ESM, split into chunks so that an entry point loads only what its first event needs.
// - google-gax and every client built on it (@google-cloud/run, firestore, logging, resource-manager,
//   and @grpc/grpc-js), and the Slack Web API client, stay EXTERNAL: declared in the artifact's own
//   package.json and pinned by a package-lock.json cut from the repository's lockfile, so the Cloud
//   Functions build's `npm ci` installs exactly the versions the tests ran. The Google clients find
//   their .proto/.json descriptors next to their own files through __dirname and require(); inside
//   an ESM bundle __dirname does not exist (the ReferenceError that made the old bundle acknowledge
//   every Cloud Run event and do nothing), and a CommonJS bundle would still need every descriptor
//   copied where each package expects it. Installed as packages, they run as they do in the tests.
//   Bundling stays for our code, where it pays: one file read instead of ~150 module resolutions.
// - The Functions Framework stays external too (bundling it breaks its function registry).
// - The configuration and the rules are validated here, as the function would at start: a bad
//   configuration fails the build, not the first event. They ship validated too
//   (runguard.prebuilt.json): the function compiles the rules' CEL from it without loading the YAML
//   parser or zod, as long as the files are byte for byte those validated (functions/startup.ts).
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { lockfileFor } from './lockfile.js';
import { FONT_FILES, fontFiles } from '../functions/report/png.js';
import { REQUIRED_EXTERNALS } from '../functions/clients/external.js';
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

/** Loaded from node_modules at run time, never bundled (see above). */
const EXTERNAL = [
  '@google-cloud/functions-framework',
  '@google-cloud/run',
  '@google-cloud/firestore',
  '@google-cloud/logging',
  '@google-cloud/resource-manager',
  '@google-cloud/pubsub', // slackInteractions publishes Revert now requests
  '@grpc/grpc-js',
  'google-gax',
  // Bundled, its CommonJS modules reach each other before they are initialised (chat.postMessage
  // failed with "Cannot read properties of undefined (reading 'ERROR')"); installed, it works as tested.
  '@slack/web-api',
  // The weekly report's rasteriser: a native addon, installed with its platform's package (optional
  // dependencies, all from the npm registry), loaded only by the report.
  '@resvg/resvg-js',
];

rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const result = await build({
  entryPoints: { index: 'functions/index.ts' },
  outdir: dir,
  bundle: true,
  splitting: true,
  chunkNames: 'chunk-[hash]',
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  metafile: true,
  external: EXTERNAL,
  // CommonJS dependencies inside an ESM bundle still call require() (for node: built-ins only:
  // everything that needs its own files on disk is external).
  banner: {
    js:
      "import { createRequire as __rgCreateRequire } from 'node:module'; " +
      'const require = __rgCreateRequire(import.meta.url);',
  },
  logLevel: 'warning',
});

// Declare exactly the external packages the bundle imports, at the repository's versions.
const imported = new Set<string>();
for (const output of Object.values(result.metafile.outputs)) {
  for (const i of output.imports) {
    if (!i.external || i.path.startsWith('node:') || isBuiltin(i.path)) continue;
    const name = i.path.startsWith('@') ? i.path.split('/').slice(0, 2).join('/') : i.path.split('/')[0]!;
    if (EXTERNAL.includes(name)) imported.add(name);
    else throw new Error(`bundle: ${i.path} is external but not declared`);
  }
}
imported.add('@google-cloud/functions-framework'); // the build uses the declared one to serve the function
// Loaded with require() at run time (functions/clients/external.ts), where esbuild does not see them.
for (const name of REQUIRED_EXTERNALS) imported.add(name);
const rootPkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  version: string;
  engines?: Record<string, string>;
  dependencies: Record<string, string>;
};
const dependencies = Object.fromEntries(
  [...imported].sort().map((name) => {
    const range = rootPkg.dependencies[name];
    if (!range) throw new Error(`bundle: ${name} is imported but not a dependency in package.json`);
    return [name, range];
  }),
);
const pkg = {
  name: 'runguard-function',
  version: rootPkg.version,
  private: true,
  type: 'module',
  main: 'index.js',
  engines: rootPkg.engines,
  dependencies,
};
writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
writeFileSync(join(dir, 'package-lock.json'), `${JSON.stringify(lockfileFor(pkg, 'package-lock.json'), null, 2)}\n`);
cpSync('rules', join(dir, 'rules'), { recursive: true });
copyFileSync(configPath, join(dir, 'runguard.yaml'));
// The report's font, beside the chunks where functions/report/png.ts looks first: two files, not the
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
