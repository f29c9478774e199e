// Serves the UI's scripts. The sources are TypeScript in src/ui/app/. A built package has
// them compiled beside this file (dist/ui/app/*.js, from `npm run build`); a fresh clone run
// with tsx has only the .ts, which are compiled here on first use with the TypeScript
// compiler's transpileModule (a devDependency) and kept in memory. Either way the user needs
// no bundler and the browser fetches nothing from the internet.
// May import: errors, node:fs, typescript (dynamically, only in a source checkout).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const APP_DIR = fileURLToPath(new URL('./app/', import.meta.url));
const NAME_RE = /^[a-z0-9-]+\.js$/;

export interface Asset {
  readonly type: string;
  readonly body: string;
}

export class UiAssets {
  private readonly cache = new Map<string, Promise<Asset | undefined>>();

  /** Loads (and if needed compiles) every script ahead of the first request. */
  async warm(): Promise<void> {
    try {
      const names = fs.readdirSync(APP_DIR).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !f.includes('.test.'));
      await Promise.all(names.map((f) => this.get(f.replace(/\.ts$/, '.js'))));
    } catch {
      // Missing assets show up as 404s on request; warming is only an optimisation.
    }
  }

  get(name: string): Promise<Asset | undefined> {
    if (!NAME_RE.test(name)) return Promise.resolve(undefined);
    let p = this.cache.get(name);
    if (!p) {
      p = this.load(name);
      this.cache.set(name, p);
    }
    return p;
  }

  private async load(name: string): Promise<Asset | undefined> {
    const js = APP_DIR + name;
    if (fs.existsSync(js)) return { type: 'text/javascript; charset=utf-8', body: fs.readFileSync(js, 'utf8') };
    const ts = js.replace(/\.js$/, '.ts');
    if (!fs.existsSync(ts)) return undefined;
    const { default: typescript } = await import('typescript');
    const out = typescript.transpileModule(fs.readFileSync(ts, 'utf8'), {
      compilerOptions: { target: typescript.ScriptTarget.ES2022, module: typescript.ModuleKind.ESNext, verbatimModuleSyntax: true },
      fileName: ts,
    });
    return { type: 'text/javascript; charset=utf-8', body: out.outputText };
  }
}
