// The admin console in a real browser: Debian's Chromium driven by
// playwright-core. Sign in, register a tool through the UI, call it over the
// API, watch the run appear, open it, check the request and response panes,
// replay it with edited arguments, and save a screenshot.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startToolgate, startUpstream } from './lib/toolgate.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = process.env.TOOLGATE_ARTIFACTS || join(process.cwd(), 'artifacts');

let tg, upstream, browser;

before(async () => {
  upstream = await startUpstream((req, body) => ({
    echo: { method: req.method, url: req.url, body },
    order: { status: 'shipped', note: '<script>window.__pwned = true</script>' },
  }));
  tg = await startToolgate();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  await tg?.stop();
  await upstream?.close();
});

test('console: sign in, register a tool, watch a run, open it, replay it', async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err));
  page.on('console', (msg) => { if (msg.type() === 'error') pageErrors.push(new Error(`${msg.text()} ${msg.location().url}`)); });

  // Signed out, the console sends us to the sign-in form.
  await page.goto(tg.url + '/ui');
  await page.waitForURL('**/ui/signin');
  await page.fill('#key', tg.adminKey);
  await page.click('button[type=submit]');
  await page.waitForURL('**/ui/runs');
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'toolgate_session');
  assert.ok(session, 'a session cookie is set');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Strict');

  // Register a tool through the UI and publish it.
  await page.click('nav >> text=Tools');
  await page.waitForURL('**/ui/tools');
  const def = {
    name: 'get_order',
    description: "Look up an order's status and ETA. Call only after the caller has given the order id.",
    method: 'POST',
    url: `${upstream.url}/orders/{{args.order_id}}`,
    input_schema: {
      type: 'object',
      properties: { order_id: { type: 'string', description: 'The order id, e.g. A-1001' } },
      required: ['order_id'],
    },
  };
  await page.fill('#definition', JSON.stringify(def, null, 2));
  await page.click('#register-form button[type=submit]');
  await page.waitForURL(/\/ui\/tools\/[0-9a-f-]+$/);
  await page.click('#publish-form button');
  await page.waitForURL(/published=1/);
  assert.match(await page.textContent('#tool-status'), /published v1/);

  // An agent with the tool, and a call over the API.
  const { key } = await tg.agentWithKey('support-bot', ['get_order']);

  // Open the runs list first: the run must appear without a reload.
  await page.click('nav >> text=Runs');
  await page.waitForURL('**/ui/runs');
  const call = await tg.must(200, 'POST', '/v1/tools/get_order/call',
    { arguments: { order_id: 'A-1001' }, context: { conversation_id: 'conv-e2e' } }, key);
  assert.equal(call.outcome, 'success');
  const row = page.locator(`tr[data-run="${call.run_id}"]`);
  await row.waitFor({ timeout: 15000 });
  assert.match(await row.textContent(), /get_order/);
  assert.match(await row.textContent(), /success/);

  // Open it: the request and response panes show the upstream's echo.
  await row.locator('a.run-link').click();
  await page.waitForURL(`**/ui/runs/${call.run_id}`);
  const request = await page.textContent('#pane-request');
  assert.ok(request.includes(`${upstream.url}/orders/A-1001`), 'request pane shows the URL');
  assert.ok(request.includes('POST'), 'request pane shows the method');
  const response = await page.textContent('#pane-response');
  assert.ok(response.includes('"url": "/orders/A-1001"'), 'response pane shows the echo, pretty-printed');
  assert.ok(response.includes('<script>window.__pwned = true</script>'), 'hostile markup is shown as text');
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'hostile markup did not run');
  assert.match(await page.textContent('#curl'), /^curl -X POST/);

  // Replay with edited arguments: a new run linked to the old one.
  await page.fill('#replay-args', JSON.stringify({ order_id: 'B-2002' }));
  await page.click('#replay-form button[type=submit]');
  await page.waitForURL((u) => /\/ui\/runs\/[0-9a-f-]+$/.test(u.pathname) && !u.pathname.endsWith(call.run_id));
  assert.equal((await page.textContent('#replay-of')).trim(), call.run_id);
  assert.ok((await page.textContent('#pane-response')).includes('/orders/B-2002'), 'the replay sent the edited arguments');
  assert.equal(upstream.requests.at(-1).url, '/orders/B-2002');

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'ui-run.png'), fullPage: true });

  // The conversation's timeline lists the first run.
  await page.goto(`${tg.url}/ui/conversations/conv-e2e`);
  assert.ok((await page.content()).includes(call.run_id));

  // Sign out: the console is closed again.
  await page.click('header .signout button');
  await page.waitForURL('**/ui/signin');
  await page.goto(tg.url + '/ui/runs');
  await page.waitForURL('**/ui/signin');

  assert.deepEqual(pageErrors.map(String), [], 'no script errors');
  await context.close();
});

test('console: an agent key cannot sign in', async () => {
  const { key } = await tg.agentWithKey('other-bot', ['get_order']);
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(tg.url + '/ui/signin');
  await page.fill('#key', key);
  const [resp] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/ui/signin') && r.request().method() === 'POST'),
    page.click('button[type=submit]')]);
  assert.equal(resp.status(), 403);
  assert.match(await page.textContent('main'), /agent keys cannot sign in/);
  assert.equal((await context.cookies()).find((c) => c.name === 'toolgate_session'), undefined);
  await context.close();
});
