// The browser half of console-browser.py: log in to the vigil console in
// headless chromium, walk its pages, and check that hostile strings from
// hosts appear as text. Inputs come from the environment (set by the
// Python half); the last line printed is a JSON summary. Any failed check
// throws, and the exit status is then 1.
"use strict";

const { chromium } = require("playwright-core");
const assert = require("assert");

const BASE = process.env.CONSOLE_URL;
const USER = process.env.CONSOLE_USER;
const PASSWORD = process.env.CONSOLE_PASSWORD;
const PAYLOAD = process.env.PAYLOAD;
const WEB_HOST_ID = process.env.WEB_HOST_ID;
const ALERT_ID = process.env.ALERT_ID;
const FRESH_HOST_ID = process.env.FRESH_HOST_ID; // enrolled, not scanned yet
const LOGSCAN_SRC = process.env.LOGSCAN_SRC; // the subject of logscan's alerts
const SHOTS = process.env.SHOTS; // a directory for screenshots, or ""
const STEP_MS = 20000; // the longest wait for one element; not a pass criterion

function log(msg) {
  process.stderr.write(msg + "\n");
}

async function shot(page, name) {
  if (SHOTS) {
    await page.screenshot({ path: SHOTS + "/" + name + ".png", fullPage: true });
  }
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    // The test runs as root in CI, where chromium's sandbox cannot start.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  const result = { dialogs: 0, handled: false, notifications: false, csp: false };
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    const dialogs = [];
    page.on("dialog", async (d) => {
      dialogs.push(d.type() + ": " + d.message());
      // window.prompt is how "ignore" asks for a reason; nothing else may
      // open a dialog.
      await d.dismiss();
    });
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => {
      // Failed requests (the 401 before login, the 405 of the probes for
      // optional endpoints) are expected; script errors are not.
      if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
        errors.push(m.text());
      }
    });

    // The page and its headers.
    const resp = await page.goto(BASE + "/");
    assert.strictEqual(resp.status(), 200);
    const h = resp.headers();
    assert.match(h["content-security-policy"] || "", /default-src 'self'/);
    assert.doesNotMatch(h["content-security-policy"], /unsafe-inline/);
    assert.strictEqual(h["x-frame-options"], "DENY");
    // The page is kept but checked each time against its tag; the API's
    // answers are never kept.
    assert.strictEqual(h["cache-control"], "no-cache");
    assert.match(h["etag"] || "", /^"[0-9a-f]{64}"$/);
    const apiResp = await page.request.get(BASE + "/api/v1/overview");
    assert.strictEqual(apiResp.headers()["cache-control"], "no-store");
    result.csp = true;

    // A wrong password first: an error, no session.
    await page.waitForSelector("#login-form", { state: "visible" });
    await page.fill("#login-user", USER);
    await page.fill("#login-password", "not the password");
    await page.click("#login-submit");
    await page.waitForFunction(() => document.getElementById("login-error").textContent.length > 0);
    assert.match(await page.textContent("#login-error"), /wrong user name, password or code/);
    assert.strictEqual((await context.cookies()).length, 0);

    // The right one.
    await page.fill("#login-user", USER);
    await page.fill("#login-password", PASSWORD);
    await page.click("#login-submit");
    await page.waitForSelector("#fleet-score");
    await page.waitForSelector("svg.chart circle.dot");
    await shot(page, "overview");
    assert.strictEqual(await page.isVisible("#login"), false, "the login form is gone");
    assert.strictEqual(await page.$$eval("#fleet-score", (e) => e.length), 1, "drawn once");
    const cookies = await context.cookies();
    assert.strictEqual(cookies.length, 1);
    assert.strictEqual(cookies[0].name, "vigil_session");
    assert.strictEqual(cookies[0].httpOnly, true);
    assert.strictEqual(cookies[0].sameSite, "Strict");
    // HttpOnly: the page's script cannot read it.
    assert.strictEqual(await page.evaluate(() => document.cookie), "");
    assert.match(await page.textContent("#who"), new RegExp(USER + " \\(admin\\)"));
    // The trend chart is drawn.
    assert.ok(await page.$("svg.chart"));
    // One host has not been scanned yet, and the overview says so.
    assert.match(await page.textContent("#not-scanned"), /^1 with no scan yet$/);
    assert.doesNotMatch(await page.textContent("#fleet-score"), /no scan yet/,
      "the fleet score comes from the scanned hosts");

    // Hosts: both, the hostile name as text.
    await page.click("a[data-view=hosts]");
    await page.waitForSelector("main table tbody tr td a");
    const names = await page.$$eval("main table tbody tr td:first-child a", (as) =>
      as.map((a) => a.textContent));
    assert.ok(names.includes("web-1"), "web-1 listed: " + JSON.stringify(names));
    assert.ok(names.includes(PAYLOAD), "hostile host name listed as text: " + JSON.stringify(names));
    // The host not scanned yet: no score and "no scan yet", not "secure".
    const freshRow = page.locator("main table tbody tr", { hasText: "fresh-1" });
    assert.strictEqual((await freshRow.locator("td").nth(2).textContent()).trim(), "no scan yet");
    assert.strictEqual((await freshRow.locator("td").nth(1).textContent()).trim(), "\u2013");
    const webRow = page.locator("main table tbody tr", { hasText: "web-1" });
    assert.match((await webRow.locator("td").nth(1).textContent()).trim(), /^\d+$/);
    await shot(page, "hosts");
    await freshRow.locator("a").click();
    await page.waitForFunction(() => document.querySelector("main h1").textContent === "fresh-1");
    assert.strictEqual(new URL(page.url()).hash, "#/hosts/" + FRESH_HOST_ID);
    assert.match(await page.textContent("#host-score"), /no scan yet/);
    await page.click("a[data-view=hosts]");
    await page.waitForSelector("main table tbody tr td a");

    // Host detail.
    await page.click("text=web-1");
    await page.waitForFunction(() => document.querySelector("main h1").textContent === "web-1");
    await page.waitForSelector("text=Risks by category");
    assert.strictEqual(new URL(page.url()).hash, "#/hosts/" + WEB_HOST_ID);
    await shot(page, "host");

    // Vulnerabilities grouped by CVE and package, with the fix command.
    await page.click("a[data-view=vulnerabilities]");
    await page.waitForSelector(".group h3");
    const group = await page.textContent(".group h3");
    assert.match(group, /CVE-2024-6387 in openssh-server/);
    assert.match(await page.textContent(".group pre"), /apt-get install --only-upgrade openssh-server/);
    assert.strictEqual(await page.$$eval(".group table tbody tr", (r) => r.length), 2);

    // Baseline: one of two hosts fails a check.
    await page.click("a[data-view=baseline]");
    await page.waitForSelector("#baseline-rate");
    assert.strictEqual(await page.textContent("#baseline-rate"), "50%");

    // Secrets: the redacted preview.
    await page.click("a[data-view=secrets]");
    await page.waitForSelector("text=AKIA****************");

    // Alerts: the payload is shown as its characters, nothing ran.
    await page.click("a[data-view=alerts]");
    await page.waitForSelector(".alert-row");
    const subjects = await page.$$eval(".alert-subject", (tds) => tds.map((t) => t.textContent));
    assert.ok(subjects.includes(PAYLOAD), "payload as text: " + JSON.stringify(subjects));
    // Alerts as a detector wrote them carry their subject (the source).
    assert.ok(subjects.includes(LOGSCAN_SRC), "logscan's subject: " + JSON.stringify(subjects));
    const titles = await page.$$eval(".alert-title", (ds) => ds.map((d) => d.textContent));
    assert.ok(titles.includes(PAYLOAD));
    assert.ok((await page.textContent("main")).includes("user: " + PAYLOAD));
    assert.strictEqual(await page.$$eval("img", (i) => i.length), 0, "no <img> element was made");
    await shot(page, "alerts");

    // Handling, when the center offers it.
    const handleButtons = await page.$$("button[data-action=handle]");
    if (handleButtons.length) {
      const row = page.locator(".alert-row", { hasText: "login.after_brute_force" });
      await row.locator("button[data-action=handle]").click();
      await page.waitForFunction(
        () => document.getElementById("status").textContent === "Alert handled.");
      assert.strictEqual((await row.locator(".alert-status").textContent()).trim(), "handled");
      result.handled = true;
    } else {
      assert.ok(await page.$("#no-handling"), "says that handling is not offered");
    }

    // Notification settings, when the center has them: switch the rule
    // for reminder alerts and save.
    await page.click("a[data-view=notifications]");
    await page.waitForSelector("#notify-save, #no-notifications, main .error");
    if (await page.$("#notify-save")) {
      const box = page.locator("input[data-rule='alerts.reminder']");
      const before = await box.isChecked();
      await box.setChecked(!before);
      await page.click("#notify-save");
      await page.waitForFunction(
        () => document.getElementById("status").textContent === "Notification settings saved.");
      result.notifications = { reminder_enabled: !before };
    } else {
      assert.ok(await page.$("#no-notifications"), "no error on the notifications page");
    }

    // Add a host: a fresh token in a copy-paste command.
    await page.click("a[data-view=install]");
    await page.click("#token-create");
    await page.waitForSelector("#install-command");
    const cmd = await page.textContent("#install-command");
    assert.match(cmd, /^echo 'vet1\.[0-9a-f]{64}' \| sudo vigil agent enroll '/);
    assert.ok(cmd.includes("vigil agent enroll '" + BASE + "' - "));
    result.install_command = cmd;

    // No dialog fired anywhere, and no script error.
    assert.deepStrictEqual(dialogs, []);
    assert.deepStrictEqual(errors, []);
    result.dialogs = dialogs.length;

    // Log out: back to the login form; the old cookie no longer works.
    const old = (await context.cookies())[0];
    await page.click("#logout");
    await page.waitForSelector("#login-form", { state: "visible" });
    assert.strictEqual((await context.cookies()).length, 0);
    await context.addCookies([old]);
    const again = await page.request.get(BASE + "/api/v1/overview");
    assert.strictEqual(again.status(), 401);
    result.alert = ALERT_ID;
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(result));
}

main().catch((e) => {
  log("console-browser.js: " + (e && e.stack ? e.stack : e));
  process.exit(1);
});
