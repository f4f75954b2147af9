import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Workspace } from '../data/workspace.js';
import { renderReport } from '../report/report.js';
import { UserError } from '../util/errors.js';
import { formatIssue } from '../util/zod.js';
import type { Metrics } from './metrics.js';
import { markdownToHtml } from './markdown.js';
import { parseJsonBody, readUtf8Body, tooLargeMessage } from './json-body.js';
import { openApiDocument } from './openapi.js';
import * as s from './schemas.js';
import type { RecommendationService } from './service.js';
import { webAssets } from './web-assets.js';

export interface ServerOptions {
  /** When set, POST /v1/items needs `Authorization: Bearer <token>`. */
  token?: string;
}

/** Validates one part of a request; a failure is a 400 naming the field. */
function parse<T extends z.ZodType>(schema: T, value: unknown, part: string): z.infer<T> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new UserError(`${part}: ${formatIssue(r.error)}`);
  return r.data;
}

/** Fastify's own 4xx errors, said the way the rest of the API says them. */
const FRAMEWORK_ERRORS: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: tooLargeMessage(s.LIMITS.bodyBytes),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'content-type: expected application/json',
  FST_ERR_BAD_URL: 'path: not a valid URL (a bad %-escape?)',
  FST_ERR_MAX_PARAM_LENGTH: 'path: a segment is too long',
};

const frameworkError = (err: Error & { code?: string }) => (err.code && FRAMEWORK_ERRORS[err.code]) || err.message;

const VERSION = (
  JSON.parse(readFileSync(fileURLToPath(new URL('../../../package.json', import.meta.url)), 'utf8')) as {
    version: string;
  }
).version;

/** The HTTP layer: routes, validation, limits, auth, metrics and errors; the model is `service`. */
export function buildServer(
  ws: Workspace,
  service: RecommendationService,
  metrics: Metrics,
  options: ServerOptions = {},
): FastifyInstance {
  const app = Fastify({
    bodyLimit: s.LIMITS.bodyBytes,
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Errors found before routing (a bad %-escape in the path), in the shape of every other 4xx.
    frameworkErrors: (err, _req, reply) =>
      void (reply as FastifyReply).code(err.statusCode ?? 400).send({ error: frameworkError(err) }),
  });
  const openapi = openApiDocument(VERSION);

  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', (_req, payload, done) => {
    readUtf8Body(payload, s.LIMITS.bodyBytes, s.LIMITS.drainBytes).then(
      (text) => {
        try {
          done(null, parseJsonBody(text));
        } catch (error) {
          done(error as Error, undefined);
        }
      },
      (error: Error) => done(error, undefined),
    );
  });

  app.addHook('onResponse', async (req, reply) => {
    metrics.request(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof UserError) return reply.code(400).send({ error: err.message });
    const status = err.statusCode ?? 500;
    if (status < 500) return reply.code(status).send({ error: frameworkError(err) });
    process.stderr.write(`error: ${req.method} ${req.url}: ${err.stack ?? err.message}\n`);
    return reply.code(500).send({ error: 'internal error' });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: `no route ${req.method} ${req.url.slice(0, 200)}` }),
  );

  const requireToken = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!options.token) return;
    const given = Buffer.from(req.headers.authorization ?? '');
    const wanted = Buffer.from(`Bearer ${options.token}`);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: `${req.method} ${req.routeOptions.url} needs the header "Authorization: Bearer <token>"` });
    }
  };

  app.get('/healthz', async () => ({
    status: 'ok' as const,
    model: service.model,
    version: service.version,
    items: service.items.count,
  }));
  app.get('/metrics', async (_req, reply) => {
    const index = service.items;
    reply.type(metrics.contentType);
    return metrics.render({
      indexItems: index.count,
      addedItems: index.count - index.trained,
      model: service.model,
      version: service.version,
    });
  });
  app.get('/openapi.json', async () => openapi);

  app.post('/v1/recommend', async (req) => {
    const start = performance.now();
    const b = parse(s.recommendRequestSchema, req.body, 'body');
    const items = await service.recommend(b.history, b.k, b.exclude_seen, b.explain, b.time, b.part);
    return { items, seconds: (performance.now() - start) / 1000 };
  });

  app.get('/v1/users/:id/recommendations', async (req, reply) => {
    const start = performance.now();
    const { id } = parse(s.userParamsSchema, req.params, 'path');
    const q = parse(s.userRecommendQuerySchema, req.query, 'query');
    if (!service.ds.userIndex.has(id))
      return reply.code(404).send({ error: `user "${id}" is not a user of this workspace` });
    const items = await service.recommendUser(id, q.k, q.exclude_seen, q.explain, q.part);
    return { items, seconds: (performance.now() - start) / 1000 };
  });

  app.get('/v1/items', async (req) => {
    const q = parse(s.searchQuerySchema, req.query, 'query');
    return { items: service.search(q.q, q.limit) };
  });
  app.post('/v1/items', { preHandler: requireToken }, async (req) =>
    service.addItems(parse(s.addItemsRequestSchema, req.body, 'body').items),
  );

  app.get('/v1/popular', async (req) => ({
    items: service.popular(parse(s.popularQuerySchema, req.query, 'query').k),
  }));
  app.get('/v1/model', async () => {
    const card = service.modelCard();
    return { about: service.describe(), card, card_html: markdownToHtml(card), parts: service.parts };
  });
  app.get('/report', async (_req, reply) => reply.type('text/html; charset=utf-8').send(renderReport(ws)));

  for (const asset of webAssets()) {
    app.get(asset.route, async (_req, reply) =>
      reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body),
    );
  }
  return app;
}
