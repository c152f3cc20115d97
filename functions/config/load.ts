import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { type Config, resolveConfig } from './resolve.js';
import { configSchema } from './schema.js';

// The configuration's YAML and schema. What the hot path reads of it (the Config type, projectMode,
// slackChannel) is in resolve.ts, which loads neither the YAML parser nor zod.
export type { BreakglassPolicy, CompiledExemption, Config, PeopleMap, SlackRouting } from './resolve.js';
export { projectMode, slackChannel } from './resolve.js';

export type ConfigResult = { config: Config; problems: [] } | { config: null; problems: string[] };

/** With no configuration file everything is `monitor`, nothing is exempt, nothing is dry-run. */
export function defaultConfig(): Config {
  return resolveConfig(configSchema.parse({}), '(defaults)');
}

/** Parses and validates a YAML configuration; every problem is listed at once, each naming its key. */
export function parseConfig(text: string, source: string): ConfigResult {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return { config: null, problems: doc.errors.map((e) => `${source}: ${e.message.split('\n')[0]}`) };
  }
  const result = configSchema.safeParse(doc.toJS() ?? {});
  if (!result.success)
    return { config: null, problems: result.error.issues.map((i) => `${source}: ${describeIssue(i)}`) };
  return { config: resolveConfig(result.data, source), problems: [] };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${path ? `${path}.` : ''}${k}: unknown key`).join('; ');
  }
  // A record key that fails its pattern: zod nests the pattern's own message.
  const inner = issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined;
  return `${path || '(top level)'}: ${inner ?? issue.message}`;
}

function formatPath(path: PropertyKey[]): string {
  return path.reduce<string>(
    (acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${String(seg)}` : String(seg)),
    '',
  );
}
