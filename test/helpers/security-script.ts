/** The shell check of a custody log that SECURITY.md gives, exactly as it stands there. */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './cli.js';

export function securityScript(): string {
  const md = fs.readFileSync(path.join(ROOT, 'SECURITY.md'), 'utf8');
  const m = /<!-- custody-check: begin -->\n```sh\n([\s\S]*?)```\n<!-- custody-check: end -->/.exec(md);
  if (!m) throw new Error('SECURITY.md has no custody-check script');
  return m[1]!;
}

/** SECURITY.md's shell check of the pieces file, exactly as it stands there. */
export function piecesScript(): string {
  const md = fs.readFileSync(path.join(ROOT, 'SECURITY.md'), 'utf8');
  const m = /<!-- pieces-check: begin -->\n```sh\n([\s\S]*?)```\n<!-- pieces-check: end -->/.exec(md);
  if (!m) throw new Error('SECURITY.md has no pieces-check script');
  return m[1]!;
}
