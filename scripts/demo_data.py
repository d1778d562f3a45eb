#!/usr/bin/env python3
"""Generates a realistic, reproducible win/loss history and files it through the HTTP API.

Usage: demo_data.py BASE_URL ADMIN_KEY DB_PATH [--reports N] [--seed S] [--end YYYY-MM-DD]

Fixed seed: the same arguments give the same reports (dates are relative to --end, default today).
Reps, competitors (with aliases) and the message/collateral catalogue are created through the API
where those endpoints exist, else written straight into the SQLite file before the first report
(the service reads them per request, or caches them lazily at the first report).
Stories planted in the data, so the dashboard has something to find:
  - the win rate against Salesforce falls over the last six months;
  - "integration" objections rise over the last three months; "security" rises in enterprise;
  - "Time to value in weeks" lifts the win rate in SMB, "Enterprise-grade security" in enterprise;
  - partner referrals win most, paid search least; no-decision deals pile up in early stages;
  - some reps type competitor names that match nothing ("Hubspt", "Monday.com") for the triage list.
"""
import argparse
import concurrent.futures
import http.client
import datetime as dt
import json
import math
import random
import sqlite3
import sys
import threading
import urllib.parse

COMPETITORS = {
    "Salesforce": ["SFDC", "Sales Cloud"],
    "HubSpot": ["HubSpot CRM", "HS"],
    "Microsoft Dynamics": ["MS Dynamics", "Dynamics 365", "MSFT Dynamics"],
    "Pipedrive": [],
    "Zoho": ["Zoho CRM"],
    "Freshworks": ["Freshsales"],
}
UNMATCHED = ["Hubspt", "Monday.com", "Close.io", "Copper", "in-house spreadsheet", "Salesforse"]

MESSAGES = [
    ("msg-time-to-value", "Time to value in weeks, not quarters", "speed", "demo"),
    ("msg-security", "Enterprise-grade security, audited", "trust", "proposal"),
    ("msg-one-platform", "One platform instead of five tools", "consolidation", "discovery"),
    ("msg-tco", "Lower total cost of ownership over 3 years", "value", "negotiation"),
    ("msg-open-api", "Open API: fits the stack you have", "integration", "demo"),
    ("msg-customer-love", "Support that answers in minutes", "service", "proposal"),
]
COLLATERAL = [
    ("col-roi-calculator", "ROI calculator", "tool"),
    ("col-security-whitepaper", "Security whitepaper", "document"),
    ("col-case-study-retail", "Retail case study", "case_study"),
    ("col-battlecard-salesforce", "Battlecard: Salesforce", "battlecard"),
    ("col-demo-video", "Five-minute demo video", "video"),
]
SEGMENTS = [("smb", 0.45), ("mid_market", 0.35), ("enterprise", 0.20)]
REGIONS = [("North America", 0.45), ("EMEA", 0.30), ("APAC", 0.15), ("LATAM", 0.10)]
PRODUCTS = [("Pipeline", 0.5), ("Insights", 0.3), ("Service Desk", 0.2)]
INDUSTRIES = [("Software", 0.3), ("Financial services", 0.2), ("Healthcare", 0.15), ("Manufacturing", 0.15), ("Retail", 0.12), ("Education", 0.08)]
STAGES = [("qualification", 0.10), ("discovery", 0.15), ("demo", 0.20), ("proposal", 0.25), ("negotiation", 0.20), ("closing", 0.10)]
STAGE_WIN = {"qualification": -1.2, "discovery": -0.7, "demo": -0.3, "proposal": 0.1, "negotiation": 0.5, "closing": 0.9}
STAGE_ND = {"qualification": 0.35, "discovery": 0.28, "demo": 0.20, "proposal": 0.14, "negotiation": 0.10, "closing": 0.06}
LEAD_SOURCES = [("Inbound web", 0.30, 0.1, 3.4), ("Partner referral", 0.15, 0.7, 4.1), ("Outbound SDR", 0.25, -0.3, 2.8),
                ("Event", 0.12, 0.2, 3.5), ("Paid search", 0.10, -0.6, 2.4), ("Customer referral", 0.08, 0.9, 4.4)]
