// Fails when a source line is wider than the formatter's 120 columns. Biome wraps code but leaves
// long strings and comments alone; this catches those.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX = 120;
const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '*.ts', '*.js', '*.mjs', '*.cjs'], {
  encoding: 'utf8',
})
  .split('\n')
  .filter((f) => f && !f.startsWith('dist/') && !f.startsWith('build/'));
const wide = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue; // listed by git but deleted in the work tree
  }
  text.split('\n').forEach((line, i) => {
    const width = [...line].length;
    if (width > MAX) wide.push(`${file}:${i + 1}: ${width} columns`);
  });
}
if (wide.length > 0) {
  console.error(`${wide.length} line(s) wider than ${MAX} columns:\n${wide.join('\n')}`);
  process.exit(1);
}
console.log(`line width: ${files.length} files, every line ≤ ${MAX} columns`);
