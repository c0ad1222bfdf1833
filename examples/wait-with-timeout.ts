/**
 * Waiting for delivery with timeout: report delivery, failure with its reason, or a timeout.
 * Run: npm run example wait-with-timeout
 * (TO_NUMBER=+12015550101 shows a failure; +12015550107 never gets a receipt: try WAIT_SECONDS=2.)
 */
import { RelayClient, RelayTimeoutError } from '@switchboard/sdk';

const client = new RelayClient({
  project: process.env.SIGNALWIRE_PROJECT_ID,
  token: process.env.SIGNALWIRE_API_TOKEN,
  host: process.env.SIGNALWIRE_SPACE ?? '127.0.0.1:8080',
  contexts: ['default'],
});

async function sendWithTimeout(): Promise<void> {
  await using relay = client;
  await relay.connect();
  const message = await relay.sendMessage({
    toNumber: process.env.TO_NUMBER ?? '+15551234567',
    fromNumber: process.env.FROM_NUMBER ?? '+15551230001',
    body: 'Your verification code is 123456',
  });

  try {
    await message.wait(Number(process.env.WAIT_SECONDS ?? 30));
    if (message.state === 'delivered') {
      console.log('Message delivered successfully');
    } else {
      console.log(`Message failed: ${message.reason}`);
    }
  } catch (err) {
    if (!(err instanceof RelayTimeoutError)) throw err;
    console.log('Timed out waiting for delivery confirmation');
  }
}

await sendWithTimeout();
