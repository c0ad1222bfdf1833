import { afterEach, describe, it } from 'vitest';
import { RawRelay } from './helpers/raw-relay.js';
import { API_TOKEN, PROJECT_ID, startTestServer, type TestServer } from './helpers/server.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('probe', () => {
  it('odd frames after connect', async () => {
    server = await startTestServer();
    const { relay } = await RawRelay.connected(server.url, PROJECT_ID, API_TOKEN, { contexts: ['default'] });
    const frames = [
      '{"jsonrpc":"2.0","id":{"a":1},"method":"signalwire.ping","params":{}}',
      '{"jsonrpc":"2.0","id":[1],"method":"signalwire.ping","params":{}}',
      '{"jsonrpc":"2.0","id":true,"method":"signalwire.ping","params":{}}',
      '{"jsonrpc":"2.0","id":1e400,"method":"signalwire.ping","params":{}}',
      '{"jsonrpc":"2.0","id":"x1","method":42,"params":{}}',
      '{"jsonrpc":"1.0","id":"x2","method":"signalwire.ping","params":{}}',
      '{"jsonrpc":"2.0","id":"x3","method":"signalwire.ping","params":[]}',
      '{"jsonrpc":"2.0","id":"x4","method":"__proto__","params":{}}',
      '{"jsonrpc":"2.0","id":"x5","method":"messaging.send","params":{"__proto__":{"body":"x"},"from_number":"+15551230001","to_number":"+15557650001"}}',
      '{"jsonrpc":"2.0","id":"x6","method":"signalwire.receive","params":{"contexts":"default"}}',
      '{"jsonrpc":"2.0","id":"x7","method":"signalwire.receive","params":{"contexts":[""]}}',
      '{"jsonrpc":"2.0","id":"x8","method":"signalwire.receive","params":{"context":"a","contexts":["b"]}}',
      '{"jsonrpc":"2.0","id":"x9","method":"signalwire.receive","params":{"contexts":["\\u0000"]}}',
      '{"jsonrpc":"2.0","id":"x10","method":"signalwire.receive","params":{"contexts":["\\ud800"]}}',
      '{"jsonrpc":"2.0","id":"x11","result":{},"method":"signalwire.ping"}',
      '{"jsonrpc":"2.0","id":"x12","method":"messaging.send","params":{"from_number":"+15551230001","to_number":"+15557650001","body":"\\ud800"}}',
    ];
    for (const f of frames) relay.sendRaw(f);
    await new Promise((r) => setTimeout(r, 800));
    for (const f of relay.frames.slice(-frames.length - 2)) console.log(JSON.stringify(f).slice(0, 230));
    console.log('close', relay.closeCode);
    const ping = await relay.call('signalwire.ping', {});
    console.log('alive', JSON.stringify(ping.result));
  }, 30_000);
});
