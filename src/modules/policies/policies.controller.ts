import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { AuthContext, ClientInfo } from '../../common/auth/auth-context.js';
import { Authorize, Client, CurrentAuth } from '../../common/auth/auth.decorators.js';
import { Res } from '../../common/auth/resource.js';
import { CreatePolicyDto, ListPoliciesQueryDto, PolicyDocumentDto } from './dto/policies.dto.js';
import { PoliciesService } from './policies.service.js';

/** Managed policies: the built-in (AWS-managed style) ones and the account's own. */
@ApiTags('policies')
@ApiBearerAuth()
@Controller('v1/accounts/:accountId/policies')
export class PoliciesController {
  constructor(private readonly policies: PoliciesService) {}

  @Post()
  @Authorize('iam:CreatePolicy', Res.newPolicy())
  create(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Body() dto: CreatePolicyDto, @Client() client: ClientInfo) {
    return this.policies.create(auth, accountId, { ...dto, document: JSON.stringify(dto.document) }, client);
  }

  @Get()
  @Authorize('iam:ListPolicies', Res.all())
  list(@Param('accountId') accountId: string, @Query() q: ListPoliciesQueryDto) {
    return this.policies.list(accountId, q.scope);
  }

  @Get(':policyName')
  @Authorize('iam:GetPolicy', Res.policy())
  get(@Param('accountId') accountId: string, @Param('policyName') name: string) {
    return this.policies.get(accountId, name);
  }

  @Put(':policyName/document')
  @Authorize('iam:CreatePolicyVersion', Res.policy())
  update(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('policyName') name: string, @Body() dto: PolicyDocumentDto, @Client() client: ClientInfo) {
    return this.policies.updateDocument(auth, accountId, name, JSON.stringify(dto.document), client);
  }

  @Delete(':policyName')
  @HttpCode(204)
  @Authorize('iam:DeletePolicy', Res.policy())
  async delete(@CurrentAuth() auth: AuthContext, @Param('accountId') accountId: string, @Param('policyName') name: string, @Client() client: ClientInfo) {
    await this.policies.delete(auth, accountId, name, client);
  }
}
