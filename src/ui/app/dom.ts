// The few browser APIs the UI uses, typed here so the UI compiles with the project's Node
// tsconfig (which has no DOM library) without pulling DOM types into the whole program.
// Runs in the browser only. Imports nothing.

export interface El {
  id: string;
  className: string;
  textContent: string | null;
  innerHTML: string;
  hidden: boolean;
  style: { [k: string]: string };
  dataset: { [k: string]: string | undefined };
  setAttribute(name: string, value: string): void;
  appendChild<T extends El>(child: T): T;
  querySelector(sel: string): El | null;
  querySelectorAll(sel: string): { length: number; [i: number]: El; forEach(fn: (e: El) => void): void };
  addEventListener(type: string, fn: (ev: { target: unknown; preventDefault(): void }) => void): void;
  closest(sel: string): El | null;
}

export interface Canvas extends El {
  width: number;
  height: number;
  clientWidth: number;
  clientHeight: number;
  getContext(kind: '2d'): Ctx2d | null;
}

export interface Ctx2d {
  fillStyle: string;
  strokeStyle: string;
  lineWidth: number;
  font: string;
  textAlign: string;
  textBaseline: string;
  clearRect(x: number, y: number, w: number, h: number): void;
  fillRect(x: number, y: number, w: number, h: number): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  stroke(): void;
  fill(): void;
  closePath(): void;
  fillText(text: string, x: number, y: number): void;
  setTransform(a: number, b: number, c: number, d: number, e: number, f: number): void;
}

export interface Doc {
  getElementById(id: string): El | null;
  createElement(tag: string): El;
  querySelectorAll(sel: string): { length: number; forEach(fn: (e: El) => void): void };
  title: string;
}

export interface Sock {
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: (() => void) | null;
  onerror: (() => void) | null;
  onopen: (() => void) | null;
  close(): void;
}

interface BrowserGlobals {
  document: Doc;
  location: { hash: string; host: string; protocol: string };
  devicePixelRatio?: number;
  WebSocket: new (url: string) => Sock;
  fetch(url: string): Promise<{ ok: boolean; json(): Promise<unknown> }>;
  addEventListener(type: string, fn: () => void): void;
}

export const browser = globalThis as unknown as BrowserGlobals;

export function byId<T extends El = El>(id: string): T {
  const e = browser.document.getElementById(id);
  if (!e) throw new Error(`missing element #${id}`);
  return e as T;
}

/** Escapes text for innerHTML. */
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
