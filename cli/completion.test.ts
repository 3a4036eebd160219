import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { completionScript } from './completion.js';
import { buildProgram } from './main.js';

const have = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** What the bash script completes for the words of `line` (the last one being completed; '' after a space). */
function bashCompletes(line: string): string[] {
  const words = line.split(' ');
  const script = completionScript(buildProgram('0.0.0'), 'bash');
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `${script}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _exhibit; printf '%s\\n' "\${COMPREPLY[@]}"; complete -p exhibit >&2`], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toContain('complete -o default -F _exhibit exhibit');
  return r.stdout.split('\n').filter(Boolean);
}

describe.skipIf(!have('bash'))('exhibit completion bash', () => {
  it('completes the commands, from the command tree', () => {
    const program = buildProgram('0.0.0');
    expect(bashCompletes('exhibit ')).toEqual(program.commands.map((c) => c.name()));
    expect(bashCompletes('exhibit cu')).toEqual(['custody']);
    expect(bashCompletes('exhibit c')).toEqual(['convert', 'clone', 'case', 'custody', 'completion']);
    expect(bashCompletes('exhibit custody ')).toEqual(['transfer', 'log', 'verify', 'export']);
  });
  it("completes a command's options, and an option's choices", () => {
    expect(bashCompletes('exhibit acquire --fo')).toEqual(['--format']);
    expect(bashCompletes('exhibit acquire --format ')).toEqual(['raw', 'split-raw', 'e01', 'zst']);
    expect(bashCompletes('exhibit acquire -f e')).toEqual(['e01']);
    expect(bashCompletes('exhibit convert x.E01 --compression ')).toEqual(['none', 'empty-block', 'fast', 'best']);
    expect(bashCompletes('exhibit custody transfer 17 EV-1 --')).toEqual(['--from', '--to', '--purpose', '--location', '--passphrase-file', '--to-passphrase-file', '--no-countersign', '--json', '--help']);
  });
  it('skips option values when it finds the command, and leaves file names to bash', () => {
    // "custody" here is the folder given to --out, not the command
    expect(bashCompletes('exhibit acquire -o custody --ca')).toEqual(['--case']);
    expect(bashCompletes('exhibit acquire -o custody ')).toEqual([]);
    expect(bashCompletes('exhibit acquire --out ')).toEqual([]);
    expect(bashCompletes('exhibit --version')).toEqual(['--version']);
  });
});

describe('exhibit completion zsh', () => {
  const script = completionScript(buildProgram('0.0.0'), 'zsh');
  it('holds every command and option, with their descriptions', () => {
    expect(script.startsWith('#compdef exhibit\n')).toBe(true);
    expect(script).toContain("'custody') printf '%s\\n' 'transfer log verify export' ;;");
    expect(script).toContain('acquire:image a drive or file, read-only, with in-stream hashes');
    expect(script).toMatch(/'acquire -f'\|'acquire --format'\) printf '%s\\n' 'raw split-raw e01 zst' ;;/);
    expect(script).toContain('compdef _exhibit exhibit');
  });
  it.skipIf(!have('zsh'))('is a script zsh can read (skipped: zsh is not installed; apt-get install zsh)', () => {
    const r = spawnSync('zsh', ['-n', '-c', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});
