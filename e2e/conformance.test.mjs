// Every platform and provider SDK accepts what toolgate sends. The tricky
// tools of schema/testdata/export ($ref and $defs, oneOf and anyOf, integer
// enums, nullable optionals, patterns, open maps, nested arrays of objects)
// are published through the admin API of the real binary; then each voice
// export must pass its platform SDK's own parser or type check, each
// adapter answer and each tool-calls answer the SDK's type of it, and each
// listing format the official TypeScript SDK's tool type.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startToolgate, startUpstream } from './lib/toolgate.mjs';
import { typecheck, typed } from './lib/typecheck.mjs';

const require = createRequire(import.meta.url);
const exportsDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'schema', 'testdata', 'export');
const secrets = { vapi: 'vapi-e2e-secret', elevenlabs: 'el-e2e-secret', retell: 'key_e2e_retell' };

let tg, upstream, agentId, agentKey;
const tricky = [];

before(async () => {
  tg = await startToolgate();
  upstream = await startUpstream((req, body, res) => {
    if (req.url.startsWith('/fail')) {
      res.writeHead(503).end();
      return undefined;
    }
    return { ok: true, order: { status: 'shipped' } };
  });
  for (const file of readdirSync(exportsDir).filter((f) => f.endsWith('.json')).sort()) {
    const name = basename(file, '.json');
    tricky.push(name);
    await tg.publishTool({
      name, description: 'Test tool.', method: 'POST', url: `${upstream.url}/tools/${name}`,
      input_schema: JSON.parse(readFileSync(join(exportsDir, file), 'utf8')),
    });
  }
  await tg.publishTool({ name: 'broken', description: 'A service that is down.', method: 'POST', url: `${upstream.url}/fail` });
  await tg.publishTool({ name: 'callback_later', description: 'Ask for a callback.', method: 'POST', url: `${upstream.url}/callbacks`, background: true });
  ({ agentId, key: agentKey } = await tg.agentWithKey('conformance', [...tricky, 'broken', 'callback_later'], {
    adapters: { vapi: { secret: secrets.vapi }, elevenlabs: { secret: secrets.elevenlabs }, retell: { api_key: secrets.retell } },
  }));
});

after(async () => {
  await tg?.stop();
  await upstream?.close();
});

async function exportFor(platform) {
  const out = await tg.must(200, 'GET', `/v1/admin/agents/${agentId}/export/${platform}`);
  assert.equal(out.tools.length, tricky.length + 2);
  for (const u of out.unconverted) assert.ok(u.tool && u.path && u.reason, JSON.stringify(u));
  return out;
}

function assertTypes(files) {
  const { ok, output } = typecheck(files);
  assert.ok(ok, `tsc refused toolgate's output:\n${output}`);
}

// ElevenLabs takes exactly one value source per literal property.
const valueSources = ['description', 'dynamicVariable', 'isSystemProvided', 'constantValue', 'isOmitted'];

function checkValueSources(schema, path, problems) {
  if (!schema || typeof schema !== 'object') return;
  if (['string', 'integer', 'number', 'boolean'].includes(schema.type)) {
    const sources = valueSources.filter((k) => schema[k] !== undefined);
    if (sources.length !== 1) problems.push(`${path}: value sources ${JSON.stringify(sources)}, want exactly one`);
  }
  for (const [name, prop] of Object.entries(schema.properties ?? {})) checkValueSources(prop, `${path}.${name}`, problems);
  if (schema.items) checkValueSources(schema.items, `${path}.items`, problems);
}

test('ElevenLabs: every export passes the SDK parser and has one value source per property', async () => {
  const { ToolRequestModel } = require('@elevenlabs/elevenlabs-js/serialization');
  const out = await exportFor('elevenlabs');
  const problems = [];
  for (const tool of out.tools) {
    const name = tool.tool_config.name;
    const parsed = ToolRequestModel.parse(tool, { unrecognizedObjectKeys: 'fail' });
    if (!parsed.ok) {
      problems.push(`${name}: ${JSON.stringify(parsed.errors)}`);
      continue;
    }
    const api = parsed.value.toolConfig.apiSchema;
    for (const [q, prop] of Object.entries(api.queryParamsSchema.properties)) checkValueSources(prop, `${name}.query.${q}`, problems);
    checkValueSources(api.requestBodySchema, `${name}.body`, problems);
  }
  assert.deepEqual(problems, []);
  assert.ok(out.unconverted.some((u) => u.tool === 'tag_record'), 'the open map of tag_record is reported');
});

