import { Command } from 'commander';
import { Workspace } from '../data/workspace.js';
import { Metrics } from '../serve/metrics.js';
import { buildServer } from '../serve/server.js';
import { BATCHES_IN_FLIGHT, RecommendationService } from '../serve/service.js';
import { UserError } from '../util/errors.js';
import { parseIntFlag, parseModelName, parseNumberFlag } from './flags.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('HTTP recommendation service and web page for a trained model (no LLM at serving time)')
    .requiredOption('--work <dir>', 'workspace folder with a trained model')
    .option('--port <port>', 'TCP port (0: any free port)', '8080')
    .option('--host <host>', 'address to bind (the default serves this machine only)', '127.0.0.1')
    .option(
      '--model <name>',
      'any recommender evaluate takes (pop, itemknn, a trained model); default: the best by validation NDCG@10',
    )
    .option(
      '--token <token>',
      'bearer token the write endpoint (POST /v1/items) requires (default: $R2END_TOKEN, else none)',
    )
    .option('--batch-window <ms>', 'micro-batching: how long a request waits for others to share an engine batch', '2')
    .option('--max-batch <n>', 'micro-batching: the most histories per engine batch', '64')
    .option(
      '--batches-in-flight <n>',
      'micro-batching: batches ranked at once (with more than one, a batch ranks while the engine encodes the next)',
      String(BATCHES_IN_FLIGHT),
    )
    .option('--cache <n>', 'history vectors kept for repeated histories (0: encode every request)', '10000')
    .action(async (o) => {
      const port = parseIntFlag('--port', o.port, 0, 65535);
      const windowMs = parseNumberFlag('--batch-window', o.batchWindow, 0, 1000);
      const maxBatch = parseIntFlag('--max-batch', o.maxBatch, 1, 4096);
      const inFlight = parseIntFlag('--batches-in-flight', o.batchesInFlight, 1, 64);
      const cacheSize = parseIntFlag('--cache', o.cache, 0, 10_000_000);
      const model = o.model === undefined ? undefined : parseModelName('--model', o.model);
      const token: string | undefined = o.token ?? process.env.R2END_TOKEN;
      if (token !== undefined && token.length < 8) throw new UserError('--token: expected at least 8 characters');
      const ws = Workspace.openPrepared(o.work);
      const metrics = new Metrics();
      const service = await RecommendationService.open(ws, metrics, { model, windowMs, maxBatch, inFlight, cacheSize });
      const app = buildServer(ws, service, metrics, { token });
      let address: string;
      try {
        address = await app.listen({ port, host: o.host });
      } catch (error) {
        throw new UserError(`--host ${o.host} --port ${port}: cannot listen (${(error as Error).message})`);
      }
      process.stdout.write(
        `r2end serve: ${address} (model ${service.model}${model ? '' : ', the best by validation NDCG@10'}, version ${service.version}, ${service.items.count} items${token ? ', writes need a bearer token' : ''})\n`,
      );
      // Graceful stop: no new connections, in-flight requests finish, then the workspace closes.
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          process.stdout.write(`r2end serve: ${signal}, finishing in-flight requests\n`);
          void app.close().then(resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
        // A retrained model is picked up without a restart; requests in flight finish on the old one.
        process.on('SIGHUP', () => {
          service.reload().then(
            ({ from, to }) =>
              process.stdout.write(`r2end serve: SIGHUP, model ${service.model} reloaded (version ${from} -> ${to})\n`),
            (error: Error) =>
              process.stderr.write(
                `r2end serve: SIGHUP, reload failed, still serving the old model: ${error.message}\n`,
              ),
          );
        });
      });
      ws.close();
    });
}
