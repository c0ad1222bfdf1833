/** What `switchboard start` prints: where it listens, the credentials, and a first command to try. */
import { devLoginPolicy } from '../http/console/dev-login.js';
import type { SwitchboardHandle } from '../main.js';

export function startupBanner(h: SwitchboardHandle): string {
  const { project, apiToken, numbers, created } = h.bootstrap;
  const token = apiToken ?? '<your API token>';
  const from = numbers[0] ?? '+15551230001';
  const lines = [
    '',
    `  Switchboard is running at ${h.url}   (RELAY: ${h.url.replace(/^http/, 'ws')}/)`,
    '',
    `  Project ID     ${project.id}`,
    `  API token      ${apiToken ?? '(shown at first start; create another with: npm run switchboard -- token create)'}`,
    `  Signing key    ${project.signingKey}`,
    `  Numbers        ${numbers.join(', ') || '(none; add one with: npm run switchboard -- number add +15551230001)'}`,
    `  Data folder    ${h.settings.dataDir}   simulator delay ${h.settings.simulatorDelayMs} ms`,
    ...(h.settings.consoleEnabled
      ? [`  Web console    ${h.url}/console/   ${devLoginPolicy(h.settings, project.id).enabled ? '(one-click dev login)' : '(log in with the project ID and an API token)'}`]
      : []),
    ...httpsLines(h),
    '',
    '  Send a message:',
    `    curl -s -u '${project.id}:${token}' -H 'Content-Type: application/json' \\`,
    `      -d '{"from":"${from}","to":"+15557654321","body":"Hello from Switchboard"}' \\`,
    `      ${h.url}/api/messaging/messages`,
    '',
    '  Or over RELAY (WebSocket, JSON-RPC) with the SDK examples:',
    `    export SIGNALWIRE_PROJECT_ID=${project.id} SIGNALWIRE_API_TOKEN=${token} SIGNALWIRE_SPACE=${h.url.replace(/^https?:\/\//, '')}`,
    '    npm run example send-sms',
    '',
    '  See it delivered:',
    `    curl -s -u '${project.id}:${token}' ${h.url}/api/messaging/logs`,
    `    curl -s -u '${project.id}:${token}' ${h.url}/api/simulator/messages`,
    '',
  ];
  if (created && apiToken) lines.push('  The API token is shown only now; it is stored hashed. Keep it.', '');
  return lines.join('\n');
}

/** Where HTTPS listens and, for the generated local CA, how to make Node clients trust it. */
function httpsLines(h: SwitchboardHandle): string[] {
  if (!h.httpsUrl) return [];
  const lines = ['', `  HTTPS          ${h.httpsUrl}   (same API and RELAY at ${h.httpsUrl.replace(/^https/, 'wss')}/; the Compatibility API SDKs need HTTPS)`];
  if (h.caFile) {
    lines.push(
      `  Local CA       ${h.caFile}`,
      '  Trust it in the Node process that calls this server (set before that process starts):',
      `    export NODE_EXTRA_CA_CERTS=${h.caFile}`,
      `  and point the SDK at the host, e.g. new RestClient(project, token, { signalwireSpaceUrl: '${h.httpsUrl.replace(/^https:\/\//, '')}' })`,
    );
  }
  return lines;
}
