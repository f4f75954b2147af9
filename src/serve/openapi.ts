import { z } from 'zod';
import * as s from './schemas.js';

const json = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};
const body = (schema: z.ZodType) => ({
  required: true,
  content: { 'application/json': { schema: json(schema, 'input') } },
});
const ok = (schema: z.ZodType, description = 'OK') => ({
  description,
  content: { 'application/json': { schema: json(schema, 'output') } },
});
const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: json(s.errorSchema, 'output') } },
});

/** Query or path parameters from an object schema, one per field. */
function parameters(schema: z.ZodObject, where: 'query' | 'path') {
  const js = json(schema, 'input') as { properties: Record<string, unknown>; required?: string[] };
  return Object.entries(js.properties).map(([name, p]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    schema: p,
  }));
}

const bad = error('a field is wrong: the message names it');

/** The OpenAPI 3.1 document of the service, generated from the same zod schemas that validate. */
export function openApiDocument(version: string) {
  return {
    openapi: '3.1.0',
    info: {
      title: 'r2end recommendation service',
      version,
      description: 'R2END: recommendations from a reasoning-distilled encoder, no LLM at serving time.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths: {
      '/v1/recommend': {
        post: {
          summary: 'Top-k items for a history of known items and/or free text',
          requestBody: body(s.recommendRequestSchema),
          responses: { 200: ok(s.recommendResponseSchema), 400: bad, 413: error('the body is larger than the limit') },
        },
      },
      '/v1/users/{id}/recommendations': {
        get: {
          summary: 'Top-k items for a user of the dataset, from their whole history',
          parameters: [...parameters(s.userParamsSchema, 'path'), ...parameters(s.userRecommendQuerySchema, 'query')],
          responses: { 200: ok(s.recommendResponseSchema), 400: bad, 404: error('no such user') },
        },
      },
      '/v1/items': {
        get: {
          summary: 'Search items by title',
          parameters: parameters(s.searchQuerySchema, 'query'),
          responses: { 200: ok(s.searchResponseSchema), 400: bad },
        },
        post: {
          summary: 'Add or update items at run time (encoded, projected, recommendable at once, persisted)',
          security: [{ bearer: [] }],
          requestBody: body(s.addItemsRequestSchema),
          responses: { 200: ok(s.addItemsResponseSchema), 400: bad, 401: error('a bearer token is required') },
        },
      },
      '/v1/popular': {
        get: {
          summary: 'The most popular items in training (baseline)',
          parameters: parameters(s.popularQuerySchema, 'query'),
          responses: { 200: ok(s.popularResponseSchema), 400: bad },
        },
      },
      '/v1/model': {
        get: {
          summary: 'What model is served, its model card (Markdown and HTML) and, for a hybrid, its parts',
          responses: { 200: ok(s.modelResponseSchema) },
        },
      },
      '/healthz': { get: { summary: 'Liveness', responses: { 200: ok(s.healthSchema) } } },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          responses: { 200: { description: 'text exposition format', content: { 'text/plain': {} } } },
        },
      },
      '/report': {
        get: {
          summary: 'The evaluation report (r2end report) as HTML',
          responses: { 200: { description: 'HTML', content: { 'text/html': {} } } },
        },
      },
    },
  };
}
