/**
 * exhibit clone through the real command: file to new file, loop device to
 * loop device with the read-only proof, both ends hashed and equal, the
 * record written; refusals (no --yes, the source's own disk, an existing
 * record); unreadable source sectors filled and listed.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { exhibitAsync, fileDigest, makeSourceFile, openDescriptorsOn, run as inProcess, type RunResult, tempDir } from './helpers/cli.js';
import { expectOneLineError } from './helpers/expect.js';
import { attachLoop, detachAll, loopUnavailable } from './helpers/loop.js';
import { detachAllFaulty, faultyDeviceUnavailable, makeFaultyDevice } from './helpers/faulty-device.js';

const work = tempDir('exhibit-clone-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true })); // registered first, so it runs after every other teardown
const run = (args: string[]): RunResult => inProcess(args);
const json = (r: RunResult): any => JSON.parse(r.stdout);

describe('a file into a new file', () => {
  it('copies every byte, hashes both ends, and writes the record', () => {
    const src = path.join(work, 'src.bin');
    makeSourceFile(src, 2 * 1024 * 1024 + 512 * 7, 71);
    const dst = path.join(work, 'dst.bin');
    const rec = path.join(work, 'file.clone.yaml');
    const r = run(['clone', src, dst, '--record', rec, '-x', 'C. Examiner', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = json(r);
    expect(j.problems).toEqual([]);
    expect(j.sourceHashes).toEqual(j.targetHashes);
    expect(j.sourceHashes.sha256).toBe(fileDigest('sha256', src));
    expect(fs.readFileSync(dst).equals(fs.readFileSync(src))).toBe(true);
    const record = YAML.parse(fs.readFileSync(rec, 'utf8'));
    expect(record).toMatchObject({ record: 'exhibit clone', result: 'complete', examiner: 'C. Examiner', read_only: { unchanged: true }, read_errors: { unreadable_sectors: 0 } });
    const again = run(['clone', src, path.join(work, 'dst2.bin'), '--record', rec, '-x', 'C. Examiner']);
    expect(again.code).toBe(1);
    expectOneLineError(again.stderr, /exists; exhibit never overwrites a record/);
    expect(fs.existsSync(path.join(work, 'dst2.bin'))).toBe(false);
    // A .partial an earlier run left is refused before anything is recorded, and left as it is.
    fs.writeFileSync(path.join(work, 'dst3.bin.partial'), 'an earlier run');
    const left = run(['clone', src, path.join(work, 'dst3.bin'), '--record', path.join(work, 'left.clone.yaml'), '-x', 'C. Examiner']);
    expect(left.code).toBe(1);
    expectOneLineError(left.stderr, /dst3\.bin\.partial exists: an earlier run stopped while writing it; exhibit leaves it as it is/);
    expect(fs.existsSync(path.join(work, 'left.clone.yaml')), 'no record of a run that wrote nothing').toBe(false);
    expect(fs.readFileSync(path.join(work, 'dst3.bin.partial'), 'utf8')).toBe('an earlier run');
  });

  it('killed outright mid-copy, it leaves the .partial file and a record that says incomplete', async () => {
    const src = path.join(work, 'big.bin');
    makeSourceFile(src, 96 * 1024 * 1024, 74);
    const dst = path.join(work, 'killed.bin');
    const rec = path.join(work, 'killed.clone.yaml');
    const child = exhibitAsync(['clone', src, dst, '--record', rec, '-x', 'C. Examiner']);
    const closed = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
    // Killed by progress: once the copy has begun (the .partial holds bytes), long before it ends.
    for (let i = 0; i < 2000 && !((fs.statSync(`${dst}.partial`, { throwIfNoEntry: false })?.size ?? 0) > 0); i++) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    expect(await closed).toBe('SIGKILL');
    expect(fs.existsSync(dst)).toBe(false);
    expect(fs.existsSync(`${dst}.partial`)).toBe(true);
    expect(YAML.parse(fs.readFileSync(rec, 'utf8'))).toMatchObject({ record: 'exhibit clone', result: 'incomplete', incomplete_reason: 'the clone did not finish: the run ended before it could record how far it got' });
  });
});

const noLoop = loopUnavailable();
describe.skipIf(noLoop !== undefined)(`loop device to loop device${noLoop ? ` (skipped: ${noLoop})` : ''}`, () => {
  afterEach(() => detachAll());

  it('needs --yes, refuses the source disk itself, then clones with the proof and equal hashes', () => {
    const a = path.join(work, 'a.img');
    const b = path.join(work, 'b.img');
    makeSourceFile(a, 4 * 1024 * 1024, 72);
    fs.writeFileSync(b, Buffer.alloc(6 * 1024 * 1024, 0x55));
    const src = attachLoop(a);
    const dst = attachLoop(b);
    const no = run(['clone', src, dst, '--record', path.join(work, 'loop1.yaml'), '-x', 'C. Examiner']);
    expect(no.code).toBe(2);
    expectOneLineError(no.stderr, new RegExp(`cloning would overwrite ${dst}: 6\\.00 MiB`));
    const self = run(['clone', src, src, '--record', path.join(work, 'loop2.yaml'), '-x', 'C. Examiner', '--yes']);
    expect(self.code).toBe(2);
    expectOneLineError(self.stderr, /is on the source disk .*: exhibit never writes to evidence/);
    const ok = run(['clone', src, dst, '--record', path.join(work, 'loop3.yaml'), '-x', 'C. Examiner', '--yes', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    const j = json(ok);
    expect(j.sourceHashes).toEqual(j.targetHashes);
    expect(j.readOnly).toMatchObject({ unchanged: true, ro_flag_set_by_exhibit: true });
    // The 2 MiB of the larger target past the clone hold its old data: said, and recorded.
    expect(j.excessBytes).toBe(2 * 1024 * 1024);
    expect(fs.readFileSync(path.join(work, 'loop3.yaml'), 'utf8')).toMatch(/beyond_the_clone: "?2097152 bytes past the clone's end left as they were: the target's old data/);
    detachAll();
    expect(fs.readFileSync(b).subarray(0, 4 * 1024 * 1024).equals(fs.readFileSync(a))).toBe(true);
    expect(fs.readFileSync(b).subarray(4 * 1024 * 1024).every((x) => x === 0x55)).toBe(true);
  });
});

const noFaulty = faultyDeviceUnavailable();
describe.skipIf(noFaulty !== undefined)(`a drive with unreadable sectors${noFaulty ? ` (skipped: ${noFaulty})` : ''}`, () => {
  afterAll(async () => detachAllFaulty());
  it('fills them on the target as acquire would, lists them in the record, and exits 3 with both ends equal', async () => {
    const base = path.join(work, 'faulty-base.img');
    makeSourceFile(base, 8 * 1024 * 1024, 73);
    const bad = [{ first: 100, count: 1 }, { first: 9000, count: 16 }];
    const dev = await makeFaultyDevice({ baseFile: base, badSectors: bad, workDir: work });
    const dst = path.join(work, 'from-faulty.bin');
    const rec = path.join(work, 'faulty.clone.yaml');
    const r = run(['clone', dev.device, dst, '--record', rec, '-x', 'C. Examiner', '--fill', 'pattern:deadbeef', '--retries', '0', '--json']);
    const held = openDescriptorsOn(dev.device);
    await dev.teardown();
    expect(held, 'clone closed every handle it opened on the drive').toEqual([]);
    expect(r.code, r.stderr).toBe(3);
    const j = json(r);
    expect(j.sourceHashes).toEqual(j.targetHashes);
    expect(j.unreadable).toEqual(bad.map((b) => ({ first_sector: b.first, sectors: b.count, error: 'EIO' })));
    const want = fs.readFileSync(base);
    const pattern = Buffer.alloc(512);
    for (let i = 0; i < 512; i++) pattern[i] = [0xde, 0xad, 0xbe, 0xef][i % 4]!;
    for (const b of bad) for (let s = b.first; s < b.first + b.count; s++) pattern.copy(want, s * 512);
    expect(fs.readFileSync(dst).equals(want)).toBe(true);
    const record = YAML.parse(fs.readFileSync(rec, 'utf8'));
    expect(record.read_errors).toMatchObject({ unreadable_sectors: 17, fill: 'pattern:deadbeef' });
  });
});
