/**
 * Contract checker: judges requests, answers and ILP data with the npm packages Mojaloop's
 * sdk-scheme-adapter v24.19.x runs with (see package.json), the way its outbound API does.
 *
 * Usage: node sdk_check.js CASES.json > RESULTS.json
 *
 * CASES.json is a JSON array of cases; stdout gets a JSON array with one result per case, in
 * order: {id, ok, problems: [string], ...extra}. The case kinds (field `kind`) and their extras
 * are described at the handlers below. One bad case gives ok: false; a bad file exits 2.
 */
'use strict';

const fs = require('fs');
const path = require('path');
const util = require('util');

const Ajv = require('ajv');
const jsrp = require('json-schema-ref-parser');
const yaml = require('js-yaml');
const { convertParametersToJSONSchema } = require('openapi-jsonschema-parameters');

// The spec the SDK's OutboundServer loads, found the way it finds it.
const SPEC_FILE = path.join(
    path.dirname(require.resolve('@mojaloop/api-snippets')),
    '../docs/sdk-scheme-adapter-outbound-v2_1_0-openapi3-snippets.yaml',
);
const HTTP_METHODS = ['get', 'head', 'post', 'put', 'delete', 'connect', 'options', 'trace', 'patch'];

// Request validation uses the SDK's own Ajv options (modules/api-svc/src/lib/validate.js).
const requestAjv = new Ajv({ allErrors: true, coerceTypes: true, strict: false });
// Answers are judged as sent: no coercion, which would let "400" pass as 400.
const responseAjv = new Ajv({ allErrors: true, strict: false });

// Shapes the SDK answers with that the outbound spec does not declare, derived from
// repository mojaloop/sdk-scheme-adapter at v24.19.4.
//
// modules/api-svc/src/OutboundServer/middlewares.js (createRequestValidator): any request the
// validator refuses (unmatched path, unsupported method, schema errors) is answered 400 with
// exactly {message, statusCode: 400}, statusCode a number.
const VALIDATOR_400 = {
    type: 'object',
    required: ['message', 'statusCode'],
    additionalProperties: false,
    properties: {
        message: { type: 'string' },
        statusCode: { type: 'integer', const: 400 },
    },
};

// modules/api-svc/src/OutboundServer/handlers.js (handleError): an error from a model is
// answered with exactly {message, [stateField]: err[stateField] || {}, statusCode: <string>}.
const handleErrorShape = (stateField) => ({
    type: 'object',
    required: ['message', stateField, 'statusCode'],
    additionalProperties: false,
    properties: {
        message: { type: 'string' },
        [stateField]: { type: 'object' },
        statusCode: { type: 'string' },
    },
});

// modules/api-svc/src/OutboundServer/handlers.js: the stateField each handler passes to
// handleError, per spec path and method.
const STATE_FIELDS = {
    'get /parties/{Type}/{ID}': 'requestPartiesInformationState',
    'get /parties/{Type}/{ID}/{SubId}': 'requestPartiesInformationState',
    'post /quotes': 'requestQuotesInformationState',
    'post /simpleTransfers': 'requestSimpleTransfersInformationState',
};

// Async2SyncModel.js (mapCurrentState): the states an async-to-sync answer can be in.
const CURRENT_STATE = { type: 'string', enum: ['WAITING_FOR_ACTION', 'COMPLETED', 'ERROR_OCCURRED'] };

// handlers.js (getPartiesByTypeAndId) answers 404 with the model's own response when it holds
// errorInformation, not through handleError; PartiesModel.js (reformatMessage) and
// Async2SyncModel.js (getResponse) make that {errorInformation, currentState}.
const PARTIES_404 = {
    type: 'object',
    required: ['errorInformation', 'currentState'],
    properties: {
        currentState: CURRENT_STATE,
    },
};

// An error callback completes the async-to-sync models as a success does, and handlers.js
// answers 200 with the model's response, a shape the spec's 200 schemas do not allow:
// - quotes: InboundServer/handlers.js (putQuotesByIdError) publishes the callback's body alone,
//   which QuotesModel.js (reformatMessage) wraps as {quotes: {errorInformation}};
// - transfers: putTransfersByIdError publishes {body, headers}, which TransfersModel.js wraps as
//   {transfer: {body: {errorInformation}, headers}}.
function errorCallback200(pattern, errorInformation) {
    const error = {
        type: 'object',
        required: ['errorInformation'],
        additionalProperties: false,
        properties: { errorInformation },
    };
    const wrapped = pattern === '/quotes'
        ? { quotes: error }
        : {
            transfer: {
                type: 'object',
                required: ['body', 'headers'],
                additionalProperties: false,
                properties: { body: error, headers: { type: 'object' } },
            },
        };
    const [field] = Object.keys(wrapped);
    return {
        type: 'object',
        required: [field, 'currentState'],
        additionalProperties: false,
        properties: { ...wrapped, currentState: CURRENT_STATE },
    };
}

