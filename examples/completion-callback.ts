/**
 * With completion callback: `onCompleted` fires by itself when the message reaches a terminal
 * state. (The Python original leaves its `async with` block at once; here the client stays
 * connected until the callback has run, so the callback is actually seen.)
 * Run: npm run example completion-callback
 */
import { RelayClient, type RelayEvent } from '@switchboard/sdk';

const client = new RelayClient({
  project: process.env.SIGNALWIRE_PROJECT_ID,
  token: process.env.SIGNALWIRE_API_TOKEN,
  host: process.env.SIGNALWIRE_SPACE ?? '127.0.0.1:8080',
  contexts: ['default'],
});

let done!: () => void;
const callbackRan = new Promise<void>((resolve) => (done = resolve));

async function onDelivered(event: RelayEvent): Promise<void> {
  console.log(`Message delivered: ${JSON.stringify(event.params)}`);
  done();
}

async function sendWithCallback(): Promise<void> {
  await using relay = client;
  await relay.connect();
  await relay.sendMessage({
    toNumber: process.env.TO_NUMBER ?? '+15559876543',
    fromNumber: process.env.FROM_NUMBER ?? '+15551230001',
    body: 'Important notification',
    onCompleted: onDelivered,
  });
  // No need to await the message -- the callback fires automatically; just stay connected for it.
  await callbackRan;
}

await sendWithCallback();
