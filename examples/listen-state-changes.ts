/**
 * Listening for state changes: print every step of the message's lifecycle.
 * Run: npm run example listen-state-changes
 */
import { RelayClient } from '@switchboard/sdk';

const client = new RelayClient({
  project: process.env.SIGNALWIRE_PROJECT_ID,
  token: process.env.SIGNALWIRE_API_TOKEN,
  host: process.env.SIGNALWIRE_SPACE ?? '127.0.0.1:8080',
  contexts: ['default'],
});

async function trackState(): Promise<void> {
  await using relay = client;
  await relay.connect();
  const message = await relay.sendMessage({
    toNumber: process.env.TO_NUMBER ?? '+15551234567',
    fromNumber: process.env.FROM_NUMBER ?? '+15551230001',
    body: 'Order confirmed',
  });

  message.on(() => {
    console.log(`Message ${message.messageId} -> ${message.state}`);
  });
  await message.wait();
}

await trackState();
