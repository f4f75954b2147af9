/**
 * The tests' fake OpenAI server as a process of its own, so a bench's client does not share its
 * event loop: `node dist/bench/fake-openai-server.js '{"delayMs": 1}'` prints {"url": ...} on
 * stdout and serves on 127.0.0.1 until killed.
 */
import { startFakeServer, type FakeOptions } from '../testing/fake-openai.js';

const server = await startFakeServer(JSON.parse(process.argv[2] ?? '{}') as FakeOptions);
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
