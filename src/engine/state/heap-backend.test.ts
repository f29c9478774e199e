import { createHeapKeyedStateBackend } from './heap-backend.js';
import { keyedStateBackendCases } from './keyed-state-backend.case.js';

keyedStateBackendCases('heap backend', (o) => createHeapKeyedStateBackend(o));
