import { readFileSync } from 'node:fs';
import { type ConfigResult, defaultConfig, parseConfig } from './load.js';

/** Reads the configuration file; no path means the defaults (everything monitored). */
export function loadConfigFile(path: string | undefined): ConfigResult {
  if (!path) return { config: defaultConfig(), problems: [] };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return {
      config: null,
      problems: [`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`],
    };
  }
  return parseConfig(text, path);
}
