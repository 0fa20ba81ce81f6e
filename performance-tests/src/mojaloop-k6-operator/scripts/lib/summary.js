// Compact end-of-test text summary built from handleSummary's data (jslib's textSummary is
// remote-only, and the script must run air-gapped).
import { FAILURE_PHASES } from './config.js';

const PHASE_TRENDS = [
  ['discovery', 'discovery_time'],
  ['quote', 'quote_time'],
  ['transfer', 'transfer_time'],
  ['end-to-end', 'e2e_time'],
];
const TREND_STATS = ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'];

function values(data, metric) {
  return data.metrics[metric]?.values ?? {};
}

function count(data, metric) {
  return values(data, metric).count ?? 0;
}

function ms(n) {
  return typeof n === 'number' && !Number.isNaN(n) ? n.toFixed(1) : '-';
}

function perSecond(n, seconds) {
  return seconds > 0 ? (n / seconds).toFixed(1) : '-';
}

function row(label, cells, width = 10) {
  return label.padEnd(14) + cells.map((c) => String(c).padStart(width)).join('');
}

function headline(data, targetTps) {
  const seconds = data.state.testRunDurationMs / 1000;
  const iterations = count(data, 'iterations');
  const done = count(data, 'completed_transactions');
  const failed = count(data, 'failed_transactions');
  const perPhase = FAILURE_PHASES
    .map((p) => `${p} ${count(data, `failed_transactions{phase:${p}}`)}`).join(', ');
  const rate = values(data, 'success_rate').rate;
  return [
    `  test run      ${seconds.toFixed(1)} s`,
    `  iterations    ${iterations} (dropped ${count(data, 'dropped_iterations')})`,
    `  completed     ${done}`,
    `  failed        ${failed} (${perPhase})`,
    `  success rate  ${rate === undefined ? '-' : `${(rate * 100).toFixed(2)} %`}`,
    `  achieved TPS  ${perSecond(done, seconds)} completed/s, ` +
      `${perSecond(iterations, seconds)} started/s (target ${targetTps})`,
  ];
}

function latencyTable(data) {
  const lines = [`  ${row('phase (ms)', [...TREND_STATS, 'count'])}`];
  for (const [label, metric] of PHASE_TRENDS) {
    const v = values(data, metric);
    lines.push(`  ${row(label, [...TREND_STATS.map((s) => ms(v[s])), v.count ?? 0])}`);
  }
  return lines;
}

function thresholdLines(data) {
  const lines = [];
  for (const name of Object.keys(data.metrics).sort()) {
    const thresholds = data.metrics[name].thresholds ?? {};
    for (const expr of Object.keys(thresholds)) {
      lines.push(`  ${thresholds[expr].ok ? '✓' : '✗'} ${name} ${expr}`);
    }
  }
  return lines.length ? lines : ['  (none)'];
}

export function textSummary(data, { targetTps }) {
  return [
    'Mojaloop transfers',
    ...headline(data, targetTps),
    '',
    ...latencyTable(data),
    '',
    'thresholds',
    ...thresholdLines(data),
    '',
  ].join('\n');
}
