// The one door to disk for the log. Every byte the log stores or reads goes through this
// interface so tests can swap in MemoryFileSystem and fail a write, tear it, fill the disk
// or drop whatever was not fsynced, exactly as a crash would (DESIGN decision 3).
// Implementations throw SluiceError IO_ERROR / DISK_FULL; callers never see raw errno errors.
// May import: ../../errors.js only.

export interface FileStat {
  size: number;
  mtimeMs: number;
  isDirectory: boolean;
}

/** An open file. Writes are positional (pwrite) so the log never depends on O_APPEND. */
export interface FileHandle {
  readonly path: string;
  /** Reads up to `length` bytes at `position` into `buf` at `offset`; returns bytes read (short at EOF). */
  read(buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Writes all of `data` at `position` (loops over short writes). */
  write(data: Buffer, position: number): Promise<void>;
  /** Writes the buffers back to back at `position` (one gathered write: no concatenation copy). */
  writev(data: Buffer[], position: number): Promise<void>;
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

export type OpenMode =
  | 'read' // existing file, read only
  | 'read-write' // existing file
  | 'create' // create if missing, read-write
  | 'create-new'; // must not exist, read-write

export interface FileSystem {
  open(path: string, mode: OpenMode): Promise<FileHandle>;
  /** Reads a whole (small) file; undefined when it does not exist. */
  readFile(path: string): Promise<Buffer | undefined>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string): Promise<void>; // recursive, no error if it exists
  rmdir(path: string): Promise<void>; // empty directory
  stat(path: string): Promise<FileStat | undefined>;
  /** Makes creations, renames and unlinks inside `path` durable. */
  syncDir(path: string): Promise<void>;
}
