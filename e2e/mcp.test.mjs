// The MCP server at /mcp, driven by the official MCP TypeScript SDK over
// Streamable HTTP against the real binary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startToolgate, startUpstream } from './lib/toolgate.mjs';

let tg;
let upstream;
let agent;
let taskAgent;
let busyHit;
const clients = [];

before(async () => {
  let flakyCalls = 0;
  upstream = await startUpstream((req, body, res) => {
    if (req.url.startsWith('/flaky')) {
      // The first attempt fails; the retry succeeds.
      flakyCalls += 1;
      if (flakyCalls === 1) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"error":"try again"}');
        return;
      }
      return { saved: true, attempt: flakyCalls };
    }
    if (req.url.startsWith('/busy')) {
      // Busy for a minute: the run waits, queued, until it is cancelled.
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '60' });
      res.end('{"error":"busy"}');
      busyHit?.();
      return;
    }
    if (req.url.startsWith('/broken')) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"database down"}');
      return;
    }
    if (req.url.startsWith('/orders/')) {
      return { order: { id: decodeURIComponent(req.url.slice('/orders/'.length)), status: 'shipped', eta: 'tomorrow' } };
    }
    return { ok: true };
  });
  tg = await startToolgate();
  await tg.publishTool({
    name: 'ping', description: 'Check that the service is up.', url: `${upstream.url}/ping`,
  });
  await tg.publishTool({
    name: 'get_order', description: 'Look up an order once the caller gave its number.',
    url: `${upstream.url}/orders/{{args.order_id}}`,
    input_schema: {
      type: 'object',
      properties: { order_id: { type: 'string', description: 'The order number the caller gave.' } },
      required: ['order_id'],
    },
  });
  await tg.publishTool({
    name: 'broken', description: 'A tool whose service fails.', url: `${upstream.url}/broken`,
  });
  await tg.publishTool({
    name: 'save_note', description: 'Save a note to the CRM; slow, so it runs in the background.',
    method: 'POST', url: `${upstream.url}/flaky`, background: true,
    output_schema: { type: 'object', properties: { saved: { type: 'boolean' } }, required: ['saved'] },
  });
  await tg.publishTool({
    name: 'busy_note', description: 'Save a note to a busy CRM.', method: 'POST', url: `${upstream.url}/busy`,
    background: true, retry: { max_attempts: 5 },
  });
  agent = await tg.agentWithKey('mcp-bot', ['ping', 'get_order', 'broken']);
  taskAgent = await tg.agentWithKey('task-bot', ['save_note', 'busy_note', 'ping']);
});

after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await tg?.stop();
  await upstream?.close();
});

/**
 * Connects an MCP client with the key as a bearer token. The client's
 * sseOpen promise resolves once its standalone SSE stream (GET) is open:
 * the server has nowhere to send notifications before that.
 */
async function connect(key, setup = () => {}) {
  const client = new Client({ name: 'toolgate-e2e', version: '1.0.0' });
  setup(client);
  let opened;
  const sseOpen = new Promise((resolve) => { opened = resolve; });
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', tg.url), {
    requestInit: { headers: { Authorization: `Bearer ${key}` } },
    fetch: async (url, init) => {
      const res = await fetch(url, init);
      if (init?.method === 'GET' && res.ok) opened();
      return res;
    },
  });
  await client.connect(transport);
  clients.push(client);
  client.sseOpen = sseOpen;
  return client;
}

test('tools/list gives the agent its tools with input schemas', async () => {
  const client = await connect(agent.key);
  const { tools } = await client.listTools();
  const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
  assert.deepEqual(Object.keys(byName).sort(), ['broken', 'get_order', 'ping']);
  assert.equal(byName.get_order.description, 'Look up an order once the caller gave its number.');
  assert.equal(byName.get_order.inputSchema.type, 'object');
  assert.deepEqual(byName.get_order.inputSchema.required, ['order_id']);
  assert.equal(byName.get_order.inputSchema.properties.order_id.type, 'string');
  assert.deepEqual(byName.ping.inputSchema, { type: 'object' });
});

