"""Seeds a running AuraVest server with N users, each with the sample
portfolio and a risk profile, and writes `user_token portfolio_id` lines
for the load script. Standard library only."""

import concurrent.futures
import json
import sys
import urllib.request

BASE = sys.argv[1]
N = int(sys.argv[2])
OUT = sys.argv[3]
CSV = open(sys.argv[4], encoding="utf-8").read()
PASSWORD = "bench-kettle-harbour-47"


def call(method, path, body=None, token=None, ctype="application/json"):
    data = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", ctype)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=60) as r:
        text = r.read()
        return json.loads(text) if text else None


terms = call("GET", "/api/v1/legal")["terms_version"]


def seed(i):
    email = f"bench{i}@example.com"
    call("POST", "/api/v1/auth/register",
         {"email": email, "password": PASSWORD, "accepted_terms_version": terms})
    token = call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})["access_token"]
    q = call("GET", "/api/v1/risk/questionnaire", token=token)
    answers = {x["id"]: (i % len(x["options"])) for x in q["questions"]}
    call("POST", "/api/v1/risk/answers", {"version": q["version"], "answers": answers}, token)
    pid = call("POST", "/api/v1/portfolios", {"name": "Bench"}, token)["id"]
    call("POST", f"/api/v1/portfolios/{pid}/transactions/import", CSV, token, "text/csv")
    return f"{token} {pid}"


with concurrent.futures.ThreadPoolExecutor(8) as pool:
    lines = list(pool.map(seed, range(N)))
with open(OUT, "w", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
print(f"seeded {len(lines)} users")