test('Vapi and Retell: every export type-checks as the SDK tool type', async () => {
  const vapi = await exportFor('vapi');
  const retell = await exportFor('retell');
  assertTypes({
    'vapi_export.ts': 'import type { Vapi } from "@vapi-ai/server-sdk";\n' +
      typed('tools', 'Vapi.CreateToolsRequest.Function[]', vapi.tools),
    'retell_export.ts': 'import type { LlmCreateParams } from "retell-sdk/resources/llm";\n' +
      typed('tools', 'LlmCreateParams.CustomTool[]', retell.tools),
  });
});

test('Vapi: adapter answers type-check as ServerMessageResponseToolCalls', async () => {
  const call = (id, name, args) => ({ id, type: 'function', function: { name, arguments: args } });
  const res = await fetch(`${tg.url}/v1/adapters/vapi/${agentId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-vapi-secret': secrets.vapi },
    body: JSON.stringify({
      message: {
        type: 'tool-calls', call: { id: 'call-e2e', customer: { number: '+14155550123' } },
        toolCallList: [
          call('c1', 'get_order', { order_id: 'A-17' }),
          call('c2', 'get_order', { order_id: 'nope' }),
          call('c3', 'broken', {}),
          call('c4', 'callback_later', {}),
          call('c5', 'no_such_tool', {}),
        ],
      },
    }),
  });
  assert.equal(res.status, 200);
  const answer = await res.json();
  assert.deepEqual(answer.results.map((r) => [r.toolCallId, r.name]),
    [['c1', 'get_order'], ['c2', 'get_order'], ['c3', 'broken'], ['c4', 'callback_later'], ['c5', 'no_such_tool']]);
  assert.ok(answer.results[2].error && answer.results[3].message?.type === 'request-complete');
  assertTypes({
    'vapi_answer.ts': 'import type { Vapi } from "@vapi-ai/server-sdk";\n' +
      typed('answer', 'Vapi.ServerMessageResponseToolCalls', answer),
  });
});

test('Retell and ElevenLabs: adapter answers are the JSON their model reads', async () => {
  // Neither SDK types a custom function's answer: the platform hands the
  // body to its model as it is. It must be JSON, and always HTTP 200.
  const body = JSON.stringify({ name: 'get_order', args: { order_id: 'A-17' }, call: { call_id: 'c-e2e', from_number: '+1' } });
  const stamp = String(Date.now());
  const digest = createHmac('sha256', secrets.retell).update(body + stamp).digest('hex');
  const retell = await fetch(`${tg.url}/v1/adapters/retell/${agentId}`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-retell-signature': `v=${stamp},d=${digest}` }, body,
  });
  assert.equal(retell.status, 200);
  assert.deepEqual(await retell.json(), { ok: true, order: { status: 'shipped' } });
  const el = await fetch(`${tg.url}/v1/adapters/elevenlabs/${agentId}/broken?conversation_id=conv&caller_id=%2B1`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-elevenlabs-secret': secrets.elevenlabs }, body: '{}',
  });
  assert.equal(el.status, 200);
  assert.match((await el.json()).error, /broken/);
});

// Gemini's Schema types its type as the enum Type (STRING, OBJECT, ...);
// the SDK itself takes the lower-case JSON Schema names and upper-cases
// them (processJsonSchema), and so does the API. Everything else is the
// SDK's own FunctionDeclaration and Schema.
const geminiTypes = `import type { FunctionDeclaration, Schema, Type } from "@google/genai";
type WireSchema = Omit<Schema, "type" | "properties" | "items" | "anyOf"> & {
  type?: Type | Lowercase<\`\${Type}\`>;
  properties?: Record<string, WireSchema>;
  items?: WireSchema;
  anyOf?: WireSchema[];
};
type WireDeclaration = Omit<FunctionDeclaration, "parameters"> & { parameters?: WireSchema };
`;

test('listings type-check as the official SDK tool types', async () => {
  const listing = async (format) => (await tg.must(200, 'GET', `/v1/tools?format=${format}`, undefined, agentKey)).tools;
  const files = {
    'openai.ts': 'import type OpenAI from "openai";\n' +
      typed('tools', 'OpenAI.Chat.Completions.ChatCompletionFunctionTool[]', await listing('openai')),
    'openai_strict.ts': 'import type OpenAI from "openai";\n' +
      typed('tools', 'OpenAI.Chat.Completions.ChatCompletionFunctionTool[]', await listing('openai_strict')),
    'openai_responses.ts': 'import type OpenAI from "openai";\n' +
      typed('tools', 'OpenAI.Responses.FunctionTool[]', await listing('openai_responses')),
    'anthropic.ts': 'import type Anthropic from "@anthropic-ai/sdk";\n' +
      typed('tools', 'Anthropic.Messages.Tool[]', await listing('anthropic')),
    'anthropic_strict.ts': 'import type Anthropic from "@anthropic-ai/sdk";\n' +
      typed('tools', 'Anthropic.Messages.Tool[]', await listing('anthropic_strict')),
    'gemini.ts': geminiTypes + typed('tools', 'WireDeclaration[]', await listing('gemini')),
  };
  assertTypes(files);
  const strict = await listing('anthropic_strict');
  assert.ok(strict.some((t) => t.strict === true) && strict.some((t) => !t.strict), 'anthropic_strict lists strict tools, and the rest without');
});

test('tool-calls answers type-check as each SDK takes them back', async () => {
  const batch = async (body) => tg.must(200, 'POST', '/v1/tool-calls', body, agentKey);
  const openai = await batch({ tool_calls: [
    { id: 'call_1', type: 'function', function: { name: 'get_order', arguments: '{"order_id":"A-17"}' } },
    { id: 'call_2', type: 'function', function: { name: 'broken', arguments: '{}' } },
  ] });
  const anthropic = await batch({ tool_uses: [
    { type: 'tool_use', id: 'toolu_1', name: 'get_order', input: { order_id: 'A-17' } },
    { type: 'tool_use', id: 'toolu_2', name: 'broken', input: {} },
  ] });
  const responses = await batch({ function_calls: [
    { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'get_order', arguments: '{"order_id":"A-17"}', status: 'completed' },
    { type: 'function_call', id: 'fc_2', call_id: 'call_2', name: 'callback_later', arguments: '{}', status: 'completed' },
  ] });
  const gemini = await batch({ parts: [
    { functionCall: { id: 'g1', name: 'get_order', args: { order_id: 'A-17' } } },
    { functionCall: { name: 'get_order', args: { order_id: 'nope' } } },
  ] });
  assert.deepEqual(gemini.parts[0].functionResponse.response, { output: { ok: true, order: { status: 'shipped' } } });
  assert.match(gemini.parts[1].functionResponse.response.error, /order_id/);
  assertTypes({
    'batch_openai.ts': 'import type OpenAI from "openai";\n' +
      typed('messages', 'OpenAI.Chat.Completions.ChatCompletionToolMessageParam[]', openai.messages),
    'batch_anthropic.ts': 'import type Anthropic from "@anthropic-ai/sdk";\n' +
      typed('results', 'Anthropic.Messages.ToolResultBlockParam[]', anthropic.tool_results),
    'batch_responses.ts': 'import type OpenAI from "openai";\n' +
      typed('items', 'OpenAI.Responses.ResponseInputItem.FunctionCallOutput[]', responses.function_call_outputs),
    'batch_gemini.ts': 'import type { Part } from "@google/genai";\n' + typed('parts', 'Part[]', gemini.parts),
  });
});
