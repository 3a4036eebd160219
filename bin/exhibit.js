#!/usr/bin/env node
// The exhibit command. All logic lives in cli/ (compiled to dist/cli/).
let main;
try {
  ({ main } = await import('../dist/cli/main.js'));
} catch (err) {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/cli/main.js')) {
    process.stderr.write('exhibit: error: exhibit is not built yet\nexhibit: hint: run npm ci (or npm run build) in the exhibit folder\n');
    process.exit(1);
  }
  throw err;
}
// A reader that stops early (exhibit --help | head -1) closes the pipe: what exhibit would still print
// goes nowhere, quietly, and the command finishes what it was doing (an acquisition is not cut short).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED')) stream.write = () => true;
    else throw err;
  });
}
process.exitCode = await main(process.argv);
