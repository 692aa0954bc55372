import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthContext } from '../../common/auth/auth-context.js';
import { clientInfoOf } from '../../common/auth/auth.decorators.js';
import { RESOURCE_LOOKUP, type ResourceLookup } from '../../common/auth/resource.js';
import { FormError, parseForm } from '../../common/aws-query/form.js';
import { clip, QueryProtocolError } from '../../common/aws-query/query-error.js';
import { lowerFirst, QueryParams } from '../../common/aws-query/query-params.js';
import { errorXml, hasXmlInvalidChars, successXml } from '../../common/aws-query/xml.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-codes.js';
import { parseSigV4 } from '../../common/sigv4/index.js';
import { SigV4Authenticator, sigv4RequestOf } from '../access-keys/sigv4-authenticator.service.js';
import { AccessGate } from '../auth/access-gate.service.js';
import { QUERY_SERVICES, type AuthedQueryRequest, type QueryAction, type QueryActionSet, type QueryService } from './query-action.js';
import { queryErrorOf } from './query-error-table.js';

/** The action table: `service:Action` → action, built once at start-up. */
export const QUERY_ACTION_TABLE = Symbol('QueryActionTable');
export type QueryActionTable = ReadonlyMap<string, QueryAction>;

/** Builds the action table from every action set; an action defined twice is a start-up error. */
export function buildActionTable(sets: readonly QueryActionSet[]): QueryActionTable {
  const table = new Map<string, QueryAction>();
  for (const set of sets) {
    for (const action of set.actions) {
      const key = `${action.service}:${action.name}`;
      if (table.has(key)) throw new Error(`AWS Query action ${action.name} (${action.service}) is defined twice (${set.constructor.name})`);
      table.set(key, action);
    }
  }
  return table;
}

/** What the controller sends. */
export interface QueryReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const SERVICE_BY_VERSION = new Map<string, QueryService>(
  (Object.entries(QUERY_SERVICES) as Array<[QueryService, { version: string }]>).map(([s, v]) => [v.version, s]),
);
const isQueryService = (s: string | undefined): s is QueryService => s === 'sts' || s === 'iam';

/** Presigned-URL authentication parameters: the verifier's, not the action's. */
const AUTH_PARAM_RE = /^x-amz-/i;

/**
 * The AWS Query transport: one request → one action. Parses the form (body of a POST, query
 * string of a GET), picks the service by `Version` (and the SigV4 scope), authenticates with
 * SigV4 unless the action is anonymous (failures audited by the authenticator), authorizes the
 * action's declaration (AccessGate: refusals audited), runs it and renders XML. Never throws:
 * every failure becomes AWS's error response.
 */
@Injectable()
export class AwsQueryDispatcher {
  constructor(
    @Inject(QUERY_ACTION_TABLE) private readonly table: QueryActionTable,
    private readonly authenticator: SigV4Authenticator,
    private readonly gate: AccessGate,
    @Inject(RESOURCE_LOOKUP) private readonly lookup: ResourceLookup,
  ) {}

  /** The actions of one service (docs, tests). */
  actionNames(service: QueryService): string[] {
    return [...this.table.values()].filter((a) => a.service === service).map((a) => a.name);
  }

  async handle(req: FastifyRequest): Promise<QueryReply> {
    const requestId = String(req.id);
    let service: QueryService = serviceHint(req);
    try {
      const params = readParams(req);
      const version = params.str('Version');
      const byVersion = version !== undefined ? SERVICE_BY_VERSION.get(version) : undefined;
      const scope = signingScope(req);
      if (byVersion) service = byVersion;
      else if (isQueryService(scope)) service = scope;

      // A signature scoped to another service than the one Version names is refused (and audited) by the authenticator.
      const auth = await this.authenticator.authenticate(req, byVersion ? { services: [service] } : {});

      const actionName = params.str('Action');
      if (actionName === undefined || actionName === '') throw QueryProtocolError.missingAction();
      const action = byVersion ? this.table.get(`${service}:${actionName}`) : undefined;
      if (!action) throw QueryProtocolError.invalidAction(actionName, version ?? 'NO_VERSION_SPECIFIED');
      if (!auth && !action.anonymous) throw QueryProtocolError.missingAuthenticationToken();

      const client = clientInfoOf(req);
      if (action.authorize && auth) {
        const authed: AuthedQueryRequest = { params, auth, client };
        const resource = await action.authorize.resource(authed, this.lookup);
        await this.gate.authorize(auth, action.authorize.action, resource, client);
      }
      const result = await action.run({ params, auth: auth as AuthContext | null, client });
      return reply(200, successXml(action.name, QUERY_SERVICES[service].xmlns, result, requestId), requestId);
    } catch (e) {
      return renderQueryError(e, service, req);
    }
  }
}

