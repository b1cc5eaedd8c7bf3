// The official OpenAI Node SDK against toolgate's chat runner, whose model
// API is a scripted local server: it asks for get_order, then answers from
// the tool result it was given, streamed when asked to.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startToolgate, startUpstream } from './lib/toolgate.mjs';
import { typecheck, typed } from './lib/typecheck.mjs';

let tg, upstream, llm, agentKey;

before(async () => {
  tg = await startToolgate();
  upstream = await startUpstream(() => ({ order: { id: 'A-17', status: 'shipped', eta: 'tomorrow' } }));
  llm = await startUpstream((req, body, res) => {
    if (req.url !== '/v1/chat/completions') {
      res.writeHead(404).end();
      return undefined;
    }
    const r = JSON.parse(body);
    const last = r.messages[r.messages.length - 1];
    const message = { role: 'assistant', content: null };
    let finish = 'stop';
    if (last.role === 'tool') {
      const result = JSON.parse(last.content);
      message.content = `Your order A-17 is ${result['order.status']} and arrives ${result['order.eta']}.`;
    } else {
      message.tool_calls = [{ id: 'call_1', type: 'function', function: { name: 'get_order', arguments: '{"order_id":"A-17"}' } }];
      finish = 'tool_calls';
    }
    const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
    if (r.stream) {
      // As OpenAI streams: the role, the text in pieces, the tool call's
      // name and then its arguments in pieces, the finish reason.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const send = (delta, finishReason = null, extra = {}) => res.write(`data: ${JSON.stringify({
        id: 'chatcmpl-scripted', object: 'chat.completion.chunk', created: 1, model: r.model, system_fingerprint: 'fp_scripted',
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], ...extra,
      })}\n\n`);
      send({ role: 'assistant', content: '' });
      for (const word of (message.content ?? '').split(/(?<= )/)) if (word) send({ content: word });
      for (const [index, call] of (message.tool_calls ?? []).entries()) {
        send({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] });
        const half = call.function.arguments.length >> 1;
        for (const piece of [call.function.arguments.slice(0, half), call.function.arguments.slice(half)]) {
          send({ tool_calls: [{ index, function: { arguments: piece } }] });
        }
      }
      send({}, finish);
      if (r.stream_options?.include_usage) {
        res.write(`data: ${JSON.stringify({ id: 'chatcmpl-scripted', object: 'chat.completion.chunk', created: 1, model: r.model, choices: [], usage })}\n\n`);
      }
      res.end('data: [DONE]\n\n');
      return undefined;
    }
    return {
      id: 'chatcmpl-scripted', object: 'chat.completion', created: 1, model: r.model,
      choices: [{ index: 0, message, finish_reason: finish }], usage, system_fingerprint: 'fp_scripted',
    };
  });

  await tg.must(201, 'POST', '/v1/admin/connections', {
    name: 'llm', base_url: `${llm.url}/v1`, secrets: { api_key: 'sk-e2e-test' },
  });
  await tg.publishTool({
    name: 'get_order', description: "Look up an order's status and ETA once the caller gave the order id.",
    url: `${upstream.url}/orders/{{args.order_id}}`,
    input_schema: { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] },
    response: { select: ['order.status', 'order.eta'] },
  });
  ({ key: agentKey } = await tg.agentWithKey('shop', ['get_order'], {
    instructions: "You are Acme Shop's assistant.",
    model: { name: 'gpt-4o-mini', connection: 'llm' },
  }));
});

after(async () => {
  await tg?.stop();
  await upstream?.close();
  await llm?.close();
});

function client() {
  return new OpenAI({ baseURL: `${tg.url}/v1`, apiKey: agentKey, maxRetries: 0 });
}

test('chat.completions.create runs the tool loop', async () => {
  const before = upstream.requests.length;
  const llmBefore = llm.requests.length;
  const completion = await client().chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Where is my order A-17?' }],
  });
  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.choices[0].message.role, 'assistant');
  assert.equal(completion.choices[0].message.content, 'Your order A-17 is shipped and arrives tomorrow.');
  assert.equal(completion.choices[0].finish_reason, 'stop');

  const calls = upstream.requests.slice(before);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].url, '/orders/A-17');

  const asked = llm.requests.slice(llmBefore).map((r) => ({ ...r, json: JSON.parse(r.body) }));
  assert.equal(asked.length, 2);
  assert.equal(asked[0].headers.authorization, 'Bearer sk-e2e-test');
  assert.equal(asked[0].json.messages[0].role, 'system');
  assert.match(asked[0].json.messages[0].content, /get_order: Look up an order/);
  assert.equal(asked[0].json.tools[0].function.name, 'get_order');
  const toolMsg = asked[1].json.messages.at(-1);
  assert.equal(toolMsg.role, 'tool');
  assert.equal(toolMsg.tool_call_id, 'call_1');
  assert.deepEqual(JSON.parse(toolMsg.content), { 'order.status': 'shipped', 'order.eta': 'tomorrow' });
});

test('chat.completions.create streams the answer', async () => {
  const before = upstream.requests.length;
  const stream = await client().chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Where is my order A-17?' }],
    stream: true,
  });
  let text = '';
  let finish = null;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    for (const choice of chunk.choices) {
      text += choice.delta.content ?? '';
      finish = choice.finish_reason ?? finish;
    }
  }
  assert.equal(text, 'Your order A-17 is shipped and arrives tomorrow.');
  assert.equal(finish, 'stop');
  assert.equal(upstream.requests.length - before, 1);
  assert.equal(upstream.requests.at(-1).url, '/orders/A-17');
});

test('completions and chunks are in OpenAI\'s own shapes', async () => {
  const ask = (extra) => fetch(`${tg.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${agentKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Where is my order A-17?' }], ...extra }),
  });
  const completion = await (await ask({})).json();
  const sse = await (await ask({ stream: true, stream_options: { include_usage: true } })).text();
  const events = sse.trim().split('\n\n');
  assert.equal(events.at(-1), 'data: [DONE]');
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.replace(/^data: /, '')));
  assert.equal(chunks.at(-1).usage.total_tokens, 30);
  for (const text of [JSON.stringify(completion), ...chunks.map((c) => JSON.stringify(c))]) {
    assert.ok(!text.includes('content_filter_results') && !text.includes('"system_fingerprint":""'), text);
  }
  const { ok, output } = typecheck({
    'completion.ts': 'import type OpenAI from "openai";\n' +
      typed('completion', 'OpenAI.Chat.Completions.ChatCompletion', completion) +
      typed('chunks', 'OpenAI.Chat.Completions.ChatCompletionChunk[]', chunks),
  });
  assert.ok(ok, `tsc refused the chat runner's answers:\n${output}`);
});

test('parameters the runner cannot pass are refused, not dropped', async () => {
  await assert.rejects(client().chat.completions.create({
    model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], modalities: ['text', 'audio'],
  }), (err) => err.status === 400 && /modalities/.test(err.message));
  const llmBefore = llm.requests.length;
  await client().chat.completions.create({
    model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Where is my order A-17?' }],
    response_format: { type: 'json_object' }, reasoning_effort: 'low', metadata: { team: 'e2e' },
  });
  for (const r of llm.requests.slice(llmBefore).map((x) => JSON.parse(x.body))) {
    assert.deepEqual([r.response_format, r.reasoning_effort, r.metadata], [{ type: 'json_object' }, 'low', { team: 'e2e' }]);
    assert.equal(r.tools[0].function.strict, true);
  }
});

test('the turn is one conversation in the runs', async () => {
  const { response } = await client().chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Where is my order A-17?' }],
  }, { headers: { 'X-Toolgate-Conversation-Id': 'conv-e2e-1' } }).withResponse();
  assert.equal(response.headers.get('x-toolgate-conversation-id'), 'conv-e2e-1');
  const runs = await tg.must(200, 'GET', '/v1/admin/runs?conversation=conv-e2e-1');
  assert.equal(runs.items.length, 1);
});
