// k6 entry point: drives Mojaloop P2P transfers (discovery -> quote -> transfer) through the
// SDK outbound API of each payer DFSP at a constant arrival rate, as configured by MLPERF_CONFIG.
import { Counter, Rate, Trend } from 'k6/metrics';
import { loadConfig } from './lib/config.js';
import {
  buildRoutes, lookupParty, newTraceId, partyIsAt, quoteTerms, randomMsisdn, requestQuote,
  sendTransfer, transferCommitted,
} from './lib/mojaloop.js';
import { textSummary } from './lib/summary.js';

const cfg = loadConfig(__ENV);
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
  summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(50)', 'p(90)', 'p(95)', 'p(99)', 'count'],
  // Every call's body is read (party fspId, quote terms, transfer state).
  discardResponseBodies: false,
  thresholds: cfg.thresholds,
};

const discoveryTime = new Trend('discovery_time', true);
const quoteTime = new Trend('quote_time', true);
const transferTime = new Trend('transfer_time', true);
const e2eTime = new Trend('e2e_time', true);
const completed = new Counter('completed_transactions');
const failed = new Counter('failed_transactions');
const successRate = new Rate('success_rate');

const FAILED_TAGS = {
  discovery: { phase: 'discovery' },
  quote: { phase: 'quote' },
  transfer: { phase: 'transfer' },
};

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

function fail(phase) {
  failed.add(1, FAILED_TAGS[phase]);
  successRate.add(false);
}

export default function () {
  const route = pickRoute();
  const payee = randomMsisdn(route.dest);
  const payer = randomMsisdn(route.source);
  const traceId = newTraceId();
  const start = Date.now();

  let res = lookupParty(route, payee, traceId);
  if (!partyIsAt(res, route.dest.id)) return fail('discovery');
  discoveryTime.add(res.timings.duration);

  res = requestQuote(route, payee, payer, traceId);
  const quote = quoteTerms(res);
  if (!quote) return fail('quote');
  quoteTime.add(res.timings.duration);

  res = sendTransfer(route, quote, traceId);
  if (!transferCommitted(res)) return fail('transfer');
  transferTime.add(res.timings.duration);

  e2eTime.add(Date.now() - start);
  completed.add(1);
  successRate.add(true);
}

export function handleSummary(data) {
  const text = textSummary(data, { targetTps: cfg.tps });
  return {
    stdout: text,
    [cfg.summaryTxtPath]: text,
    [cfg.summaryJsonPath]: JSON.stringify(data),
  };
}
