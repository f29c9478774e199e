// When the log fsyncs. 'every-append': every append is durable before it resolves (and only
// durable data is visible to readers); 'interval': a timer flushes; 'os': the kernel decides.
// A `sync: true` append (acks=all) is fsynced before it resolves under every policy.
export type FlushPolicy = { mode: 'every-append' } | { mode: 'interval'; intervalMs: number } | { mode: 'os' };
