/**
 * Contract checker for FSPIOP-Signature: signs and validates requests with the JWS classes of
 * @mojaloop/sdk-standard-components (src/lib/jws/jwsSigner.js, jwsValidator.js), the version
 * pinned in package.json.
 *
 * Usage: node jws_check.js  (one JSON request per stdin line, one JSON answer per stdout line)
 *
 * {op: "sign", key: PEM, method, uri, headers, body} signs as baseRequests.js does before it
 *   sends: `body` a string is signed as is, an object as JSON.stringify makes it. Answer:
 *   {ok: true, headers, body} (the request's headers and body after sign()), or {ok: false, error}.
 * {op: "validate", keys: {fspId: PEM}, headers, body} validates as the scheme adapter's inbound
 *   server does: `body` is the raw body string, parsed like co-body's strict json() first.
 *   Answer: {ok: true} or {ok: false, error: <the validator's message>, name: <error class>}.
 * {op: "refusal"} answers {ok: true, status, body}: what the inbound server's createJwsValidator
 *   answers a refused request (mojaloop/sdk-scheme-adapter InboundServer/middlewares.js).
 * {op: "stringify", text} answers {ok: true, json: JSON.stringify(JSON.parse(text))}: the payload
 *   the validator rebuilds from a body.
 */
'use strict';

const readline = require('readline');
const { Errors, Jws } = require('@mojaloop/sdk-standard-components');

const silent = { isDebugEnabled: false, child: () => silent, debug() {}, info() {}, warn() {}, error() {} };

// co-body json() with strict: true (its default): empty -> {}, only objects and arrays.
function parseBody(raw) {
    const text = raw.replace(/^\uFEFF/, '');
    if (!text) return {};
    if (!/^[\x20\x09\x0a\x0d]*(\[|\{)/.test(text)) throw new SyntaxError('invalid JSON, only supports object and array');
    return JSON.parse(text);
}

function sign(request) {
    const signer = new Jws.signer({ logger: silent, signingKey: request.key });
    const options = { method: request.method, uri: request.uri, headers: { ...request.headers }, body: request.body };
    signer.sign(options);
    return { ok: true, headers: options.headers, body: options.body };
}

function validate(request) {
    const validator = new Jws.validator({ logger: silent, validationKeys: request.keys });
    validator.validate({ headers: request.headers, body: parseBody(request.body) });
    return { ok: true };
}

function stringify(request) {
    return { ok: true, json: JSON.stringify(JSON.parse(request.text)) };
}

// middlewares.js createJwsValidator: status ReturnCodes.BADREQUEST (400), an INVALID_SIGNATURE error.
function refusal() {
    const error = new Errors.MojaloopFSPIOPError(new Error('x'), 'x', null, Errors.MojaloopApiErrorCodes.INVALID_SIGNATURE);
    return { ok: true, status: 400, body: error.toApiErrorObject() };
}

const OPS = { sign, validate, stringify, refusal };

function answer(line) {
    let request;
    try {
        request = JSON.parse(line);
    } catch (err) {
        return { ok: false, error: `jws_check: not a JSON line: ${err.message}`, name: 'Usage' };
    }
    const op = OPS[request.op];
    if (!op) return { ok: false, error: `jws_check: unknown op ${JSON.stringify(request.op)}`, name: 'Usage' };
    try {
        return op(request);
    } catch (err) {
        return { ok: false, error: err.message, name: err.name };
    }
}

readline.createInterface({ input: process.stdin, terminal: false }).on('line', (line) => {
    if (line.trim()) process.stdout.write(`${JSON.stringify(answer(line))}\n`);
});
