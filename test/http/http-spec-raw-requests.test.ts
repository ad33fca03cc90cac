/**
 * Requests refused before they reach a route still get an OperationOutcome in application/fhir+json (R4 http.html:
 * "In case of failure, servers SHOULD always return a body that contains an OperationOutcome"), sent over a real
 * socket because Node's HTTP parser refuses some of them itself: a malformed percent-encoding (RFC 3986 2.1) is a 400,
 * a request line longer than the server reads is 414 URI Too Long (RFC 9110 15.5.15), oversized header fields 431
 * (RFC 6585 section 5), and a method Node does not know is 501 Not Implemented (RFC 9110 section 9.1).
 */
import net from 'node:net';
import t from 'tap';
import { createTestServer, firstIssue } from './context.js';
import { responseProblems, type Recorded } from './http-spec-support.js';

const server = await createTestServer();
t.teardown(() => server.close());
await server.app.listen({ host: '127.0.0.1', port: 0 });
const address = server.app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
const responses: Recorded[] = [];

/** Writes the request as given and reads the response until the server closes the connection. */
async function rawRequest(requestHead: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.end(`${requestHead}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    // the server may close while the request is still being written
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? undefined : reject(error)));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
  const headEnd = raw.indexOf('\r\n\r\n');
  const [statusLine, ...headerLines] = raw.slice(0, headEnd).split('\r\n');
  const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  const body = raw.slice(headEnd + 4);
  const status = Number(statusLine.split(' ')[1]);
  let parsed: unknown = body;
  try { parsed = JSON.parse(body); } catch { /* recorded as text, reported by responseProblems */ }
  responses.push({ request: requestHead.slice(0, 60), status, contentType: headers['content-type'], body: parsed });
  return { status, headers, body };
}

t.test('R4 http.html: requests refused before routing answer with an OperationOutcome', async (t) => {
  const cases = [
    { name: 'malformed percent-encoding in the path -> 400', head: 'GET /fhir/Patient/%ZZ HTTP/1.1', status: 400, issueCode: 'invalid' },
    { name: 'request line over the header limit -> 414', head: `GET /fhir/Patient?name=${'x'.repeat(70_000)} HTTP/1.1`, status: 414, issueCode: 'too-long' },
    { name: 'header fields over the limit -> 431', head: `GET /fhir/Patient HTTP/1.1\r\nX-Padding: ${'x'.repeat(70_000)}`, status: 431, issueCode: 'too-long' },
    { name: 'unknown method -> 501', head: 'FOO /fhir/Patient/1 HTTP/1.1', status: 501, issueCode: 'not-supported' },
    { name: 'malformed request line -> 400', head: 'GET /fhir/Patient/1 HTTP/x.y', status: 400, issueCode: 'invalid' },
  ];
  for (const c of cases) {
    const response = await rawRequest(c.head);
    t.equal(response.status, c.status, c.name);
    t.equal(response.headers['content-type'], 'application/fhir+json; charset=utf-8', `${c.name}: Content-Type`);
    t.equal(firstIssue(response.body).code, c.issueCode, `${c.name}: issue code`);
  }
});

t.test('every OperationOutcome returned here is valid R4', async (t) => {
  t.same(responseProblems(server, responses), []);
});