COMPETITOR_WEIGHT = {  # by segment
    "smb": {"HubSpot": 4, "Pipedrive": 4, "Zoho": 3, "Freshworks": 2, "Salesforce": 2, "Microsoft Dynamics": 0.5},
    "mid_market": {"HubSpot": 3, "Salesforce": 4, "Microsoft Dynamics": 2, "Zoho": 1.5, "Pipedrive": 1.5, "Freshworks": 1.5},
    "enterprise": {"Salesforce": 6, "Microsoft Dynamics": 4, "HubSpot": 1.5, "Zoho": 0.5, "Freshworks": 0.5},
}
COMPETITOR_EFFECT = {"Salesforce": -0.35, "HubSpot": -0.1, "Microsoft Dynamics": -0.2, "Pipedrive": 0.45, "Zoho": 0.55, "Freshworks": 0.3}
LOSS_REASONS_BY_COMPETITOR = {
    "Salesforce": [("product_gap", 4), ("relationship", 3), ("vendor_viability", 2), ("integration", 2), ("price", 1)],
    "HubSpot": [("price", 3), ("product_gap", 2), ("integration", 2), ("relationship", 1)],
    "Microsoft Dynamics": [("relationship", 3), ("integration", 3), ("security_compliance", 2), ("price", 2)],
    "Pipedrive": [("price", 5), ("product_gap", 1)],
    "Zoho": [("price", 6), ("support", 1)],
    "Freshworks": [("price", 3), ("support", 2), ("product_gap", 1)],
    None: [("price", 2), ("product_gap", 2), ("implementation_risk", 1), ("timing", 1)],
}
LOSS_REASONS_BY_STAGE = {
    "qualification": [("product_gap", 3), ("budget", 2)], "discovery": [("product_gap", 2), ("integration", 2)],
    "demo": [("product_gap", 2), ("integration", 2), ("implementation_risk", 1)],
    "proposal": [("price", 3), ("security_compliance", 1)], "negotiation": [("price", 4), ("security_compliance", 2), ("relationship", 1)],
    "closing": [("price", 2), ("vendor_viability", 2), ("relationship", 1)],
}
ND_REASONS = [("status_quo", 5), ("budget", 3), ("timing", 3), ("other", 1)]
WON_REASONS = [("relationship", 3), ("support", 2), ("integration", 2), ("other", 1), ("price", 1)]
OBJECTIONS = [("price", 5), ("missing_feature", 4), ("integration", 3), ("security", 2), ("performance", 1), ("ease_of_use", 2),
              ("implementation_time", 2), ("vendor_size", 1), ("references", 1), ("contract_terms", 1)]
OBJECTION_TEXT = {
    "price": "Their quote came in well under ours", "missing_feature": "Needs territory management out of the box",
    "integration": "Worried about the ERP connector", "security": "Security team wants SOC 2 Type II and SSO",
    "performance": "Dashboards felt slow in the demo", "ease_of_use": "Reps found the mobile app clunky",
    "implementation_time": "Cannot wait a full quarter to go live", "vendor_size": "Are you big enough to be around in 5 years?",
    "references": "Wanted a reference in their industry", "contract_terms": "Wants monthly terms, not annual",
}
# message -> segment -> (resonance probability, win-logit effect when it resonated)
MESSAGE_FIT = {
    "msg-time-to-value": {"smb": (0.70, 0.55), "mid_market": (0.55, 0.25), "enterprise": (0.30, -0.1)},
    "msg-security": {"smb": (0.25, -0.05), "mid_market": (0.45, 0.15), "enterprise": (0.72, 0.6)},
    "msg-one-platform": {"smb": (0.45, 0.1), "mid_market": (0.55, 0.25), "enterprise": (0.40, 0.1)},
    "msg-tco": {"smb": (0.50, 0.2), "mid_market": (0.45, 0.15), "enterprise": (0.35, 0.05)},
    "msg-open-api": {"smb": (0.35, 0.05), "mid_market": (0.55, 0.3), "enterprise": (0.50, 0.25)},
    "msg-customer-love": {"smb": (0.55, 0.2), "mid_market": (0.40, 0.05), "enterprise": (0.30, 0.0)},
}
FIRST_NAMES = ["Alex", "Sam", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn", "Drew", "Robin",
               "Charlie", "Skyler", "Reese", "Parker", "Rowan", "Emerson", "Hayden", "Finley", "Sasha", "Kai"]
