// Reads the test configuration from the environment once (init context), validates it and
// precomputes everything an iteration needs. Any problem throws an Error naming the field.

const ROOT = 'MOJALOOP_PERF_CONFIG';
// Mojaloop API Amount / Currency patterns.
const AMOUNT_RE = /^([0]|([1-9][0-9]{0,17}))([.][0-9]{0,3}[1-9])?$/;
const CURRENCY_RE = /^[A-Z]{3}$/;
const DIGITS_RE = /^[0-9]+$/;
// Longest MSISDN suffix we do arithmetic on: any 15-digit number is exact in a double.
const MAX_SAFE_DIGITS = 15;

export const FAILURE_PHASES = ['discovery', 'quote', 'transfer'];
export const PHASE_TRENDS = ['discovery_time', 'quote_time', 'transfer_time', 'e2e_time'];

function fail(field, message) {
  throw new Error(`${field}: ${message}`);
}

function show(value) {
  return value === undefined ? 'missing' : JSON.stringify(value);
}

function isObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function requireObject(value, field) {
  if (!isObject(value)) fail(field, `expected an object, got ${show(value)}`);
  return value;
}

function requireString(value, field, re) {
  if (typeof value !== 'string' || value === '' || (re && !re.test(value))) {
    fail(field, `invalid value ${show(value)}`);
  }
  return value;
}

function requireNumber(value, field, { integer = false, min = 0, exclusiveMin = true } = {}) {
  const ok = typeof value === 'number' && Number.isFinite(value) &&
    (!integer || Number.isInteger(value)) && (exclusiveMin ? value > min : value >= min);
  if (!ok) {
    const kind = integer ? 'an integer' : 'a number';
    fail(field, `expected ${kind} ${exclusiveMin ? '>' : '>='} ${min}, got ${show(value)}`);
  }
  return value;
}

function parseRoot(raw) {
  if (raw === undefined || raw === '') fail(ROOT, 'environment variable is not set');
  let parsed;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    fail(ROOT, `not valid JSON (${e.message})`);
  }
  return requireObject(parsed, ROOT);
}

// MSISDNs are start+offset, zero-padded to the width of start. Arithmetic is done on at most
// the last 15 digits; the leading digits are a constant prefix, so a range must not carry into it.
function msisdnRange(entry, field) {
  const start = requireString(entry.msisdn_start, `${field}.msisdn_start`, DIGITS_RE);
  const count = requireNumber(entry.msisdn_count, `${field}.msisdn_count`, { integer: true });
  const width = start.length;
  const suffixWidth = Math.min(width, MAX_SAFE_DIGITS);
  const low = Number(start.slice(width - suffixWidth));
  if (low + count - 1 >= 10 ** suffixWidth) {
    fail(`${field}.msisdn_count`, `${count} numbers from ${start} overflow ${suffixWidth} digits`);
  }
  return { prefix: start.slice(0, width - suffixWidth), low, count, suffixWidth };
}

function parseDfsp(id, entry, field) {
  requireObject(entry, field);
  const url = requireString(entry.outbound_url, `${field}.outbound_url`, /^https?:\/\/[^/]+/);
  return { id, base: url.replace(/\/+$/, ''), msisdn: msisdnRange(entry, field) };
}

function parseDfsps(value) {
  const field = `${ROOT}.dfsps`;
  requireObject(value, field);
  const dfsps = {};
  for (const id of Object.keys(value)) dfsps[id] = parseDfsp(id, value[id], `${field}.${id}`);
  if (Object.keys(dfsps).length === 0) fail(field, 'no DFSPs defined');
  return dfsps;
}

function dfspRef(dfsps, value, field) {
  requireString(value, field);
  if (!Object.prototype.hasOwnProperty.call(dfsps, value)) fail(field, `${show(value)} is not in dfsps`);
  return dfsps[value];
}

function parsePairs(value, dfsps) {
  const field = `${ROOT}.pairs`;
  if (!Array.isArray(value) || value.length === 0) fail(field, `expected a non-empty array, got ${show(value)}`);
  const pairs = value.map((p, i) => {
    const f = `${field}[${i}]`;
    requireObject(p, f);
    return {
      source: dfspRef(dfsps, p.source, `${f}.source`),
      dest: dfspRef(dfsps, p.dest, `${f}.dest`),
      weight: requireNumber(p.weight, `${f}.weight`, { exclusiveMin: false }),
    };
  });
  let total = 0;
  const cumulative = pairs.map((p) => (total += p.weight));
  if (!(total > 0)) fail(field, 'weights sum to 0');
  return { pairs, cumulative, totalWeight: total };
}

