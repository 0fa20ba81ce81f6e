// k6 entry point: drives Mojaloop P2P transfers (discovery -> quote -> transfer) through the
// SDK outbound API of each payer DFSP at a constant arrival rate, as configured by MOJALOOP_PERF_CONFIG.
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';
import { loadConfig } from './lib/config.js';
import {
  buildRoutes, lookupParty, newTraceId, partyIsAt, quoteTerms, randomMsisdn, requestQuote,
  sendTransfer, transferCommitted,
} from './lib/mojaloop.js';
import { errorCode, record, RECORDS } from './lib/record.js';
import { textSummary } from './lib/summary.js';

const cfg = loadConfig(__ENV);
// Every percentile from p(1) to p(99), plus p(99.5) and p(99.9): when the load is split across
// runners whose samples cannot be collected (k6 Operator pods), the workspace merges the runners'
// distributions from these quantiles (mojaloop_perf/results/k6_summary.py `merge_quantiles`).
const QUANTILE_GRID = [...Array.from({ length: 99 }, (_, i) => `p(${i + 1})`), 'p(99.5)', 'p(99.9)'];
// The marker of the summary JSON line on stdout, where runner pods' summaries are collected
// from their logs (MOJALOOP_PERF_SUMMARY_STDOUT=json; files in a finished pod are out of reach).
const SUMMARY_MARKER = 'MOJALOOP_PERF_SUMMARY_JSON ';
const routes = buildRoutes(cfg);
const cumulative = cfg.cumulative;

export const options = {
  scenarios: {
    transfers: {
      executor: 'constant-arrival-rate',
      rate: cfg.tps,
      timeUnit: '1s',
      duration: `${cfg.durationS}s`,
      preAllocatedVUs: cfg.preAllocatedVUs,
      maxVUs: cfg.maxVUs,
      gracefulStop: '30s',
    },
  },
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'count', ...QUANTILE_GRID],
  // Every call's body is read (party fspId, quote terms, transfer state).
  discardResponseBodies: false,
  thresholds: cfg.thresholds,
  // Runner pods remote-writing to one Prometheus must not write the same series: each tags its
  // metrics with its pod name (MOJALOOP_PERF_TAG_RUNNER=true, set by the chart with remote write).
  ...(__ENV.MOJALOOP_PERF_TAG_RUNNER === 'true' && __ENV.HOSTNAME ? { tags: { runner: __ENV.HOSTNAME } } : {}),
};

const discoveryTime = new Trend('discovery_time', true);
const quoteTime = new Trend('quote_time', true);
const transferTime = new Trend('transfer_time', true);
const e2eTime = new Trend('e2e_time', true);
const completed = new Counter('completed_transactions');
const failed = new Counter('failed_transactions');
const successRate = new Rate('success_rate');

// Tag objects are built once: every sample carries whether its transaction started inside the
// steady-state window, and failures also carry their phase.
const STEADY = { true: { steady: 'true' }, false: { steady: 'false' } };
const FAILED_TAGS = {};
for (const phase of ['discovery', 'quote', 'transfer']) {
  FAILED_TAGS[phase] = { true: { phase, steady: 'true' }, false: { phase, steady: 'false' } };
}

function inSteadyWindow(now) {
  const elapsed = now - exec.scenario.startTime;
  return elapsed >= cfg.steadyStartMs && elapsed < cfg.steadyEndMs;
}

function pickRoute() {
  const r = Math.random() * cfg.totalWeight;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (r < cumulative[mid]) hi = mid;
    else lo = mid + 1;
  }
  return routes[lo];
}

// `done`: the durations of the phases that succeeded, for the iteration's record.
function fail(phase, steady, res, route, start, vus, done) {
  failed.add(1, FAILED_TAGS[phase][steady]);
  successRate.add(false, STEADY[steady]);
  if (RECORDS) record(route, start, steady, vus, done, undefined, phase, errorCode(phase, res));
}

export default function () {
  const route = pickRoute();
  const payee = randomMsisdn(route.dest);
  const payer = randomMsisdn(route.source);
  const traceId = newTraceId();
  const transactionId = crypto.randomUUID();
  const start = Date.now();
  const steady = inSteadyWindow(start);
  const tags = STEADY[steady];
  const vus = RECORDS ? exec.instance.vusActive : 0;
  const done = [];

  let res = lookupParty(route, payee, traceId);
  if (!partyIsAt(res, route.dest.id)) return fail('discovery', steady, res, route, start, vus, done);
  discoveryTime.add(res.timings.duration, tags);
  done.push(res.timings.duration);

  res = requestQuote(route, payee, payer, transactionId, traceId);
  const quote = quoteTerms(res);
  if (!quote) return fail('quote', steady, res, route, start, vus, done);
  quoteTime.add(res.timings.duration, tags);
  done.push(res.timings.duration);

  res = sendTransfer(route, quote, transactionId, traceId);
  if (!transferCommitted(res)) return fail('transfer', steady, res, route, start, vus, done);
  transferTime.add(res.timings.duration, tags);
  done.push(res.timings.duration);

  const e2e = Date.now() - start;
  e2eTime.add(e2e, tags);
  completed.add(1, tags);
  successRate.add(true, tags);
  if (RECORDS) record(route, start, steady, vus, done, e2e, '', '');
}

export function handleSummary(data) {
  // What the workspace needs besides k6's data: the window and which thresholds are ours.
  const mlperf = {
    targetTps: cfg.tps,
    warmupS: cfg.warmupS,
    drainS: cfg.drainS,
    steadyS: (cfg.steadyEndMs - cfg.steadyStartMs) / 1000,
    forcedThresholds: cfg.forcedThresholds,
  };
  const text = textSummary(data, mlperf);
  const json = JSON.stringify({ ...data, mlperf });
  const toStdout = __ENV.MOJALOOP_PERF_SUMMARY_STDOUT === 'json';
  return {
    stdout: toStdout ? `${text}\n${SUMMARY_MARKER}${json}\n` : text,
    [cfg.summaryTxtPath]: text,
    [cfg.summaryJsonPath]: json,
  };
}
