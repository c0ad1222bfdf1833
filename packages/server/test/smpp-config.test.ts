import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseSmppSection } from '../src/carriers/smpp/config.js';
import { ConfigError } from '../src/config/load.js';
import { startTestServer } from './helpers/server.js';

const base = { id: 'uk', host: '127.0.0.1', port: 2775, systemId: 'me', password: 'pw' };

describe('the smpp section of the config file', () => {
  it('fills sane defaults: a window of 10, 100 parts/s queued (not rejected), receipts on every part', () => {
    const { connectors, routes } = parseSmppSection({ connectors: [base], routes: [{ prefix: '+44', connector: 'uk' }] });
    expect(connectors[0]).toMatchObject({ bindMode: 'transceiver', binds: 1, window: 10, throughput: 100, split: 'udh8', gsmEncoding: 'gsm7', registeredDelivery: 'final', receiptPolicy: 'all', idFormat: { submit: 'text', receipt: 'text' }, nationalCountryCode: null, unknownTon: 'international' });
    expect(routes).toEqual([{ prefix: '+44', carrier: 'uk' }]);
  });

  it('takes an SMSC for stalled after its response timeout, but after 10 s at most unless told otherwise', () => {
    const stalled = (c: object) => parseSmppSection({ connectors: [{ ...base, ...c }] }).connectors[0]!.stalledAfterMs;
    expect(stalled({})).toBe(10_000);
    expect(stalled({ responseTimeoutMs: 4000 })).toBe(4000);
    expect(stalled({ responseTimeoutMs: 60_000, stalledAfterMs: 45_000 })).toBe(45_000);
  });

  it('reads a carrier\'s own receipt stat words, in upper case', () => {
    const [c] = parseSmppSection({ connectors: [{ ...base, receiptStats: { faild: 'undelivered', Sent: 'intermediate' } }] }).connectors;
    expect([...c!.receiptStats]).toEqual([['FAILD', 'undelivered'], ['SENT', 'intermediate']]);
  });

  it.each([
    [{ connectors: [{ ...base, window: 0 }] }, /smpp\.connectors\[0\]\.window must be a whole number from 1 to 1000/],
    [{ connectors: [{ ...base, password: 'far too long' }] }, /smpp\.connectors\[0\]\.password must be printable ASCII of at most 8/],
    [{ connectors: [{ ...base, split: 'udh' }] }, /smpp\.connectors\[0\]\.split must be one of udh8, udh16, sar, payload/],
    [{ connectors: [{ ...base, windw: 5 }] }, /smpp\.connectors\[0\]\.windw is not a connector setting \(did you mean "window"\?\)/],
    [{ connectors: [base], routes: [{ prefx: '+44', connector: 'uk' }] }, /smpp\.routes\[0\]\.prefx is not a route setting \(did you mean "prefix"\?\) \(a route has "prefix" and "connector"\)/],
    [{ conectors: [base] }, /smpp\.conectors is not a setting \(did you mean "connectors"\?\)/],
    [{ connectors: [base, base] }, /smpp\.connectors\[1\]\.id "uk" is used twice/],
    [{ connectors: [{ ...base, errors: { receipt: { '027': 12345 } } }] }, /errors\.receipt\["027"\] must be a delivery error code/],
    [{ connectors: [base], routes: [{ prefix: '+44', connector: 'fr' }] }, /smpp\.routes\[0\]\.connector must name a configured connector \(uk\)/],
    // A number copied without its +: the route matched nothing, and its traffic went to the simulator.
    [{ connectors: [base], routes: [{ prefix: '447700', connector: 'uk' }, { prefix: '4477009', connector: 'uk' }] }, /smpp\.routes\[1\]\.prefix 4477009 matches no destination: one without \+ matches only short codes \(up to 6 digits\); write \+4477009/],
    [{ connectors: [{ ...base, host: undefined }] }, /smpp\.connectors\[0\]\.host is required/],
    [{ connectors: [{ ...base, receiptStats: { FAILD: 'failed' } }] }, /receiptStats\.FAILD must be one of delivered, undelivered, expired, rejected, intermediate/],
    [{ connectors: [{ ...base, receiptStats: { 'stat word': 'undelivered' } }] }, /receiptStats keys must be stat words/],
    [{ connectors: [{ ...base, nationalCountryCode: '+44' }] }, /nationalCountryCode must be a country calling code such as "1" or "44"/],
    [{ connectors: [{ ...base, unknownTon: 'national' }] }, /unknownTon "national" needs nationalCountryCode/],
  ])('rejects a bad value naming the setting: %#', (raw, message) => {
    expect(() => parseSmppSection(raw)).toThrow(message);
  });

  // A CA file that is missing, or no certificate, was read only when the connector was made: a stack trace at start.
  it("stops the server start naming a connector's CA file that cannot be read or is no certificate", async () => {
    const tls = (caFile: string) => ({ smpp: { connectors: [{ ...base, tls: { caFile } }] } });
    const missing = startTestServer({}, { file: tls('/nonexistent/smsc-ca.pem') });
    await expect(missing).rejects.toBeInstanceOf(ConfigError);
    await expect(missing).rejects.toThrow(/^smpp\.connectors\[0\]\.tls\.caFile( in \S+)?: cannot read \/nonexistent\/smsc-ca\.pem \(no such file\); give a readable PEM file/);
    const notPem = startTestServer({}, { file: tls(fileURLToPath(import.meta.url)) });
    await expect(notPem).rejects.toThrow(/smpp\.connectors\[0\]\.tls\.caFile( in \S+)?: \S+ is not a PEM certificate/);
  });

  it('stops the server start with a configuration error naming the setting', async () => {
    const start = startTestServer({}, { file: { smpp: { connectors: [{ ...base, throughput: -1 }] } } });
    await expect(start).rejects.toBeInstanceOf(ConfigError);
    await expect(start).rejects.toThrow(/smpp\.connectors\[0\]\.throughput/);
  });
});
