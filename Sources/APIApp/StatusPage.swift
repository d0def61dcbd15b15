import HTTP1

/// `GET /`: a small self-contained status page (no external assets, no build step) with a
/// live picture of the pair: both counts and their rates over the last five minutes, whether
/// Redis answers, each consumer instance alive (from the heartbeats they leave in Redis) and
/// the queue depths the consumers last saw. It polls the JSON endpoints; nothing is kept on
/// the server for it.
///
/// Its Content-Security-Policy lets nothing load or run but its own inline style and script,
/// named by their SHA-256 (a test recomputes both), and lets the script fetch from this
/// origin only: text injected into the page could neither run nor send anything elsewhere.
/// Every text from the server is set as text, never as markup.
enum StatusPage {
    static let response = HTTPResponse(status: .ok, contentType: "text/html; charset=utf-8", headers: [
        HTTPField(name: "Content-Security-Policy", value: contentSecurityPolicy),
        HTTPField(name: "Cache-Control", value: "no-cache"),
    ], body: Array(html.utf8))

    static let styleHash = "sha256-sAyLwkEt1lN3nn+CcIskeWfgm5AcpkxPzK1i2iPgnfI="
    static let scriptHash = "sha256-lxtat3EFPSqg8nrO89nQj67bwcwcCSxUnFQuRK3UHqk="
    static let contentSecurityPolicy = "default-src 'none'; style-src '\(styleHash)'; script-src '\(scriptHash)'; "
        + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static let html = """
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>BigGoal</title>
    <style>\(style)</style>
    </head>
    <body>
    <h1>BigGoal — hellos</h1>
    <div class="counts">
      <div class="card"><div class="label">received</div><div class="value" id="received">…</div>
        <div class="rate"><span id="received-rate">…</span> per second</div></div>
      <div class="card"><div class="label">sent (answered)</div><div class="value" id="sent">…</div>
        <div class="rate"><span id="sent-rate">…</span> per second</div></div>
    </div>
    <div class="card chart">
      <div class="label">per second, last five minutes
        <span class="key received">received</span> <span class="key sent">sent</span>
        <span id="chart-peak"></span></div>
      <svg id="chart" viewBox="0 0 300 100" preserveAspectRatio="none" role="img" aria-label="received and sent per second">
        <polyline id="received-line" fill="none" stroke="#2563eb" stroke-width="1.5" vector-effect="non-scaling-stroke" points=""/>
        <polyline id="sent-line" fill="none" stroke="#16a34a" stroke-width="1.5" vector-effect="non-scaling-stroke" points=""/>
      </svg>
    </div>
    <div id="health">checking Redis…</div>
    <h2>Consumers</h2>
    <div id="queues">no consumer has reported yet</div>
    <table id="consumers">
      <thead><tr><th>instance</th><th>broker node</th><th>in flight</th><th>received/s</th><th>sent/s</th><th>seen</th></tr></thead>
      <tbody id="consumer-rows"></tbody>
    </table>
    <footer>Refreshes every second from <code>/api/v1/receive/messages/hello</code>,
    <code>/api/v1/sent/messages/hello</code>, <code>/health</code> and <code>/api/v1/consumers</code>
    (each consumer leaves a heartbeat in Redis every two seconds; one gone for six drops off).</footer>
    <script>\(script)</script>
    </body>
    </html>
    """

    static let style = """
      body { font: 16px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 48rem; color: #222; padding: 0 1rem; }
      h1 { font-size: 1.4rem; margin-bottom: 1.5rem; }
      h2 { font-size: 1.1rem; margin: 1.8rem 0 .6rem; }
      .counts { display: flex; gap: 1rem; }
      .card { flex: 1; border: 1px solid #ddd; border-radius: 8px; padding: 1rem 1.2rem; }
      .label { color: #666; font-size: .9rem; }
      .value { font-size: 2.4rem; font-variant-numeric: tabular-nums; }
      .rate { color: #444; font-variant-numeric: tabular-nums; }
      .chart { margin-top: 1rem; }
      .chart svg { width: 100%; height: 120px; display: block; margin-top: .5rem; background: #fafafa; }
      .key { margin-left: .8rem; font-weight: bold; }
      .key.received { color: #2563eb; }
      .key.sent { color: #16a34a; }
      #chart-peak { float: right; font-variant-numeric: tabular-nums; }
      #health { margin-top: 1rem; padding: .7rem 1rem; border-radius: 8px; }
      #health.ok { background: #e7f6ea; color: #1d6b2f; }
      #health.down { background: #fdeaea; color: #9b1c1c; font-weight: bold; }
      #queues { color: #444; margin-bottom: .5rem; }
      table { border-collapse: collapse; width: 100%; font-size: .9rem; }
      th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #eee; }
      td { font-variant-numeric: tabular-nums; }
      footer { margin-top: 2rem; color: #888; font-size: .85rem; }
    """

