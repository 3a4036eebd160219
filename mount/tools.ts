/**
 * Running the system's tools (mount, umount, losetup) without blocking: the
 * process that serves a mount must keep answering the kernel while a tool it
 * started reads through that mount (a loop device over `<dir>/p1`, a file
 * system mounted from it), or both would wait on each other forever.
 */
import { spawn } from 'node:child_process';

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

const SBIN = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** Run `cmd` with `args`; a tool that is not installed gives code 127 and says so on stderr. */
export function tool(cmd: string, args: string[], timeoutMs = 60_000): Promise<ToolResult> {
  return new Promise((resolve) => {
    const PATH = [process.env.PATH ?? '/usr/bin:/bin', ...SBIN].join(':');
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH, LC_ALL: 'C' }, timeout: timeoutMs });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (err) => resolve({ code: 127, stdout, stderr: `${cmd}: ${err.message}` }));
    child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** A tool's complaint in one line: its last line of error output, or its exit code. */
export function complaint(r: ToolResult): string {
  // The first line that says something: mount(8) and losetup give the reason in one line (then a pointer to
  // dmesg); ntfs-3g gives it first ("Failed to read last sector (88029): Invalid argument"), then hints.
  const lines = r.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !/^dmesg\(1\) may have more information/.test(l));
  return lines[0] ?? `exit ${r.code}`;
}
