/**
 * The serving process of a background `exhibit mount`: `exhibit mount`
 * (commands/mount.ts) starts it with the arguments of `exhibit mount
 * --foreground --ready-fd 3` and a pipe on descriptor 3, where it says once
 * whether the mount is ready. It serves as `exhibit mount --foreground` does,
 * but loads only what a mount needs, not every command, so the mount is
 * ready sooner.
 */
import { requestOf, serve } from './commands/mount.js';

process.exitCode = await serve(requestOf(process.argv.slice(2)), 3);
