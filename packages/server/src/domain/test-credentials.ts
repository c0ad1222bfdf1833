/**
 * Twilio's test credentials for messages (https://www.twilio.com/docs/iam/test-credentials): with a
 * test token, these `From` and `To` numbers answer at once with the documented errors, and only
 * +15005550006 may send. Pure rules; the use case is engine/messages/test-credentials.ts.
 */
import type { ErrorKey } from '@switchboard/protocol';

/** The one sender a test token may use ("passes all validation"). */
export const TEST_VALID_SENDER = '+15005550006';

/** Magic `From` numbers and their errors; any other sender is 21606 (not owned by the test account). */
export const TEST_FROM_NUMBERS: Readonly<Record<string, ErrorKey>> = {
  '+15005550001': 'FROM_INVALID', // 21212 invalid number
  '+15005550007': 'TEST_FROM_NOT_OWNED', // 21606 not owned or not SMS-capable
  '+15005550008': 'TEST_FROM_QUEUE_FULL', // 21611 message queue full
};

/** Magic `To` numbers and their errors; any other destination is validated normally. */
export const TEST_TO_NUMBERS: Readonly<Record<string, ErrorKey>> = {
  '+15005550001': 'TO_INVALID', // 21211 invalid number
  '+15005550002': 'TEST_TO_UNROUTABLE', // 21612 cannot route
  '+15005550003': 'TEST_TO_NO_PERMISSION', // 21408 no international permission
  '+15005550004': 'TEST_TO_BLOCKED', // 21610 blocked (unsubscribed)
  '+15005550009': 'TEST_TO_NOT_SMS_CAPABLE', // 21614 not a mobile number
};

/**
 * The error a test send gets for its sender and destination (already syntax-checked), or null when
 * it passes. The sender is checked first: with a bad sender the destination does not matter. A
 * number group (MessagingServiceSid) is a live resource a test token cannot use, so sending
 * through one is a sender the test account does not own — with a `From` too, since a live send
 * would use the group (Twilio: every parameter works with test credentials "except for
 * MessagingServiceSid").
 */
export function testSendError(from: string | null, to: string, viaGroup = false): ErrorKey | null {
  if (from === null || viaGroup) return 'TEST_FROM_NOT_OWNED';
  if (from !== TEST_VALID_SENDER) return TEST_FROM_NUMBERS[from] ?? 'TEST_FROM_NOT_OWNED';
  return TEST_TO_NUMBERS[to] ?? null;
}
