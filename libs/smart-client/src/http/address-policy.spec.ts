import { classifyAddress, createAddressPolicy, parseAllowedHost } from './address-policy.js';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['100.127.255.254', 'cgnat'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['100::1', 'reserved'],
    ['[::1]', 'loopback'],
  ])('%s is %s', (address, range) => {
    expect(classifyAddress(address)?.range).toBe(range);
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback', '127.0.0.1'],
    ['::ffff:7f00:1', 'loopback', '127.0.0.1'],
    ['::ffff:a9fe:a9fe', 'link-local', '169.254.169.254'],
    ['::ffff:10.1.2.3', 'private', '10.1.2.3'],
    ['::127.0.0.1', 'loopback', '127.0.0.1'],
    ['64:ff9b::a00:1', 'private', '10.0.0.1'],
    ['2002:c0a8:0101::1', 'private', '192.168.1.1'],
    ['0:0:0:0:0:ffff:7f00:0001', 'loopback', '127.0.0.1'],
  ])('%s is judged by its IPv4 address (%s)', (address, range, ipv4) => {
    expect(classifyAddress(address)).toEqual({ range, embeddedIPv4: ipv4 });
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '169.255.0.1', '2606:4700::1111', '::ffff:8.8.8.8'])(
    '%s is public',
    (address) => {
      expect(classifyAddress(address)).toBeNull();
    },
  );

  it('refuses input that is not an address', () => {
    expect(() => classifyAddress('example.org')).toThrow(TypeError);
  });
});

describe('parseAllowedHost', () => {
  it.each([
    ['localhost', { hostname: 'localhost', port: undefined }],
    ['LocalHost:8080', { hostname: 'localhost', port: 8080 }],
    ['127.0.0.1:80', { hostname: '127.0.0.1', port: 80 }],
    ['[::1]:3000', { hostname: '[::1]', port: 3000 }],
    ['::1', { hostname: '[::1]', port: undefined }],
    ['[0:0::1]', { hostname: '[::1]', port: undefined }],
  ])('%s', (entry, expected) => {
    expect(parseAllowedHost(entry)).toEqual(expected);
  });

  it('rejects garbage', () => {
    expect(() => parseAllowedHost('http://x/')).toThrow(TypeError);
  });
});

describe('createAddressPolicy', () => {
  const policy = createAddressPolicy(['sandbox.local', '127.0.0.1:8080', '[::1]']);

  it('accepts public https URLs', () => {
    expect(policy.checkUrl('https://ehr.example.org/fhir')).toEqual({ allowed: true, allowListed: false });
  });

  it.each([
    ['http://ehr.example.org/fhir', 'scheme'],
    ['ftp://ehr.example.org/', 'scheme'],
    ['https://user:pw@ehr.example.org/', 'userinfo'],
    ['not a url', 'invalid-url'],
    ['https://127.0.0.1/', 'loopback'],
    ['https://127.0.0.1:9090/', 'loopback'],
    ['https://[::ffff:127.0.0.1]/', 'loopback'],
    ['https://[::ffff:7f00:1]/', 'loopback'],
    ['https://169.254.169.254/latest/meta-data/', 'link-local'],
    ['https://0.0.0.0/', 'unspecified'],
    ['https://10.0.0.8/', 'private'],
    ['http://192.168.0.1/', 'private'],
  ])('blocks %s (%s)', (url, rule) => {
    expect(policy.checkUrl(url)).toMatchObject({ allowed: false, rule });
  });

  it('lets allow-listed hosts use http and internal addresses, on the listed port only', () => {
    expect(policy.checkUrl('http://sandbox.local:4000/x')).toEqual({ allowed: true, allowListed: true });
    expect(policy.checkUrl('http://127.0.0.1:8080/x')).toEqual({ allowed: true, allowListed: true });
    expect(policy.checkUrl('http://[::1]:1234/x')).toEqual({ allowed: true, allowListed: true });
    expect(policy.checkUrl('http://127.0.0.1:8081/x')).toMatchObject({ allowed: false, rule: 'loopback' });
    expect(policy.checkAddress(new URL('http://sandbox.local/'), '127.0.0.1')).toEqual({
      allowed: true,
      allowListed: true,
    });
  });

  it('judges resolved addresses of other hosts', () => {
    expect(policy.checkAddress(new URL('https://evil.example/'), '10.1.1.1')).toMatchObject({
      allowed: false,
      rule: 'private',
    });
    expect(policy.checkAddress(new URL('https://ok.example/'), '93.184.215.14')).toEqual({
      allowed: true,
      allowListed: false,
    });
  });
});