test('tools/call success returns structuredContent and JSON text', async () => {
  const client = await connect(agent.key);
  const res = await client.callTool({ name: 'get_order', arguments: { order_id: 'A-17' } });
  assert.notEqual(res.isError, true, JSON.stringify(res));
  const want = { order: { id: 'A-17', status: 'shipped', eta: 'tomorrow' } };
  assert.deepEqual(res.structuredContent, want);
  assert.equal(res.content.length, 1);
  assert.equal(res.content[0].type, 'text');
  assert.deepEqual(JSON.parse(res.content[0].text), want);

  // The call is recorded as a run of this agent, with the MCP session as
  // its conversation.
  const runId = res._meta?.['io.toolgate/run_id'];
  assert.ok(runId, `no run id in _meta: ${JSON.stringify(res._meta)}`);
  const run = await tg.must(200, 'GET', `/v1/admin/runs/${runId}`);
  assert.equal(run.outcome, 'success');
  assert.equal(run.agent_id, agent.agentId);
  assert.equal(run.context.channel, 'mcp');
  assert.equal(run.conversation_id, client.transport.sessionId);
});

test('tools/call with invalid arguments is a tool error naming the missing field', async () => {
  const client = await connect(agent.key);
  const before = upstream.requests.length;
  const res = await client.callTool({ name: 'get_order', arguments: { order: 17 } });
  assert.equal(res.isError, true, JSON.stringify(res));
  assert.match(res.content[0].text, /order_id/);
  assert.equal(res.structuredContent.error.type, 'invalid_arguments');
  assert.deepEqual(res.structuredContent.error.missing, ['order_id']);
  assert.equal(upstream.requests.length, before, 'invalid arguments must not reach the upstream');

  // The same words as the REST endpoint gives.
  const rest = await tg.api('POST', '/v1/tools/get_order/call', { arguments: { order: 17 } }, agent.key);
  assert.equal(rest.status, 422);
  assert.equal(res.content[0].text, `${rest.body.error.message} ${rest.body.error.hint}`);
});

test('tools/call whose upstream fails is a tool error with the model-readable message', async () => {
  const client = await connect(agent.key);
  const res = await client.callTool({ name: 'broken', arguments: {} });
  assert.equal(res.isError, true, JSON.stringify(res));
  assert.equal(res.structuredContent.outcome, 'server_error');
  assert.equal(res.structuredContent.status_code, 500);
  const rest = await tg.api('POST', '/v1/tools/broken/call', { arguments: {} }, agent.key);
  assert.equal(res.content[0].text, rest.body.error.message);
});

