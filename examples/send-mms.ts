/**
 * Send MMS with media: a text with an image attached.
 * Run: npm run example send-mms
 */
import { RelayClient } from '@switchboard/sdk';

const client = new RelayClient({
  project: process.env.SIGNALWIRE_PROJECT_ID,
  token: process.env.SIGNALWIRE_API_TOKEN,
  host: process.env.SIGNALWIRE_SPACE ?? '127.0.0.1:8080',
  contexts: ['default'],
});

async function sendMms(): Promise<void> {
  await using relay = client;
  await relay.connect();
  const message = await relay.sendMessage({
    toNumber: process.env.TO_NUMBER ?? '+15559876543',
    fromNumber: process.env.FROM_NUMBER ?? '+15551230001',
    body: 'Check out this image!',
    media: ['https://example.com/photo.jpg'],
  });
  console.log(`Message ID: ${message.messageId} (${message.media.length} media, state ${message.state})`);
}

await sendMms();
