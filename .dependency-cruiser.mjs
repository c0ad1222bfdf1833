// The layering of docs/architecture.md ("Layout and dependency direction"), checked by
// dependency-cruiser as part of `npm run lint`. Paths are matched against module paths relative to
// the repository root (`packages/server/src/engine/...`); built-in modules have `core` as a
// dependency type and npm packages resolve under `node_modules/`.
//
// Type-only imports count: the cruise reads the TypeScript sources before compilation
// (`tsPreCompilationDeps`), so `import type` is a dependency like any other, for the layers and for
// cycles. Tests (`*.test.ts(x)` beside the code, and everything under `packages/*/test/`) are
// exempt from the layering rules, not from the cycle and resolution rules. The composition root
// (main.ts, composition/) and cli/ may import everything.
//
// dependency-cruiser is held at 17.x: the last major that runs on Node 20 (18 needs Node 22).
//
// Breaking a rule needs a written reason: narrow the rule here with a comment saying why, and
// record the exception in docs/architecture.md.

const TESTS = '\\.test\\.tsx?$';
const SRC = '^packages/server/src/';
const PROTOCOL = '^packages/protocol/src/';
const NPM = '(^|/)node_modules/';
/** Adapters: each one may import engine, domain, util, protocol and itself, never another. */
const ADAPTERS = 'store|bus|carriers|webhooks|http|relay';
/** Surfaces that take requests from outside: they reach storage only through the engine. */
const SURFACES = `${SRC}(http|relay|webhooks/cxml)/`;

/** A rule over production sources: `from` is a folder (regular expression), tests excluded. */
const layer = (name, comment, from, to, fromNot = []) => ({
  name,
  comment,
  severity: 'error',
  from: { path: from, pathNot: [TESTS, ...fromNot] },
  to,
});

export default {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only imports included (docs/architecture.md, Layout and dependency direction).',
      severity: 'error',
      from: { path: '^packages/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import the cruiser cannot resolve would hide its edge from every other rule.',
      severity: 'error',
      from: { path: '^packages/' },
      to: { couldNotResolve: true },
    },
    layer('src-not-to-tests',
      'Production code does not import tests or test helpers.',
      '^packages/[^/]+/src/',
      { path: [TESTS, '^packages/[^/]+/test/'] }),
    layer('src-only-declared-npm-dependencies',
      "A package's code imports only npm packages listed in its own package.json dependencies.",
      '^packages/[^/]+/src/',
      { dependencyTypes: ['npm-no-pkg', 'npm-unknown', 'npm-dev'] }),

    // packages
    layer('protocol-imports-only-itself',
      'protocol is the shared wire vocabulary: no node built-ins, no npm package, no other package.',
      PROTOCOL,
      { pathNot: PROTOCOL }),
    layer('sdk-imports-only-protocol',
      'The SDK depends on protocol, node built-ins and its own npm dependencies; nothing of the server or console.',
      '^packages/sdk/src/',
      { pathNot: ['^packages/(sdk|protocol)/src/', NPM], dependencyTypesNot: ['core'] }),
    layer('console-imports-only-protocol',
      'The console (browser code) depends on protocol and its own npm dependencies only.',
      '^packages/console/src/',
      { pathNot: ['^packages/(console|protocol)/src/', NPM] }),
    layer('server-imports-no-sdk-or-console',
      'Of the other packages the server depends on protocol only.',
      SRC,
      { path: '^packages/(sdk|console)/' }),

    // layers of packages/server/src
    // Written exception: node:crypto, for ids (UUIDv7) and token digests. It is computation, not
    // I/O, and the same on Node 20, 22 and 24; a port for it would only wrap the same calls.
    layer('domain-imports-only-domain-and-protocol',
      'The domain is pure: no node built-ins (node:crypto aside), no npm library, no outer layer.',
      `${SRC}domain/`,
      { pathNot: [`${SRC}domain/`, PROTOCOL, '^(node:)?crypto$'] }),
    layer('engine-imports-only-engine-domain-util-protocol',
      'The engine reaches adapters through the ports in domain/ports, never by import; no npm library or node built-in either.',
      `${SRC}engine/`,
      { pathNot: [`${SRC}(engine|domain|util)/`, PROTOCOL] }),
    layer('util-imports-only-util-domain-protocol',
      'util is imported by the engine, so it may not reach further out than the engine does.',
      `${SRC}util/`,
      { pathNot: [`${SRC}(util|domain)/`, PROTOCOL] }),
    layer('config-imports-only-domain-util-protocol',
      'Settings are validated with domain rules; config knows no engine, adapter or surface.',
      `${SRC}config/`,
      { path: SRC, pathNot: `${SRC}(config|domain|util)/` }),

    // adapters: an import is reported under one rule only (a surface's import of the store under
    // surfaces-reach-storage-through-engine, another adapter's under adapters-not-to-store)
    layer('adapters-not-to-other-adapters',
      'Adapters never import each other; they meet in main.ts through the engine and the ports.',
      `${SRC}(${ADAPTERS})/`,
      { path: `${SRC}(${ADAPTERS})/`, pathNot: [`${SRC}$1/`, `${SRC}store/`] }),
    layer('adapters-not-to-store',
      'Adapters never import each other; persistence is reached through the store port (domain/ports/store*).',
      `${SRC}(bus|carriers|webhooks)/`,
      { path: `${SRC}store/` },
      [SURFACES]),
    layer('surfaces-reach-storage-through-engine',
      'HTTP, RELAY and cXML reach storage only through the engine (types of the port in domain/ports/store* are fine).',
      SURFACES,
      { path: `${SRC}store/` }),
    layer('adapters-not-to-composition',
      'main.ts, composition/, cli/ and config/ wire the adapters together; adapters do not import them.',
      `${SRC}(${ADAPTERS})/`,
      { path: `${SRC}(config/|cli/|composition/|main\\.ts$)` }),
  ],
  options: {
    doNotFollow: { path: NPM },
    exclude: { path: '^packages/[^/]+/dist/' },
    tsPreCompilationDeps: true,
    // Resolve like the tests and tsc do: workspace packages to their TypeScript sources (the
    // `source` export condition), `.js` specifiers to the `.ts` files next to them.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['source', 'import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.d.ts', '.js', '.mjs', '.cjs'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
