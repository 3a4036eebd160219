/** The shape every command action takes: run, print errors the one way, leave the exit code on the command. */
import type { Command } from 'commander';
import { EXIT } from './exit-codes.js';
import { reportError } from './messages.js';
import { io } from './io.js';
import { jsonText } from '../core/text.js';

export function action<F extends { json?: boolean }>(cmd: Command, run: (args: string[], flags: F) => Promise<number | void> | number | void): Command {
  return cmd.action(async (...all: unknown[]) => {
    const self = all[all.length - 1] as Command;
    const flags = all[all.length - 2] as F;
    const args = all.slice(0, -2) as string[];
    let code: number;
    try {
      code = (await run(args, flags)) ?? EXIT.OK;
    } catch (err) {
      code = reportError(err, flags.json === true);
    }
    self.setOptionValue('exitCode', code);
  });
}

/** The exit code left by whichever command ran, nested ones included. */
export function exitCodeOf(cmd: Command): number | undefined {
  const own = cmd.getOptionValue('exitCode') as number | undefined;
  if (own !== undefined) return own;
  for (const sub of cmd.commands) {
    const code = exitCodeOf(sub);
    if (code !== undefined) return code;
  }
  return undefined;
}

export function printJson(value: unknown): void {
  io().stdout.write(`${jsonText(value)}\n`);
}
