/**
 * Orders the files project by project (vitest starts a new worker process when
 * the next file is of another project), the `e2e` project first, its longer
 * files first; within it the device files (one at a time, test/device-lock.ts)
 * alternate with the others: while one worker goes through the device files,
 * the other takes the rest, and a worker rarely waits on the device claim.
 * The short `unit` files come last and even out the two workers' ends.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { isDeviceFile } from './device-files.js';

export default class DevicesApartSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const e2e = sorted.filter((f) => f.project.name === 'e2e');
    const devices = e2e.filter((f) => isDeviceFile(f.moduleId, f.project.config.root));
    const others = e2e.filter((f) => !isDeviceFile(f.moduleId, f.project.config.root));
    const out: TestSpecification[] = [];
    while (devices.length || others.length) {
      const d = devices.shift();
      if (d) out.push(d);
      const o = others.shift();
      if (o) out.push(o);
    }
    return [...out, ...sorted.filter((f) => f.project.name !== 'e2e')];
  }
}