test('a missing or unknown key gets 401, an admin key 403', async () => {
  for (const [key, want] of [['', 401], ['tg_not_a_real_key_000000000000000', 401], [tg.adminKey, 403]]) {
    const client = new Client({ name: 'toolgate-e2e', version: '1.0.0' });
    const headers = key ? { Authorization: `Bearer ${key}` } : {};
    const transport = new StreamableHTTPClientTransport(new URL('/mcp', tg.url), { requestInit: { headers } });
    await assert.rejects(client.connect(transport), (err) => {
      assert.ok(err instanceof StreamableHTTPError, `got ${err}`);
      assert.equal(err.code, want);
      return true;
    });
  }
  const res = await fetch(new URL('/mcp', tg.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  assert.equal(res.status, 401);
  assert.equal((await res.json()).error.type, 'unauthorized');
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
});

test('publishing a tool to the agent sends notifications/tools/list_changed', async () => {
  let notified;
  const changed = new Promise((resolve) => { notified = resolve; });
  const client = await connect(agent.key, (c) => {
    c.setNotificationHandler(ToolListChangedNotificationSchema, () => notified());
  });
  await client.sseOpen;
  await tg.publishTool({ name: 'lookup', description: 'Look something up.', url: `${upstream.url}/lookup` });
  await tg.must(200, 'PATCH', `/v1/admin/agents/${agent.agentId}`, {
    tools: [{ name: 'ping' }, { name: 'get_order' }, { name: 'broken' }, { name: 'lookup' }],
  });
  await changed;
  const { tools } = await client.listTools();
  assert.ok(tools.some((t) => t.name === 'lookup'), JSON.stringify(tools.map((t) => t.name)));
});

test('unknown methods are JSON-RPC errors -32601, and the session goes on', async () => {
  const client = await connect(agent.key);
  await assert.rejects(client.request({ method: 'foo/bar', params: {} }, ToolListChangedNotificationSchema.passthrough()), (err) => {
    assert.ok(err instanceof McpError, `got ${err}`);
    assert.equal(err.code, ErrorCode.MethodNotFound);
    return true;
  });
  await client.ping();
});

test('tools carry a title, annotations and their output schema', async () => {
  const client = await connect(taskAgent.key);
  const { tools } = await client.listTools();
  const note = tools.find((t) => t.name === 'save_note');
  assert.equal(note.title, 'Save note');
  assert.deepEqual(note.annotations, { title: 'Save note', readOnlyHint: false, idempotentHint: false, openWorldHint: true });
  assert.deepEqual(note.outputSchema, { type: 'object', properties: { saved: { type: 'boolean' } }, required: ['saved'] });
  assert.deepEqual(note.execution, { taskSupport: 'optional' });
  const ping = tools.find((t) => t.name === 'ping');
  assert.equal(ping.annotations.readOnlyHint, true);
  assert.equal(ping.execution, undefined);
  assert.ok(client.getServerCapabilities().tasks?.requests?.tools?.call, JSON.stringify(client.getServerCapabilities()));
});

test('the task client runs a background tool end to end, through a retry', async () => {
  const client = await connect(taskAgent.key);
  await client.listTools(); // learns which tools run as tasks
  const seen = [];
  let result;
  let taskId;
  for await (const message of client.experimental.tasks.callToolStream({ name: 'save_note', arguments: { text: 'call back' } })) {
    seen.push(message.type === 'taskStatus' ? `status:${message.task.status}` : message.type);
    if (message.type === 'taskCreated') taskId = message.task.taskId;
    if (message.type === 'result') result = message.result;
    if (message.type === 'error') assert.fail(`task failed: ${message.error}`);
  }
  assert.equal(seen[0], 'taskCreated');
  assert.equal(seen.at(-2), 'status:completed');
  assert.equal(seen.at(-1), 'result');
  assert.deepEqual(result.structuredContent, { saved: true, attempt: 2 });
  assert.equal(result._meta['io.modelcontextprotocol/related-task'].taskId, taskId);

  const run = await tg.must(200, 'GET', `/v1/admin/runs/${taskId}`);
  assert.equal(run.attempts.length, 2, JSON.stringify(run.attempts));
  assert.equal(run.attempts[0].outcome, 'server_error');
  const task = await client.experimental.tasks.getTask(taskId);
  assert.equal(task.status, 'completed');
  const { tasks } = await client.experimental.tasks.listTasks();
  assert.ok(tasks.some((t) => t.taskId === taskId), JSON.stringify(tasks));

  // Another agent does not find it.
  const other = await connect(agent.key);
  await assert.rejects(other.experimental.tasks.getTask(taskId), (err) => err.code === ErrorCode.InvalidParams);
});

test('the task client cancels a queued background run', async () => {
  const client = await connect(taskAgent.key);
  await client.listTools();
  const hit = new Promise((resolve) => { busyHit = resolve; });
  let taskId;
  let error;
  for await (const message of client.experimental.tasks.callToolStream({ name: 'busy_note', arguments: {} })) {
    if (message.type === 'taskCreated') {
      taskId = message.task.taskId;
      await hit;
      const cancelled = await client.experimental.tasks.cancelTask(taskId);
      assert.equal(cancelled.status, 'cancelled');
    }
    if (message.type === 'error') error = message.error;
    if (message.type === 'result') assert.fail('a cancelled task gave a result');
  }
  assert.match(String(error), /cancelled/);
  const run = await tg.must(200, 'GET', `/v1/admin/runs/${taskId}`);
  assert.equal(run.status, 'failed');
  assert.equal(run.outcome, 'cancelled');
  await assert.rejects(client.experimental.tasks.cancelTask(taskId), (err) => err.code === ErrorCode.InvalidParams);
});
