// Reads an AI SDK UI message stream from a URL with the `ai` package's own reader
// (parseJsonEventStream with uiMessageChunkSchema, then readUIMessageStream) and
// prints the final message, the chunk types and any failure as JSON.
//   node read_ui_stream.mjs <ai5|ai6|ai7> <url>
// Exits 1 if a chunk did not validate or the stream could not be processed.
const [alias, url] = process.argv.slice(2);
const ai = await import(alias);

const response = await fetch(url);
const chunkTypes = [];
const failures = [];
const errorTexts = [];
let message = null;
try {
  const chunks = ai
    .parseJsonEventStream({ stream: response.body, schema: ai.uiMessageChunkSchema })
    .pipeThrough(
      new TransformStream({
        transform(result, controller) {
          if (!result.success) throw result.error;
          chunkTypes.push(result.value.type);
          if (result.value.type === 'error') errorTexts.push(result.value.errorText);
          controller.enqueue(result.value);
        },
      }),
    );
  for await (const update of ai.readUIMessageStream({
    stream: chunks,
    onError: (error) => {
      const text = String(error?.message ?? error);
      if (!errorTexts.includes(text)) failures.push(`${error?.name ?? 'Error'}: ${text}`);
    },
  })) {
    message = update;
  }
} catch (error) {
  failures.push(`${error?.name ?? 'Error'}: ${error?.message ?? error}`);
}
console.log(
  JSON.stringify({
    status: response.status,
    header: response.headers.get('x-vercel-ai-ui-message-stream'),
    chunkTypes,
    errorTexts,
    failures,
    message,
  }),
);
process.exit(failures.length ? 1 : 0);
