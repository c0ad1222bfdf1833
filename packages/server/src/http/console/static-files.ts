/**
 * The console's built files (packages/console/dist), read into memory once with gzip copies of
 * the text ones, served under /console with cache headers that suit Vite's hashed asset names
 * and a strict Content-Security-Policy: the console loads nothing from anywhere else.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

interface StaticFile {
  readonly body: Buffer;
  readonly gzip: Buffer | null;
  readonly type: string;
  readonly etag: string;
  readonly immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function loadDir(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      else {
        const body = readFileSync(path);
        const type = TYPES[extname(name)] ?? 'application/octet-stream';
        const text = /^(text|application\/json|image\/svg)/.test(type);
        const rel = relative(root, path).split(sep).join('/');
        files.set(rel, {
          body,
          gzip: text && body.length > 1024 ? gzipSync(body, { level: 9 }) : null,
          type,
          etag: `"${body.length.toString(36)}-${Math.round(stat.mtimeMs).toString(36)}"`,
          immutable: rel.startsWith('assets/'),
        });
      }
    }
  };
  walk(root);
  return files;
}

function send(request: FastifyRequest, reply: FastifyReply, f: StaticFile): FastifyReply {
  // CORP: no other site's page loads the console's files; COOP: nor reaches its window (window.opener).
  reply.header('Content-Type', f.type).header('ETag', f.etag).header('X-Content-Type-Options', 'nosniff').header('Referrer-Policy', 'no-referrer').header('Cross-Origin-Resource-Policy', 'same-origin');
  reply.header('Cache-Control', f.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
  if (f.type.startsWith('text/html')) reply.header('Content-Security-Policy', CSP).header('X-Frame-Options', 'DENY').header('Cross-Origin-Opener-Policy', 'same-origin');
  if (request.headers['if-none-match'] === f.etag) return reply.code(304).send();
  reply.header('Vary', 'Accept-Encoding');
  if (f.gzip && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return reply.header('Content-Encoding', 'gzip').send(f.gzip);
  return reply.send(f.body);
}

/** Serve the console's files from `dir` (or explain how to build them when it is missing). */
export function registerStaticFiles(app: FastifyInstance, dir: string | null): void {
  const files = dir && existsSync(join(dir, 'index.html')) ? loadDir(dir) : null;
  const index = files?.get('index.html');

  app.get('/console', async (_request, reply) => reply.redirect('/console/', 302));
  app.get('/console/*', async (request, reply) => {
    if (!files || !index) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The web console is not built. Run `npm run build` (or `npm start`, which builds it) in the Switchboard folder.\n');
    }
    const path = (request.params as { '*': string })['*'];
    if (path === '' || path === 'index.html') return send(request, reply, index);
    const f = files.get(path);
    if (f) return send(request, reply, f);
    // Views live in the URL fragment, so any other path is a missing file.
    return reply.code(404).type('text/plain; charset=utf-8').send('Not found\n');
  });
}
