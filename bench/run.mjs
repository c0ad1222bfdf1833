#!/usr/bin/env node
// `npm run bench`: the REST end-to-end benchmark (see bench/README.md for the others).
await import('./rest-e2e.mjs');
