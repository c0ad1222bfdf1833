import { describe, expect, it } from 'vitest';
import { StoreUnavailableError } from '../domain/ports/store/errors.js';
import { startupFailureLine } from './startup-errors.js';

/** A listen failure as Node reports it: `port` is absent when the port asked for was 0. */
function listenError(code: string, address: string, port?: number): Error {
  return Object.assign(new Error(`listen ${code}`), { code, syscall: 'listen', address, ...(port === undefined ? {} : { port }) });
}

describe('startupFailureLine', () => {
  it('names the address a listener could not bind, with its port when it had one', () => {
    expect(startupFailureLine(listenError('EADDRNOTAVAIL', '10.99.99.99', 8080), { host: '10.99.99.99' })).toMatch(/^Cannot listen on 10\.99\.99\.99:8080: this machine has no such address/);
    // Port 0 (any free port): Node leaves `port` out, and the line said "Cannot listen on :".
    expect(startupFailureLine(listenError('EADDRNOTAVAIL', '10.99.99.99'), { host: '10.99.99.99', port: 0 })).toMatch(/^Cannot listen on 10\.99\.99\.99: this machine has no such address/);
  });

  it('names the setting of a taken port', () => {
    expect(startupFailureLine(listenError('EADDRINUSE', '127.0.0.1', 8443), { port: 8080, httpsPort: 8443 })).toMatch(/^Cannot listen on 127\.0\.0\.1:8443: the port is in use .* --https-port/);
  });

  // It said "check that PostgreSQL runs … with a user, password and database it accepts" of a server that runs and said the database does not exist.
  it('says to create a database that does not exist, by its name', () => {
    const missing = new StoreUnavailableError('database refuses the connection: database "switchboard" does not exist (SQLSTATE 3D000)', { cause: Object.assign(new Error('database "switchboard" does not exist'), { code: '3D000' }) });
    expect(startupFailureLine(missing, { databaseUrl: 'postgres://sb:secret@db:5432/switchboard' })).toBe(
      'database refuses the connection: database "switchboard" does not exist (SQLSTATE 3D000). Create the database first (createdb switchboard, see docs/deploy.md): `switchboard migrate` makes the schema in it, not the database; or correct the name in SWITCHBOARD_DATABASE_URL (--database-url).',
    );
    const wrongPassword = new StoreUnavailableError('database refuses the connection: password authentication failed (SQLSTATE 28P01)', { cause: Object.assign(new Error('x'), { code: '28P01' }) });
    expect(startupFailureLine(wrongPassword, { databaseUrl: 'postgres://sb:secret@db:5432/switchboard' })).toMatch(/\. Check that PostgreSQL runs/);
  });
});
