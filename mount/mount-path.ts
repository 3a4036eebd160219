import fs from 'node:fs';
import path from 'node:path';

/** `dir` as mountinfo spells it: absolute, its parent's symbolic links resolved (the folder itself may not answer stat: a mount whose server died). */
export function mountPath(dir: string): string {
  const abs = path.resolve(dir);
  try {
    return path.join(fs.realpathSync(path.dirname(abs)), path.basename(abs));
  } catch {
    return abs;
  }
}
