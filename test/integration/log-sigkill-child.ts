// Child process of log-sigkill.test.ts: appends records to the log with fsync
// acknowledgements (several appends in flight, so group commit is exercised) and prints
// `ack <id> <offset>` for each one only after its append resolved. The parent kills it
// with SIGKILL at a random moment. Usage: log-sigkill-child.ts <dataDir> <firstId> <seed>
import { Log } from '../../src/log/log.js';

const [dataDir, firstIdArg, seedArg] = process.argv.slice(2);
let id = Number(firstIdArg);
let seed = Number(seedArg) >>> 0 || 1;
function rand(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 2 ** 32;
}

const log = await Log.open({ dataDir: dataDir!, flush: { mode: 'every-append' } });
if (!log.hasTopic('events')) await log.createTopic('events', 1, { segmentBytes: 16 * 1024 });
const p = log.partition('events', 0);
process.stdout.write('ready\n');

async function writer(): Promise<void> {
  for (;;) {
    const n = 1 + Math.floor(rand() * 3);
    const records = Array.from({ length: n }, () => {
      const mine = id++;
      return { key: Buffer.from(`id-${mine}`), value: Buffer.alloc(20 + Math.floor(rand() * 400), mine % 251) };
    });
    const r = await p.appendRecords(records, { sync: true });
    let line = '';
    records.forEach((rec, i) => (line += `ack ${rec.key.toString().slice(3)} ${r.baseOffset + i}\n`));
    process.stdout.write(line);
  }
}

await Promise.all([writer(), writer(), writer(), writer()]);
