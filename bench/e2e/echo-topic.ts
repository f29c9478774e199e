// The topic of the e2e benchmark's baseline: the producer sends a copy of each dlq probe here in
// the same Produce request, and no job reads it, so its produce-to-visible latency is that of the
// same clients, processes and machine load without the clickstream job.
// May import: nothing.
export const ECHO_TOPIC = 'bench.e2e.echo';
