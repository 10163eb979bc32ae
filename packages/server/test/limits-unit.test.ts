import { expect } from 'chai';
import { loadConfig } from '../src/config.js';
import { addressKey } from '../src/domain/limits.js';

describe('addressKey', () => {
  it('when IPv4 then itself; IPv4-mapped IPv6 counts as the IPv4 address', () => {
    expect(addressKey('203.0.113.9')).to.equal('203.0.113.9');
    expect(addressKey('::ffff:203.0.113.9')).to.equal('203.0.113.9');
  });

  it('when IPv6 then its /64, however it is written', () => {
    expect(addressKey('2001:db8:0:1::1')).to.equal('2001:db8:0:1::/64');
    expect(addressKey('2001:0db8:0000:0001:ffff:ffff:ffff:ffff')).to.equal('2001:db8:0:1::/64');
    expect(addressKey('2001:db8::')).to.equal('2001:db8:0:0::/64');
    expect(addressKey('::1')).to.equal('0:0:0:0::/64');
  });

  it('when unknown then one shared key', () => {
    expect(addressKey(undefined)).to.equal('unknown');
  });
});

describe('limit settings', () => {
  it('when nothing is set then the contract defaults', () => {
    const c = loadConfig({});
    expect(c).to.include({
      loginMaxFailures: 10,
      loginFailureWindowSeconds: 900,
      rateLimitSendsPerMinute: 600,
      rateLimitIpPerMinute: 300,
      refreshReuseGraceSeconds: 10,
      trustProxy: false,
      seedDemoUsers: true,
    });
  });

  it('when TRUST_PROXY is a count, a flag or a list then it is parsed; anything else is refused', () => {
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).to.equal(2);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).to.equal(true);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8' }).trustProxy).to.deep.equal([
      'loopback',
      '10.0.0.0/8',
      'fd00::/8',
    ]);
    expect(() => loadConfig({ TRUST_PROXY: 'everyone' })).to.throw(/TRUST_PROXY/);
    expect(() => loadConfig({ TRUST_PROXY: '10.0.0.0/33' })).to.throw(/TRUST_PROXY/);
  });

  it('when a limit is 0 then it is off', () => {
    expect(loadConfig({ RATE_LIMIT_SENDS_PER_MINUTE: '0' }).rateLimitSendsPerMinute).to.equal(0);
  });
});
