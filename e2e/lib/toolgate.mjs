// Helpers for end-to-end tests: start the real toolgate binary on a fresh
// SQLite file, talk to its admin API, and run loopback upstreams.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

export const ADMIN_KEY = 'tg_e2e_admin_key_0000000000001';

/**
 * Starts toolgate (the binary in TOOLGATE_BIN) and resolves once it listens.
 * extraEnv adds TOOLGATE_* settings.
 */
export async function startToolgate(extraEnv = {}) {
  const bin = process.env.TOOLGATE_BIN;
  if (!bin) throw new Error('TOOLGATE_BIN is not set: run these tests through `go test ./e2e`');
  const dir = mkdtempSync(join(tmpdir(), 'toolgate-e2e-'));
  const child = spawn(bin, ['serve'], {
    env: {
      ...process.env,
      TOOLGATE_ADDR: '127.0.0.1:0',
      TOOLGATE_DATABASE_URL: join(dir, 'toolgate.db'),
      TOOLGATE_ADMIN_KEY: ADMIN_KEY,
      TOOLGATE_ALLOW_NETWORKS: '127.0.0.0/8',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let logs = '';
  child.stderr.on('data', (d) => { logs += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('toolgate did not start:\n' + logs)), 30000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/toolgate listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`toolgate exited ${code}:\n${logs}`)); });
  });
  const tg = {
    url,
    adminKey: ADMIN_KEY,
    logs: () => logs,
    /** Calls the API; returns {status, body}. */
    async api(method, path, body, key = ADMIN_KEY) {
      const res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let json;
      try { json = JSON.parse(text); } catch { json = text; }
      return { status: res.status, body: json };
    },
    /** Calls the API and throws unless the status is want. */
    async must(want, method, path, body, key) {
      const r = await tg.api(method, path, body, key);
      if (r.status !== want) throw new Error(`${method} ${path}: ${r.status}, want ${want}: ${JSON.stringify(r.body)}`);
      return r.body;
    },
    /** Creates and publishes a tool; returns its id. */
    async publishTool(def) {
      const t = await tg.must(201, 'POST', '/v1/admin/tools', def);
      await tg.must(200, 'POST', `/v1/admin/tools/${t.id}/publish`);
      return t.id;
    },
    /** Creates an agent with tools and an agent key; returns {agentId, key}. */
    async agentWithKey(name, toolNames, extra = {}) {
      const a = await tg.must(201, 'POST', '/v1/admin/agents', { name, tools: toolNames.map((n) => ({ name: n })), ...extra });
      const k = await tg.must(201, 'POST', '/v1/admin/keys', { name: `${name}-key`, role: 'agent', agent_id: a.id });
      return { agentId: a.id, key: k.key };
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return tg;
}

/**
 * Starts a loopback HTTP server whose handler gets (req, body, res); an
 * object returned by the handler is sent as JSON. Resolves {url, requests, close}.
 */
export async function startUpstream(handler) {
  const requests = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    requests.push({ method: req.method, url: req.url, headers: req.headers, body });
    const out = await handler(req, body, res);
    if (out !== undefined && !res.writableEnded) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(out));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((r) => server.close(r)),
  };
}
