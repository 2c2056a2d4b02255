// Shared by the end-to-end tests: starting and stopping the real switchyard binary and the
// standalone mock_provider, and writing a gateway configuration for them.
// SWITCHYARD_BINARY and MOCK_PROVIDER_BINARY name the binaries (ctest sets both).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

export const SWITCHYARD = process.env.SWITCHYARD_BINARY;
export const MOCK = process.env.MOCK_PROVIDER_BINARY;
/** The tenant key clients use. */
export const KEY = 'sk-e2e-0123456789abcdef';
/** The key every mock_provider requires (Bearer, x-api-key or x-goog-api-key by dialect). */
export const UPSTREAM_KEY = 'sk-upstream-e2e-secret';
const START_TIMEOUT_MS = 10_000;

/** A child process whose first stdout line is `<prefix>HOST:PORT`; keeps its stderr for reports. */
export class child {
  constructor(name, proc) {
    this.name = name;
    this.proc = proc;
    this.stderr = '';
    this.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => {
      this.stderr += d;
      if (this.stderr.length > 64_000) this.stderr = this.stderr.slice(-32_000);
    });
  }

  static async start(name, command, args, prefix) {
    const c = new child(name, spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    const lines = createInterface({ input: c.proc.stdout });
    let first;
    try {
      first = await Promise.race([
        new Promise((resolve) => lines.once('line', resolve)),
        c.exited.then(({ code, signal }) => {
          throw new Error(`${name} exited (code ${code}, signal ${signal}) before listening:\n${c.stderr}`);
        }),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error(`${name} printed no first line within ${START_TIMEOUT_MS} ms:\n${c.stderr}`)),
            START_TIMEOUT_MS).unref()),
      ]);
    } catch (e) {
      await c.stop();
      throw e;
    }
    // Keep draining stdout so the child never blocks on a full pipe.
    lines.on('line', () => {});
    const m = first.match(new RegExp(`^${prefix}(.+):(\\d+)$`));
    if (!m) {
      await c.stop();
      throw new Error(`${name}: unexpected first line '${first}'`);
    }
    c.port = Number(m[2]);
    return c;
  }

  async stop() {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A standalone mock_provider on a free port, requiring UPSTREAM_KEY. */
export const startMock = (name, ...args) =>
  child.start(`mock_provider ${name}`, MOCK, ['--listen', '127.0.0.1:0', '--api-key', UPSTREAM_KEY, ...args],
    'mock_provider listening on ');

/** A provider entry for a standalone mock_provider on `port` speaking `dialect` (a key of
 *  DIALECTS): type openai-compatible, anthropic or gemini, with the mock's key. The base URL
 *  ends in /v1, or /v1beta for Gemini as at Google (the mock answers Gemini under any prefix). */
export function upstreamProvider(name, port, dialect = 'openai') {
  const type = DIALECTS[dialect].type;
  const base = type === 'gemini' ? 'v1beta' : 'v1';
  return `
  - name: ${name}
    type: ${type}
    base_url: http://127.0.0.1:${port}/${base}
    api_key: ${UPSTREAM_KEY}
    connect_timeout_ms: 1000
    first_byte_timeout_ms: 5000`;
}

/** One `models[]` entry: `name` served by `targets`, each [provider, upstream model], in order. */
export function modelEntry(name, ...targets) {
  return `
  - name: ${name}
    targets:${targets.map(([provider, model]) => `
      - { provider: ${provider}, model: ${model} }`).join('')}`;
}

/** A whole gateway configuration: the in-process `demo` mock provider first, then `providers`
 *  (upstreamProvider() texts), `models` (modelEntry() texts), and one tenant holding KEY. */
export function gatewayConfig(dir, providers, models) {
  return `server:
  listen: 127.0.0.1:0
  drain_timeout_ms: 5000
storage: sqlite://${path.join(dir, 'switchyard.db')}
counters: memory
providers:
  - name: demo
    type: mock${providers}
models:${models}
tenants:
  - name: e2e
    keys: [ "${KEY}" ]
`;
}

/** A temporary directory, a configuration written there (`config` is YAML text, or a function of
 *  the directory returning it), and switchyard started on it. The returned child's `shutdown()`
 *  stops the gateway, removes the directory and returns the gateway's exit code. */
export async function startGateway(config) {
  const dir = mkdtempSync(path.join(tmpdir(), 'switchyard-e2e-'));
  const file = path.join(dir, 'switchyard.yaml');
  writeFileSync(file, typeof config === 'function' ? config(dir) : config);
  let gateway;
  try {
    gateway = await child.start('switchyard', SWITCHYARD, ['--config', file], 'switchyard listening on ');
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  gateway.dir = dir;
  gateway.shutdown = async () => {
    await gateway.stop();
    rmSync(dir, { recursive: true, force: true });
    return gateway.proc.exitCode;
  };
  return gateway;
}

/** Runs `fn`; on failure, adds the tail of `gateway()`'s stderr to the message. */
export async function withLogs(gateway, fn) {
  try {
    await fn();
  } catch (e) {
    const g = gateway();
    const logs = g ? `\n--- switchyard stderr (tail) ---\n${g.stderr.slice(-4000)}` : '';
    if (e && typeof e === 'object' && 'message' in e) e.message += logs;
    throw e;
  }
}

/** What mock_provider answers with `--reply-tokens n`: "token0 token1 … token<n-1>". */
export const mockReplyText = (n) => Array.from({ length: n }, (_, i) => `token${i}`).join(' ');

/** The arguments of every tool call mock_provider makes. */
export const MOCK_TOOL_ARGUMENTS = { query: 'mock' };

/** Forgets the requests `mock` has logged (so that lastUpstreamRequest() names a new one). */
export async function clearUpstreamRequests(mock) {
  const r = await fetch(`http://127.0.0.1:${mock.port}/_mock/requests`, { method: 'DELETE' });
  if (!r.ok) throw new Error(`DELETE /_mock/requests: ${r.status}`);
}

/** The newest request `mock` received: { method, target, headers, body }, or null. */
export async function lastUpstreamRequest(mock) {
  const r = await fetch(`http://127.0.0.1:${mock.port}/_mock/last_request`);
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`GET /_mock/last_request: ${r.status}`);
  return r.json();
}

/** Header `name` of a logged request, ignoring case; undefined when absent. */
export function headerOf(request, name) {
  const key = Object.keys(request.headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : request.headers[key];
}

/** The upstream dialects a standalone mock_provider speaks, as the gateway must call them. */
export const DIALECTS = {
  openai: {
    type: 'openai-compatible',
    model: 'mock-gpt',
    target: () => '/v1/chat/completions',
    auth: ['authorization', `Bearer ${UPSTREAM_KEY}`],
  },
  anthropic: {
    type: 'anthropic',
    model: 'mock-claude',
    target: () => '/v1/messages',
    auth: ['x-api-key', UPSTREAM_KEY],
  },
  gemini: {
    type: 'gemini',
    model: 'mock-gemini',
    target: (stream) => (stream ? '/v1beta/models/mock-gemini:streamGenerateContent?alt=sse'
      : '/v1beta/models/mock-gemini:generateContent'),
    auth: ['x-goog-api-key', UPSTREAM_KEY],
  },
};

/** The mock's newest request was a model call in `dialect` (path, credential, stream or not). */
export async function assertUpstreamCall(mock, dialect, stream) {
  const d = DIALECTS[dialect];
  const req = await lastUpstreamRequest(mock);
  assert.ok(req, `the ${dialect} upstream received the request`);
  assert.equal(req.method, 'POST');
  assert.equal(req.target, d.target(stream), `the ${dialect} upstream's path`);
  assert.equal(headerOf(req, d.auth[0]), d.auth[1], `the ${dialect} upstream's credential header`);
  if (dialect === 'anthropic') assert.ok(headerOf(req, 'anthropic-version'), 'anthropic-version is sent upstream');
  if (dialect !== 'gemini') assert.equal(req.body.stream === true, stream, `upstream body.stream: ${req.body.stream}`);
  return req;
}

const textOfContent = (c) => (typeof c === 'string' ? c
  : Array.isArray(c) ? c.map((p) => p.text ?? '').join('') : JSON.stringify(c ?? ''));

/** The tool call and its result as the gateway forwarded them in `dialect`'s request `body`:
 *  { callId, callName, callArgs, resultId, resultName, output }. */
export function toolTurnIn(dialect, body) {
  if (dialect === 'openai') {
    const call = body.messages.flatMap((m) => (m.role === 'assistant' ? m.tool_calls ?? [] : []))[0];
    const result = body.messages.find((m) => m.role === 'tool');
    return {
      callId: call?.id, callName: call?.function?.name,
      callArgs: call ? JSON.parse(call.function.arguments) : undefined,
      resultId: result?.tool_call_id, resultName: call?.function?.name, output: textOfContent(result?.content),
    };
  }
  if (dialect === 'anthropic') {
    const blocks = body.messages.flatMap((m) => (Array.isArray(m.content) ? m.content.map((b) => ({ ...b, role: m.role })) : []));
    const call = blocks.find((b) => b.type === 'tool_use' && b.role === 'assistant');
    const result = blocks.find((b) => b.type === 'tool_result' && b.role === 'user');
    return {
      callId: call?.id, callName: call?.name, callArgs: call?.input,
      resultId: result?.tool_use_id, resultName: call?.name, output: textOfContent(result?.content),
    };
  }
  const parts = body.contents.flatMap((c) => c.parts.map((p) => ({ ...p, role: c.role })));
  const call = parts.find((p) => p.functionCall && p.role === 'model')?.functionCall;
  const result = parts.find((p) => p.functionResponse && p.role === 'user')?.functionResponse;
  return {
    callId: call?.id, callName: call?.name, callArgs: call?.args,
    resultId: result?.id, resultName: result?.name, output: JSON.stringify(result?.response ?? ''),
  };
}
