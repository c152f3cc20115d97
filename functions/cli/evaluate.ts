import { readFileSync } from 'node:fs';
import { evaluateEntry } from '../enforcement/pipeline.js';
import { decodeInput } from '../events/decode.js';
import { type InputResult, toJson, toTable } from './format.js';
import type { CommonOptions, Io } from './io.js';
import { loadSetup } from './setup.js';

export function runEvaluate(files: string[], opts: CommonOptions, io: Io): number {
  if (files.length === 0) {
    io.stderr('runguard evaluate: name a FILE, or - for stdin\n');
    return 2;
  }
  const setup = loadSetup(opts, io);
  if (!setup) return 2;
  const { config, rules } = setup;

  const now = io.now();
  const inputs: InputResult[] = [];
  let unreadable = false;
  for (const file of files) {
    const name = file === '-' ? 'stdin' : file;
    const text = readInput(file, io);
    if (typeof text !== 'string') {
      io.stderr(`runguard: ${name}: ${text.error}\n`);
      unreadable = true;
      continue;
    }
    const decoded = decodeInput(text);
    if (decoded.length === 0) {
      io.stderr(`runguard: ${name}: no entries (empty input)\n`);
      unreadable = true;
      continue;
    }
    const results = decoded.map((d) => evaluateEntry(d, { rules, config, now }));
    for (const r of results) {
      if (r.error !== undefined)
        io.stderr(`runguard: ${name}: entry ${r.index}${r.insertId ? ` (${r.insertId})` : ''}: ${r.error}\n`);
    }
    inputs.push({ input: name, results });
  }
  if (inputs.length > 0) io.stdout(opts.json ? `${JSON.stringify(toJson(inputs), null, 2)}\n` : toTable(inputs));
  return unreadable ? 2 : 0;
}

function readInput(file: string, io: Io): string | { error: string } {
  try {
    return file === '-' ? io.readStdin() : readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { error: err.code === 'ENOENT' ? 'no such file' : `cannot read (${err.code ?? err.message})` };
  }
}
