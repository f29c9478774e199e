// Child process of log-lock.test.ts: opens the log in <dataDir>, prints `ready <pid>`, and
// holds it until SIGTERM (then closes cleanly, releasing the lock) or SIGKILL (lock left behind).
// The SIGTERM handler is installed before `ready` is printed: the parent signals as soon as it
// reads `ready`, and a SIGTERM that arrived before the handler would kill the process at once.
import { Log } from '../../src/log/log.js';

const log = await Log.open({ dataDir: process.argv[2]! });
const keepAlive = setInterval(() => undefined, 60_000);
process.once('SIGTERM', () => {
  clearInterval(keepAlive);
  void log.close().then(() => process.stdout.write('closed\n'));
});
process.stdout.write(`ready ${process.pid}\n`);
