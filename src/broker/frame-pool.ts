// Reusable buffers for Produce frames that arrive in several socket reads (any produce request
// over ~64 KiB). A fresh Buffer.allocUnsafe per such frame bypasses Node's small-buffer pool:
// each copy page-faults fresh memory and the churn of large external buffers drives the GC
// (H13's profile under kcat load: ~11 % of broker samples in that copy, ~12 % in GC).
//
// Only Produce frames are pooled, because only there is the contract checked: the handler
// settles after every append settled, and the log keeps no reference to appended bytes after
// an append resolves (handlers/handler.ts states it). Other requests keep fresh buffers: their
// decoded byte fields (group metadata, assignments) may live on in coordinator state.
//
// Memory stays bounded by construction: only idle buffers are kept, at most `maxIdleBytes` of
// them (one pool per broker); frames over `maxBufferBytes` are never pooled.
// Imports nothing.

export class FramePool {
  private readonly idle: Buffer[] = [];
  private idleBytes = 0;

  constructor(
    private readonly maxIdleBytes = 64 * 1024 * 1024,
    private readonly maxBufferBytes = 16 * 1024 * 1024,
    private readonly minBufferBytes = 64 * 1024,
  ) {}

  /** A buffer of at least `n` bytes (use its first n), or undefined when n is too large to pool. */
  borrow(n: number): Buffer | undefined {
    if (n > this.maxBufferBytes) return undefined;
    let best = -1;
    for (let i = 0; i < this.idle.length; i++) {
      const len = this.idle[i]!.length;
      if (len >= n && (best < 0 || len < this.idle[best]!.length)) best = i;
    }
    if (best >= 0) {
      const buf = this.idle[best]!;
      this.idle.splice(best, 1);
      this.idleBytes -= buf.length;
      return buf;
    }
    let size = this.minBufferBytes;
    while (size < n) size *= 2;
    // Not carved out of Node's shared pool: this buffer is ours to reuse.
    return Buffer.allocUnsafeSlow(size);
  }

  /** Gives a borrowed buffer back; the oldest idle ones are dropped to stay under the cap. */
  release(buf: Buffer): void {
    if (buf.length > this.maxIdleBytes) return;
    while (this.idleBytes + buf.length > this.maxIdleBytes) {
      const dropped = this.idle.shift()!;
      this.idleBytes -= dropped.length;
    }
    this.idle.push(buf);
    this.idleBytes += buf.length;
  }

  /** Bytes held by idle buffers (tests, metrics). */
  get idleSize(): number {
    return this.idleBytes;
  }
}
