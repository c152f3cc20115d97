import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Hcl = Record<string, any>;

/** Every .tf file of a module, parsed and merged block type by block type (hcl2json keeps blocks as arrays). */
export async function parseModule(dir: string): Promise<Hcl> {
  const merged: Hcl = {};
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.tf')).sort()) {
    const doc = (await parse(file, readFileSync(join(dir, file), 'utf8'))) as Hcl;
    for (const [kind, body] of Object.entries(doc)) {
      if (Array.isArray(body)) merged[kind] = [...(merged[kind] ?? []), ...body];
      else if (kind === 'resource' || kind === 'data') {
        merged[kind] ??= {};
        for (const [type, byName] of Object.entries(body as Hcl)) merged[kind][type] = { ...(merged[kind][type] ?? {}), ...byName };
      } else merged[kind] = { ...(merged[kind] ?? {}), ...(body as Hcl) };
    }
  }
  return merged;
}
