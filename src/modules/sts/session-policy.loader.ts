import { Injectable } from '@nestjs/common';
import { parsePolicyDocument, type PolicyDocument } from '../../common/policy/policy-document.js';
import { sessionPolicyDocuments } from '../../common/sts/sts-params.js';
import { BUILTIN_BY_ARN } from '../policies/builtin-policies.js';
import { PoliciesRepository } from '../policies/policies.repository.js';

/**
 * The session policies of a temporary credential: its inline policy and the
 * current documents of its managed policy ARNs (read at use, as in AWS: a
 * deleted policy grants nothing). `undefined` = no session policy (the
 * identity's permissions apply unchanged); `[]` = nothing is allowed.
 */
@Injectable()
export class SessionPolicyLoader {
  constructor(private readonly policies: PoliciesRepository) {}

  async load(accountId: string, inline: string | null, policyArns: string[], required: boolean): Promise<PolicyDocument[] | undefined> {
    if (!inline && policyArns.length === 0) return required ? [] : undefined;
    const docs: PolicyDocument[] = [];
    docs.push(...sessionPolicyDocuments({ Policy: inline ?? undefined }));
    for (const arn of policyArns) {
      const text = BUILTIN_BY_ARN.get(arn)?.document ?? (await this.policies.findManagedByArn(accountId, arn))?.document;
      if (text) docs.push(parsePolicyDocument(text));
    }
    // The session policies together form one set (an Allow in any of them counts, a Deny in any
    // wins), which is then intersected with the identity's policies.
    return docs;
  }
}
