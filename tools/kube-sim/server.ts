/**
 * The HTTP front: records every request, applies injected faults, serves the discovery documents and
 * hands resource requests to the handlers; every error becomes a `Status` with the real code and reason.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  acceptsAggregatedDiscovery,
  aggregatedDiscovery,
  AGGREGATED_DISCOVERY_CONTENT_TYPE,
  apiGroupDocument,
  apiGroupList,
  apiResourceList,
  apiVersions,
  openApiDocument,
  openApiIndex,
  VERSION_INFO,
} from './discovery.js';
import { ApiError, badRequest, internalError, routeNotFound } from './errors.js';
import type { RequestFaults } from './faults.js';
import { Exchange, type RequestRecord } from './http-exchange.js';
import { PatchConflictError, PatchFormatError } from './patch.js';
import { parseRequestInfo } from './request-info.js';
import type { ResourceHandlers } from './resource-handlers.js';
import { typeAt } from './resources/index.js';
import { SelectorError } from './selectors.js';

const MAX_BODY_BYTES = 3 * 1024 * 1024;

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new ApiError(413, 'RequestEntityTooLarge', 'the server has received a request that is too large'));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof SelectorError || error instanceof PatchFormatError) return badRequest(error.message);
  // A JSON patch that does not apply (a failed `test` among them), as the API server reports it.
  if (error instanceof PatchConflictError) {
    return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', { causes: [{ message: error.message }] });
  }
  console.error('kube-sim: request failed:', error);
  return internalError(error instanceof Error ? error.message : String(error));
}

export class ApiServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** TCP connections accepted since the start: a client that keeps its connections alive opens few. */
  connectionsAccepted = 0;
  private address = '';

  constructor(
    private readonly handlers: ResourceHandlers,
    private readonly faults: RequestFaults,
    readonly requests: RequestRecord[],
    private readonly requestLogLimit: number,
  ) {
    this.server = createServer((request, response) => void this.serve(request, response));
    this.server.keepAliveTimeout = 65_000;
    this.server.on('connection', (socket) => {
      this.connectionsAccepted++;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const address = this.server.address() as AddressInfo;
        this.address = `${address.address}:${address.port}`;
        resolve(address);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://kube-sim');
    const info = parseRequestInfo(request.method ?? 'GET', url.pathname, url.searchParams);
    const exchange = new Exchange(request, response, info, url);
    this.requests.push(exchange.record);
    // A long local run would keep every request forever; the oldest go in batches, so a request stays O(1).
    if (this.requests.length > this.requestLogLimit) this.requests.splice(0, this.requests.length - Math.floor(this.requestLogLimit * 0.9));
    const fault = this.faults.take(exchange.record);
    if (fault === 'hang') return;
    if (fault === 'stall') {
      // Headers and then silence: to a watch, a connection that is open and dead.
      exchange.head(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      return void exchange.response.flushHeaders();
    }
    try {
      if (fault === 'fail') throw internalError('injected fault');
      if (!info.isResourceRequest) return this.serveDocument(exchange);
      const type = info.resource ? typeAt(info.group!, info.version!, info.resource) : undefined;
      if (!type) throw routeNotFound();
      await this.handlers.handle(exchange, type, () => readBody(request));
    } catch (error) {
      exchange.sendError(asApiError(error));
    }
  }

  private serveDocument(exchange: Exchange): void {
    const path = exchange.url.pathname.replace(/\/+$/, '') || '/';
    const accept = exchange.request.headers.accept;
    const parts = path.split('/').filter(Boolean);
    let document: Record<string, unknown> | undefined;
    if (exchange.request.method !== 'GET' && exchange.request.method !== 'HEAD') throw routeNotFound();
    if (['/healthz', '/livez', '/readyz'].includes(path)) return exchange.send(200, 'ok', 'text/plain');
    if (path === '/version') document = VERSION_INFO;
    else if (path === '/api' || path === '/apis') {
      if (acceptsAggregatedDiscovery(accept)) return exchange.send(200, aggregatedDiscovery(path === '/api'), AGGREGATED_DISCOVERY_CONTENT_TYPE);
      document = path === '/api' ? apiVersions(this.address) : apiGroupList();
    } else if (parts[0] === 'api' && parts.length === 2) document = apiResourceList('', parts[1]);
    else if (parts[0] === 'apis' && parts.length === 2) document = apiGroupDocument(parts[1]);
    else if (parts[0] === 'apis' && parts.length === 3) document = apiResourceList(parts[1], parts[2]);
    else if (path === '/openapi/v3') document = openApiIndex();
    else if (parts[0] === 'openapi' && parts[1] === 'v3') document = openApiDocument(parts.slice(2).join('/'));
    if (!document) throw routeNotFound();
    exchange.send(200, document);
  }
}
