import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseDocument } from 'yaml';
import { configSchema } from '../functions/config/schema.js';
import { validateConfigAndRules } from '../functions/config/validate.js';
import type { Prebuilt } from '../functions/startup.js';
import { sha256 } from '../functions/startup.js';

/**
 * runguard.prebuilt.json for a configuration file and a rules directory (functions/startup.ts):
 * what they are once validated, so that the function need not parse or validate them again.
 * Throws, listing every problem, when they are invalid.
 */
export function prebuiltFor(configPath: string, rulesDir: string): Prebuilt {
  const { config, rules, problems } = validateConfigAndRules(configPath, rulesDir);
  if (!config || problems.length > 0)
    throw new Error(`the configuration or the rules are invalid:\n  ${problems.join('\n  ')}`);
  const text = readFileSync(configPath);
  const names = readdirSync(rulesDir)
    .filter((n) => n.endsWith('.yaml'))
    .sort();
  const prebuilt: Prebuilt = {
    format: 1,
    config: { sha256: sha256(text), data: configSchema.parse(parseDocument(text.toString('utf8')).toJS() ?? {}) },
    rules: {
      files: Object.fromEntries(names.map((n) => [n, sha256(readFileSync(join(rulesDir, n)))])),
      specs: rules.map(
        ({
          conditionProgram: _c,
          messageProgram: _m,
          subjectsProgram: _s,
          appliesTo: _a,
          examples: _e,
          file,
          ...spec
        }) => ({
          ...spec,
          name: file.slice(file.lastIndexOf('/') + 1),
        }),
      ),
    },
  };
  // JSON must carry it exactly (a YAML date, say, would not survive): otherwise the function validates at start.
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(prebuilt)), prebuilt))
    throw new Error('the validated configuration or rules do not survive JSON');
  return prebuilt;
}