function parseThresholdList(value, field) {
  if (!Array.isArray(value) || value.length === 0) fail(field, `expected a non-empty array, got ${show(value)}`);
  value.forEach((t, i) => {
    const expr = isObject(t) ? t.threshold : t;
    requireString(expr, isObject(t) ? `${field}[${i}].threshold` : `${field}[${i}]`);
  });
  return value;
}

// Metric names themselves are checked by k6 ("no metric name ... found").
function parseThresholds(value) {
  const field = `${ROOT}.thresholds`;
  const thresholds = {};
  if (value !== undefined) {
    requireObject(value, field);
    for (const metric of Object.keys(value)) {
      thresholds[metric] = parseThresholdList(value[metric], `${field}.${metric}`);
    }
  }
  // k6 only reports a sub-metric that some threshold names: always-true ones force the
  // per-phase failure counts and the steady-state window's figures into the summary.
  const forced = [
    ...FAILURE_PHASES.map((phase) => [`failed_transactions{phase:${phase}}`, 'count>=0']),
    ...PHASE_TRENDS.map((trend) => [`${trend}{steady:true}`, 'max>=0']),
    ['completed_transactions{steady:true}', 'count>=0'],
    ['failed_transactions{steady:true}', 'count>=0'],
  ];
  const added = [];
  for (const [key, expression] of forced) {
    if (!thresholds[key]) {
      thresholds[key] = [expression];
      added.push(`${key} ${expression}`);
    }
  }
  return { thresholds, forcedThresholds: added };
}

function parseVus(c) {
  const preAllocatedVUs = requireNumber(c.pre_allocated_vus, `${ROOT}.pre_allocated_vus`, { integer: true });
  const maxVUs = requireNumber(c.max_vus, `${ROOT}.max_vus`, { integer: true });
  if (maxVUs < preAllocatedVUs) fail(`${ROOT}.max_vus`, `${maxVUs} is below pre_allocated_vus ${preAllocatedVUs}`);
  return { preAllocatedVUs, maxVUs };
}

function summaryPaths(env) {
  const json = env.MOJALOOP_PERF_SUMMARY_JSON || 'k6-summary.json';
  const txt = env.MOJALOOP_PERF_SUMMARY_TXT || 'k6-summary.txt';
  if (json === txt) fail('MOJALOOP_PERF_SUMMARY_TXT', `same path as MOJALOOP_PERF_SUMMARY_JSON (${show(txt)})`);
  return { summaryJsonPath: json, summaryTxtPath: txt };
}

// The steady-state window: transactions started in [warmup_s, duration_s - drain_s) after the
// scenario's start. Warm-up (connection pools, JIT, caches) and drain are measured but kept apart.
function steadyWindow(c, durationS) {
  const warmup = c.warmup_s === undefined ? 0 : requireNumber(c.warmup_s, `${ROOT}.warmup_s`, { exclusiveMin: false });
  const drain = c.drain_s === undefined ? 0 : requireNumber(c.drain_s, `${ROOT}.drain_s`, { exclusiveMin: false });
  if (warmup + drain >= durationS) {
    fail(`${ROOT}.warmup_s`, `warmup_s ${warmup} + drain_s ${drain} leave no steady window in ${durationS} s`);
  }
  return { warmupS: warmup, drainS: drain, steadyStartMs: warmup * 1000, steadyEndMs: (durationS - drain) * 1000 };
}

export function loadConfig(env) {
  const c = parseRoot(env.MOJALOOP_PERF_CONFIG);
  const dfsps = parseDfsps(c.dfsps);
  const durationS = requireNumber(c.duration_s, `${ROOT}.duration_s`);
  return {
    tps: requireNumber(c.tps, `${ROOT}.tps`, { integer: true }),
    durationS,
    ...steadyWindow(c, durationS),
    ...parseVus(c),
    currency: requireString(c.currency, `${ROOT}.currency`, CURRENCY_RE),
    amount: requireString(c.amount, `${ROOT}.amount`, AMOUNT_RE),
    timeoutMs: requireNumber(c.http_timeout_s, `${ROOT}.http_timeout_s`) * 1000,
    dfsps,
    ...parsePairs(c.pairs, dfsps),
    ...parseThresholds(c.thresholds),
    ...summaryPaths(env),
  };
}
