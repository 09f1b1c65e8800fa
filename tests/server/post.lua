-- wrk script: POST the AdmissionReview in $REVIEW to the URL's path, keep-alive, JSON.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = assert(io.open(os.getenv("REVIEW"), "rb"))
wrk.body = f:read("*a")
f:close()
