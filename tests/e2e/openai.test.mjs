// End-to-end: the official OpenAI JavaScript SDK, exactly as users run it, against the real
// switchyard binary in front of the standalone mock_provider (and the in-process `mock` provider).
// Run by ctest (`ctest -L e2e`) with SWITCHYARD_BINARY and MOCK_PROVIDER_BINARY set.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import OpenAI from 'openai';

const SWITCHYARD = process.env.SWITCHYARD_BINARY;
const MOCK = process.env.MOCK_PROVIDER_BINARY;
const KEY = 'sk-e2e-0123456789abcdef';
const UPSTREAM_KEY = 'sk-upstream-e2e-secret';
const START_TIMEOUT_MS = 10_000;

/** A child process whose first stdout line is `<prefix>HOST:PORT`; keeps its stderr for reports. */
class child {
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
    const first = await Promise.race([
      new Promise((resolve) => lines.once('line', resolve)),
      c.exited.then(({ code, signal }) => {
        throw new Error(`${name} exited (code ${code}, signal ${signal}) before listening:\n${c.stderr}`);
      }),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`${name} printed no first line within ${START_TIMEOUT_MS} ms:\n${c.stderr}`)),
          START_TIMEOUT_MS).unref()),
    ]);
    // Keep draining stdout so the child never blocks on a full pipe.
    lines.on('line', () => {});
    const m = first.match(new RegExp(`^${prefix}(.+):(\\d+)$`));
    if (!m) throw new Error(`${name}: unexpected first line '${first}'`);
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

const startMock = (name, ...args) =>
  child.start(`mock_provider ${name}`, MOCK, ['--listen', '127.0.0.1:0', '--api-key', UPSTREAM_KEY, ...args],
    'mock_provider listening on ');

let dir;
let mock;        // healthy upstream
let failing;     // every request answered 503
let cutter;      // every stream cut after 2 tokens
let gateway;
let client;

function config() {
  const upstream = (name, port) => `
  - name: ${name}
    type: openai-compatible
    base_url: http://127.0.0.1:${port}/v1
    api_key: ${UPSTREAM_KEY}
    connect_timeout_ms: 1000
    first_byte_timeout_ms: 5000`;
  return `server:
  listen: 127.0.0.1:0
  drain_timeout_ms: 5000
storage: sqlite://${path.join(dir, 'switchyard.db')}
counters: memory
providers:
  - name: demo
    type: mock${upstream('upstream', mock.port)}${upstream('down-a', failing.port)}${upstream('down-b', failing.port)}${upstream('cutter', cutter.port)}
models:
  - name: demo-chat
    targets:
      - { provider: demo, model: demo-1 }
  - name: demo-embed
    targets:
      - { provider: demo, model: demo-embed-1 }
  - name: chat
    targets:
      - { provider: upstream, model: mock-gpt }
  - name: embed
    targets:
      - { provider: upstream, model: mock-embedding }
  - name: broken
    targets:
      - { provider: down-a, model: mock-gpt }
      - { provider: down-b, model: mock-gpt }
  - name: flaky
    targets:
      - { provider: cutter, model: mock-gpt }
tenants:
  - name: e2e
    keys: [ "${KEY}" ]
`;
}

/** Runs `fn`; on failure, adds the gateway's stderr to the message. */
async function withLogs(fn) {
  try {
    await fn();
  } catch (e) {
    const logs = gateway ? `\n--- switchyard stderr (tail) ---\n${gateway.stderr.slice(-4000)}` : '';
    if (e && typeof e === 'object' && 'message' in e) e.message += logs;
    throw e;
  }
}

