import HTTP1

/// `GET /`: a small self-contained status page (no external assets, no build step) that
/// polls the JSON endpoints once a second and shows both counts, their rates and whether
/// Redis answers.
///
/// Its Content-Security-Policy lets nothing load or run but its own inline style and script,
/// named by their SHA-256 (a test recomputes both), and lets the script fetch from this
/// origin only: text injected into the page could neither run nor send anything elsewhere.
enum StatusPage {
    static let response = HTTPResponse(status: .ok, contentType: "text/html; charset=utf-8", headers: [
        HTTPField(name: "Content-Security-Policy", value: contentSecurityPolicy),
        HTTPField(name: "Cache-Control", value: "no-cache"),
    ], body: Array(html.utf8))

    static let styleHash = "sha256-y8VVR01GdJMF3qGbWjs13WyoXxnfsvaPjxs6G57JO68="
    static let scriptHash = "sha256-y29vRWi8fv2/ytfplJHXy+QXgDcgDblrjbpL7ytXF8g="
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
    <div id="health">checking Redis…</div>
    <footer>Refreshes every second from <code>/api/v1/receive/messages/hello</code>,
    <code>/api/v1/sent/messages/hello</code> and <code>/health</code>.</footer>
    <script>\(script)</script>
    </body>
    </html>
    """

    static let style = """
      body { font: 16px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 42rem; color: #222; }
      h1 { font-size: 1.4rem; margin-bottom: 1.5rem; }
      .counts { display: flex; gap: 1rem; }
      .card { flex: 1; border: 1px solid #ddd; border-radius: 8px; padding: 1rem 1.2rem; }
      .label { color: #666; font-size: .9rem; }
      .value { font-size: 2.4rem; font-variant-numeric: tabular-nums; }
      .rate { color: #444; font-variant-numeric: tabular-nums; }
      #health { margin-top: 1.5rem; padding: .7rem 1rem; border-radius: 8px; }
      #health.ok { background: #e7f6ea; color: #1d6b2f; }
      #health.down { background: #fdeaea; color: #9b1c1c; font-weight: bold; }
      footer { margin-top: 2rem; color: #888; font-size: .85rem; }
    """

    static let script = """
    const last = {};
    async function count(path) {
      const response = await fetch(path, { cache: "no-store" });
      if (!response.ok) throw new Error(response.status);
      return (await response.json()).count;
    }
    function show(name, value, now) {
      document.getElementById(name).textContent = value.toLocaleString("en");
      const before = last[name];
      if (before) {
        const rate = (value - before.value) / ((now - before.time) / 1000);
        document.getElementById(name + "-rate").textContent = Math.max(0, rate).toFixed(1);
      }
      last[name] = { value, time: now };
    }
    async function refresh() {
      const now = Date.now();
      const health = document.getElementById("health");
      try {
        const response = await fetch("/health", { cache: "no-store" });
        const body = await response.json();
        if (response.ok) {
          health.className = "ok";
          health.textContent = "Redis is up";
        } else {
          health.className = "down";
          health.textContent = "Redis is DOWN: " + (body.reason || "no answer") + " — counts are not updating";
        }
      } catch (error) {
        health.className = "down";
        health.textContent = "The api does not answer";
      }
      for (const [name, path] of [["received", "/api/v1/receive/messages/hello"], ["sent", "/api/v1/sent/messages/hello"]]) {
        try { show(name, await count(path), now); } catch (error) { document.getElementById(name + "-rate").textContent = "—"; }
      }
    }
    refresh();
    setInterval(refresh, 1000);
    """
}
