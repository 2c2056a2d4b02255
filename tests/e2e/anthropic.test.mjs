// End-to-end: the official Anthropic TypeScript SDK (@anthropic-ai/sdk), exactly as users run it,
// against the real switchyard binary's Anthropic ingress (/v1/messages, /v1/messages/count_tokens,
// /v1/models). Every model behind it is served in a different dialect: the in-process `mock`
// provider, and the standalone mock_provider speaking OpenAI, Anthropic and Gemini.
// Run by ctest (`ctest -L e2e`) with SWITCHYARD_BINARY and MOCK_PROVIDER_BINARY set.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import {
  DIALECTS, KEY, MOCK, MOCK_TOOL_ARGUMENTS, SWITCHYARD, assertUpstreamCall, clearUpstreamRequests,
  gatewayConfig, lastUpstreamRequest, mockReplyText, modelEntry, startGateway, startMock, toolTurnIn,
  upstreamProvider, withLogs,
} from './harness.mjs';

const REPLY_TOKENS = 12;
const PROMPT = 'Say hello.';

/** The models under test: which provider serves each, in which dialect, and what it answers. */
const backends = [
  {
    model: 'demo-chat', provider: 'demo', dialect: null,
    text: `Hello from Switchyard's demo provider. You said: ${PROMPT}`,
    // The in-process mock ignores tools: it always answers with its demo text.
    callsTools: false,
  },
  ...Object.keys(DIALECTS).map((dialect) => ({
    model: `${dialect}-chat`, provider: `${dialect}-upstream`, dialect,
    text: mockReplyText(REPLY_TOKENS), outputTokens: REPLY_TOKENS, callsTools: true,
  })),
];

let mock;
let gateway;
let client;

const logged = (fn) => () => withLogs(() => gateway, fn);
const messages = [{ role: 'user', content: PROMPT }];

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const weatherQuestion = [{ role: 'user', content: 'What is the weather in Paris?' }];

/** Throws unless `events` is a well-formed Messages stream: message_start first, message_stop
 *  last, one message_delta just before it, and content blocks opened, filled and closed in
 *  index order (pings anywhere after message_start). Returns the events by type. */
function checkEventOrder(events) {
  const types = events.map((e) => e.type);
  const known = new Set(['message_start', 'content_block_start', 'content_block_delta',
    'content_block_stop', 'message_delta', 'message_stop', 'ping']);
  for (const t of types) assert.ok(known.has(t), `unexpected event '${t}' in ${types.join(',')}`);
  assert.equal(types[0], 'message_start', `the first event: ${types.join(',')}`);
  assert.equal(types.at(-1), 'message_stop', `the last event: ${types.join(',')}`);
  assert.equal(types.filter((t) => t === 'message_start').length, 1);
  assert.equal(types.filter((t) => t === 'message_stop').length, 1);
  assert.equal(types.filter((t) => t === 'message_delta').length, 1);
  const body = events.filter((e) => e.type !== 'ping');
  assert.equal(body.at(-2).type, 'message_delta', `message_delta right before message_stop: ${types.join(',')}`);
  let open = null;  // index of the open block
  let next = 0;     // index the next block must have
  for (const e of body.slice(1, -2)) {
    if (e.type === 'content_block_start') {
      assert.equal(open, null, `block ${e.index} starts while block ${open} is open`);
      assert.equal(e.index, next, 'blocks start in index order');
      open = e.index;
      next += 1;
    } else {
      assert.ok(e.type === 'content_block_delta' || e.type === 'content_block_stop', `${e.type} inside the message`);
      assert.equal(e.index, open, `${e.type} for block ${e.index} while block ${open} is open`);
      if (e.type === 'content_block_stop') open = null;
    }
  }
  assert.equal(open, null, 'every block is closed before message_delta');
  assert.ok(next >= 1, 'at least one content block');
  return groupBy(events);
}

function groupBy(events) {
  const out = {};
  for (const e of events) (out[e.type] ??= []).push(e);
  return out;
}

const textOf = (events) => events
  .filter((e) => e.type === 'content_block_delta' && e.delta.type === 'text_delta')
  .map((e) => e.delta.text).join('');

/** The body `err.error` must have, Anthropic's error shape, with an `errorType` error. */
function checkErrorShape(err, errorType) {
  assert.equal(err.error?.type, 'error', `error body: ${JSON.stringify(err.error)}`);
  assert.equal(err.error.error?.type, errorType, `error body: ${JSON.stringify(err.error)}`);
  assert.equal(typeof err.error.error.message, 'string');
  assert.ok(err.error.error.message.length > 0);
  assert.equal(err.type, errorType, 'the SDK reads the error type');
}

