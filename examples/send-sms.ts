/**
 * Send SMS: send a text and wait for delivery confirmation.
 * Run: npm run example send-sms   (with `npm start` running and SIGNALWIRE_* set, see README)
 */
import { RelayClient } from '@switchboard/sdk';

const client = new RelayClient({
  project: process.env.SIGNALWIRE_PROJECT_ID,
  token: process.env.SIGNALWIRE_API_TOKEN,
  host: process.env.SIGNALWIRE_SPACE ?? '127.0.0.1:8080',
  contexts: ['default'],
});

async function sendSms(): Promise<void> {
  await using relay = client;
  await relay.connect();
  const message = await relay.sendMessage({
    toNumber: process.env.TO_NUMBER ?? '+15559876543',
    fromNumber: process.env.FROM_NUMBER ?? '+15551230001',
    body: 'Hello from SignalWire RELAY!',
  });
  console.log(`Message ID: ${message.messageId}`);

  // Wait for delivery confirmation
  await message.wait(30);
  console.log(`Final state: ${message.state}`);
}

await sendSms();
