import { Injectable } from '@nestjs/common';
import { parsePolicyDocument, type PolicyDocument } from '../../common/policy/policy-document.js';
import { sessionPolicyDocuments } from '../../common/sts/sts-params.js';
import { refKey, type AccountRef } from '../../db/account-refs.js';
import { BUILTIN_BY_ARN } from '../policies/builtin-policies.js';
import { PoliciesRepository } from '../policies/policies.repository.js';

/** What a temporary credential was given as session policies (as stored with it). */
export interface SessionPolicySource {
  accountId: string;
  /** The inline `Policy`, as given. */
  inline: string | null;
  /** `PolicyArns`. */
  arns: string[];
  /** Federated users: without a session policy they may do nothing. */
  required: boolean;
}

/** The session policies' current documents, and a key that changes whenever one of them does. */
export interface SessionPolicyTexts {
  texts: string[];
  key: string;
}

/**
 * The session policies of temporary credentials: their inline policy and the
 * current documents of their managed policy ARNs (read at use, as in AWS: a
 * deleted policy grants nothing). `undefined` = no session policy (the
 * identity's permissions apply unchanged); `[]` = nothing is allowed. Many
 * credentials at once: their customer managed policies come in one query.
 */
@Injectable()
export class SessionPolicyLoader {
  constructor(private readonly policies: PoliciesRepository) {}

  /** The documents' texts of each source (in `sources` order), customer managed ones read in one query. */
  async texts(sources: SessionPolicySource[]): Promise<SessionPolicyTexts[]> {
    const customer: AccountRef[] = sources.flatMap((s) => s.arns.filter((arn) => !BUILTIN_BY_ARN.has(arn)).map((arn) => ({ accountId: s.accountId, id: arn })));
    const stored = await this.policies.managedDocumentsByArns(customer);
    return sources.map((s) => {
      const managed = s.arns.map((arn) => BUILTIN_BY_ARN.get(arn)?.document ?? stored.get(refKey(s.accountId, arn))).filter((t): t is string => t !== undefined);
      return { texts: managed, key: JSON.stringify([s.required, s.inline, managed]) };
    });
  }

  /** The parsed session policies of `source`, whose managed documents are `texts`. */
  documents(source: SessionPolicySource, texts: SessionPolicyTexts): PolicyDocument[] | undefined {
    if (!source.inline && source.arns.length === 0) return source.required ? [] : undefined;
    // The session policies together form one set (an Allow in any of them counts, a Deny in any
    // wins), which is then intersected with the identity's policies.
    return [...sessionPolicyDocuments({ Policy: source.inline ?? undefined }), ...texts.texts.map((t) => parsePolicyDocument(t))];
  }
}
