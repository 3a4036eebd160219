import { expect } from 'vitest';

/** Every error is one `exhibit: error:` line, then only hints (and `alsoAllowed` lines, such as a note that the image can be resumed). */
export function expectOneLineError(stderr: string, pattern: RegExp, alsoAllowed?: RegExp): void {
  const lines = stderr.trim().split('\n');
  expect(lines[0]).toMatch(/^exhibit: error: /);
  expect(lines[0]).toMatch(pattern);
  for (const l of lines.slice(1)) {
    if (alsoAllowed?.test(l)) continue;
    expect(l).toMatch(/^exhibit: hint: |^\(run with --help/);
  }
}
