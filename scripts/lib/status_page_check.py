#!/usr/bin/env python3
"""Loads the api's status page in a real headless Chromium while hellos flow, and checks
what a person would see: both counts moving, a rate above zero, the rate chart drawing, the
live consumer listed with its broker node, the queue depth it saw, Redis reported up — and then,
with Redis stopped, the page saying plainly that it is down. The page works under its
Content-Security-Policy, which stops a script injected into it; and a page on another origin
cannot count through the browser.

Uses the broker scripts/test started (--amqp-url), a Redis of its own (it stops it), and the
built binaries. Prints one line per check and `status page: N passed, N failed`.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from harness import free_port, wait_for_port
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By




def number(text):
    digits = text.replace(",", "").strip()
    return int(digits) if digits.isdigit() else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--amqp-url", required=True)
    parser.add_argument("--screenshot", help="also save a PNG of the page here")
    parser.add_argument("--screenshot-after", type=int, default=0,
                        help="seconds of traffic before the screenshot, so the rate chart has a history")
    options = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIGGOAL_")}
    work = tempfile.mkdtemp(prefix="biggoal-page-")
    redis_port, api_port = free_port(), free_port()
    tag = f"page-{uuid.uuid4().hex[:6]}"
    processes = []

    def start(command):
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
        processes.append(process)
        return process

    redis = start(["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port), "--dir", work, "--save", "", "--appendonly", "no"])
    wait_for_port(redis_port)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    start([os.path.join(options.bin, "api"), "--http-port", str(api_port), "--redis-url", redis_url, "--redis-timeout-ms", "300"])
    start([os.path.join(options.bin, "consumer"), "--amqp-url", options.amqp_url, "--redis-url", redis_url,
           "--amqp-queue", f"{tag}-in", "--amqp-reply-queue", f"{tag}-sent", "--amqp-reply-exchange", f"{tag}-x",
           "--consumer-metrics-port", "0"])
    wait_for_port(api_port)
    start([os.path.join(options.bin, "publish"), "--amqp-url", options.amqp_url, "--queue", f"{tag}-in",
                       "--count", str(300 * (10 + options.screenshot_after)), "--rate", "300"])

    chrome = Options()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=900,1000"):
        chrome.add_argument(argument)
    chrome.binary_location = "/usr/bin/chromium"
    chrome.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(options=chrome, service=Service("/usr/bin/chromedriver"))
    results = []

    def check(name, ok, detail):
        results.append(ok)
        print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}", flush=True)

    try:
        browser.get(f"http://127.0.0.1:{api_port}/")
        time.sleep(2.5)
        text = lambda element_id: browser.find_element(By.ID, element_id).text
        first = (number(text("received")), number(text("sent")))
        time.sleep(3)
        second = (number(text("received")), number(text("sent")))
        moving = None not in first + second and second[0] > first[0] and second[1] > first[1]
        check("counts move while hellos flow", moving, f"received {first[0]} → {second[0]}, sent {first[1]} → {second[1]}")
        rate = text("received-rate")
        check("rate per second shown", rate.replace(".", "").isdigit() and float(rate) > 0, f"received rate {rate}/s")
        health = browser.find_element(By.ID, "health")
        check("Redis reported up", health.get_attribute("class") == "ok" and "up" in health.text, health.text)
        points = browser.find_element(By.ID, "received-line").get_attribute("points").split()
        check("the rate chart draws the last seconds", len(points) >= 3, f"{len(points)} points on the received line")
        rows = browser.find_elements(By.CSS_SELECTOR, "#consumer-rows tr")
        cells = [cell.text for cell in rows[0].find_elements(By.TAG_NAME, "td")] if rows else []
        check("the live consumer is listed with its node", len(rows) == 1 and cells[0].startswith("biggoal-consumer@")
              and cells[1].startswith("127.0.0.1:"), " | ".join(cells) or "no row")
        queues = text("queues")
        check("the queue depth the consumer saw is shown", f"queue {tag}-in: " in queues and " ready" in queues, queues)
        if options.screenshot:
            time.sleep(options.screenshot_after)
            browser.save_screenshot(options.screenshot)

        with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/") as page:
            policy = page.headers.get("Content-Security-Policy", "")
        check("Content-Security-Policy sent", "script-src 'sha256-" in policy and "connect-src 'self'" in policy, policy)
        violations = [entry["message"] for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]]
        check("the page's own style and script pass the policy", not violations, "; ".join(violations) or "no violation")
        browser.execute_script(
            "const s = document.createElement('script'); s.textContent = 'window.injected = 1'; document.body.appendChild(s);")
        time.sleep(0.3)
        check("an injected inline script does not run", browser.execute_script("return window.injected") is None,
              "window.injected is " + str(browser.execute_script("return window.injected")))

        # A page on another origin (another port of the same host) posts to /receive.
        elsewhere_port = free_port()
        with open(os.path.join(work, "elsewhere.html"), "w") as page:
            page.write("<!doctype html><p>elsewhere</p>")
        start([sys.executable, "-m", "http.server", str(elsewhere_port), "--bind", "127.0.0.1", "--directory", work])
        wait_for_port(elsewhere_port)
        browser.get(f"http://127.0.0.1:{elsewhere_port}/elsewhere.html")
        status = browser.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            f"fetch('http://127.0.0.1:{api_port}/receive', {{method: 'POST', mode: 'no-cors'}})"
            ".then(() => done('sent'), (error) => done(String(error)));")
        with urllib.request.urlopen(f"http://127.0.0.1:{api_port}/metrics") as scrape:
            metrics = scrape.read().decode()
        refused = 'biggoal_http_requests_total{route="/receive",status="403"} 1' in metrics
        check("a page on another origin cannot count", refused and "status=\"200\"} " not in
              "".join(line for line in metrics.splitlines() if 'route="/receive"' in line), f"fetch: {status}; 403 counted: {refused}")
        browser.get(f"http://127.0.0.1:{api_port}/")
        time.sleep(1.5)
        redis.send_signal(signal.SIGKILL)
        redis.wait()
        time.sleep(2.5)
        health = browser.find_element(By.ID, "health")
        check("Redis down stated plainly", health.get_attribute("class") == "down" and "DOWN" in health.text, health.text)
    finally:
        browser.quit()
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()
    passed = sum(results)
    print(f"status page: {passed} passed, {len(results) - passed} failed")
    sys.exit(0 if all(results) and results else 1)


if __name__ == "__main__":
    main()
