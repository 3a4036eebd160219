/**
 * The PostgreSQL connections, in one worker thread per process (see pg-backend.ts): each store
 * opened sends a port of its own; the worker keeps one connection per port, runs the queries sent
 * on it one at a time, in order, posts each answer back and wakes the waiting thread. One worker
 * serves every store of the process (the command's, the job status's), so its start is paid once.
 */
import pg from 'pg';
import { parentPort, type MessagePort } from 'node:worker_threads';

pg.types.setTypeParser(20, (v: string) => Number(v)); // BIGINT: sizes and counts, all below 2^53

interface Request { sql: string; params: unknown[] }
interface Connect { url: string; flag: SharedArrayBuffer; port: MessagePort }

function serve({ url, flag, port }: Connect): void {
  const wake = new Int32Array(flag);
  const client = new pg.Client({ connectionString: url, application_name: 'exhibit' });
  const connected = client.connect();
  connected.catch(() => undefined); // reported to the first query, below
  let broken: { message: string; code: string } | undefined;
  // The server going away mid-session is an error event, not a rejected query: answer every later query with it.
  client.on('error', (err: Error & { code?: string }) => void (broken ??= { message: err.message, code: err.code ?? '' }));

  const answer = (reply: object): void => {
    port.postMessage(reply);
    Atomics.store(wake, 0, 1);
    Atomics.notify(wake, 0);
  };

  let queue: Promise<void> = Promise.resolve();
  port.on('message', (req: Request | 'close') => {
    queue = queue.then(async () => {
      if (req === 'close') {
        await client.end().catch(() => undefined);
        answer({ rows: [] });
        port.close();
        return;
      }
      if (broken) return answer({ error: broken });
      try {
        await connected;
        const r = await client.query({ text: req.sql, values: req.params });
        answer({ rows: r.rows });
      } catch (err) {
        const e = err as { message?: string; code?: string };
        answer({ error: { message: e.message ?? String(err), code: e.code ?? '' } });
      }
    });
  });
}

parentPort!.on('message', (msg: Connect) => serve(msg));
