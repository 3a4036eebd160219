import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The URL of a worker script that sits beside the calling module. Compiled,
 * that is `./<name>.js` next to it. When the caller runs from its TypeScript
 * source (the unit tests do), the compiled twin under `dist/` is used
 * (`npm test` builds first).
 */
export function workerUrl(callerUrl: string, name: string): URL {
  const beside = new URL(`./${name}.js`, callerUrl);
  const file = fileURLToPath(beside);
  if (fs.existsSync(file)) return beside;
  let root = path.dirname(file);
  while (!fs.existsSync(path.join(root, 'package.json')) && path.dirname(root) !== root) root = path.dirname(root);
  return pathToFileURL(path.join(root, 'dist', path.relative(root, file)));
}
