// One record per iteration, for the workspace's raw data (mojaloop_perf/results/capture.py): a compact
// comma-separated console line, written only when MOJALOOP_PERF_RECORDS=true (the local target runs k6
// with --console-output to a file), so runs that do not ask for records pay nothing.
//
//   MLREC,start_ms,runner,source,dest,discovery_ms,quote_ms,transfer_ms,e2e_ms,failed_phase,
//         error_code,steady(1|0),vus_active
//   MLSTART,runner,scenario_start_ms          (once per VU: where the load started)
//
// Fields never hold a quote or a backslash, so k6's log formats (raw, text, json) leave a
// record's characters as they are.
import exec from 'k6/execution';

export const RECORDS = __ENV.MOJALOOP_PERF_RECORDS === 'true';
const RUNNER = __ENV.MOJALOOP_PERF_RUNNER || '1';
// k6's error code for a request that ran out of its timeout (k6 docs, "Error codes").
const K6_REQUEST_TIMEOUT = 1050;
const CODE_RE = /^[0-9]{4}$/;
let startLogged = false;

function ms(duration) {
  return duration === undefined ? '' : duration.toFixed(3);
}

function body(res) {
  try {
    return res.json();
  } catch (_) {
    return null;
  }
}

// Where the SDK outbound API puts an error callback's errorInformation, by phase
// (docs/local-lab.md, "Every case").
function errorInformation(phase, b) {
  if (!b) return undefined;
  if (phase === 'discovery') return b.errorInformation;
  if (phase === 'quote') return b.quotes?.errorInformation;
  return b.transfer?.body?.errorInformation;
}

// The FSPIOP error code of a failed call, else `http <status>`, or `timeout` when k6 gave up.
export function errorCode(phase, res) {
  if (res.error_code === K6_REQUEST_TIMEOUT) return 'timeout';
  const code = errorInformation(phase, body(res))?.errorCode;
  return typeof code === 'string' && CODE_RE.test(code) ? code : `http ${res.status}`;
}

// durations: the phases' durations that succeeded, in order; e2e set only when completed.
export function record(route, start, steady, vus, durations, e2e, failedPhase, code) {
  if (!startLogged) {
    console.log(`MLSTART,${RUNNER},${exec.scenario.startTime}`);
    startLogged = true;
  }
  console.log(
    `MLREC,${start},${RUNNER},${route.source.id},${route.dest.id},${ms(durations[0])},` +
      `${ms(durations[1])},${ms(durations[2])},${e2e === undefined ? '' : e2e},` +
      `${failedPhase},${code},${steady ? 1 : 0},${vus}`,
  );
}
