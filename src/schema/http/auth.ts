// HTTP basic authentication for the registry with two roles: `read` may call GET and the
// read-only POSTs (lookup, compatibility test); `write` may also register, delete and
// configure. Passwords are compared in constant time. The file format is one user a line:
// `name:password:role` (# comments and blank lines ignored).
import { timingSafeEqual } from 'node:crypto';
import { SluiceError } from '../../errors.js';

export type Role = 'read' | 'write';
export interface AuthUser {
  name: string;
  password: string;
  role: Role;
}
export interface AuthConfig {
  users: AuthUser[];
}

export function parseAuthFile(text: string): AuthConfig {
  const users: AuthUser[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const first = line.indexOf(':');
    const last = line.lastIndexOf(':');
    const role = line.slice(last + 1).trim();
    if (first < 1 || last === first || (role !== 'read' && role !== 'write'))
      throw new SluiceError('INVALID_CONFIG', `auth file line ${i + 1}: expected name:password:read|write`);
    users.push({ name: line.slice(0, first), password: line.slice(first + 1, last), role });
  });
  if (users.length === 0) throw new SluiceError('INVALID_CONFIG', 'auth file lists no users');
  return { users };
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function authorize(config: AuthConfig, header: string | undefined, write: boolean): 'ok' | 'unauthenticated' | 'forbidden' {
  if (!header || !/^basic /i.test(header)) return 'unauthenticated';
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const sep = decoded.indexOf(':');
  if (sep < 0) return 'unauthenticated';
  const name = decoded.slice(0, sep);
  const password = decoded.slice(sep + 1);
  let user: AuthUser | undefined;
  for (const u of config.users) if (same(u.name, name) && same(u.password, password)) user = u;
  if (!user) return 'unauthenticated';
  if (write && user.role !== 'write') return 'forbidden';
  return 'ok';
}
