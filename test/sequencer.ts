/**
 * Orders the files so the device files (one at a time, test/device-lock.ts)
 * alternate with the others: while one worker goes through the device files,
 * the other takes the rest, and a worker rarely waits on the device claim.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export default class DevicesApartSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const devices = sorted.filter((f) => f.project.name === 'e2e-devices');
    const others = sorted.filter((f) => f.project.name !== 'e2e-devices');
    const out: TestSpecification[] = [];
    while (devices.length || others.length) {
      const d = devices.shift();
      if (d) out.push(d);
      const o = others.shift();
      if (o) out.push(o);
    }
    return out;
  }
}
