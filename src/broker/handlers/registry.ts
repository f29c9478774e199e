// The handler registry: API key -> handler with its served version range. `loadHandlers`
// imports every handlers/NN-<api>.(ts|js) file and registers its exported `handler`, so a
// new API is added by adding one file and nothing else.
// May import: ./handler.ts, errors.ts.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { SluiceError } from '../../errors.js';
import type { Handler } from './handler.js';

export class HandlerRegistry {
  private readonly byKey = new Map<number, Handler>();

  register(h: Handler): void {
    if (this.byKey.has(h.apiKey)) throw new SluiceError('INTERNAL', `two handlers registered for API key ${h.apiKey}`);
    if (h.minVersion > h.maxVersion) throw new SluiceError('INTERNAL', `handler ${h.apiKey}: empty version range`);
    this.byKey.set(h.apiKey, h);
  }

  get(apiKey: number): Handler | undefined {
    return this.byKey.get(apiKey);
  }

  /** Every registration, ordered by API key (the ApiVersions answer). */
  list(): Handler[] {
    return [...this.byKey.values()].sort((a, b) => a.apiKey - b.apiKey);
  }
}

const HANDLER_FILE = /^\d\d-[a-z0-9-]+\.(ts|js)$/;

/** The handler files in this folder (tests excluded), in key order. */
export function handlerFiles(dir = fileURLToPath(new URL('.', import.meta.url))): string[] {
  return readdirSync(dir)
    .filter((f) => HANDLER_FILE.test(f) && !f.endsWith('.d.ts'))
    .sort()
    .map((f) => join(dir, f));
}

/** A registry holding every handler file's `handler` export. */
export async function loadHandlers(): Promise<HandlerRegistry> {
  const registry = new HandlerRegistry();
  for (const file of handlerFiles()) {
    const mod = (await import(pathToFileURL(file).href)) as { handler?: Handler };
    if (!mod.handler) throw new SluiceError('INTERNAL', `${file} exports no 'handler'`);
    registry.register(mod.handler);
  }
  return registry;
}
