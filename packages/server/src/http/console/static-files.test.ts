import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { registerStaticFiles } from './static-files.js';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-console-static-'));
mkdirSync(join(dir, 'assets'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/console/assets/app-1.js"></script>');
writeFileSync(join(dir, 'assets/app-1.js'), `console.log(${JSON.stringify('x'.repeat(5000))});`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function app(folder: string | null) {
  const a = Fastify();
  registerStaticFiles(a, folder);
  await a.ready();
  return a;
}

describe('the console’s static files', () => {
  it('redirects /console to /console/ and serves index.html with a strict CSP and no caching', async () => {
    const a = await app(dir);
    const r = await a.inject('/console');
    expect(r.statusCode).toBe(302);
    expect(r.headers.location).toBe('/console/');
    const index = await a.inject('/console/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toContain("default-src 'self'");
    expect(index.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.body).toContain('<title>console</title>');
  });

  it('keeps its window from other sites’ pages (COOP), and its files from being loaded by them (CORP)', async () => {
    const a = await app(dir);
    // A page that opened the console (or one it opens) could otherwise reach it through window.opener.
    const index = await a.inject('/console/');
    expect(index.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(index.headers['cross-origin-resource-policy']).toBe('same-origin');
    const asset = await a.inject('/console/assets/app-1.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cross-origin-resource-policy']).toBe('same-origin');
  });

  it('serves hashed assets as immutable, gzipped when asked, and answers 304 to a matching ETag', async () => {
    const a = await app(dir);
    const plain = await a.inject('/console/assets/app-1.js');
    expect(plain.headers['cache-control']).toContain('immutable');
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const gz = await a.inject({ url: '/console/assets/app-1.js', headers: { 'accept-encoding': 'gzip, br' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(plain.body);
    const again = await a.inject({ url: '/console/assets/app-1.js', headers: { 'if-none-match': String(plain.headers.etag) } });
    expect(again.statusCode).toBe(304);
  });

  it('answers 404 for files it does not have, never reading outside its folder', async () => {
    const a = await app(dir);
    expect((await a.inject('/console/assets/missing.js')).statusCode).toBe(404);
    expect((await a.inject('/console/../package.json')).statusCode).not.toBe(200);
    expect((await a.inject('/console/%2e%2e/%2e%2e/etc/passwd')).statusCode).toBe(404);
  });

  it('explains how to build the console when it is not built', async () => {
    const a = await app(join(dir, 'nope'));
    const r = await a.inject('/console/');
    expect(r.statusCode).toBe(503);
    expect(r.body).toContain('npm run build');
  });
});
