// The official OpenAI Node SDK against toolgate's chat runner, whose model
// API is a scripted local server: it asks for get_order, then answers from
// the tool result it was given.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startToolgate, startUpstream } from './lib/toolgate.mjs';

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
    return {
      id: 'chatcmpl-scripted', object: 'chat.completion', created: 1, model: r.model,
      choices: [{ index: 0, message, finish_reason: finish }],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
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

test('the turn is one conversation in the runs', async () => {
  const { response } = await client().chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Where is my order A-17?' }],
  }, { headers: { 'X-Toolgate-Conversation-Id': 'conv-e2e-1' } }).withResponse();
  assert.equal(response.headers.get('x-toolgate-conversation-id'), 'conv-e2e-1');
  const runs = await tg.must(200, 'GET', '/v1/admin/runs?conversation=conv-e2e-1');
  assert.equal(runs.items.length, 1);
});
