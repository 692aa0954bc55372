import { Injectable } from '@nestjs/common';
import type { GraphContext } from './graph-context.js';
import { GraphLoaders } from './graph-loaders.js';
import { GraphReadRepository } from './graph-read.repository.js';

/** The request's loaders, created on first use and kept on the GraphQL context (never shared between requests). */
@Injectable()
export class GraphLoaderFactory {
  constructor(private readonly repo: GraphReadRepository) {}

  of(ctx: GraphContext): GraphLoaders {
    return (ctx.loaders ??= new GraphLoaders(this.repo));
  }
}
