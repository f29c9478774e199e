// Checkpoints on disk: one file per checkpoint, `chk-<id>.ckpt` (savepoints `sp-<id>.ckpt`),
// msgpack-encoded with a CRC, written atomically (temp file, fsync, rename, fsync dir) so a
// crash leaves either the previous set or the new checkpoint, never a torn one. The latest
// complete checkpoint is the highest id that reads back with a valid CRC; the last N are kept.
// May import: log/fs (FileSystem, atomic write), codec/crc32c, errors.
import { pack, unpack } from 'msgpackr';
import { join } from 'node:path';
import type { FileSystem } from '../../log/fs/file-system.js';
import { NodeFileSystem } from '../../log/fs/node-file-system.js';
import { writeFileAtomic } from '../../log/fs/atomic-write.js';
import { crc32c } from '../../codec/crc32c.js';
import { SluiceError } from '../../errors.js';
import type { CheckpointData } from './checkpoint-data.js';
import { CHECKPOINT_FORMAT_VERSION } from './checkpoint-data.js';

const MAGIC = Buffer.from('SLCK');
const NAME = /^(chk|sp)-(\d+)\.ckpt$/;

export function encodeCheckpoint(data: CheckpointData): Buffer {
  const body = pack(data);
  const head = Buffer.alloc(8);
  MAGIC.copy(head, 0);
  head.writeUInt32BE(crc32c(body), 4);
  return Buffer.concat([head, body]);
}

export function decodeCheckpoint(buf: Buffer, path: string): CheckpointData {
  if (buf.length < 8 || !buf.subarray(0, 4).equals(MAGIC)) throw new SluiceError('CHECKPOINT_FAILED', `${path}: not a checkpoint file`, { retriable: false });
  const body = buf.subarray(8);
  if (crc32c(body) !== buf.readUInt32BE(4)) throw new SluiceError('CHECKPOINT_FAILED', `${path}: checksum mismatch`, { retriable: false });
  const data = unpack(body) as CheckpointData;
  if (data.version !== CHECKPOINT_FORMAT_VERSION) throw new SluiceError('CHECKPOINT_FAILED', `${path}: unsupported format version ${data.version}`, { retriable: false });
  return data;
}

export class CheckpointStorage {
  private readonly fs: FileSystem;

  constructor(
    readonly dir: string,
    options: { fs?: FileSystem; keep?: number } = {},
  ) {
    this.fs = options.fs ?? new NodeFileSystem();
    this.keep = Math.max(1, options.keep ?? 3);
  }
  private readonly keep: number;

  async write(data: CheckpointData): Promise<string> {
    await this.fs.mkdir(this.dir);
    const path = join(this.dir, `${data.savepoint ? 'sp' : 'chk'}-${data.id}.ckpt`);
    await writeFileAtomic(this.fs, path, encodeCheckpoint(data));
    if (!data.savepoint) await this.prune();
    return path;
  }

  private async list(): Promise<{ kind: string; id: number; name: string }[]> {
    const st = await this.fs.stat(this.dir);
    if (!st) return [];
    const out: { kind: string; id: number; name: string }[] = [];
    for (const name of await this.fs.readdir(this.dir)) {
      const m = NAME.exec(name);
      if (m) out.push({ kind: m[1] as string, id: Number(m[2]), name });
    }
    return out.sort((a, b) => a.id - b.id);
  }

  private async prune(): Promise<void> {
    const chks = (await this.list()).filter((c) => c.kind === 'chk');
    for (const c of chks.slice(0, Math.max(0, chks.length - this.keep))) await this.fs.unlink(join(this.dir, c.name));
  }

  /** The newest checkpoint or savepoint that reads back intact (a damaged newest one is skipped). */
  async latest(): Promise<{ path: string; data: CheckpointData } | undefined> {
    const all = await this.list();
    for (let i = all.length - 1; i >= 0; i--) {
      const path = join(this.dir, (all[i] as { name: string }).name);
      try {
        return { path, data: await readCheckpoint(path, this.fs) };
      } catch {
        continue;
      }
    }
    return undefined;
  }

  /**
   * Counts starts of this job durably. Exactly-once sinks use it as their producer epoch, so
   * every restart fences the writes of the attempt that crashed.
   */
  async nextAttempt(): Promise<number> {
    await this.fs.mkdir(this.dir);
    const path = join(this.dir, 'attempt');
    const prev = await this.fs.readFile(path);
    const n = prev ? Number(prev.toString('utf8')) + 1 : 1;
    await writeFileAtomic(this.fs, path, Buffer.from(String(n)));
    return n;
  }

  /** Highest id used so far (checkpoint ids keep increasing across restarts). */
  async maxId(): Promise<number> {
    const all = await this.list();
    return all.length === 0 ? 0 : (all[all.length - 1] as { id: number }).id;
  }
}

export async function readCheckpoint(path: string, fs: FileSystem = new NodeFileSystem()): Promise<CheckpointData> {
  const buf = await fs.readFile(path);
  if (!buf) throw new SluiceError('CHECKPOINT_FAILED', `${path}: no such checkpoint`, { retriable: false });
  return decodeCheckpoint(buf, path);
}
