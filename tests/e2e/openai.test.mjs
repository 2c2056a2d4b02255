// End-to-end: the official OpenAI JavaScript SDK, exactly as users run it, against the real
// switchyard binary in front of the standalone mock_provider (speaking OpenAI, and for
// claude-chat and gemini-chat the Anthropic and Gemini dialects) and the in-process `mock` provider.
// Run by ctest (`ctest -L e2e`) with SWITCHYARD_BINARY and MOCK_PROVIDER_BINARY set.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import {
  DIALECTS, KEY, MOCK, MOCK_TOOL_ARGUMENTS, SWITCHYARD, assertUpstreamCall, clearUpstreamRequests,
  gatewayConfig, mockReplyText, modelEntry, startGateway, startMock, toolTurnIn, upstreamProvider,
  withLogs,
} from './harness.mjs';

const REPLY_TOKENS = 12;

let mock;        // healthy upstream, in every dialect
let failing;     // every request answered 503
let cutter;      // every stream cut after 2 tokens
let gateway;
let client;

function config(dir) {
  return gatewayConfig(dir,
    upstreamProvider('upstream', mock.port)
      + upstreamProvider('anthropic-upstream', mock.port, 'anthropic')
      + upstreamProvider('gemini-upstream', mock.port, 'gemini')
      + upstreamProvider('down-a', failing.port)
      + upstreamProvider('down-b', failing.port)
      + upstreamProvider('cutter', cutter.port),
    modelEntry('demo-chat', ['demo', 'demo-1'])
      + modelEntry('demo-embed', ['demo', 'demo-embed-1'])
      + modelEntry('chat', ['upstream', DIALECTS.openai.model])
      + modelEntry('claude-chat', ['anthropic-upstream', DIALECTS.anthropic.model])
      + modelEntry('gemini-chat', ['gemini-upstream', DIALECTS.gemini.model])
      + modelEntry('embed', ['upstream', 'mock-embedding'])
      + modelEntry('broken', ['down-a', 'mock-gpt'], ['down-b', 'mock-gpt'])
      + modelEntry('flaky', ['cutter', 'mock-gpt']));
}

