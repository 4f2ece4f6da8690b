import http from 'node:http';
import https from 'node:https';
import { KeepAliveAgent } from './keep-alive-agent.js';

describe('KeepAliveAgent', () => {
  it('hands out one keep-alive agent for the fresh agents client-node builds per request', () => {
    const agents = new KeepAliveAgent();
    const first = agents.instead(new https.Agent({ ca: Buffer.from('ca'), rejectUnauthorized: true }));
    const second = agents.instead(new https.Agent({ ca: Buffer.from('ca'), rejectUnauthorized: true }));
    expect(second).toBe(first);
    expect(first).toBeInstanceOf(https.Agent);
    expect((first as http.Agent & { keepAlive: boolean }).keepAlive).toBe(true);
    expect((first as http.Agent & { options: { ca: Buffer } }).options.ca.toString()).toBe('ca');
  });

  it('makes a new agent when the CA or the client certificate changes, or the scheme', () => {
    const agents = new KeepAliveAgent();
    const first = agents.instead(new https.Agent({ cert: 'one', key: 'k' }));
    const renewed = agents.instead(new https.Agent({ cert: 'two', key: 'k' }));
    expect(renewed).not.toBe(first);
    expect((renewed as http.Agent & { options: { cert: string } }).options.cert).toBe('two');
    expect(agents.instead(new http.Agent())).toBeInstanceOf(http.Agent);
    expect(agents.instead(new http.Agent())).not.toBeInstanceOf(https.Agent);
  });

  it('leaves agents of other kinds (proxies) and no agent as they are', () => {
    class ProxyAgent extends http.Agent {}
    const proxy = new ProxyAgent();
    const agents = new KeepAliveAgent();
    expect(agents.instead(proxy)).toBe(proxy);
    expect(agents.instead(undefined)).toBeUndefined();
  });
});
