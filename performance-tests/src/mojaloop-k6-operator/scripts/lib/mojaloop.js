// Request builders for the three Mojaloop SDK-scheme-adapter outbound calls of one transfer
// (party lookup, quote, simple transfer) and the checks that decide whether each succeeded.
import http from 'k6/http';

const TRANSACTION_TYPE = { scenario: 'TRANSFER', initiator: 'PAYER', initiatorType: 'CONSUMER' };

function hex8() {
  return ((Math.random() * 4294967296) >>> 0).toString(16).padStart(8, '0');
}

// W3C trace-context: one trace id per transaction, a fresh span id per request.
export function newTraceId() {
  return hex8() + hex8() + hex8() + hex8();
}

export function randomMsisdn(dfsp) {
  const m = dfsp.msisdn;
  return m.prefix + String(m.low + Math.floor(Math.random() * m.count)).padStart(m.suffixWidth, '0');
}

// Params objects are built once per route and only their traceparent changes per request:
// each VU has its own JS runtime and http calls are synchronous, so reuse is safe.
function requestParams(phase, name, timeoutMs) {
  return {
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', traceparent: '' },
    timeout: timeoutMs,
    // name replaces the url tag too, so the MSISDN does not create a time series per request.
    tags: { phase, name },
  };
}

function withTrace(params, traceId) {
  params.headers.traceparent = `00-${traceId}-${hex8()}${hex8()}-01`;
  return params;
}

function route(pair, cfg) {
  const base = pair.source.base;
  return {
    source: pair.source,
    dest: pair.dest,
    partiesUrl: `${base}/parties/MSISDN/`,
    quotesUrl: `${base}/quotes`,
    transfersUrl: `${base}/simpleTransfers`,
    amount: { currency: cfg.currency, amount: cfg.amount },
    discovery: requestParams('discovery', `${base}/parties/MSISDN/{id}`, cfg.timeoutMs),
    quote: requestParams('quote', `${base}/quotes`, cfg.timeoutMs),
    transfer: requestParams('transfer', `${base}/simpleTransfers`, cfg.timeoutMs),
  };
}

// One route per configured pair, in the same order as cfg.pairs / cfg.cumulative.
export function buildRoutes(cfg) {
  return cfg.pairs.map((pair) => route(pair, cfg));
}

function partyIdInfo(msisdn, fspId) {
  return { partyIdType: 'MSISDN', partyIdentifier: msisdn, fspId };
}

export function lookupParty(r, payeeMsisdn, traceId) {
  return http.get(r.partiesUrl + payeeMsisdn, withTrace(r.discovery, traceId));
}

// The payee's scheme adapter keeps the quote it answers under the quote's transactionId, and
// with its defaults accepts only a transfer whose transferId is that transactionId
// (mojaloop/sdk-scheme-adapter, modules/api-svc/src/lib/model/InboundTransfersModel.js): one id
// names the transaction in both requests.
export function requestQuote(r, payeeMsisdn, payerMsisdn, transactionId, traceId) {
  const body = JSON.stringify({
    fspId: r.dest.id,
    quotesPostRequest: {
      quoteId: crypto.randomUUID(),
      transactionId,
      payee: { partyIdInfo: partyIdInfo(payeeMsisdn, r.dest.id) },
      payer: { partyIdInfo: partyIdInfo(payerMsisdn, r.source.id) },
      amountType: 'SEND',
      amount: r.amount,
      transactionType: TRANSACTION_TYPE,
    },
  });
  return http.post(r.quotesUrl, body, withTrace(r.quote, traceId));
}

export function sendTransfer(r, quote, transactionId, traceId) {
  const body = JSON.stringify({
    fspId: r.dest.id,
    transfersPostRequest: {
      transferId: transactionId,
      payeeFsp: r.dest.id,
      payerFsp: r.source.id,
      amount: r.amount,
      ilpPacket: quote.ilpPacket,
      condition: quote.condition,
      expiration: quote.expiration,
    },
  });
  return http.post(r.transfersUrl, body, withTrace(r.transfer, traceId));
}

function okBody(res) {
  if (res.status !== 200) return null;
  try {
    return res.json();
  } catch (_) {
    return null;
  }
}

export function partyIsAt(res, fspId) {
  return okBody(res)?.party?.body?.partyIdInfo?.fspId === fspId;
}

// Returns the quote terms the transfer needs, or null when the quote failed.
export function quoteTerms(res) {
  const q = okBody(res)?.quotes?.body;
  return q && q.ilpPacket && q.condition ? q : null;
}

export function transferCommitted(res) {
  return okBody(res)?.transfer?.body?.transferState === 'COMMITTED';
}
