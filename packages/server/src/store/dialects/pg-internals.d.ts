// Two modules of node-postgres that its published types do not describe, used by `postgres-batch.ts`.
declare module 'pg/lib/result.js' {
  const Result: new (rowMode: string | undefined, types: unknown) => unknown;
  export default Result;
}
declare module 'pg/lib/utils.js' {
  const utils: { prepareValue(value: unknown): unknown };
  export default utils;
}
