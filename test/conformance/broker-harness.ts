// Shared setup for broker conformance tests: a real Log in a fresh temp dir and a Broker on
// a free loopback port, torn down (and the dir removed) by `stop()`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Log } from '../../src/log/log.js';
import { Broker } from '../../src/broker/server.js';
import type { BrokerOptions } from '../../src/broker/server.js';
import { MetricsRegistry } from '../../src/observe/metrics.js';

export interface Harness {
  broker: Broker;
  log: Log;
  dir: string;
  address: string;
  metrics: MetricsRegistry;
  stop(): Promise<void>;
}

export async function startBroker(options: Partial<BrokerOptions> = {}, dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-broker-'))): Promise<Harness> {
  const log = await Log.open({ dataDir: dir });
  const metrics = new MetricsRegistry();
  const broker = await Broker.start({ log, port: 0, metrics, ...options });
  return {
    broker,
    log,
    dir,
    metrics,
    address: `127.0.0.1:${broker.port}`,
    async stop() {
      await broker.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
