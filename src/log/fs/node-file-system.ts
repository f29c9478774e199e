// FileSystem over node:fs/promises file handles. errno failures become typed errors:
// ENOSPC/EDQUOT -> DISK_FULL (retriable: space may come back), everything else IO_ERROR.
// May import: node:fs, ../../errors.js, ./file-system.js.
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle as NodeHandle } from 'node:fs/promises';
import { SluiceError } from '../../errors.js';
import type { FileHandle, FileStat, FileSystem, OpenMode } from './file-system.js';

function wrap(err: unknown, what: string, path: string): SluiceError {
  if (err instanceof SluiceError) return err;
  const code = (err as { code?: string }).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new SluiceError('DISK_FULL', `disk full while ${what} ${path}`, { cause: err, details: { path } });
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new SluiceError('IO_ERROR', `${what} ${path} failed: ${msg}`, { cause: err, details: { path, errno: code } });
}

class NodeFileHandle implements FileHandle {
  constructor(
    readonly path: string,
    private readonly fh: NodeHandle,
  ) {}

  async read(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    try {
      let total = 0;
      while (total < length) {
        const { bytesRead } = await this.fh.read(buf, offset + total, length - total, position + total);
        if (bytesRead === 0) break;
        total += bytesRead;
      }
      return total;
    } catch (err) {
      throw wrap(err, 'reading', this.path);
    }
  }

  async write(data: Buffer, position: number): Promise<void> {
    try {
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await this.fh.write(data, done, data.length - done, position + done);
        done += bytesWritten;
      }
    } catch (err) {
      throw wrap(err, 'writing', this.path);
    }
  }

  async writev(data: Buffer[], position: number): Promise<void> {
    try {
      let total = 0;
      for (const b of data) total += b.length;
      let done = 0;
      let bufs = data;
      while (done < total) {
        const { bytesWritten } = await this.fh.writev(bufs, position + done);
        done += bytesWritten;
        if (done < total) bufs = [Buffer.concat(data).subarray(done)];
      }
    } catch (err) {
      throw wrap(err, 'writing', this.path);
    }
  }

  async sync(): Promise<void> {
    try {
      await this.fh.datasync();
    } catch (err) {
      throw wrap(err, 'syncing', this.path);
    }
  }

  async truncate(length: number): Promise<void> {
    try {
      await this.fh.truncate(length);
    } catch (err) {
      throw wrap(err, 'truncating', this.path);
    }
  }

  async size(): Promise<number> {
    try {
      return (await this.fh.stat()).size;
    } catch (err) {
      throw wrap(err, 'stat of', this.path);
    }
  }

  async close(): Promise<void> {
    try {
      await this.fh.close();
    } catch (err) {
      throw wrap(err, 'closing', this.path);
    }
  }
}

const FLAGS: Record<OpenMode, number> = {
  read: constants.O_RDONLY,
  'read-write': constants.O_RDWR,
  create: constants.O_RDWR | constants.O_CREAT,
  'create-new': constants.O_RDWR | constants.O_CREAT | constants.O_EXCL,
};

export class NodeFileSystem implements FileSystem {
  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    try {
      return new NodeFileHandle(path, await fsp.open(path, FLAGS[mode], 0o644));
    } catch (err) {
      throw wrap(err, 'opening', path);
    }
  }

  async readFile(path: string): Promise<Buffer | undefined> {
    try {
      return await fsp.readFile(path);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw wrap(err, 'reading', path);
    }
  }

  async rename(from: string, to: string): Promise<void> {
    try {
      await fsp.rename(from, to);
    } catch (err) {
      throw wrap(err, 'renaming', from);
    }
  }

  async unlink(path: string): Promise<void> {
    try {
      await fsp.unlink(path);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return;
      throw wrap(err, 'deleting', path);
    }
  }

  async readdir(path: string): Promise<string[]> {
    try {
      return (await fsp.readdir(path)).sort();
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return [];
      throw wrap(err, 'listing', path);
    }
  }

  async mkdir(path: string): Promise<void> {
    try {
      await fsp.mkdir(path, { recursive: true });
    } catch (err) {
      throw wrap(err, 'creating directory', path);
    }
  }

  async rmdir(path: string): Promise<void> {
    try {
      await fsp.rmdir(path);
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return;
      throw wrap(err, 'removing directory', path);
    }
  }

  async stat(path: string): Promise<FileStat | undefined> {
    try {
      const st = await fsp.stat(path);
      return { size: st.size, mtimeMs: st.mtimeMs, isDirectory: st.isDirectory() };
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return undefined;
      throw wrap(err, 'stat of', path);
    }
  }

  async syncDir(path: string): Promise<void> {
    let fh: NodeHandle | undefined;
    try {
      fh = await fsp.open(path, constants.O_RDONLY);
      await fh.sync();
    } catch (err) {
      // Some platforms (Windows) cannot fsync a directory; that is not a data-loss signal.
      const code = (err as { code?: string }).code;
      if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw wrap(err, 'syncing directory', path);
    } finally {
      await fh?.close();
    }
  }
}
