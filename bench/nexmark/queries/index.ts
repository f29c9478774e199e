// The Nexmark queries this benchmark runs, in order (q6 is left out, as the brief allows).
import type { NexmarkQuery } from '../query.js';
import { q0 } from './q0.js';
import { q1 } from './q1.js';
import { q2 } from './q2.js';
import { q3 } from './q3.js';
import { q4 } from './q4.js';
import { q5 } from './q5.js';
import { q7 } from './q7.js';
import { q8 } from './q8.js';

export const QUERIES: readonly NexmarkQuery<unknown>[] = [q0, q1, q2, q3, q4, q5, q7, q8] as unknown as NexmarkQuery<unknown>[];
