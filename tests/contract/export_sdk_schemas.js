// Prints the request schemas of the outbound operations the lab serves, as the SDK scheme adapter
// compiles them (mojaloop/sdk-scheme-adapter, modules/api-svc/src/lib/validate.js): the spec it
// loads, dereferenced, with path-level and method-level parameters turned into JSON Schema;
// descriptions, examples and titles dropped (they validate nothing). The lab's copy,
// mojaloop_perf/lab/sdk_outbound_requests.json, is this script's output, and test_lab_schemas.py checks
// that it still is:
//   node tests/contract/export_sdk_schemas.js > mojaloop_perf/lab/sdk_outbound_requests.json
'use strict';

const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');
const jsrp = require('json-schema-ref-parser');
const toJsonSchema = require('openapi-jsonschema-parameters').convertParametersToJSONSchema;
const snippets = require('@mojaloop/api-snippets/package.json');

// The file OutboundServer/index.js loads, relative to the package's main module.
const SPEC = '../docs/sdk-scheme-adapter-outbound-v2_1_0-openapi3-snippets.yaml';
const SERVED = [
  ['get', '/parties/{Type}/{ID}'],
  ['get', '/parties/{Type}/{ID}/{SubId}'],
  ['post', '/quotes'],
  ['post', '/simpleTransfers'],
];
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace', 'connect'];
const DROP = new Set(['description', 'example', 'title']);

function strip(node) {
  if (Array.isArray(node)) return node.map(strip);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).filter(([key]) => !DROP.has(key)).map(([key, value]) => [key, strip(value)]),
  );
}

async function main() {
  const file = path.join(path.dirname(require.resolve('@mojaloop/api-snippets')), SPEC);
  const doc = await jsrp.dereference(yaml.load(fs.readFileSync(file)));
  const operations = SERVED.map(([method, template]) => {
    const item = doc.paths[template];
    const params = toJsonSchema([...(item.parameters || []), ...(item[method].parameters || [])]);
    const body = item[method].requestBody?.content?.['application/json']?.schema;
    return { method: method.toUpperCase(), path: template, params: strip(params), ...(body && { body: strip(body) }) };
  });
  // Every path of the spec in its order, with its methods: the SDK matches paths in this order.
  const paths = Object.fromEntries(Object.entries(doc.paths).map(([template, item]) => [
    template,
    Object.keys(item).filter((key) => METHODS.includes(key)).map((key) => key.toUpperCase()),
  ]));
  const source = `@mojaloop/api-snippets ${snippets.version} ${SPEC.slice(3)}`;
  process.stdout.write(`${JSON.stringify({ source, paths, operations }, null, 1)}\n`);
}

main().catch((err) => {
  process.stderr.write(`export_sdk_schemas: ${err.message}\n`);
  process.exit(2);
});
