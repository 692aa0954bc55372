import type { OidcProviderRow } from './oidc-providers.repository.js';

/** The API's view of an OIDC provider (IAM GetOpenIDConnectProvider shape; stored keys are never shown). */
export function oidcProviderView(p: OidcProviderRow) {
  return {
    providerId: p.id,
    arn: p.arn,
    url: p.url,
    clientIdList: Array.isArray(p.audiences) ? (p.audiences as string[]) : [],
    jwksUri: p.jwksUri,
    hasStoredJwks: p.jwks !== null && p.jwks !== undefined,
    createDate: p.createdAt.toISOString(),
  };
}

export type OidcProviderView = ReturnType<typeof oidcProviderView>;
