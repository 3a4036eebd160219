/**
 * One process that runs several exhibit command lines in turn, for
 * `exhibitMeasuredBatch()` (test/helpers/rss.ts): the same compiled main() that
 * bin/exhibit.js calls, each command with its output captured, so a group of
 * commands whose memory is bounded pays one Node start, and the process's peak
 * memory bounds every command in it. Compiled to dist/test/helpers/ and run
 * from there: `node batch-runner.js <commands.json> <results.json>`.
 */
import fs from 'node:fs';
import { main } from '../../cli/main.js';

export interface BatchResult {
  code: number;
  stdout: string;
  stderr: string;
}

const [, script, commandsFile, resultsFile] = process.argv;
const commands = JSON.parse(fs.readFileSync(commandsFile!, 'utf8')) as string[][];
const results: BatchResult[] = [];
for (const args of commands) {
  const out = { stdout: '', stderr: '' };
  const stream = (key: 'stdout' | 'stderr') => ({
    isTTY: false,
    write: (text: string | Uint8Array): boolean => {
      out[key] += typeof text === 'string' ? text : Buffer.from(text).toString('utf8');
      return true;
    },
  });
  let code: number;
  try {
    code = await main([process.execPath, script!, ...args], { stdout: stream('stdout'), stderr: stream('stderr'), env: process.env });
  } catch (err) {
    // What escapes main would end the exhibit process with its stack and exit 1.
    code = 1;
    out.stderr += `${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`;
  }
  results.push({ code, ...out });
}
fs.writeFileSync(resultsFile!, JSON.stringify(results));
process.exit(0); // exhibit's worker threads of the last command must not keep the process
