import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { MetadataScanner, ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

type ControllerClass = { name: string; prototype: Record<string, (...a: unknown[]) => unknown> } & (new (...a: unknown[]) => unknown);

export interface RegisteredRoute {
  /** e.g. "GET" */
  method: string;
  /** e.g. "/v1/accounts/:accountId/users" */
  path: string;
  controller: ControllerClass;
  /** the handler's method name */
  name: string;
  handler: (...a: unknown[]) => unknown;
}

/** Every route of the app, from Nest's own metadata (one path per handler). */
export function registeredRoutes(app: NestFastifyApplication): RegisteredRoute[] {
  const scanner = new MetadataScanner();
  const out: RegisteredRoute[] = [];
  for (const mod of app.get(ModulesContainer).values()) {
    for (const wrapper of mod.controllers.values()) {
      const controller = wrapper.metatype as unknown as ControllerClass;
      const base = ([] as string[]).concat(Reflect.getMetadata(PATH_METADATA, controller) ?? '')[0];
      for (const name of scanner.getAllMethodNames(controller.prototype)) {
        const handler = controller.prototype[name];
        const sub = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        if (sub === undefined) continue; // not a route
        if (typeof sub !== 'string') throw new Error(`${controller.name}.${name}: one path per route`);
        const path = '/' + [base, sub].filter((p) => p && p !== '/').map((p) => p.replace(/^\/+|\/+$/g, '')).join('/');
        out.push({ method: RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number], path, controller, name, handler });
      }
    }
  }
  return out;
}