async function expectAnthropicError(promise, ErrorClass, status, errorType, messagePattern) {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof ErrorClass, `expected ${ErrorClass.name}, got ${err?.constructor?.name}: ${err?.message}`);
    assert.equal(err.status, status);
    checkErrorShape(err, errorType);
    if (messagePattern) assert.match(err.error.error.message, messagePattern);
    assert.ok(err.headers?.get('x-request-id'), 'error responses carry x-request-id');
    return true;
  });
}

describe('anthropic sdk against switchyard', () => {
  before(async () => {
    assert.ok(SWITCHYARD && MOCK, 'SWITCHYARD_BINARY and MOCK_PROVIDER_BINARY must be set');
    mock = await startMock('upstream', '--reply-tokens', String(REPLY_TOKENS));
    const upstreams = backends.filter((b) => b.dialect);
    gateway = await startGateway((dir) => gatewayConfig(dir,
      upstreams.map((b) => upstreamProvider(b.provider, mock.port, b.dialect)).join(''),
      modelEntry('demo-chat', ['demo', 'demo-1'])
        + upstreams.map((b) => modelEntry(b.model, [b.provider, DIALECTS[b.dialect].model])).join('')));
    client = new Anthropic({ baseURL: `http://127.0.0.1:${gateway.port}`, apiKey: KEY, maxRetries: 0, timeout: 20_000 });
  });

  after(async () => {
    const code = gateway ? await gateway.shutdown() : null;
    if (mock) await mock.stop();
    if (gateway) assert.equal(code, 0, `switchyard exits 0 on SIGTERM:\n${gateway.stderr.slice(-4000)}`);
  });

  for (const b of backends) {
    const via = b.dialect ? `${b.dialect}-dialect upstream` : 'in-process mock';

    describe(`${b.model} (${via})`, () => {
      test('messages.create: text, end_turn, usage, id', logged(async () => {
        if (b.dialect) await clearUpstreamRequests(mock);
        const { data: message, response } = await client.messages
          .create({ model: b.model, max_tokens: 256, messages })
          .withResponse();
        assert.equal(message.type, 'message');
        assert.equal(message.role, 'assistant');
        assert.equal(typeof message.id, 'string');
        assert.ok(message.id.length > 0, 'the message has an id');
        assert.equal(typeof message.model, 'string');
        assert.deepEqual(message.content, [{ type: 'text', text: b.text }]);
        assert.equal(message.stop_reason, 'end_turn');
        assert.ok(message.usage.input_tokens > 0, `usage: ${JSON.stringify(message.usage)}`);
        assert.ok(message.usage.output_tokens > 0, `usage: ${JSON.stringify(message.usage)}`);
        if (b.outputTokens) assert.equal(message.usage.output_tokens, b.outputTokens);
        assert.equal(response.headers.get('x-switchyard-provider'), b.provider);
        if (b.dialect) await assertUpstreamCall(mock, b.dialect, false);
      }));

      test('messages.stream(): event order, text deltas and finalMessage() agree', logged(async () => {
        if (b.dialect) await clearUpstreamRequests(mock);
        const whole = await client.messages.create({ model: b.model, max_tokens: 256, messages });
        const stream = client.messages.stream({ model: b.model, max_tokens: 256, messages });
        let helperText = '';
        stream.on('text', (delta) => { helperText += delta; });
        const events = [];
        for await (const event of stream) events.push(structuredClone(event));
        const final = await stream.finalMessage();
        const byType = checkEventOrder(events);
        assert.equal(byType.content_block_start.length, 1);
        assert.equal(byType.content_block_start[0].content_block.type, 'text');
        assert.equal(textOf(events), b.text, 'the text deltas concatenate to the answer');
        assert.equal(helperText, b.text, "the SDK's 'text' events carry the same text");
        assert.deepEqual(final.content, [{ type: 'text', text: b.text }]);
        assert.equal(final.stop_reason, 'end_turn');
        assert.equal(byType.message_delta[0].delta.stop_reason, 'end_turn');
        const start = byType.message_start[0].message;
        assert.ok(typeof start.id === 'string' && start.id.length > 0, 'message_start names the message');
        assert.equal(final.id, start.id);
        assert.equal(start.role, 'assistant');
        assert.deepEqual(start.content, []);
        assert.ok(final.usage.input_tokens > 0, `final usage: ${JSON.stringify(final.usage)}`);
        assert.ok(final.usage.output_tokens > 0, `final usage: ${JSON.stringify(final.usage)}`);
        // The same deterministic backend, the same prompt: the same counts as the whole answer.
        assert.equal(final.usage.input_tokens, whole.usage.input_tokens);
        assert.equal(final.usage.output_tokens, whole.usage.output_tokens);
        if (b.dialect) await assertUpstreamCall(mock, b.dialect, true);
      }));

      test('messages.create({stream: true}): raw events', logged(async () => {
        const stream = await client.messages.create({ model: b.model, max_tokens: 256, messages, stream: true });
        const events = [];
        for await (const event of stream) events.push(structuredClone(event));
        const byType = checkEventOrder(events);
        assert.equal(textOf(events), b.text);
        const delta = byType.message_delta[0];
        assert.equal(delta.delta.stop_reason, 'end_turn');
        assert.ok(delta.usage.output_tokens > 0, `message_delta usage: ${JSON.stringify(delta.usage)}`);
        if (b.outputTokens) assert.equal(delta.usage.output_tokens, b.outputTokens);
      }));

      if (!b.callsTools) {
        test('tools are accepted; the in-process mock answers with text', logged(async () => {
          const message = await client.messages.create({
            model: b.model, max_tokens: 256, tools: [weatherTool],
            tool_choice: { type: 'tool', name: weatherTool.name }, messages: weatherQuestion,
          });
          assert.equal(message.stop_reason, 'end_turn');
          assert.deepEqual(message.content.map((c) => c.type), ['text']);
          assert.match(message.content[0].text, /What is the weather in Paris\?$/);
        }));
      } else {
        test('tools: a forced tool_use block round-trips (create, stream, tool_result)', logged(async () => {
          const params = {
            model: b.model, max_tokens: 256, tools: [weatherTool],
            tool_choice: { type: 'tool', name: weatherTool.name }, messages: weatherQuestion,
          };
          // The prompt does not ask for a tool: only the forced tool_choice, translated into the
          // upstream's dialect, makes the mock call one.
          await clearUpstreamRequests(mock);
          const message = await client.messages.create(params);
          await assertUpstreamCall(mock, b.dialect, false);
          assert.equal(message.stop_reason, 'tool_use');
          assert.equal(message.content.length, 1, `content: ${JSON.stringify(message.content)}`);
          const call = message.content[0];
          assert.equal(call.type, 'tool_use');
          assert.ok(typeof call.id === 'string' && call.id.length > 0, 'the tool_use block has an id');
          assert.equal(call.name, weatherTool.name);
          assert.deepEqual(call.input, MOCK_TOOL_ARGUMENTS);

          // Streamed: the SDK assembles the input_json_delta pieces into the same input object.
          const stream = client.messages.stream(params);
          const events = [];
          for await (const event of stream) events.push(structuredClone(event));
          const final = await stream.finalMessage();
          const byType = checkEventOrder(events);
          const opened = byType.content_block_start[0].content_block;
          assert.equal(opened.type, 'tool_use');
          assert.equal(opened.name, weatherTool.name);
          assert.ok(typeof opened.id === 'string' && opened.id.length > 0);
          const json = events.filter((e) => e.type === 'content_block_delta')
            .map((e) => { assert.equal(e.delta.type, 'input_json_delta'); return e.delta.partial_json; }).join('');
          assert.deepEqual(JSON.parse(json), MOCK_TOOL_ARGUMENTS);
          assert.equal(byType.message_delta[0].delta.stop_reason, 'tool_use');
          assert.equal(final.stop_reason, 'tool_use');
          assert.deepEqual(final.content, [{ type: 'tool_use', id: opened.id, name: weatherTool.name, input: MOCK_TOOL_ARGUMENTS }]);

          // The next turn sends the call and its result back; the gateway hands both to the
          // upstream in its dialect, tied together, and the answer is text again.
          await clearUpstreamRequests(mock);
          const answer = await client.messages.create({
            model: b.model, max_tokens: 256, tools: [weatherTool],
            messages: [
              ...weatherQuestion,
              { role: 'assistant', content: message.content },
              { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '18 C and sunny' }] },
            ],
          });
          assert.equal(answer.stop_reason, 'end_turn');
          assert.deepEqual(answer.content, [{ type: 'text', text: b.text }]);
          const upstream = await assertUpstreamCall(mock, b.dialect, false);
          const turn = toolTurnIn(b.dialect, upstream.body);
          assert.equal(turn.callName, weatherTool.name, `forwarded tool call: ${JSON.stringify(upstream.body)}`);
          assert.deepEqual(turn.callArgs, MOCK_TOOL_ARGUMENTS);
          assert.equal(turn.resultName, weatherTool.name);
          assert.match(turn.output, /18 C and sunny/);
          if (b.dialect !== 'gemini' || turn.callId !== undefined) {
            assert.equal(turn.callId, call.id, 'the forwarded call keeps its id');
            assert.equal(turn.resultId, call.id, 'the forwarded result names the call');
          }
        }));

        test('tools: with tool_choice auto and no request for a tool, the answer is text', logged(async () => {
          const message = await client.messages.create({
            model: b.model, max_tokens: 256, tools: [weatherTool], tool_choice: { type: 'auto' }, messages,
          });
          assert.equal(message.stop_reason, 'end_turn');
          assert.deepEqual(message.content, [{ type: 'text', text: b.text }]);
        }));
      }

      test('messages.countTokens: input_tokens > 0 and grows with the prompt', logged(async () => {
        const short = await client.messages.countTokens({ model: b.model, messages });
        assert.ok(Number.isInteger(short.input_tokens) && short.input_tokens > 0, JSON.stringify(short));
        const long = await client.messages.countTokens({
          model: b.model, messages: [{ role: 'user', content: `${PROMPT} ${'Tell me more about it. '.repeat(20)}` }],
        });
        assert.ok(long.input_tokens > short.input_tokens, `${long.input_tokens} > ${short.input_tokens}`);
      }));
    });
  }

  test('models.list() lists every configured model in Anthropic\'s shape', logged(async () => {
    const ids = [];
    for await (const m of client.models.list()) {
      assert.equal(m.type, 'model');
      assert.equal(typeof m.display_name, 'string');
      assert.ok(!Number.isNaN(Date.parse(m.created_at)), `created_at is a date: ${m.created_at}`);
      ids.push(m.id);
    }
    assert.deepEqual([...ids].sort(), backends.map((b) => b.model).sort());
    const page = await client.models.list();
    assert.equal(page.has_more, false);
    assert.equal(page.first_id, ids[0]);
    assert.equal(page.last_id, ids.at(-1));
  }));

  test('Authorization: Bearer (the SDK\'s authToken) works as well as x-api-key', logged(async () => {
    const bearer = new Anthropic({ baseURL: client.baseURL, apiKey: null, authToken: KEY, maxRetries: 0, timeout: 20_000 });
    const message = await bearer.messages.create({ model: 'demo-chat', max_tokens: 64, messages });
    assert.equal(message.stop_reason, 'end_turn');
  }));

  test('a bad API key throws AuthenticationError (401, authentication_error)', logged(async () => {
    const bad = new Anthropic({ baseURL: client.baseURL, apiKey: 'sk-wrong', maxRetries: 0, timeout: 20_000 });
    const params = { model: 'demo-chat', max_tokens: 64, messages };
    await expectAnthropicError(bad.messages.create(params), Anthropic.AuthenticationError, 401, 'authentication_error');
    await expectAnthropicError(bad.messages.create({ ...params, stream: true }), Anthropic.AuthenticationError, 401, 'authentication_error');
    await expectAnthropicError(bad.messages.stream(params).finalMessage(), Anthropic.AuthenticationError, 401, 'authentication_error');
    await expectAnthropicError(bad.messages.countTokens({ model: 'demo-chat', messages }), Anthropic.AuthenticationError, 401, 'authentication_error');
    await expectAnthropicError(bad.models.list(), Anthropic.AuthenticationError, 401, 'authentication_error');
  }));

  test('an unknown model throws NotFoundError (404, not_found_error)', logged(async () => {
    const params = { model: 'no-such-model', max_tokens: 64, messages };
    await expectAnthropicError(client.messages.create(params), Anthropic.NotFoundError, 404, 'not_found_error', /no-such-model/);
    await expectAnthropicError(client.messages.create({ ...params, stream: true }), Anthropic.NotFoundError, 404, 'not_found_error', /no-such-model/);
  }));

  test('a request without max_tokens throws BadRequestError (400) naming max_tokens', logged(async () => {
    await expectAnthropicError(client.messages.create({ model: 'demo-chat', messages }),
      Anthropic.BadRequestError, 400, 'invalid_request_error', /max_tokens/);
    await expectAnthropicError(client.messages.create({ model: 'anthropic-chat', messages, stream: true }),
      Anthropic.BadRequestError, 400, 'invalid_request_error', /max_tokens/);
    // Refused at the gateway: nothing reached the upstream.
    await clearUpstreamRequests(mock);
    await expectAnthropicError(client.messages.create({ model: 'anthropic-chat', messages }),
      Anthropic.BadRequestError, 400, 'invalid_request_error', /max_tokens/);
    assert.equal(await lastUpstreamRequest(mock), null, 'the invalid request was not forwarded');
  }));
});
