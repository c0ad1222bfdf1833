import { describe, expect, it } from 'vitest';
import { decodedRequestPath, originForm, requestPath } from './request-path.js';

describe('the path of a request target', () => {
  it('is the path of an origin-form target, without its query or fragment', () => {
    expect(requestPath('/api/messaging/logs?status=sent')).toBe('/api/messaging/logs');
    expect(requestPath('/2010-04-01/Accounts/AC1/Messages.json#x')).toBe('/2010-04-01/Accounts/AC1/Messages.json');
    expect(requestPath('/')).toBe('/');
  });

  it('is the path of an absolute-form target, as the router reads it (RFC 9112 §3.2.2)', () => {
    expect(requestPath('http://sms.example.com:8080/2010-04-01/Accounts/AC1/Messages.json?To=x')).toBe('/2010-04-01/Accounts/AC1/Messages.json');
    expect(requestPath('HTTPS://[::1]/api/relay/rest/phone_numbers')).toBe('/api/relay/rest/phone_numbers');
    expect(requestPath('http://host')).toBe('/');
    expect(requestPath('http://host?x=1')).toBe('/');
    expect(originForm('http://host/api/messaging/logs?page=2')).toBe('/api/messaging/logs?page=2');
  });

  it('leaves a target in neither form as it is: the router routes no such path', () => {
    expect(requestPath('*')).toBe('*');
    expect(requestPath('ftp://host/2010-04-01/Accounts')).toBe('ftp://host/2010-04-01/Accounts');
  });

  it('is percent-decoded as the router matches it, or kept as sent when it does not decode', () => {
    expect(decodedRequestPath('/api/%6Caml/2010-04-01/Accounts')).toBe('/api/laml/2010-04-01/Accounts');
    expect(decodedRequestPath('http://h/2010-04-01/Accounts/AC1/Messages/%E0%A4%A')).toBe('/2010-04-01/Accounts/AC1/Messages/%E0%A4%A');
    // A malformed escape elsewhere does not hide which API the path names.
    expect(decodedRequestPath('/api/lam%6C/2010-04-01/Accounts/AC1/Messages/%zz')).toBe('/api/laml/2010-04-01/Accounts/AC1/Messages/%zz');
    expect(decodedRequestPath('/%61pi/relay/rest/phone_numbers/%E0%A4%A')).toBe('/api/relay/rest/phone_numbers/%E0%A4%A');
    expect(decodedRequestPath('/api%2Flaml/x/%zz')).toBe('/api%2Flaml/x/%zz');
  });
});