/** Renders any error as AWS's XML error (logging unexpected ones once, with their stack, server-side only). */
export function renderQueryError(e: unknown, service: QueryService, req: FastifyRequest): QueryReply {
  const requestId = String(req.id);
  const r = queryErrorOf(e, service);
  if (r.unexpected) req.log.error({ err: e }, 'unexpected error');
  else if (e instanceof DomainError && e.diagnostic) req.log.warn({ code: e.code }, e.diagnostic);
  const out = reply(r.status, errorXml(QUERY_SERVICES[service].xmlns, r.error, requestId), requestId);
  Object.assign(out.headers, r.headers);
  return out;
}

function reply(status: number, body: string, requestId: string): QueryReply {
  return {
    status,
    body,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId, 'cache-control': 'no-store' },
  };
}

/** The request's parameters: the form body of a POST plus the query string (without presign parameters). */
function readParams(req: FastifyRequest): QueryParams {
  const url = req.raw.url ?? '/';
  const q = url.indexOf('?');
  const fields = new Map<string, string>();
  for (const [k, v] of parseForm(q === -1 ? '' : url.slice(q + 1))) if (!AUTH_PARAM_RE.test(k)) fields.set(k, v);
  if (req.method === 'POST') {
    const body = bodyBytes(req);
    if (body && body.length > 0) {
      const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (type !== 'application/x-www-form-urlencoded') throw new DomainError(ErrorCode.UnsupportedMediaType, 'The request body must be application/x-www-form-urlencoded.');
      for (const [k, v] of parseForm(body)) {
        if (fields.has(k)) throw new FormError(`The request contains the parameter ${clip(k)} more than once.`);
        fields.set(k, v);
      }
    }
  }
  for (const [k, v] of fields) {
    if (hasXmlInvalidChars(k) || hasXmlInvalidChars(v)) {
      throw DomainError.validation(`1 validation error detected: Value at '${clip(lowerFirst(k))}' failed to satisfy constraint: Member must contain only valid XML characters`);
    }
  }
  return new QueryParams(fields);
}

function bodyBytes(req: FastifyRequest): Buffer | undefined {
  const raw = (req as FastifyRequest & { rawBody?: Buffer }).rawBody;
  if (raw) return raw;
  if (Buffer.isBuffer(req.body)) return req.body;
  if (typeof req.body === 'string') return Buffer.from(req.body, 'utf8');
  return req.body === undefined || req.body === null ? undefined : Buffer.from(JSON.stringify(req.body));
}

/** The service a SigV4 signature is scoped to, if the request carries a readable one. */
function signingScope(req: FastifyRequest): string | undefined {
  try {
    return parseSigV4(sigv4RequestOf(req))?.credential.service;
  } catch {
    return undefined; // the authenticator reports (and audits) a malformed signature
  }
}

/** Best guess of the service before the form is read (for errors raised that early). */
export function serviceHint(req: FastifyRequest): QueryService {
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? /Credential=[^/,\s]+\/\d{8}\/[^/,\s]+\/(sts|iam)\//.exec(auth) : null;
  if (m) return m[1] as QueryService;
  const url = req.raw.url ?? '';
  if (/[?&]Version=2010-05-08(?:&|$)/.test(url) || /X-Amz-Credential=[^&]*%2Fiam%2F/i.test(url)) return 'iam';
  return 'sts';
}

