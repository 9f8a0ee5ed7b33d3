// kavalai.js: follow a kavalai answer in a browser, over kavalai's server-sent events.
//
//   import { follow, partialJson } from "/kavalai.js";
//   const answer = follow("/streams/" + id, {
//     onChange(name, stream) { show(name, stream.text); },
//     onEnd() { show("status", "done"); },
//     onError(message) { show("status", "failed: " + message); },
//   });
//
// follow() reads the wire records of docs/wire.md (version 1) with an EventSource: each
// stream's text is its chunks joined, a restart clears every text, and a reconnect resumes
// after the last event the browser saw (Last-Event-ID), keeping the texts it had. The
// EventSource is closed on the end and error events: left open, it would reconnect when the
// response ends and ask for the finished answer again. Serve this file with
// kavalai.web.client_module(). Every value is model output: put it in a page as text
// (textContent), never as HTML.

/**
 * Follow the answer at `url` (a kavalai "sse" response, such as a hub's /streams/{id}).
 *
 * Handlers, each optional: onChange(name, stream) after a stream's text grew or it
 * completed; onRestart() after a restart cleared the texts; onEnd() once the answer ended;
 * onError(message, type) once it failed, or with type null if the server has no such answer.
 * Returns { streams, close, position, messages }: `streams` maps each name to
 * { text, delta, structured, serial, complete }; `position` is the last position seen.
 */
export function follow(url, handlers = {}) {
  const streams = new Map();
  const state = { streams, position: null, messages: 0, close: () => source.close() };
  const source = new EventSource(url);
  const record = (event) => JSON.parse(event.data);
  const at = (seq, count) => { if (seq !== null) state.position = seq + count - 1; };
  source.addEventListener("stream", (event) => {
    const r = record(event);
    const known = streams.get(r.name);
    // Each connection announces its streams again: the same stream keeps its text.
    if (known && known.serial === r.serial) return;
    const { name, delta, structured, serial } = r;
    streams.set(name, { name, text: "", delta, structured, serial, complete: false });
  });
  source.addEventListener("partial", (event) => {
    const r = record(event);
    const stream = streams.get(r.name);
    stream.text += r.chunks.join("");
    state.messages += r.chunks.length;
    at(r.seq, r.chunks.length);
    handlers.onChange?.(r.name, stream);
  });
  source.addEventListener("complete", (event) => {
    const r = record(event);
    const stream = streams.get(r.name);
    stream.complete = true;
    state.messages += 1;
    at(r.seq, 1);
    handlers.onChange?.(r.name, stream);
  });
  source.addEventListener("restart", (event) => {
    const r = record(event);
    if (r.seq === null) streams.clear();  // a catch-up: every stream comes again, whole
    else for (const stream of streams.values()) stream.text = "";
    at(r.seq, 1);
    handlers.onRestart?.();
  });
  source.addEventListener("end", () => { source.close(); handlers.onEnd?.(); });
  source.addEventListener("error", (event) => {
    if (event.data) {  // the answer failed: an error record
      source.close();
      const r = record(event);
      handlers.onError?.(r.message, r.type);
    } else if (source.readyState === EventSource.CLOSED) {  // refused: no such answer
      handlers.onError?.("this answer is gone", null);
    }  // else a dropped connection: the EventSource reconnects by itself
  });
  return state;
}

// The best-effort value of JSON text still being written, and how many items of the
// array at `path` have closed. Prose before the JSON is skipped. A number or literal
// being written is left out, so nothing shown is taken back.
export function partialJson(raw) {
  const start = raw.search(/[\[{]/);
  if (start < 0) return { value: null, closedRows: 0 };
  let s = raw.slice(start);
  const stack = [];
  let inString = false, escaped = false, closedRows = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (inString) {
      if (escaped) escaped = false; else if (c === "\\") escaped = true; else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") stack.push(c === "{" ? "}" : "]");
    else if (c === "}" || c === "]") {
      stack.pop();
      if (c === "}" && stack.length === 2) closedRows++;
      if (stack.length === 0) { s = s.slice(0, i + 1); break; }
    }
  }
  for (let attempt = 0; attempt < 200 && s.length; attempt++) {
    const candidate = s.replace(/[-+.\deEtrufalsn]+$/, "");
    try { return { value: JSON.parse(candidate + closers(candidate)), closedRows }; }
    catch (error) { s = candidate.slice(0, -1); }
  }
  return { value: null, closedRows };
}

function closers(s) {
  const stack = [];
  let inString = false, escaped = false;
  for (const c of s) {
    if (inString) {
      if (escaped) escaped = false; else if (c === "\\") escaped = true; else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") stack.push(c === "{" ? "}" : "]");
    else if (c === "}" || c === "]") stack.pop();
  }
  return (inString ? (escaped ? '\\"' : '"') : "") + stack.reverse().join("");
}

