// What a `sluice` verb is: one file per verb under src/cli/, each exporting a Verb.
// `run` returns the process exit code; errors it throws are printed by main.ts
// (a SluiceError as `error [CODE]: message`, exit 1; anything else as a crash, exit 70).
export interface Verb {
  name: string;
  /** One line for `sluice --help`. */
  summary: string;
  /** Full help for `sluice <verb> --help`. */
  help: string;
  run(argv: string[]): Promise<number>;
}

/** The data directory every verb defaults to. */
export function defaultDataDir(): string {
  return process.env.SLUICE_DATA_DIR ?? './.sluice-data';
}
