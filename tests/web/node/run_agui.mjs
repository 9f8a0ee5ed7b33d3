// Runs an AG-UI agent served by kavalai with @ag-ui/client's own HttpAgent (its event
// verification and its reducer of messages and state), resuming after each drop with
// the SSE id of the last event it applied, and prints what it ended with as JSON.
//   node run_agui.mjs whole <url>          one run, resumed after every drop
//   node run_agui.mjs every <url>          cut after each position, then resume there
//   node run_agui.mjs at <url> <p,q,...>   the same at the positions given
// A resumed run applies only the events up to the last one that carried an id (the
// ones after it come again), so no event is applied twice.
import { HttpAgent } from '@ag-ui/client';

const [mode, url, at] = process.argv.slice(2);

class Cut extends Error {}

// A fetch for HttpAgent: sends Last-Event-ID, and passes on the events of a response
// only up to the last one with an id (or to the end of a response that ended whole).
function resumingFetch(progress) {
  return async (target, init) => {
    const headers = { ...init.headers };
    if (progress.lastId !== null) headers['Last-Event-ID'] = progress.lastId;
    const response = await fetch(target, { ...init, headers });
    if (!response.ok || !response.body) return response;
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
    let buffer = '';
    let held = '';
    const body = new ReadableStream({
      async pull(controller) {
        for (;;) {
          let chunk;
          try {
            chunk = await reader.read();
          } catch (error) {
            controller.error(error);
            return;
          }
          if (chunk.done) {
            if (held) controller.enqueue(encoder.encode(held));
            controller.close();
            return;
          }
          buffer += decoder.decode(chunk.value, { stream: true });
          let out = '';
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const frame = buffer.slice(0, end + 2);
            buffer = buffer.slice(end + 2);
            held += frame;
            const id = /^id: (.*)$/m.exec(frame);
            if (id) {
              progress.lastId = id[1];
              out += held;
              held = '';
              if (progress.cutAt === id[1]) {
                progress.cutAt = null;
                controller.enqueue(encoder.encode(out));
                controller.error(new Cut(`cut after ${id[1]}`));
                reader.cancel().catch(() => {});
                return;
              }
            }
          }
          if (out) {
            controller.enqueue(encoder.encode(out));
            return;
          }
        }
      },
      cancel() {
        return reader.cancel();
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
}

function dropped(error) {
  // A connection cut short (by the proxy, or by a Cut), never a verification error.
  if (error instanceof Cut) return true;
  const text = `${error?.name} ${error?.message} ${error?.cause?.code ?? ''}`;
  return /terminated|ECONNRESET|other side closed|socket|fetch failed|aborted|network/i.test(
    text,
  ) && !/AGUIError|Cannot send/.test(text);
}

async function run(cutAt) {
  const progress = { lastId: null, cutAt };
  const events = [];
  const agent = new HttpAgent({ url, threadId: 'thread-1', fetch: resumingFetch(progress) });
  agent.subscribe({
    onEvent: ({ event }) => {
      events.push(event);
    },
  });
  const failures = [];
  let connections = 0;
  for (let attempt = 0; attempt < 60; attempt += 1) {
    connections += 1;
    try {
      await agent.runAgent({ runId: 'run-1' });
      return { messages: agent.messages, state: agent.state, events, connections, failures };
    } catch (error) {
      if (!dropped(error)) {
        failures.push(`${error?.name}: ${error?.message}`);
        break;
      }
    }
  }
  failures.push('gave up');
  return { messages: agent.messages, state: agent.state, events, connections, failures };
}

if (mode === 'whole') {
  console.log(JSON.stringify(await run(null)));
} else {
  const resumed = []; // first: an answer may go on only once a client resumed
  const wanted = mode === 'at' ? at.split(',') : null;
  const positions = []; // every id the answer's events carry, read from its frames
  if (wanted === null) {
    const text = await (await fetch(url, { method: 'POST', body: '{}' })).text();
    for (const match of text.matchAll(/^id: (.*)$/gm)) positions.push(match[1]);
  }
  for (const position of wanted ?? positions) {
    const result = await run(position);
    resumed.push({ position, ...result, events: result.events.length });
  }
  const whole = await run(null);
  console.log(JSON.stringify({ whole, positions, resumed }));
}
