import http from 'node:http';
import https from 'node:https';

/** The options a client-node agent is built with that decide which server and which TLS identity it talks with. */
const IDENTITY_OPTIONS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

type AgentOptions = Partial<Record<(typeof IDENTITY_OPTIONS)[number], unknown>>;

/**
 * One keep-alive agent in place of the agent client-node builds for every request. client-node 1.x
 * (`KubeConfig.createAgent`, called from `applyToHTTPSOptions`, which `KubeApi` calls for each request) makes a new
 * `http.Agent` or `https.Agent` without keep-alive per request, so every API call opened a TCP connection of its
 * own, and on a real cluster paid a TLS handshake too: the largest share of the worker's CPU spent on the
 * Kubernetes API in the benchmark (BENCHMARKS.md). No option of client-node turns this off, hence this small
 * substitute. The agent is kept while the options that name the server's CA and the client's identity stay the
 * same; new ones (an exec plugin's fresh client certificate) get a new agent. Proxy agents pass untouched.
 * Its idle connections are unreferenced (Node's `Agent.keepSocketAlive`), so they never keep a process alive.
 */
export class KeepAliveAgent {
  private kept: { options: AgentOptions; agent: http.Agent } | undefined;

  /** The agent to use instead of `built` (an agent client-node made for one request). */
  instead(built: http.Agent | undefined): http.Agent | undefined {
    if (!built || (built.constructor !== http.Agent && built.constructor !== https.Agent)) return built;
    const options = (built as http.Agent & { options: AgentOptions }).options;
    if (!this.kept || this.kept.agent.constructor !== built.constructor || !sameIdentity(this.kept.options, options)) {
      // The agent replaced is not destroyed: a watch or a log read may still be using it.
      const Agent = built.constructor as typeof http.Agent;
      this.kept = { options, agent: new Agent({ ...pick(options), keepAlive: true }) };
    }
    return this.kept.agent;
  }
}

function pick(options: AgentOptions): AgentOptions {
  return Object.fromEntries(IDENTITY_OPTIONS.filter((name) => options[name] !== undefined).map((name) => [name, options[name]]));
}

function sameIdentity(a: AgentOptions, b: AgentOptions): boolean {
  return IDENTITY_OPTIONS.every((name) => sameValue(a[name], b[name]));
}

/** Certificates come as a Buffer read anew for each request: equal contents are the same certificate. */
function sameValue(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b;
}