let spec; // {paths: [{pattern, regex, params, operations: {method: operation}}]}, loaded once
const requestValidators = new Map();
const responseValidators = new Map();
let sdk; // @mojaloop/sdk-standard-components, loaded on the first ILP case
const ilpBySecret = new Map();

async function loadSpec() {
    if (spec) return spec;
    const apiDoc = await jsrp.dereference(yaml.load(fs.readFileSync(SPEC_FILE, 'utf8')));
    const paramPattern = /\{[^{}]+\}/g;
    spec = {
        errorInformation: apiDoc.components.schemas.ErrorInformation,
        paths: Object.entries(apiDoc.paths).map(([pattern, pathItem]) => ({
            pattern,
            regex: new RegExp(`^${pattern.replace(paramPattern, '([^{}/]+)')}$`),
            params: (pattern.match(paramPattern) || []).map((p) => p.slice(1, -1)),
            pathItem,
        })),
    };
    return spec;
}

/** The first spec path matching `urlPath`, as validate.js picks it, with its path params. */
function matchPath(urlPath) {
    const entry = spec.paths.find((p) => p.regex.test(urlPath));
    if (!entry) return undefined;
    const values = urlPath.match(entry.regex).slice(1);
    return { entry, params: Object.fromEntries(entry.params.map((name, i) => [name, values[i]])) };
}

/** The schema validate.js (createSchema) assembles for one operation. */
function requestSchema(pathItem, operation) {
    let body = operation.requestBody;
    if (body && 'content' in body) {
        if (!('application/json' in body.content)) throw new Error('Unhandled content type');
        body = body.content['application/json'].schema;
    }
    const properties = {
        ...convertParametersToJSONSchema([...(pathItem.parameters || []), ...(operation.parameters || [])]),
        body: body || {},
    };
    if (properties.headers && properties.headers.properties) {
        const headers = properties.headers;
        headers.properties = Object.fromEntries(
            Object.entries(headers.properties).map(([name, value]) => [name.toLowerCase(), value]),
        );
        headers.required = headers.required.map((name) => name.toLowerCase());
    }
    const required = Object.entries(properties)
        .filter(([, value]) => value.required && value.required.length > 0)
        .map(([name]) => name);
    return { type: 'object', properties, required };
}

function requestValidator(entry, method) {
    const key = `${method} ${entry.pattern}`;
    if (!requestValidators.has(key)) {
        requestValidators.set(key, requestAjv.compile(requestSchema(entry.pathItem, entry.pathItem[method])));
    }
    return requestValidators.get(key);
}

function describe(error) {
    // additionalProperties' message does not say which property; the field must be named.
    const extra = error.keyword === 'additionalProperties' ? ` '${error.params.additionalProperty}'` : '';
    return `${error.instancePath} ${error.message}${extra}`.trim();
}

function splitUrl(url) {
    const at = url.indexOf('?');
    if (at < 0) return { urlPath: url, query: {} };
    const query = {};
    for (const [name, value] of new URLSearchParams(url.slice(at + 1))) {
        if (name in query) query[name] = [].concat(query[name], value);
        else query[name] = value;
    }
    return { urlPath: url.slice(0, at), query };
}

/**
 * request {method, path, body?, headers?}: would the SDK's validator accept it? `path` is the
 * URL after the outbound API's root (it may carry a query). Extras: operation (the spec path),
 * params; when accepted and Ajv's coercion changed the body, `coerced` (the body the handler
 * gets); when refused, status 400 and message (the message the SDK would answer).
 */
