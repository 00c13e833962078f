// The live page: posts, replays and rotates against the real REST API with the key of its
// own demo tenant. Every figure it shows is what the service answered; the page checks
// nothing itself (the ≤ 500 EUR limit is the ledger's, DX047).

const $ = (id) => document.getElementById(id);
const STORE = "doublex-demo";

const state = {
  tenant: null, // {tenant, key_id, token, ...} from POST /api/demo/tenants
  draftKey: null, // the idempotency key of the draft
  last: null, // the last request sent: {body}
  balances: null, // {cash, rev} after the last call
};

function newKey() {
  return "demo-" + crypto.randomUUID();
}

function draft() {
  const amount = $("amount").value.trim();
  return {
    idempotency_key: state.draftKey,
    memo: "live page",
    legs: [
      { account: "DEMO-CASH", side: "debit", amount, ccy: "EUR" },
      { account: "DEMO-REV", side: "credit", amount, ccy: "EUR" },
    ],
  };
}

async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  if (state.tenant) headers.Authorization = "Bearer " + state.tenant.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const started = performance.now();
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const ms = performance.now() - started;
  let json = null;
  try {
    json = await response.json();
  } catch {
    json = null;
  }
  return { status: response.status, ok: response.ok, json, ms, headers: response.headers };
}

function showError(problem) {
  const box = $("error");
  if (!problem) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  box.hidden = false;
  box.textContent = `${problem.status ?? ""} ${problem.code ?? "error"}: ${problem.detail ?? "the service refused the request"}`;
}

function showResponse(result) {
  const body = result.json ?? {};
  $("raw").textContent = JSON.stringify(body, null, 2);
  $("rtt").textContent = `${result.ms.toFixed(1)} ms`;
  if (result.ok) {
    showError(null);
    $("status").textContent = body.status ?? "—";
    $("journal-id").textContent = body.journal_id ?? "—";
    $("created-at").textContent = body.created_at ?? "—";
  } else {
    showError(body);
    $("status").textContent = `refused (${body.code ?? result.status})`;
    $("journal-id").textContent = "—";
    $("created-at").textContent = "—";
  }
}

async function balance(code) {
  const result = await call("GET", `/api/accounts/${code}/balance`);
  return result.ok ? result.json.balance : null;
}

async function refreshBalances() {
  const [cash, rev] = await Promise.all([balance("DEMO-CASH"), balance("DEMO-REV")]);
  const before = state.balances;
  $("balance-cash").textContent = cash ?? "—";
  $("balance-rev").textContent = rev ?? "—";
  for (const [id, now, then] of [
    ["cash-change", cash, before?.cash],
    ["rev-change", rev, before?.rev],
  ]) {
    $(id).textContent = then === undefined ? "" : now === then ? "(unchanged)" : `(was ${then})`;
  }
  state.balances = { cash, rev };
}

async function refreshFigures() {
  const figures = await call("GET", "/api/demo/figures");
  if (figures.ok) {
    const f = figures.json;
    $("fig-retry").textContent = `${(f.retry_rate * 100).toFixed(2)} % of ${
      f.postings.posted + f.postings.duplicate + f.postings.rejected
    } postings`;
    $("fig-duplicates").textContent = String(f.postings.duplicate);
    $("fig-p95").textContent = f.posting_p95_ms === null ? "no posting yet" : `≤ ${f.posting_p95_ms} ms`;
    $("fig-recon").textContent = f.recon_exceptions === null ? "not read" : String(f.recon_exceptions);
  }
  const eod = await call("GET", "/api/eod");
  if (eod.ok) $("fig-date").textContent = eod.json.business_date;
  const trial = await call("GET", "/api/reports/balances");
  if (trial.ok) {
    const totals = trial.json.totals;
    $("fig-net").textContent = totals.length
      ? totals.map((t) => `${t.net} ${t.ccy}`).join(", ")
      : "0";
  }
}

function showCurl() {
  if (!state.tenant) return;
  const body = JSON.stringify(draft());
  $("curl").textContent =
    `curl -X POST ${location.origin}/api/transfers \\\n` +
    `  -H 'Authorization: Bearer ${state.tenant.token}' \\\n` +
    `  -H 'Content-Type: application/json' \\\n` +
    `  -d '${body}'`;
}

function newDraft() {
  state.draftKey = newKey();
  $("idem-key").value = state.draftKey;
  const amount = $("amount").value.trim();
  $("leg-dr").textContent = `${amount} EUR`;
  $("leg-cr").textContent = `${amount} EUR`;
  showCurl();
}

function setBusy(busy) {
  for (const id of ["post", "replay", "rotate"]) $(id).setAttribute("aria-busy", String(busy));
  $("post").disabled = busy || !state.tenant;
  $("rotate").disabled = busy;
  $("replay").disabled = busy || !state.last;
}

async function send(body) {
  setBusy(true);
  try {
    const result = await call("POST", "/api/transfers", body);
    showResponse(result);
    await refreshBalances();
    await refreshFigures();
  } finally {
    setBusy(false);
  }
}

async function post(event) {
  event.preventDefault();
  const body = draft();
  state.last = { body };
  await send(body);
}

async function replay() {
  if (state.last) await send(state.last.body);
}

async function rotate() {
  setBusy(true);
  try {
    state.tenant = null;
    const created = await call("POST", "/api/demo/tenants");
    if (!created.ok) {
      showResponse(created);
      $("tenant").textContent = "none (refused)";
      return;
    }
    state.tenant = created.json;
    sessionStorage.setItem(STORE, JSON.stringify(state.tenant));
    state.last = null;
    state.balances = null;
    showTenant();
    resetResponse();
    newDraft();
    await refreshBalances();
    await refreshFigures();
  } finally {
    setBusy(false);
  }
}

function resetResponse() {
  showError(null);
  for (const id of ["status", "journal-id", "rtt", "created-at", "raw"]) $(id).textContent = "—";
}

function showTenant() {
  $("tenant").textContent = state.tenant.tenant;
  $("key-id").textContent = state.tenant.key_id;
}

async function start() {
  $("journal").addEventListener("submit", post);
  $("replay").addEventListener("click", replay);
  $("rotate").addEventListener("click", rotate);
  $("amount").addEventListener("input", newDraft);
  newDraft();
  const kept = sessionStorage.getItem(STORE);
  if (kept) {
    state.tenant = JSON.parse(kept);
    const check = await call("GET", "/api/tenant");
    if (check.ok) {
      showTenant();
      setBusy(false);
      showCurl();
      await refreshBalances();
      await refreshFigures();
      return;
    }
  }
  await rotate();
}

start();
