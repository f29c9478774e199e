// The recovery-point file of a partition: "everything before (segment, position) = offset
// is durable and consistent, and this was the producer state there". Written atomically on
// clean close and on flushes that leave nothing in flight; recovery validates only past it.
// May import: ./fs/*, ./producer-state.js.
import type { FileSystem } from './fs/file-system.js';
import { writeFileAtomic } from './fs/atomic-write.js';
import type { ProducerStateSnapshot } from './producer-state.js';

export const RECOVERY_POINT_FILE = 'recovery-point.json';

export interface RecoveryPoint {
  version: 1;
  offset: number;
  segmentBase: number;
  position: number;
  logStartOffset: number;
  producers: ProducerStateSnapshot;
}

export async function readRecoveryPoint(fs: FileSystem, dir: string): Promise<RecoveryPoint | undefined> {
  const buf = await fs.readFile(`${dir}/${RECOVERY_POINT_FILE}`);
  if (!buf) return undefined;
  try {
    const rp = JSON.parse(buf.toString('utf8')) as RecoveryPoint;
    if (rp.version !== 1 || !Number.isSafeInteger(rp.offset) || !Number.isSafeInteger(rp.position) || !rp.producers) return undefined;
    return rp;
  } catch {
    return undefined; // unreadable: recover by a full scan instead
  }
}

export async function writeRecoveryPoint(fs: FileSystem, dir: string, rp: RecoveryPoint): Promise<void> {
  await writeFileAtomic(fs, `${dir}/${RECOVERY_POINT_FILE}`, Buffer.from(JSON.stringify(rp)));
}

export async function deleteRecoveryPoint(fs: FileSystem, dir: string): Promise<void> {
  await fs.unlink(`${dir}/${RECOVERY_POINT_FILE}`);
  await fs.syncDir(dir);
}
