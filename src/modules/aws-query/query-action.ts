import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import type { ResourceLookup } from '../../common/auth/resource.js';
import type { QueryParams } from '../../common/aws-query/query-params.js';

/** The two AWS Query services the broker speaks. */
export type QueryService = 'sts' | 'iam';

/** API version each service's requests must name (`Version=`), and its XML namespace. */
export const QUERY_SERVICES: Record<QueryService, { version: string; xmlns: string }> = {
  sts: { version: '2011-06-15', xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/' },
  iam: { version: '2010-05-08', xmlns: 'https://iam.amazonaws.com/doc/2010-05-08/' },
};

/** One AWS Query request, after parsing and authentication. */
export interface QueryRequest {
  params: QueryParams;
  /** The caller; null only for anonymous actions (AssumeRoleWithWebIdentity). */
  auth: AuthContext | null;
  client: ClientInfo;
}

/** An authenticated request (every action but the anonymous ones). */
export type AuthedQueryRequest = QueryRequest & { auth: AuthContext };

/**
 * The members of an `<Action>Result` element, in order. Serialised to XML as:
 * object keys in insertion order → child elements; arrays → `<member>` children;
 * Date → ISO 8601; boolean → true/false; number/bigint → decimal; null/undefined → omitted.
 */
export type QueryResult = { [member: string]: QueryValue };
export type QueryValue = string | number | bigint | boolean | Date | null | undefined | QueryValue[] | { [member: string]: QueryValue };

/**
 * One AWS Query action. The dispatcher parses the form, checks `Version`,
 * authenticates with SigV4 (service scope must match `service`) unless
 * `anonymous`, authorizes `authorize` when given (AccessGate: the caller's
 * policies; refusals audited), then calls `run`. `run` returns the result
 * members, or undefined for actions whose response has no Result element.
 * Errors are DomainErrors, mapped by the transport's one error table.
 */
export interface QueryAction {
  service: QueryService;
  /** e.g. "CreateUser" */
  name: string;
  anonymous?: boolean;
  /** The IAM action and resource ARN to authorize before running; omit when the service checks its own rules (STS). */
  authorize?: {
    action: string;
    resource: (req: AuthedQueryRequest, lookup: ResourceLookup) => string | Promise<string>;
  };
  run(req: QueryRequest): Promise<QueryResult | undefined>;
}

/** A provider contributing actions (one per capability: users, access keys, MFA, …). */
export interface QueryActionSet {
  readonly actions: QueryAction[];
}
