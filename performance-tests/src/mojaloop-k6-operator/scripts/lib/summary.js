// Compact end-of-test text summary built from handleSummary's data (jslib's textSummary is
// remote-only, and the script must run air-gapped).
import { FAILURE_PHASES, PHASE_TRENDS } from './config.js';

const LABELS = ['discovery', 'quote', 'transfer', 'end-to-end'];
const PHASE_LABELS = PHASE_TRENDS.map((metric, i) => [LABELS[i], metric]);
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

function latencyTable(data, suffix = '') {
  const lines = [`  ${row('phase (ms)', [...TREND_STATS, 'count'])}`];
  for (const [label, metric] of PHASE_LABELS) {
    const v = values(data, `${metric}${suffix}`);
    // A trend a threshold names exists even without samples; its zeros are not figures.
    const stats = v.count ? TREND_STATS.map((s) => ms(v[s])) : TREND_STATS.map(() => '-');
    lines.push(`  ${row(label, [...stats, v.count ?? 0])}`);
  }
  return lines;
}

function steadySection(data, { steadyS, warmupS, drainS }) {
  const done = count(data, 'completed_transactions{steady:true}');
  const failed = count(data, 'failed_transactions{steady:true}');
  const rate = done + failed > 0 ? `${((done / (done + failed)) * 100).toFixed(2)} %` : '-';
  return [
    `steady state (${steadyS.toFixed(1)} s: ${warmupS} s warm-up and ${drainS} s drain left out)`,
    `  completed     ${done}`,
    `  failed        ${failed}`,
    `  success rate  ${rate}`,
    `  achieved TPS  ${perSecond(done, steadyS)} completed/s`,
    '',
    ...latencyTable(data, '{steady:true}'),
  ];
}

// The configured thresholds only: the always-true ones the script adds to force sub-metrics
// into the summary are left out.
function thresholdLines(data, forced) {
  const hidden = new Set(forced);
  const lines = [];
  for (const name of Object.keys(data.metrics).sort()) {
    const thresholds = data.metrics[name].thresholds ?? {};
    for (const expr of Object.keys(thresholds)) {
      if (hidden.has(`${name} ${expr}`)) continue;
      lines.push(`  ${thresholds[expr].ok ? '✓' : '✗'} ${name} ${expr}`);
    }
  }
  return lines.length ? lines : ['  (none)'];
}

export function textSummary(data, { targetTps, steadyS, warmupS, drainS, forcedThresholds }) {
  return [
    'Mojaloop transfers',
    ...headline(data, targetTps),
    '',
    ...latencyTable(data),
    '',
    ...steadySection(data, { steadyS, warmupS, drainS }),
    '',
    'thresholds',
    ...thresholdLines(data, forcedThresholds),
    '',
  ].join('\n');
}
