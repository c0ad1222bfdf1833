import forge from 'node-forge';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
const t0 = performance.now();
function keys() { const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }); return { privateKey: forge.pki.privateKeyFromPem(privateKey), publicKey: forge.pki.publicKeyFromPem(publicKey), pem: privateKey }; }
const caK = keys();
const ca = forge.pki.createCertificate();
ca.publicKey = caK.publicKey; ca.serialNumber = '01' + randomBytes(8).toString('hex');
ca.validity.notBefore = new Date(Date.now()-60000); ca.validity.notAfter = new Date(Date.now()+3650*864e5);
const caName = [{ name: 'commonName', value: 'Switchboard local CA' }];
ca.setSubject(caName); ca.setIssuer(caName);
ca.setExtensions([{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }, { name: 'subjectKeyIdentifier' }]);
ca.sign(caK.privateKey, forge.md.sha256.create());
const sK = keys();
const c = forge.pki.createCertificate();
c.publicKey = sK.publicKey; c.serialNumber = '01' + randomBytes(8).toString('hex');
c.validity.notBefore = new Date(Date.now()-60000); c.validity.notAfter = new Date(Date.now()+825*864e5);
c.setSubject([{ name: 'commonName', value: 'localhost' }]); c.setIssuer(caName);
c.setExtensions([{ name: 'basicConstraints', cA: false }, { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true }, { name: 'extKeyUsage', serverAuth: true }, { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] }, { name: 'authorityKeyIdentifier', keyIdentifier: ca.generateSubjectKeyIdentifier().getBytes() }]);
c.sign(caK.privateKey, forge.md.sha256.create());
console.log('ms', performance.now()-t0);
const fs = await import('node:fs');
fs.writeFileSync('/tmp/ca.pem', forge.pki.certificateToPem(ca));
const https = await import('node:https');
const srv = https.createServer({ key: sK.pem, cert: forge.pki.certificateToPem(c) }, (q, r) => r.end('ok'));
srv.listen(0, '127.0.0.1', async () => {
  const port = srv.address().port;
  const { execFileSync } = await import('node:child_process');
  for (const [h, env] of [['localhost', { NODE_EXTRA_CA_CERTS: '/tmp/ca.pem' }], ['127.0.0.1', { NODE_EXTRA_CA_CERTS: '/tmp/ca.pem' }], ['[::1]', { NODE_EXTRA_CA_CERTS: '/tmp/ca.pem' }], ['127.0.0.1', {}]]) {
  const out = execFileSync(process.execPath, ['-e', `require('https').get('https://${h}:${port}/', r=>{r.on('data',d=>console.log('got',String(d)))}).on('error',e=>console.log('err',e.message))`], { env: { ...process.env, ...env } });
  console.log(h, String(out).trim());
  }
  srv.close();
});
