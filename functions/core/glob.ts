// Globs in configuration: `*` matches within one path segment, `**` across segments, `?` one character.
// Compiled once at load, so matching on the hot path is a single RegExp test.

export type Glob = { source: string; test: (s: string) => boolean };

export function compileGlob(pattern: string): Glob {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  const regex = new RegExp(`^${re}$`);
  return { source: pattern, test: (s) => regex.test(s) };
}