function checkRequest(c) {
    const { urlPath, query } = splitUrl(c.path);
    const method = c.method.toLowerCase();
    const matched = matchPath(urlPath);
    if (!matched) return refuse(`Couldn't match path ${urlPath}`);
    const { entry, params } = matched;
    if (!HTTP_METHODS.includes(method) || !(method in entry.pathItem)) {
        return { ...refuse(`Method ${c.method.toUpperCase()} not supported for path ${urlPath}`), operation: entry.pattern };
    }
    const headers = Object.fromEntries(
        Object.entries(c.headers || {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
    );
    const body = c.body === undefined ? {} : structuredClone(c.body);
    const validate = requestValidator(entry, method);
    const extra = { operation: entry.pattern, params };
    if (validate({ body, headers, query, path: { ...params } })) {
        const coerced = JSON.stringify(body) !== JSON.stringify(c.body === undefined ? {} : c.body);
        return { ok: true, problems: [], ...extra, ...(coerced && { coerced: body }) };
    }
    const errors = validate.errors;
    // validate.js: a first error of keyword `required` becomes a MojaloopFSPIOPError whose message
    // is the whole util.format dump; any other first error lends its own message to the answer.
    const message =
        errors[0].keyword === 'required' ? util.format('Request failed validation', errors) : errors[0].message;
    return { ok: false, problems: errors.map(describe), status: 400, message, ...extra };
}

function refuse(message) {
    return { ok: false, problems: [message], status: 400, message };
}

/** The schema a `status` answer to `method entry.pattern` must match, or a problem string. */
function responseSchema(entry, method, status) {
    const operation = entry && HTTP_METHODS.includes(method) ? entry.pathItem[method] : undefined;
    if (!operation) {
        return status === '400' ? { schema: VALIDATOR_400, against: 'validator' } : { problem: 'the SDK answers 400 to a path or method its spec lacks' };
    }
    const declared = (operation.responses || {})[status];
    const stateField = STATE_FIELDS[`${method} ${entry.pattern}`];
    let derived;
    let against;
    if (status === '400') [derived, against] = [VALIDATOR_400, 'validator'];
    else if (status === '404' && stateField === 'requestPartiesInformationState') [derived, against] = [PARTIES_404, 'handler'];
    else if (status === '500' && stateField) [derived, against] = [handleErrorShape(stateField), 'handleError'];
    if (!declared) {
        if (derived) return { schema: derived, against };
        const known = [...Object.keys(operation.responses || {}), '400', ...(stateField ? ['500'] : [])];
        return { problem: `status ${status} is not one the SDK answers ${method.toUpperCase()} ${entry.pattern} with (${[...new Set(known)].sort().join(', ')})` };
    }
    const content = declared.content && declared.content['application/json'];
    const base = content ? content.schema : {};
    if (status === '200' && (entry.pattern === '/quotes' || entry.pattern === '/simpleTransfers')) {
        const callback = errorCallback200(entry.pattern, spec.errorInformation);
        return { schema: { anyOf: [base, callback] }, against: 'spec|errorCallback' };
    }
    return derived ? { schema: { allOf: [base, derived] }, against: `spec+${against}` } : { schema: base, against: 'spec' };
}

/**
 * response {method, path, status, body}: is `body` an answer the SDK could give with `status`?
 * Checked against the spec's declared response, tightened or replaced by the shapes above.
 * Extras: operation, against ("spec", "spec+handleError", "spec+handler", "validator",
 * "handleError").
 */
function checkResponse(c) {
    const { urlPath } = splitUrl(c.path);
    const method = c.method.toLowerCase();
    const status = String(c.status);
    const matched = matchPath(urlPath);
    const entry = matched && matched.entry;
    const found = responseSchema(entry, method, status);
    const extra = entry ? { operation: entry.pattern } : {};
    if (found.problem) return { ok: false, problems: [found.problem], ...extra };
    const key = `${method} ${entry ? entry.pattern : ''} ${status}`;
    if (!responseValidators.has(key)) responseValidators.set(key, responseAjv.compile(found.schema));
    const validate = responseValidators.get(key);
    if (c.body !== undefined && validate(c.body)) return { ok: true, problems: [], ...extra, against: found.against };
    const problems = c.body === undefined ? ['no body'] : validate.errors.map(describe);
    return { ok: false, problems, ...extra, against: found.against };
}

function ilp(secret) {
    if (!sdk) sdk = require('@mojaloop/sdk-standard-components');
    if (!ilpBySecret.has(secret)) {
        const logger = { isDebugEnabled: false, child: () => logger, push: () => logger, debug() {}, info() {}, warn() {}, error() {} };
        ilpBySecret.set(secret, sdk.Ilp.ilpFactory(sdk.Ilp.ILP_VERSIONS.v1, { secret, logger }));
    }
    return ilpBySecret.get(secret);
}

/**
 * ilp_make {secret, quoteRequest, quoteResponse}: what the SDK's IlpV1.getQuoteResponseIlp
 * makes of a quote. Extras: ilpPacket, condition, fulfilment, transaction (the packet decoded).
 */
function checkIlpMake(c) {
    const lib = ilp(c.secret);
    const { ilpPacket, condition, fulfilment } = lib.getQuoteResponseIlp(c.quoteRequest, c.quoteResponse);
    return { ok: true, problems: [], ilpPacket, condition, fulfilment, transaction: lib.getTransactionObject(ilpPacket) };
}

/**
 * ilp_quote {secret, quoteRequest, quoteResponse}: the quoteResponse's ilpPacket and condition
 * are byte for byte those the SDK makes from the quote. Extras: transaction (quoteResponse's
 * packet decoded by the SDK, when it decodes); expected {ilpPacket, condition} on a mismatch.
 */
function checkIlpQuote(c) {
    const lib = ilp(c.secret);
    const expected = lib.getQuoteResponseIlp(c.quoteRequest, c.quoteResponse);
    const problems = [];
    for (const field of ['ilpPacket', 'condition']) {
        if (c.quoteResponse[field] !== expected[field]) problems.push(`${field} differs from the one the SDK makes for this quote`);
    }
    const result = { ok: problems.length === 0, problems };
    try {
        result.transaction = lib.getTransactionObject(c.quoteResponse.ilpPacket);
    } catch (err) {
        problems.push(`ilpPacket does not decode: ${err.message}`);
        result.ok = false;
    }
    if (!result.ok) result.expected = { ilpPacket: expected.ilpPacket, condition: expected.condition };
    return result;
}

/** ilp_fulfil {secret, ilpPacket, condition, fulfilment}: the SDK derives and accepts the fulfilment. */
function checkIlpFulfil(c) {
    const lib = ilp(c.secret);
    const problems = [];
    if (lib.calculateFulfil(c.ilpPacket) !== c.fulfilment) problems.push('fulfilment is not the one the SDK derives from ilpPacket and secret');
    if (!lib.validateFulfil(c.fulfilment, c.condition)) problems.push('fulfilment does not match condition');
    return { ok: problems.length === 0, problems };
}

/** currency_table {}: the SDK's ILP currency table. Extra: table {currency: decimal places}. */
function checkCurrencyTable() {
    const table = require('@mojaloop/sdk-standard-components/src/lib/ilp/currency.json');
    return { ok: true, problems: [], table };
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isString = (v) => typeof v === 'string';
const isStatus = (v) => (Number.isInteger(v) || (isString(v) && /^\d{3}$/.test(v)));
const KINDS = {
    request: { check: checkRequest, fields: { method: isString, path: (v) => isString(v) && v.startsWith('/') } },
    response: { check: checkResponse, fields: { method: isString, path: (v) => isString(v) && v.startsWith('/'), status: isStatus } },
    ilp_make: { check: checkIlpMake, fields: { secret: (v) => isString(v) && v !== '', quoteRequest: isObject, quoteResponse: isObject } },
    ilp_quote: { check: checkIlpQuote, fields: { secret: (v) => isString(v) && v !== '', quoteRequest: isObject, quoteResponse: isObject } },
    ilp_fulfil: {
        check: checkIlpFulfil,
        fields: { secret: (v) => isString(v) && v !== '', ilpPacket: isString, condition: isString, fulfilment: isString },
    },
    currency_table: { check: checkCurrencyTable, fields: {} },
};

function checkCase(c, index) {
    const id = isObject(c) && 'id' in c ? c.id : null;
    const fail = (problem) => ({ id, ok: false, problems: [problem] });
    if (!isObject(c)) return fail(`case ${index} is not an object`);
    const kind = KINDS[c.kind];
    if (!kind) return fail(`case ${index}: unknown kind ${JSON.stringify(c.kind)} (known: ${Object.keys(KINDS).join(', ')})`);
    const bad = Object.entries(kind.fields).filter(([name, valid]) => !valid(c[name])).map(([name]) => name);
    if (bad.length) return fail(`case ${index} (${c.kind}): missing or malformed ${bad.join(', ')}`);
    try {
        return { id, ...kind.check(c) };
    } catch (err) {
        return fail(`case ${index} (${c.kind}): ${err.message}`);
    }
}

async function main() {
    const file = process.argv[2];
    if (!file) {
        console.error('usage: node sdk_check.js CASES.json');
        return 2;
    }
    let cases;
    try {
        cases = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (err) {
        console.error(`sdk_check: cannot read ${file}: ${err.message.split('\n')[0]}`);
        return 2;
    }
    if (!Array.isArray(cases)) {
        console.error(`sdk_check: ${file} must hold a JSON array of cases`);
        return 2;
    }
    if (cases.some((c) => isObject(c) && (c.kind === 'request' || c.kind === 'response'))) await loadSpec();
    process.stdout.write(JSON.stringify(cases.map(checkCase)));
    return 0;
}

main().then(
    (code) => { process.exitCode = code; },
    (err) => {
        console.error(`sdk_check: ${err.message.split('\n')[0]}`);
        process.exitCode = 2;
    },
);
