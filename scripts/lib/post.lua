-- wrk: POST with an empty body.
wrk.method = "POST"
wrk.headers["Content-Length"] = "0"
