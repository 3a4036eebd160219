/**
 * `npm run demo`: build a sample evidence disk, image it with exhibit four times
 * (one raw file, 8 MiB split-raw segments, an E01 and a seekable zstd file), check that the hashes in
 * each acquisition record match the ones computed while the disk was built, record a custody transfer,
 * check the signed custody log that travels with the image, verify the E01, and print the custody report.
 * Everything goes into demo-output/ in the project folder, made afresh each run; the demo's case store
 * and keys are in demo-output/home (EXHIBIT_HOME), apart from any real ones.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { formatBytes } from '../core/units.js';
import { buildSampleDisk, type SampleDisk } from './fixtures/sample-disk.js';
import { CASE, continueCommands, evidenceRel, homeRel, outRel } from './demo-commands.js';

const root = fileURLToPath(new URL('../../', import.meta.url)); // dist/test/demo.js -> project root
const outDir = path.join(root, outRel);
const diskRel = path.join(outRel, 'sample-disk.img');
const ALGORITHMS = ['md5', 'sha1', 'sha256'] as const;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

class DemoFailure extends Error {}

/** Run `node bin/exhibit.js <args>` from the project folder, its output shown as is. */
function exhibit(args: string[]): Promise<void> {
  say(`\n$ exhibit ${args.map((a) => (/[\s"]/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, EXHIBIT_HOME: path.join(root, homeRel) };
    delete env.EXHIBIT_PASSPHRASE;
    const child = spawn(process.execPath, [path.join(root, 'bin', 'exhibit.js'), ...args], { cwd: root, stdio: 'inherit', env });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new DemoFailure(`exhibit ${args[0]} ${signal ? `was stopped by ${signal}` : `exited with code ${code}`}`));
    });
  });
}

interface RecordFacts {
  result?: unknown;
  image?: { files?: { name?: unknown }[] };
  media?: { hashes?: Record<string, unknown> };
}

/** Compare one acquisition record's media hashes with the sample disk's; return what differs. */
async function checkRecord(evidence: string, disk: SampleDisk): Promise<{ problems: string[]; files: string[]; record: string }> {
  const record = path.join(evidenceRel, `${evidence}.acquisition.yaml`);
  const parsed = YAML.parse(await fsp.readFile(path.join(root, record), 'utf8')) as RecordFacts | null;
  const problems: string[] = [];
  if (parsed?.result !== 'complete') problems.push(`${record} says the acquisition is ${String(parsed?.result ?? 'missing a result')}`);
  for (const a of ALGORITHMS) {
    const got = parsed?.media?.hashes?.[a];
    if (got !== disk[a]) problems.push(`${record}: ${a} is ${String(got ?? 'missing')}, the sample disk's is ${disk[a]}`);
  }
  const files = (parsed?.image?.files ?? []).map((f) => path.join(evidenceRel, String(f.name)));
  return { problems, files, record };
}

async function main(): Promise<number> {
  // Refuse to delete anything unless this really is the exhibit project folder.
  const pkg = JSON.parse(await fsp.readFile(path.join(root, 'package.json'), 'utf8')) as { name?: string };
  if (pkg.name !== 'exhibit' || !fs.existsSync(path.join(root, 'bin', 'exhibit.js'))) {
    throw new DemoFailure(`${root} does not look like the exhibit project folder`);
  }
  await fsp.rm(outDir, { recursive: true, force: true });
  await fsp.mkdir(outDir);

  const disk = await buildSampleDisk(path.join(root, diskRel));
  say(
    `sample disk ${diskRel}: ${formatBytes(disk.size)} (${disk.size} bytes), an MBR partition table with a Linux (0x83) ` +
      'and an NTFS/exFAT (0x07) partition holding case notes marked EXHIBIT-SAMPLE, runs of zeros and pseudo-random data',
  );

  const acquire = (evidence: string, ...extra: string[]) =>
    exhibit(['acquire', diskRel, '--out', evidenceRel, '--case', CASE, '--evidence', evidence, '--examiner', 'Demo Examiner',
      '--description', 'Sample evidence disk built by the demo', ...extra]);
  await acquire('EV-001');
  await acquire('EV-001-split', '--format', 'split-raw', '--segment-size', '8MiB');
  await acquire('EV-001-e01', '--format', 'e01', '--hash', 'md5,sha1,sha256');
  await acquire('EV-001-zst', '--format', 'zst');

  say(`\n(the demo's case store and keys are in ${homeRel}; a real run uses ~/.local/share/exhibit, or $EXHIBIT_HOME)`);
  await exhibit(['custody', 'transfer', CASE, 'EV-001', '--from', 'Demo Examiner', '--to', 'Demo Analyst', '--purpose', 'analysis of a working copy', '--location', 'Lab 2']);
  await exhibit(['custody', 'export', CASE, evidenceRel, '--evidence', 'EV-001']);
  await exhibit(['custody', 'verify', path.join(evidenceRel, 'EV-001.custody.jsonl')]);
  await exhibit(['verify', path.join(evidenceRel, 'EV-001-e01.E01'), '-x', 'Demo Examiner']);
  // The organisation a report names is set once, in config.yaml; without it exhibit warns that the template's example is printed.
  const config = path.join(homeRel, 'config.yaml');
  await fsp.writeFile(path.join(root, config), 'report:\n  organisation:\n    name: "exhibit demo laboratory"\n    address: ["made by npm run demo", "not a real organisation"]\n');
  say(`\n(the report's organisation comes from ${config}; set yours once in ~/.config/exhibit/config.yaml, see the README)`);
  await exhibit(['report', CASE, '--out', path.join(outRel, `${CASE}-custody.pdf`), '-x', 'Demo Examiner']);

  const ids = ['EV-001', 'EV-001-split', 'EV-001-e01', 'EV-001-zst'];
  const results = [];
  for (const id of ids) results.push(await checkRecord(id, disk));
  const problems = results.flatMap((r) => r.problems);
  say('');
  if (problems.length > 0) {
    for (const p of problems) say(`demo failed: ${p}`);
    return 1;
  }
  say('demo finished:');
  for (const r of results) {
    say(`  ${r.files.length === 1 ? 'image ' : 'images'}  ${r.files.join(', ')}`);
    say(`  record  ${r.record}`);
  }
  say(`  md5, sha1 and sha256 in every record: hashes match the sample disk (sha256 ${disk.sha256})`);
  say(`  custody ${path.join(evidenceRel, 'EV-001.custody.jsonl')}: every entry signed, chained and checked; see SECURITY.md to check it with sha256sum and openssl alone`);
  say(`  report  ${path.join(outRel, `${CASE}-custody.pdf`)}: the custody report for the court, with the log and records attached`);
  say('');
  say(`Go on from here, in this folder (with exhibit on the PATH: npm link, see the README); the demo's case store is ${homeRel}:`);
  for (const line of continueCommands()) say(`  ${line}`);
  return 0;
}


main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    say(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
