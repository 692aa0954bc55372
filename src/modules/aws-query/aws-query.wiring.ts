import type { Provider, Type } from '@nestjs/common';
import { AwsQueryController } from './aws-query.controller.js';
import { AwsQueryDispatcher, buildActionTable, QUERY_ACTION_TABLE } from './aws-query.dispatcher.js';
import { IAM_ACTION_SETS } from './iam/iam-actions.wiring.js';
import type { QueryActionSet } from './query-action.js';
import { StsQueryActions } from './sts/sts.actions.js';

/** Every action set: STS's and IAM's (a duplicate action name stops start-up). */
const ACTION_SETS: Type<QueryActionSet>[] = [StsQueryActions, ...IAM_ACTION_SETS];

/** The AWS Query transport (STS and IAM wire protocol). */
export const AWS_QUERY_CONTROLLERS: Type<unknown>[] = [AwsQueryController];
export const AWS_QUERY_PROVIDERS: Provider[] = [
  ...ACTION_SETS,
  { provide: QUERY_ACTION_TABLE, useFactory: (...sets: QueryActionSet[]) => buildActionTable(sets), inject: ACTION_SETS },
  AwsQueryDispatcher,
];
