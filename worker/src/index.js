// layerkit at the edge: an HTTP front for the layerkit wasm core.
//
//   GET  /healthz               {"ok": true, "version": …}
//   POST /v1/dockerfile/parse   Dockerfile text → parseDockerfile()
//   POST /v1/dockerfile/lint    Dockerfile text (+ ?config=JSON) → lint()
//   POST /v1/image/inspect      image tarball, streamed → ImageReader
//
// This file is glue: it reads requests, hands text and chunks to the core
// and turns results and errors into JSON responses. Parsing, linting and
// image reading, with their error messages, are the core's (src/).

import { ImageReader, lint, parseDockerfile, version } from "layerkit";

const MiB = 1024 * 1024;
/** Limits when wrangler.toml's [vars] do not set them. */
const DEFAULT_LIMITS = {
  MAX_DOCKERFILE_BYTES: 1 * MiB,
  MAX_IMAGE_BYTES: 100 * MiB, // Cloudflare's request body limit on most plans
};

/** An error the client can fix: its status, a stable code and a message. */
class HttpError extends Error {
  constructor(status, code, message, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, HEAD, POST, OPTIONS",
  "access-control-allow-headers": "content-type",
  "access-control-max-age": "86400",
};
const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };

function json(status, value) {
  return new Response(JSON.stringify(value), { status, headers: { ...JSON_TYPE, ...CORS } });
}

/** Each path's handlers by method, and the limit on its request body. */
const routes = {
  "/": { methods: { GET: index, HEAD: index } },
  "/healthz": { methods: { GET: healthz, HEAD: healthz } },
  "/v1/dockerfile/parse": { methods: { POST: dockerfileParse }, limit: "MAX_DOCKERFILE_BYTES" },
  "/v1/dockerfile/lint": { methods: { POST: dockerfileLint }, limit: "MAX_DOCKERFILE_BYTES" },
  "/v1/image/inspect": { methods: { POST: imageInspect }, limit: "MAX_IMAGE_BYTES" },
};

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const route = routes[url.pathname];
    // The one reader of the request body: handlers read from it, and an
    // error response drains what they left.
    const body = request.body ? request.body.getReader() : null;
    // After an error, how much of the body to read and drop (see
    // answerWhileDraining): twice the path's limit, so that an upload a
    // little over it still gets its 413.
    let drain = 2 * DEFAULT_LIMITS.MAX_DOCKERFILE_BYTES;
    try {
      const lim = limits(env);
      if (!route) {
        throw new HttpError(404, "not_found",
          `no endpoint ${url.pathname}: GET / lists the endpoints`);
      }
      if (route.limit) drain = 2 * lim[route.limit];
      if (request.method === "OPTIONS") {
        return new Response(null, { status: 204, headers: CORS });
      }
      const handler = route.methods[request.method];
      if (!handler) {
        const allow = Object.keys(route.methods).join(", ");
        throw new HttpError(405, "method_not_allowed",
          `${url.pathname} takes ${allow}, not ${request.method}`, { allow });
      }
      return await handler({ request, url, body, limits: lim });
    } catch (e) {
      let error = e;
      if (!(e instanceof HttpError)) {
        // Anything else is a bug in layerkit (a wasm trap, a broken
        // binding) or in the deployment's settings, not in the request.
        console.error(e);
        error = new HttpError(500, "internal",
          `layerkit failed on this request (a bug, or a bad setting; please report it): ${e.message ?? e}`);
      }
      return answerWhileDraining(error, body, drain);
    }
  },
};

function limits(env) {
  const out = {};
  for (const [name, fallback] of Object.entries(DEFAULT_LIMITS)) {
    const v = env?.[name];
    const n = v === undefined || v === "" ? fallback : Number(v);
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new Error(`${name} (wrangler.toml [vars]) must be a whole number of bytes, not ${JSON.stringify(v)}`);
    }
    out[name] = n;
  }
  return out;
}

/**
 * An error response, sent at once even while the client is still
 * uploading: the status and the JSON go out first, then up to `budget` more
 * bytes of the request body are read and dropped before the response ends.
 * (A server that closes a connection with request bytes unread resets it,
 * and an HTTP/1.1 client still sending then loses the answer.)
 */
function answerWhileDraining(e, body, budget) {
  const text = JSON.stringify({ error: { code: e.code, message: e.message } });
  const headers = { ...JSON_TYPE, ...CORS, ...e.headers };
  if (!body) return new Response(text, { status: e.status, headers });
  const bytes = new TextEncoder().encode(text);
  const stream = new ReadableStream({
    async pull(controller) {
      controller.enqueue(bytes);
      try {
        for (let left = budget; left >= 0;) {
          const { done, value } = await body.read();
          if (done) break;
          left -= value.byteLength;
        }
      } catch {
        // The client went away: nothing left to drain.
      }
      body.cancel().catch(() => {});
      controller.close();
    },
  }, { highWaterMark: 0 });
  return new Response(stream, { status: e.status, headers });
}

function index() {
  return json(200, {
    service: "layerkit",
    version: version(),
    endpoints: {
      "GET /healthz": "liveness, with the layerkit version",
      "POST /v1/dockerfile/parse": "body: a Dockerfile (text, or JSON {dockerfile}); returns BuildKit's syntax tree and diagnostics",
      "POST /v1/dockerfile/lint": "body: a Dockerfile (text with ?config=JSON, or JSON {dockerfile, config}); returns hadolint and BuildKit findings",
      "POST /v1/image/inspect": "body: a docker-archive or oci-archive tarball, gzip'd or not (?index=N picks one of several images); returns inspect, history and layer analysis",
    },
  });
}