/** Runs `fn`; on failure, adds the gateway's stderr to the message. */
const logged = (fn) => () => withLogs(() => gateway, fn);

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
    mock = await startMock('upstream', '--reply-tokens', String(REPLY_TOKENS));
    failing = await startMock('failing', '--fault', '{"kind":"status","status":503}');
    // Paced, so the gateway has relayed the first tokens (committed) well before the cut.
    cutter = await startMock('cutter', '--reply-tokens', '20', '--tokens-per-second', '20', '--fault', '{"kind":"cut","after_tokens":2,"stream":true}');
    gateway = await startGateway(config);
    client = new OpenAI({ baseURL: `http://127.0.0.1:${gateway.port}/v1`, apiKey: KEY, maxRetries: 0, timeout: 20_000 });
  });

  after(async () => {
    const code = gateway ? await gateway.shutdown() : null;
    await Promise.all([mock, failing, cutter].filter(Boolean).map((c) => c.stop()));
    if (gateway) assert.equal(code, 0, `switchyard exits 0 on SIGTERM:\n${gateway.stderr.slice(-4000)}`);
  });

  test('non-stream chat completion', logged(async () => {
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

  test('non-stream chat on the in-process mock provider', logged(async () => {
    const completion = await client.chat.completions.create({ model: 'demo-chat', messages });
    assert.ok(completion.choices[0].message.content.length > 0);
    assert.equal(completion.choices[0].finish_reason, 'stop');
  }));

  for (const model of ['chat', 'demo-chat']) {
    test(`stream chat (${model}): chunks assemble the text and end with finish_reason stop`, logged(async () => {
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

  test('stream with stream_options.include_usage: usage in the last chunk', logged(async () => {
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

  test('tools and tool_choice pass through to an OpenAI-compatible upstream', logged(async () => {
    // tool_choice auto and a prompt that does not ask for a tool: the mock answers with plain
    // text. (Tool calls, in every upstream dialect, are the 'tools (…)' tests below.)
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

  // Models served by upstreams in the other dialects: the gateway translates the request to
  // Anthropic Messages or Gemini generateContent and the answer back to Chat Completions.
  const foreign = [['claude-chat', 'anthropic', 'anthropic-upstream'], ['gemini-chat', 'gemini', 'gemini-upstream']];
  const expectedText = mockReplyText(REPLY_TOKENS);

  for (const [model, dialect, provider] of foreign) {
    test(`non-stream chat (${model}, ${dialect}-dialect upstream)`, logged(async () => {
      await clearUpstreamRequests(mock);
      const { data: completion, response } = await client.chat.completions
        .create({ model, messages })
        .withResponse();
      await assertUpstreamCall(mock, dialect, false);
      assert.equal(completion.object, 'chat.completion');
      assert.ok(typeof completion.id === 'string' && completion.id.length > 0);
      assert.equal(completion.choices.length, 1);
      assert.equal(completion.choices[0].message.role, 'assistant');
      assert.equal(completion.choices[0].message.content, expectedText);
      assert.equal(completion.choices[0].finish_reason, 'stop');
      assert.ok(completion.usage.prompt_tokens > 0, JSON.stringify(completion.usage));
      assert.equal(completion.usage.completion_tokens, REPLY_TOKENS);
      assert.equal(completion.usage.total_tokens, completion.usage.prompt_tokens + completion.usage.completion_tokens);
      assert.equal(response.headers.get('x-switchyard-provider'), provider);
    }));

    test(`stream chat with include_usage (${model}, ${dialect}-dialect upstream)`, logged(async () => {
      const whole = await client.chat.completions.create({ model, messages });
      await clearUpstreamRequests(mock);
      const stream = await client.chat.completions.create({
        model, messages, stream: true, stream_options: { include_usage: true },
      });
      const chunks = [];
      for await (const chunk of stream) chunks.push(chunk);
      await assertUpstreamCall(mock, dialect, true);
      let text = '';
      const finishes = [];
      for (const chunk of chunks) {
        assert.equal(chunk.object, 'chat.completion.chunk');
        assert.equal(chunk.id, chunks[0].id, 'every chunk carries the same id');
        for (const choice of chunk.choices) {
          text += choice.delta?.content ?? '';
          if (choice.finish_reason) finishes.push(choice.finish_reason);
        }
      }
      assert.equal(text, expectedText, 'the deltas concatenate to the whole answer');
      assert.deepEqual(finishes, ['stop']);
      const usageChunks = chunks.filter((c) => c.usage);
      assert.equal(usageChunks.length, 1, 'exactly one usage chunk');
      const last = chunks.at(-1);
      assert.equal(usageChunks[0], last, 'the usage chunk is the last one');
      assert.deepEqual(last.choices, []);
      assert.equal(last.usage.completion_tokens, REPLY_TOKENS);
      assert.ok(last.usage.prompt_tokens > 0);
      assert.equal(last.usage.total_tokens, last.usage.prompt_tokens + last.usage.completion_tokens);
      assert.equal(last.usage.prompt_tokens, whole.usage.prompt_tokens, 'stream and whole answer count the same prompt');
      assert.equal(last.usage.completion_tokens, whole.usage.completion_tokens);
    }));
  }

  const weatherTool = {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  };
  const weatherQuestion = [{ role: 'user', content: 'What is the weather in Paris?' }];

  for (const [model, dialect] of [['chat', 'openai'], ...foreign]) {
    test(`tools (${model}, ${dialect}-dialect upstream): tool_calls with id, name and JSON arguments; finish_reason tool_calls`, logged(async () => {
      // Forced: the prompt does not ask for a tool, so only the translated tool_choice makes the
      // mock call one.
      await clearUpstreamRequests(mock);
      const completion = await client.chat.completions.create({
        model, messages: weatherQuestion, tools: [weatherTool],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      });
      await assertUpstreamCall(mock, dialect, false);
      const choice = completion.choices[0];
      assert.equal(choice.finish_reason, 'tool_calls');
      assert.equal(choice.message.content, null);
      assert.equal(choice.message.tool_calls?.length, 1, `message: ${JSON.stringify(choice.message)}`);
      const call = choice.message.tool_calls[0];
      assert.ok(typeof call.id === 'string' && call.id.length > 0, 'the tool call has an id');
      assert.equal(call.type, 'function');
      assert.equal(call.function.name, 'get_weather');
      assert.equal(typeof call.function.arguments, 'string');
      assert.deepEqual(JSON.parse(call.function.arguments), MOCK_TOOL_ARGUMENTS);
      assert.ok(completion.usage.completion_tokens > 0);

      // Streamed, with tool_choice auto and a prompt that asks for a tool.
      const stream = await client.chat.completions.create({
        model, tools: [weatherTool], tool_choice: 'auto', stream: true, stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'What is the weather in Paris? Please call tool.' }],
      });
      const calls = [];
      const finishes = [];
      let usage = null;
      for await (const chunk of stream) {
        if (chunk.usage) usage = chunk.usage;
        for (const c of chunk.choices) {
          if (c.finish_reason) finishes.push(c.finish_reason);
          for (const d of c.delta?.tool_calls ?? []) {
            const acc = (calls[d.index] ??= { id: '', type: '', name: '', arguments: '' });
            if (d.id) { assert.equal(acc.id, '', 'the id comes once'); acc.id = d.id; }
            if (d.type) acc.type = d.type;
            if (d.function?.name) acc.name += d.function.name;
            acc.arguments += d.function?.arguments ?? '';
          }
        }
      }
      assert.equal(calls.length, 1, `streamed calls: ${JSON.stringify(calls)}`);
      assert.ok(calls[0].id.length > 0, 'the streamed call has an id');
      assert.equal(calls[0].type, 'function');
      assert.equal(calls[0].name, 'get_weather');
      assert.deepEqual(JSON.parse(calls[0].arguments), MOCK_TOOL_ARGUMENTS);
      assert.deepEqual(finishes, ['tool_calls']);
      assert.ok(usage && usage.completion_tokens > 0, `usage: ${JSON.stringify(usage)}`);
      assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);

      // The next turn: the assistant message as the SDK returned it, and the tool's result. The
      // upstream gets both in its dialect, tied together, and answers with text.
      await clearUpstreamRequests(mock);
      const answer = await client.chat.completions.create({
        model, tools: [weatherTool],
        messages: [...weatherQuestion, choice.message, { role: 'tool', tool_call_id: call.id, content: '18 C and sunny' }],
      });
      assert.equal(answer.choices[0].finish_reason, 'stop');
      assert.equal(answer.choices[0].message.content, expectedText);
      const upstream = await assertUpstreamCall(mock, dialect, false);
      const turn = toolTurnIn(dialect, upstream.body);
      assert.equal(turn.callName, 'get_weather', `forwarded: ${JSON.stringify(upstream.body)}`);
      assert.deepEqual(turn.callArgs, MOCK_TOOL_ARGUMENTS);
      assert.equal(turn.resultName, 'get_weather');
      assert.match(turn.output, /18 C and sunny/);
      if (dialect !== 'gemini' || turn.callId !== undefined) {
        assert.equal(turn.callId, call.id, 'the forwarded call keeps its id');
        assert.equal(turn.resultId, call.id, 'the forwarded result names the call');
      }
    }));
  }

  for (const model of ['embed', 'demo-embed']) {
    test(`embeddings (${model}): the SDK's default base64 encoding and explicit float agree`, logged(async () => {
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

  test('models.list() names every configured model', logged(async () => {
    const ids = [];
    for await (const m of client.models.list()) {
      assert.equal(m.object, 'model');
      ids.push(m.id);
    }
    assert.deepEqual(ids.sort(),
      ['broken', 'chat', 'claude-chat', 'demo-chat', 'demo-embed', 'embed', 'flaky', 'gemini-chat']);
  }));

  test('a bad API key throws AuthenticationError (401)', logged(async () => {
    const bad = new OpenAI({ baseURL: client.baseURL, apiKey: 'sk-wrong', maxRetries: 0 });
    await expectApiError(bad.chat.completions.create({ model: 'chat', messages }), OpenAI.AuthenticationError, 401);
    await expectApiError(bad.models.list(), OpenAI.AuthenticationError, 401);
  }));

  test('an unknown model throws NotFoundError (404, model_not_found)', logged(async () => {
    await assert.rejects(client.chat.completions.create({ model: 'no-such-model', messages }), (err) => {
      assert.ok(err instanceof OpenAI.NotFoundError, `got ${err?.constructor?.name}: ${err?.message}`);
      assert.equal(err.status, 404);
      assert.equal(err.code, 'model_not_found');
      return true;
    });
  }));

  test('a malformed request throws BadRequestError (400) naming the param', logged(async () => {
    await assert.rejects(client.chat.completions.create({ model: 'chat', messages: 'not an array' }), (err) => {
      assert.ok(err instanceof OpenAI.BadRequestError, `got ${err?.constructor?.name}: ${err?.message}`);
      assert.equal(err.status, 400);
      assert.equal(err.param, 'messages');
      return true;
    });
  }));

  test('an upstream 503 on every target throws APIError 502', logged(async () => {
    await expectApiError(client.chat.completions.create({ model: 'broken', messages }), OpenAI.APIError, 502);
    await expectApiError(client.chat.completions.create({ model: 'broken', messages, stream: true }), OpenAI.APIError, 502);
  }));

  test('a stream cut after commit makes the SDK throw instead of returning truncated text', logged(async () => {
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
