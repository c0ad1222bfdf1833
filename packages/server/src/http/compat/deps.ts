/** What the Compatibility API surface needs from the engine. */
import type { HttpDeps } from '../deps.js';

export type CompatDeps = Pick<HttpDeps, 'clock' | 'verifier' | 'reads' | 'acceptor' | 'testSends' | 'messages' | 'applications' | 'numbers' | 'scheduled' | 'projects' | 'listScanRows'>;