LAST_NAMES = ["Nguyen", "Smith", "Garcia", "Müller", "Rossi", "Kowalski", "Tanaka", "Okafor", "Silva", "Dubois", "Berg", "Khan"]
ACCOUNTS = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Cyberdyne", "Hooli", "Vandelay", "Soylent",
            "Wonka", "Gringotts", "Oceanic", "Pied Piper", "Monarch", "Nakatomi", "Aperture", "Dunder", "Bluth"]
ACCOUNT_SUFFIX = ["Industries", "Group", "Holdings", "Labs", "Systems", "Logistics", "Health", "Bank", "Retail", "Foods"]


def weighted(rng, pairs):
    total = sum(w for _, w, *_ in pairs)
    x = rng.random() * total
    for item in pairs:
        x -= item[1]
        if x <= 0:
            return item[0]
    return pairs[-1][0]


def normalize(name):
    return "".join(ch for ch in name.lower() if ch.isalnum())


class Api:
    """JSON over HTTP with one kept-alive connection per thread."""

    def __init__(self, base, key):
        self.base = urllib.parse.urlsplit(base.rstrip("/"))
        self.key = key
        self.local = threading.local()

    def _connection(self):
        if getattr(self.local, "conn", None) is None:
            self.local.conn = http.client.HTTPConnection(self.base.hostname, self.base.port or 80, timeout=60)
        return self.local.conn

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        headers = {"Authorization": "Bearer " + self.key}
        if data is not None:
            headers["Content-Type"] = "application/json"
        for attempt in range(3):
            conn = self._connection()
            try:
                conn.request(method, path, body=data, headers=headers)
                r = conn.getresponse()
                text = r.read().decode(errors="replace")
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                self.local.conn = None
                if attempt == 2:
                    raise
        try:
            return r.status, (json.loads(text) if text else None)
        except ValueError:
            return r.status, text


def now_iso():
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def ensure_taxonomy(api, db_path, rng):
    """Reps, competitors with aliases, messages and collateral: via the API when it has the endpoint."""
    db = sqlite3.connect(db_path, timeout=30)
    reps = []
    for i in range(24):
        name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[(i * 7) % len(LAST_NAMES)]}"
        email = f"rep{i + 1:02d}@demo.example"
        region = REGIONS[i % len(REGIONS)][0]
        status, body = api.call("POST", "/api/v1/users", {"email": email, "displayName": name, "role": "rep", "region": region})
        if status in (200, 201) and isinstance(body, dict):
            user = body.get("user", body)
            reps.append((user["id"], region))
            continue
        if status not in (404, 409):
            sys.exit(f"POST /api/v1/users {email}: {status} {body}")
        row = db.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
        if row is None:
            cur = db.execute("INSERT INTO users (email, display_name, role, region, created_at) VALUES (?, ?, 'rep', ?, ?)",
                             (email, name, region, now_iso()))
            reps.append((cur.lastrowid, region))
        else:
            reps.append((row[0], region))
    db.commit()

    for name, aliases in COMPETITORS.items():
        status, body = api.call("POST", "/api/v1/competitors", {"name": name, "aliases": aliases})
        if status in (200, 201, 409):
            continue
        if status != 404:
            sys.exit(f"POST /api/v1/competitors {name}: {status} {body}")
        if db.execute("SELECT 1 FROM competitor_aliases WHERE normalized = ?", (normalize(name),)).fetchone():
            continue
        cur = db.execute("INSERT INTO competitors (name, created_at) VALUES (?, ?)", (name, now_iso()))
        for alias in [name] + aliases:
            db.execute("INSERT OR IGNORE INTO competitor_aliases (normalized, alias, competitor_id) VALUES (?, ?, ?)",
                       (normalize(alias), alias, cur.lastrowid))
    db.commit()

    for mid, title, pillar, stage in MESSAGES:
        status, _ = api.call("POST", "/api/v1/catalog/messages", {"id": mid, "title": title, "pillar": pillar, "stage": stage, "active": True})
        if status == 404:
            db.execute("INSERT OR IGNORE INTO catalog_messages (id, title, pillar, stage, active, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)",
                       (mid, title, pillar, stage, now_iso(), now_iso()))
    for cid, title, kind in COLLATERAL:
        status, _ = api.call("POST", "/api/v1/catalog/collateral", {"id": cid, "title": title, "kind": kind, "active": True})
        if status == 404:
            db.execute("INSERT OR IGNORE INTO catalog_collateral (id, title, kind, url, active, created_at, updated_at) VALUES (?, ?, ?, NULL, 1, ?, ?)",
                       (cid, title, kind, now_iso(), now_iso()))
    db.commit()
    db.close()
    return reps


