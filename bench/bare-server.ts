/** Baseline: a bare Fastify server answering GET /Patient/:id with a fixed Patient JSON (BENCH_PAYLOAD_FILE) on BENCH_PORT. */
import fs from 'node:fs';
import Fastify from 'fastify';

const payload = fs.readFileSync(process.env.BENCH_PAYLOAD_FILE!, 'utf8');
const app = Fastify({ logger: false });
app.get('/Patient/:id', async (_request, reply) => reply.type('application/fhir+json').send(payload));
await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT) });
