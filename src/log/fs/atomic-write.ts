// Small metadata files (topic config, recovery points) are replaced atomically: write a
// temp file, fsync it, rename over the target, fsync the directory. After a crash either
// the old or the new content is there, never a mix. May import: ./file-system.js.
import { dirname } from 'node:path';
import type { FileSystem } from './file-system.js';

export async function writeFileAtomic(fs: FileSystem, path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await fs.open(tmp, 'create');
  try {
    await fh.truncate(0);
    await fh.write(data, 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, path);
  await fs.syncDir(dirname(path));
}

/** Removes a directory tree through the FileSystem (used for deleted topics). */
export async function removeTree(fs: FileSystem, path: string): Promise<void> {
  const st = await fs.stat(path);
  if (!st) return;
  if (!st.isDirectory) {
    await fs.unlink(path);
    return;
  }
  for (const name of await fs.readdir(path)) await removeTree(fs, `${path}/${name}`);
  await fs.rmdir(path);
}