async function expectApiError(promise, ErrorClass, status) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof ErrorClass, `expected ${ErrorClass.name}, got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.status, status);
    assert.ok(err.error && typeof err.error.message === 'string' && err.error.message.length > 0,
      `error body has a message: ${JSON.stringify(err.error)}`);
    assert.ok(err.headers?.get('x-request-id'), 'error responses carry x-request-id');
    return true;
  });
}

const messages = [{ role: 'user', content: 'Say hello.' }];

describe('openai sdk against switchyard', () => {
  before(async () => {
    assert.ok(SWITCHYARD && MOCK, 'SWITCHYARD_BINARY and MOCK_PROVIDER_BINARY must be set');
    dir = mkdtempSync(path.join(tmpdir(), 'switchyard-e2e-'));
    mock = await startMock('upstream', '--reply-tokens', '12');
    failing = await startMock('failing', '--fault', '{"kind":"status","status":503}');
    // Paced, so the gateway has relayed the first tokens (committed) well before the cut.
    cutter = await startMock('cutter', '--reply-tokens', '20', '--tokens-per-second', '20', '--fault', '{"kind":"cut","after_tokens":2,"stream":true}');
    const file = path.join(dir, 'switchyard.yaml');
    writeFileSync(file, config());
    gateway = await child.start('switchyard', SWITCHYARD, ['--config', file], 'switchyard listening on ');
    client = new OpenAI({ baseURL: `http://127.0.0.1:${gateway.port}/v1`, apiKey: KEY, maxRetries: 0, timeout: 20_000 });
  });

  after(async () => {
    const code = gateway ? await gateway.stop().then(() => gateway.proc.exitCode) : null;
    await Promise.all([mock, failing, cutter].filter(Boolean).map((c) => c.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (gateway) assert.equal(code, 0, `switchyard exits 0 on SIGTERM:\n${gateway.stderr.slice(-4000)}`);
  });

  test('non-stream chat completion', () => withLogs(async () => {
    const { data: completion, response } = await client.chat.completions
      .create({ model: 'chat', messages })
      .withResponse();
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.choices.length, 1);
    assert.equal(completion.choices[0].message.role, 'assistant');
    assert.ok(completion.choices[0].message.content.length > 0);
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.ok(completion.usage.completion_tokens > 0);
    assert.equal(completion.usage.total_tokens, completion.usage.prompt_tokens + completion.usage.completion_tokens);
    assert.ok(completion._request_id, 'the SDK exposes x-request-id as _request_id');
    assert.equal(response.headers.get('x-switchyard-provider'), 'upstream');
  }));

  test('non-stream chat on the in-process mock provider', () => withLogs(async () => {
    const completion = await client.chat.completions.create({ model: 'demo-chat', messages });
    assert.ok(completion.choices[0].message.content.length > 0);
    assert.equal(completion.choices[0].finish_reason, 'stop');
  }));

  for (const model of ['chat', 'demo-chat']) {
    test(`stream chat (${model}): chunks assemble the text and end with finish_reason stop`, () => withLogs(async () => {
      const stream = await client.chat.completions.create({ model, messages, stream: true });
      let text = '';
      let finish = null;
      let chunks = 0;
      for await (const chunk of stream) {
        chunks += 1;
        assert.equal(chunk.object, 'chat.completion.chunk');
        assert.ok(!chunk.usage, `no usage chunk unless asked: ${JSON.stringify(chunk)}`);
        for (const choice of chunk.choices) {
          text += choice.delta?.content ?? '';
          if (choice.finish_reason) finish = choice.finish_reason;
        }
      }
      assert.ok(chunks >= 2);
      assert.ok(text.length > 0);
      assert.equal(finish, 'stop');
      if (model === 'chat') {
        // The stream carries the same text as a whole answer from the same deterministic mock.
        const whole = await client.chat.completions.create({ model, messages });
        assert.equal(text, whole.choices[0].message.content);
      }
    }));
  }

  test('stream with stream_options.include_usage: usage in the last chunk', () => withLogs(async () => {
    const stream = await client.chat.completions.create({
      model: 'chat', messages, stream: true, stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1);
    assert.ok(last.usage, `last chunk has usage: ${JSON.stringify(last)}`);
    assert.ok(last.usage.completion_tokens > 0);
    assert.equal(last.usage.total_tokens, last.usage.prompt_tokens + last.usage.completion_tokens);
    assert.deepEqual(last.choices, []);
    assert.equal(chunks.filter((c) => c.usage).length, 1);
  }));

  test('tools and tool_choice pass through to an OpenAI-compatible upstream', () => withLogs(async () => {
    // The mock cannot echo what it received (it has no /_mock/last_request), so this checks the
    // gateway accepts and forwards the request; the mock answers with plain text.
    const before = (await (await fetch(`http://127.0.0.1:${mock.port}/_mock/stats`)).json()).routes.chat_completions;
    const completion = await client.chat.completions.create({
      model: 'chat',
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [{
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Current weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      }],
      tool_choice: 'auto',
      parallel_tool_calls: false,
    });
    assert.equal(completion.object, 'chat.completion');
    assert.ok(completion.choices[0].message);
    const afterCount = (await (await fetch(`http://127.0.0.1:${mock.port}/_mock/stats`)).json()).routes.chat_completions;
    assert.equal(afterCount, before + 1, 'the request reached the upstream');
  }));

  for (const model of ['embed', 'demo-embed']) {
    test(`embeddings (${model}): the SDK's default base64 encoding and explicit float agree`, () => withLogs(async () => {
      const input = ['hello', 'world'];
      const floats = await client.embeddings.create({ model, input, encoding_format: 'float' });
      assert.equal(floats.object, 'list');
      assert.equal(floats.data.length, 2);
      for (const [i, d] of floats.data.entries()) {
        assert.equal(d.index, i);
        assert.ok(Array.isArray(d.embedding) && d.embedding.length > 0);
        assert.ok(d.embedding.every((x) => typeof x === 'number' && Number.isFinite(x)));
      }
      assert.ok(floats.usage.prompt_tokens > 0);
      // Without encoding_format the SDK asks for base64 and decodes it: an upstream (or gateway)
      // that ignored it would hand back garbage here.
      const decoded = await client.embeddings.create({ model, input });
      assert.equal(decoded.data.length, 2);
      for (const [i, d] of decoded.data.entries()) {
        assert.equal(d.embedding.length, floats.data[i].embedding.length,
          `base64-decoded embedding ${i} has ${d.embedding.length} floats, the float one ` +
          `${floats.data[i].embedding.length}: encoding_format "base64" was not honoured`);
        for (const [j, x] of d.embedding.entries()) {
          assert.ok(Math.abs(x - floats.data[i].embedding[j]) < 1e-6, `embedding ${i}[${j}]: ${x} vs ${floats.data[i].embedding[j]}`);
        }
      }
    }));
  }

  test('models.list() names every configured model', () => withLogs(async () => {
    const ids = [];
    for await (const m of client.models.list()) {
      assert.equal(m.object, 'model');
      ids.push(m.id);
    }
    assert.deepEqual(ids.sort(), ['broken', 'chat', 'demo-chat', 'demo-embed', 'embed', 'flaky']);
  }));

  test('a bad API key throws AuthenticationError (401)', () => withLogs(async () => {
    const bad = new OpenAI({ baseURL: client.baseURL, apiKey: 'sk-wrong', maxRetries: 0 });
    await expectApiError(bad.chat.completions.create({ model: 'chat', messages }), OpenAI.AuthenticationError, 401);
    await expectApiError(bad.models.list(), OpenAI.AuthenticationError, 401);
  }));

  test('an unknown model throws NotFoundError (404, model_not_found)', () => withLogs(async () => {
    await assert.rejects(client.chat.completions.create({ model: 'no-such-model', messages }), (err) => {
      assert.ok(err instanceof OpenAI.NotFoundError, `got ${err?.constructor?.name}: ${err?.message}`);
      assert.equal(err.status, 404);
      assert.equal(err.code, 'model_not_found');
      return true;
    });
  }));

  test('a malformed request throws BadRequestError (400) naming the param', () => withLogs(async () => {
    await assert.rejects(client.chat.completions.create({ model: 'chat', messages: 'not an array' }), (err) => {
      assert.ok(err instanceof OpenAI.BadRequestError, `got ${err?.constructor?.name}: ${err?.message}`);
      assert.equal(err.status, 400);
      assert.equal(err.param, 'messages');
      return true;
    });
  }));

  test('an upstream 503 on every target throws APIError 502', () => withLogs(async () => {
    await expectApiError(client.chat.completions.create({ model: 'broken', messages }), OpenAI.APIError, 502);
    await expectApiError(client.chat.completions.create({ model: 'broken', messages, stream: true }), OpenAI.APIError, 502);
  }));

  test('a stream cut after commit makes the SDK throw instead of returning truncated text', () => withLogs(async () => {
    const stream = await client.chat.completions.create({ model: 'flaky', messages, stream: true });
    let text = '';
    await assert.rejects(async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    }, (err) => {
      assert.ok(err instanceof OpenAI.APIError, `got ${err?.constructor?.name}: ${err?.message}`);
      return true;
    });
    assert.ok(text.length > 0, 'some tokens arrived before the cut');
  }));
});