def make_report(rng, i, end, days, reps):
    # More deals in recent months (the team grew).
    age = int(days * (1 - math.sqrt(rng.random())) if rng.random() < 0.5 else rng.random() * days)
    closed = end - dt.timedelta(days=age)
    recent6 = age < 183
    recent3 = age < 92
    segment = weighted(rng, SEGMENTS)
    rep_id, rep_region = reps[rng.randrange(len(reps))]
    region = rep_region if rng.random() < 0.85 else weighted(rng, REGIONS)
    stage = weighted(rng, STAGES)
    source, _, source_effect, quality_mean = LEAD_SOURCES[[s[0] for s in LEAD_SOURCES].index(weighted(rng, [(s[0], s[1]) for s in LEAD_SOURCES]))]

    competitors = []
    r = rng.random()
    count = 0 if r < 0.22 else 1 if r < 0.78 else 2
    pool = dict(COMPETITOR_WEIGHT[segment])
    for _ in range(count):
        name = weighted(rng, list(pool.items()))
        del pool[name]
        competitors.append(name)
    typed = []
    for c in competitors:
        v = rng.random()
        if v < 0.04:
            typed.append(rng.choice(UNMATCHED))
        elif v < 0.20 and COMPETITORS[c]:
            typed.append(rng.choice(COMPETITORS[c]))
        else:
            typed.append(c)
    if len(set(normalize(t) for t in typed)) < len(typed):
        typed = typed[:1]
        competitors = competitors[:1]

    logit = 0.0 + source_effect + STAGE_WIN[stage] + {"smb": 0.2, "mid_market": 0.0, "enterprise": -0.25}[segment]
    for c in competitors:
        effect = COMPETITOR_EFFECT[c]
        if c == "Salesforce" and recent6:
            effect -= 0.9 * (1 - age / 183)
        if c == "HubSpot":
            effect += 0.4 * (1 - age / days)
        logit += effect

    messages = []
    if rng.random() < 0.62:
        for mid in rng.sample([m[0] for m in MESSAGES], rng.choice([1, 1, 2, 2, 3])):
            p, effect = MESSAGE_FIT[mid][segment]
            v = rng.random()
            resonance = "resonated" if v < p else ("neutral" if v < p + (1 - p) * 0.55 else "fell_flat")
            if resonance == "resonated":
                logit += effect
            elif resonance == "fell_flat":
                logit -= 0.15
            messages.append({"messageId": mid, "resonance": resonance})

    nd = STAGE_ND[stage] * (1.3 if segment == "enterprise" else 1.0)
    if rng.random() < nd:
        outcome = "no_decision"
    else:
        outcome = "won" if rng.random() < 1 / (1 + math.exp(-logit)) else "lost"

    # Objections: integration rises over the last three months, security rises in enterprise over the last six.
    weights = dict(OBJECTIONS)
    if recent3:
        weights["integration"] = 3 + 6 * (1 - age / 92)
    if segment == "enterprise":
        weights["security"] = 4 + (5 if recent6 else 0)
    objections = []
    n_obj = rng.choice([0, 0, 1, 1, 1, 2, 2, 3])
    if outcome != "won":
        n_obj += rng.choice([0, 1])
    used = set()
    for _ in range(n_obj):
        cat = weighted(rng, [(k, w) for k, w in weights.items() if k not in used])
        used.add(cat)
        obj = {"category": cat, "overcome": rng.random() < (0.7 if outcome == "won" else 0.25)}
        if typed and rng.random() < 0.5:
            obj["competitor"] = typed[0]
        if rng.random() < 0.6:
            obj["text"] = OBJECTION_TEXT[cat]
        objections.append(obj)

    reasons = []
    if outcome == "lost":
        main = competitors[0] if competitors else None
        cats = [weighted(rng, LOSS_REASONS_BY_COMPETITOR[main] if rng.random() < 0.55 else LOSS_REASONS_BY_STAGE[stage])]
        if rng.random() < 0.35:
            other = weighted(rng, LOSS_REASONS_BY_STAGE[stage])
            if other not in cats:
                cats.append(other)
        reasons = [{"category": c, "primary": j == 0} for j, c in enumerate(cats)]
    elif outcome == "no_decision":
        cats = [weighted(rng, ND_REASONS)]
        if rng.random() < 0.25:
            other = weighted(rng, [("budget", 1), ("timing", 1), ("implementation_risk", 1)])
            if other not in cats:
                cats.append(other)
        reasons = [{"category": c, "primary": j == 0} for j, c in enumerate(cats)]
    elif rng.random() < 0.5:
        reasons = [{"category": weighted(rng, WON_REASONS), "primary": True}]

    amount = {"smb": 12000, "mid_market": 60000, "enterprise": 240000}[segment] * math.exp(rng.gauss(0, 0.5))
    currency = "EUR" if region == "EMEA" and rng.random() < 0.6 else ("GBP" if region == "EMEA" and rng.random() < 0.3 else "USD")
    body = {
        "dealId": f"DEMO-{i + 1:06d}",
        "outcome": outcome,
        "closedOn": closed.isoformat(),
        "amount": round(amount, -2),
        "currency": currency,
        "segment": segment,
        "stageReached": stage,
        "region": region,
        "industry": weighted(rng, INDUSTRIES),
        "product": weighted(rng, PRODUCTS),
        "accountName": f"{rng.choice(ACCOUNTS)} {rng.choice(ACCOUNT_SUFFIX)}",
        "competitors": [{"name": t, "primary": j == 0} for j, t in enumerate(typed)],
        "reasons": reasons,
        "objections": objections,
        "messages": messages,
        "leadSource": source,
        "leadQuality": max(1, min(5, round(rng.gauss(quality_mean, 0.8)))),
        "collateralUsed": rng.sample([c[0] for c in COLLATERAL], rng.choice([0, 0, 1, 1, 2])),
        "repId": rep_id,
    }
    if rng.random() < 0.2:
        body["notes"] = "Debrief: " + rng.choice(["champion left mid-cycle", "procurement pushed hard on price",
                                                  "strong demo, weak follow-up", "security review took six weeks",
                                                  "incumbent offered a free year"])
    return body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("key")
    ap.add_argument("db")
    ap.add_argument("--reports", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--years", type=float, default=2.75)
    ap.add_argument("--end", default=dt.date.today().isoformat())
    ap.add_argument("--threads", type=int, default=8)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    api = Api(args.base, args.key)
    reps = ensure_taxonomy(api, args.db, rng)
    end = dt.date.fromisoformat(args.end)
    days = int(args.years * 365)
    bodies = [make_report(rng, i, end, days, reps) for i in range(args.reports)]

    done = 0
    failed = []
    lock = threading.Lock()

    def post(body):
        nonlocal done
        status, resp = api.call("POST", "/api/v1/reports", body)
        with lock:
            done += 1
            if status not in (201, 409):
                failed.append((body["dealId"], status, resp))
            if done % 500 == 0:
                print(f"  {done}/{len(bodies)} reports filed", flush=True)

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.threads) as pool:
        list(pool.map(post, bodies))
    if failed:
        print(f"{len(failed)} reports were refused; first: {failed[0]}", file=sys.stderr)
        sys.exit(1)
    print(f"  {len(bodies)} reports filed", flush=True)


if __name__ == "__main__":
    main()