    static let script = """
    const last = {};
    const history = { received: [], sent: [] };
    const HISTORY = 300;
    async function json(path) {
      const response = await fetch(path, { cache: "no-store" });
      return { ok: response.ok, body: await response.json() };
    }
    function text(id, value) { document.getElementById(id).textContent = value; }
    function show(name, value, now) {
      text(name, value.toLocaleString("en"));
      const before = last[name];
      if (before) {
        const rate = Math.max(0, (value - before.value) / ((now - before.time) / 1000));
        text(name + "-rate", rate.toFixed(1));
        history[name].push(rate);
        if (history[name].length > HISTORY) history[name].shift();
      }
      last[name] = { value, time: now };
    }
    function drawChart() {
      const peak = Math.max(1, ...history.received, ...history.sent);
      for (const name of ["received", "sent"]) {
        const values = history[name];
        const offset = HISTORY - values.length;
        const points = values.map((rate, index) => (offset + index) + "," + (100 - 96 * rate / peak).toFixed(1));
        document.getElementById(name + "-line").setAttribute("points", points.join(" "));
      }
      text("chart-peak", "peak " + peak.toFixed(0) + "/s");
    }
    function cell(row, value) {
      const td = document.createElement("td");
      td.textContent = value;
      row.appendChild(td);
    }
    function showConsumers(consumers, now) {
      const rows = document.getElementById("consumer-rows");
      rows.replaceChildren();
      for (const consumer of consumers) {
        const row = document.createElement("tr");
        cell(row, consumer.instance);
        cell(row, consumer.node || "reconnecting");
        cell(row, consumer.inFlight);
        cell(row, Number(consumer.receivedPerSecond).toFixed(1));
        cell(row, Number(consumer.sentPerSecond).toFixed(1));
        cell(row, Math.max(0, Math.round((now - consumer.sentAt) / 1000)) + " s ago");
        rows.appendChild(row);
      }
      const latest = consumers.reduce((best, c) => (!best || c.sentAt > best.sentAt ? c : best), null);
      if (!latest) {
        text("queues", "no consumer alive: none has left a heartbeat in the last six seconds");
        return;
      }
      let line = consumers.length + (consumers.length === 1 ? " consumer" : " consumers") + " alive · queue " + latest.queue
        + ": " + (latest.queueMessages === null ? "unknown" : latest.queueMessages.toLocaleString("en")) + " ready";
      if (latest.deadLetterQueue) {
        line += " · dead letters (" + latest.deadLetterQueue + "): "
          + (latest.deadLetterMessages === null ? "unknown" : latest.deadLetterMessages.toLocaleString("en"));
      }
      text("queues", line);
    }
    async function refresh() {
      const now = Date.now();
      const health = document.getElementById("health");
      try {
        const answer = await json("/health");
        if (answer.ok) {
          health.className = "ok";
          health.textContent = "Redis is up";
        } else {
          health.className = "down";
          health.textContent = "Redis is DOWN: " + (answer.body.reason || "no answer") + " — counts are not updating";
        }
      } catch (error) {
        health.className = "down";
        health.textContent = "The api does not answer";
      }
      for (const [name, path] of [["received", "/api/v1/receive/messages/hello"], ["sent", "/api/v1/sent/messages/hello"]]) {
        try {
          const answer = await json(path);
          if (!answer.ok) throw new Error(answer.body.error);
          show(name, answer.body.count, now);
        } catch (error) { text(name + "-rate", "—"); }
      }
      drawChart();
      try {
        const answer = await json("/api/v1/consumers");
        if (answer.ok) showConsumers(answer.body.consumers, now);
      } catch (error) { text("queues", "consumers unknown: the api does not answer"); }
    }
    refresh();
    setInterval(refresh, 1000);
    """
}