function healthz() {
  return json(200, { ok: true, version: version() });
}

async function dockerfileParse(req) {
  const { dockerfile } = await readDockerfileRequest(req);
  return json(200, parseDockerfile(dockerfile));
}

async function dockerfileLint(req) {
  const { dockerfile, config } = await readDockerfileRequest(req);
  let findings;
  try {
    findings = lint(dockerfile, config);
  } catch (e) {
    throw inputError(e, "bad_config");
  }
  return json(200, { findings });
}

async function imageInspect({ request, url, body, limits }) {
  const max = limits.MAX_IMAGE_BYTES;
  checkDeclaredLength(request, max, "image");
  let index;
  const indexParam = url.searchParams.get("index");
  if (indexParam !== null) {
    index = Number(indexParam);
    if (!/^\d+$/.test(indexParam) || !Number.isSafeInteger(index)) {
      throw new HttpError(400, "bad_request",
        `?index=${indexParam}: expected the image's position in the archive, from 0`);
    }
  }
  const reader = new ImageReader("request body", index === undefined ? undefined : { image: index });
  try {
    // Each chunk goes to the reader as it arrives; nothing is kept here.
    const size = await eachChunk(body, max, "image", (chunk) => {
      try {
        reader.push(chunk);
      } catch (e) {
        throw inputError(e, "bad_image");
      }
    });
    if (size === 0) {
      throw new HttpError(400, "empty_body",
        "the request body is empty: send the image tarball (`docker save`, `skopeo copy … docker-archive:` or `oci-archive:`), gzip'd or not");
    }
    try {
      // The per-file views (`changes`, `merged`) can be as big as the image
      // has files; the service answers with the summaries.
      const { images, inspect, history, tree } = reader.finish();
      return json(200, { images, inspect, history, analysis: tree.image, layers: tree.layer });
    } catch (e) {
      throw inputError(e, "bad_image");
    }
  } finally {
    reader.free();
  }
}

/**
 * The Dockerfile and lint config of a request: a JSON body
 * `{"dockerfile": "...", "config": {...}}`, or the Dockerfile's text as the
 * body with the config as `?config=<JSON>`.
 */
async function readDockerfileRequest({ request, url, body, limits }) {
  const max = limits.MAX_DOCKERFILE_BYTES;
  checkDeclaredLength(request, max, "Dockerfile");
  const chunks = [];
  const size = await eachChunk(body, max, "Dockerfile", (chunk) => chunks.push(chunk));
  const bytes = new Uint8Array(size);
  chunks.reduce((at, c) => (bytes.set(c, at), at + c.byteLength), 0);

  const type = (request.headers.get("content-type") || "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json") {
    return { dockerfile: utf8(bytes, "the body"), config: configParam(url) };
  }
  let value;
  try {
    value = JSON.parse(utf8(bytes, "the JSON body"));
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw new HttpError(400, "bad_json", `the body is not valid JSON: ${e.message}`);
  }
  if (value === null || typeof value !== "object" || typeof value.dockerfile !== "string") {
    throw new HttpError(400, "bad_json",
      'the JSON body must be an object with the Dockerfile\'s text in "dockerfile" (and optionally a lint "config" object)');
  }
  if (value.config !== undefined && url.searchParams.has("config")) {
    throw new HttpError(400, "bad_config",
      'give the lint config once: in the JSON body ("config") or as ?config=, not both');
  }
  return { dockerfile: value.dockerfile, config: value.config ?? configParam(url) };
}

function configParam(url) {
  const raw = url.searchParams.get("config");
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new HttpError(400, "bad_config",
      `?config= is not valid JSON (${e.message}); give .hadolint.yaml's settings as a URL-encoded JSON object, e.g. ?config=${encodeURIComponent('{"ignored":["DL3008"]}')}`);
  }
}

/**
 * Calls `each` with every chunk of the body as it arrives; a 413 once the
 * body passes `max` bytes (a Content-Length can lie, a chunked body has
 * none). Returns the body's size.
 */
async function eachChunk(body, max, what, each) {
  let size = 0;
  if (!body) return size;
  for (;;) {
    const { done, value } = await body.read();
    if (done) return size;
    size += value.byteLength;
    if (size > max) throw tooLarge(what, max);
    each(value);
  }
}

function checkDeclaredLength(request, max, what) {
  const declared = Number(request.headers.get("content-length"));
  if (declared > max) throw tooLarge(what, max, declared);
}

function tooLarge(what, max, declared) {
  const got = declared === undefined ? "more" : `${declared} bytes`;
  return new HttpError(413, "too_large",
    `the ${what} is too large: ${got}, over this service's limit of ${max} bytes; ` +
    (what === "image"
      ? "run `layerkit inspect` locally for larger images"
      : "a Dockerfile is rarely over a few kilobytes"));
}

function utf8(bytes, what) {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, "not_text",
      `${what} is not UTF-8 text: send the Dockerfile's text as it is on disk (Content-Type: text/plain)`);
  }
}

/** An error thrown by the core for bad input, as a 400 with its message. */
function inputError(e, code) {
  // A trap (WebAssembly.RuntimeError) or a TypeError is a bug, not bad
  // input: the core reports bad input as a plain Error.
  if (!(e instanceof Error) || e.constructor !== Error) return e;
  return new HttpError(400, code, e.message);
}
