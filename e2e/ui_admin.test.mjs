// The whole admin path in a real browser (Debian's Chromium driven by
// playwright-core): create a connection with a write-only secret, register
// a tool while the editor validates it as it is typed, publish it, create
// an agent and activate the tool, create the agent's key, call the tool
// with it, see the run and the dashboard, check every outcome badge's
// contrast, and delete through a confirmation. Screenshots of each step go
// to e2e/artifacts/ (kept by CI).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startToolgate, startUpstream } from './lib/toolgate.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARTIFACTS = process.env.TOOLGATE_ARTIFACTS || join(process.cwd(), 'artifacts');
const TOKEN = 'sekrit-e2e-token-5b7d';

let tg, upstream, browser;

before(async () => {
  upstream = await startUpstream((req, body, res) => {
    if (req.url.includes('/orders/missing')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'no such order' }));
      return undefined;
    }
    return { status: 'shipped', order: req.url, auth: req.headers.authorization === `Bearer ${TOKEN}` };
  });
  tg = await startToolgate();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
  mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  await tg?.stop();
  await upstream?.close();
});

// contrastOf computes, in the page, the WCAG contrast ratio of an
// element's text colour on its background colour.
function contrastOf(el) {
  const rgb = (c) => c.match(/[\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const lin = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const style = getComputedStyle(el);
  const [a, b] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

test('console: the whole admin path, from a connection to a run on the dashboard', async () => {
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err));
  page.on('console', (msg) => { if (msg.type() === 'error') pageErrors.push(new Error(`${msg.text()} ${msg.location().url}`)); });
  const shot = (name) => page.screenshot({ path: join(ARTIFACTS, `admin-${name}.png`), fullPage: true });

  await page.goto(tg.url + '/ui/signin');
  await page.fill('#key', tg.adminKey);
  await page.click('button[type=submit]');
  await page.waitForURL('**/ui/runs');

  // 1. A connection with a bearer token: write-only.
  await page.click('nav >> text=Connections');
  await page.click('#new-connection');
  await page.waitForURL('**/ui/connections/new');
  await page.fill('#conn-name', 'orders');
  await page.fill('#conn-base-url', upstream.url);
  await page.selectOption('#auth-type', 'bearer');
  await page.fill('input[name=secret_name_0]', 'token');
  await page.fill('input[name=secret_value_0]', TOKEN);
  await page.click('#connection-form button[type=submit]');
  await page.waitForURL(/\/ui\/connections\/[0-9a-f-]+\?saved=1$/);
  assert.equal((await page.textContent('[data-secret="token"]')).trim(), 'set');
  assert.ok(!(await page.content()).includes(TOKEN), 'the secret value is never on the page');
  assert.equal(await page.inputValue('#secret-token'), '', 'the secret field is blank');
  await shot('1-connection');

  // 2. A tool, validated as it is typed: first wrong, then right.
  await page.click('nav >> text=Tools');
  await page.waitForURL('**/ui/tools');
  const def = {
    name: 'get_order',
    description: "Look up an order's status and ETA. Call only after the caller has given the order id.",
    method: 'FETCH',
    connection: 'orders',
    path: '/orders/{{args.order_id}}',
    input_schema: {
      type: 'object',
      properties: { order_id: { type: 'string', description: 'The order id, e.g. A-1001' } },
      required: ['order_id'],
    },
  };
  await page.fill('#definition', JSON.stringify(def, null, 2));
  await page.locator('#live-validation[data-state="invalid"]').waitFor();
  assert.match(await page.textContent('#live-validation'), /method/);
  await shot('2-tool-invalid');
  def.method = 'GET';
  await page.fill('#definition', JSON.stringify(def, null, 2));
  await page.locator('#live-validation[data-state="valid"]').waitFor();
  await page.click('#register-form button[type=submit]');
  await page.waitForURL(/\/ui\/tools\/[0-9a-f-]+$/);
  await page.locator('#live-validation[data-state="valid"]').waitFor();
  await page.click('#publish-form button');
  await page.waitForURL(/published=1/);
  assert.match(await page.textContent('#tool-status'), /published v1/);
  await shot('3-tool-published');

  // 3. An agent with the tool activated.
  await page.click('nav >> text=Agents');
  await page.fill('#new-agent-name', 'support-bot');
  await page.fill('#new-agent-instructions', 'Answer order questions briefly.');
  await page.click('#agent-create-form button[type=submit]');
  await page.waitForURL(/\/ui\/agents\/[0-9a-f-]+\?saved=1$/);
  await page.check('#tool-get_order');
  await page.click('#agent-form button[type=submit]');
  await page.waitForURL(/\?saved=1$/);
  assert.equal(await page.isChecked('#tool-get_order'), true);
  assert.match(await page.textContent('main'), /Agent saved/);

  // 4. Its key, shown once.
  await page.fill('#key-form input[name=name]', 'support-bot-key');
  await page.click('#key-form button[type=submit]');
  const key = (await page.textContent('#new-key')).trim();
  assert.match(key, /^tg_/);
  await shot('4-agent-key');

  // 5. Calls with the key, from the test; the upstream got the secret.
  const call = async (args) => {
    const res = await fetch(`${tg.url}/v1/tools/get_order/call`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ arguments: args, context: { conversation_id: 'conv-admin-e2e' } }),
    });
    return { status: res.status, body: await res.json() };
  };
  const ok = await call({ order_id: 'A-1001' });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.outcome, 'success');
  assert.equal(ok.body.result.auth, true, 'the upstream got the connection token');
  const missing = await call({ order_id: 'missing' });
  assert.equal(missing.body.outcome, 'client_error');
  const invalid = await call({ order: 5 });
  assert.equal(invalid.status, 422);
  assert.equal(invalid.body.outcome, 'invalid_arguments');

  // 6. The run, in the list and on its page.
  await page.click('nav >> text=Runs');
  await page.waitForURL('**/ui/runs');
  const row = page.locator(`tr[data-run="${ok.body.run_id}"]`);
  await row.waitFor();
  await page.locator(`tr[data-run="${invalid.body.run_id}"]`).waitFor();
  // Every outcome badge is readable: contrast of at least 4.5:1.
  const badges = await page.$$eval('.badge', (els, fn) => {
    const contrast = new Function(`return (${fn})`)();
    return els.map((el) => ({ text: el.textContent.trim(), ratio: contrast(el) }));
  }, contrastOf.toString());
  for (const outcome of ['success', 'client_error', 'invalid_arguments']) {
    const b = badges.find((x) => x.text === outcome);
    assert.ok(b, `a ${outcome} badge is shown`);
    assert.ok(b.ratio >= 4.5, `${outcome} badge contrast ${b.ratio.toFixed(2)}:1, want at least 4.5:1`);
  }
  await shot('5-runs');
  await row.locator('a.run-link').click();
  await page.waitForURL(`**/ui/runs/${ok.body.run_id}`);
  assert.ok((await page.textContent('#pane-request')).includes(`${upstream.url}/orders/A-1001`));
  assert.ok(!(await page.content()).includes(TOKEN), 'the token is redacted on the run page');
  await shot('6-run');

  // 7. The dashboard counts the calls; a bar leads to the runs behind it.
  await page.click('nav >> text=Dashboard');
  await page.waitForURL('**/ui/dashboard');
  assert.equal((await page.textContent('#stat-calls')).trim(), '3');
  assert.match(await page.textContent('#outcome-mix'), /client_error 1/);
  await page.locator('#tool-table tr[data-key="get_order"]').waitFor();
  await shot('7-dashboard');
  const bar = page.locator('#calls-chart a.bar:has(rect.ok)').last();
  await bar.click();
  await page.waitForURL(/\/ui\/runs\?since=/);
  await page.locator(`tr[data-run="${ok.body.run_id}"]`).waitFor();

  // 8. Deleting asks first: a scratch connection goes after a confirmation.
  await page.goto(tg.url + '/ui/connections/new');
  await page.fill('#conn-name', 'scratch');
  await page.fill('#conn-base-url', 'https://scratch.example.com');
  await page.click('#connection-form button[type=submit]');
  await page.waitForURL(/\?saved=1$/);
  await page.click('#delete-connection');
  await page.waitForURL(/\/delete$/);
  assert.match(await page.textContent('#confirm h1'), /Delete connection scratch\?/);
  await shot('8-confirm-delete');
  await page.click('#confirm-form button[type=submit]');
  await page.waitForURL('**/ui/connections?deleted=1');
  const names = await page.$$eval('a.connection-link', (els) => els.map((el) => el.textContent.trim()));
  assert.deepEqual(names, ['orders']);

  assert.deepEqual(pageErrors.map(String), [], 'no script errors');
  await context.close();
});
