#!/usr/bin/env python3
"""Measures what WinLoss promises under bad input and faults (docs/faults.md), against the Release build run as its
own process: kill -9 under load (acknowledged vs found after restart), disk full on a real tmpfs (answers, readiness,
recovery, an import cut by it), and malformed uploads (cut multipart, a 60 MB row of commas, Latin-1 bytes, requests
Kestrel rejects itself). Prints one Markdown table per part. Standard library only.
  ROUNDS=5 CONNS=64 LOAD_SECONDS=4 python3 scripts/faults.py        (disk-full part needs root to mount a tmpfs)
"""
import http.client, json, os, random, shutil, signal, socket, sqlite3, subprocess, sys, tempfile, threading, time, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DLL = os.path.join(ROOT, "src", "WinLoss.Api", "bin", "Release", "net10.0", "WinLoss.Api.dll")
KEY = "wl_faults_admin_key_0123456789abcdefghijklmnopqrstuvwxyz"
ROUNDS = int(os.environ.get("ROUNDS", "5"))
CONNS = int(os.environ.get("CONNS", "64"))
LOAD_SECONDS = float(os.environ.get("LOAD_SECONDS", "4"))


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


class Service:
    def __init__(self, db):
        self.db, self.port = db, free_port()
        env = dict(os.environ, ASPNETCORE_URLS=f"http://127.0.0.1:{self.port}", WINLOSS_DB=db, WINLOSS_ADMIN_KEY=KEY,
                   WINLOSS_RATE_LIMIT="100000000", Logging__LogLevel__Default="Warning")
        self.log = open(db + ".log", "ab")
        self.proc = subprocess.Popen(["dotnet", DLL, "--contentRoot", os.path.join(ROOT, "src", "WinLoss.Api")],
                                     env=env, stdout=self.log, stderr=self.log)
        for _ in range(300):
            try:
                if self.request("GET", "/health/ready")[0] == 200: return
            except OSError: pass
            time.sleep(0.1)
        raise SystemExit("service did not start: see " + db + ".log")

    def request(self, method, path, body=None, headers=None, timeout=60):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = {"Authorization": "Bearer " + KEY}
        h.update(headers or {})
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, dict(r.getheaders()), data

    def rss(self):
        out = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS", "VmHWM")): out[line.split(":")[0]] = int(line.split()[1]) // 1024
        return out

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL); self.proc.wait()

    def stop(self):
        if self.proc.poll() is None: self.proc.terminate(); self.proc.wait(20)


def report(deal, notes=None):
    body = {"dealId": deal, "outcome": "lost", "closedOn": "2026-10-15", "amount": 25000, "currency": "USD",
            "segment": "mid_market", "competitors": [{"name": "Acme Corp", "primary": True}],
            "reasons": [{"category": "price", "primary": True}]}
    if notes: body["notes"] = notes
    return json.dumps(body)


def post_report(svc, deal, notes=None):
    return svc.request("POST", "/api/v1/reports", report(deal, notes), {"Content-Type": "application/json", "Idempotency-Key": deal})


def table(title, header, rows):
    print(f"\n### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows: print("| " + " | ".join(str(x) for x in r) + " |")
    sys.stdout.flush()


# ---------------------------------------------------------------- kill -9 under load
def kill9_round(work, n):
    db = os.path.join(work, f"kill{n}.db")
    svc = Service(db)
    acked, stop, lock = set(), threading.Event(), threading.Lock()
    errors = {"500": 0}

    def writer(w):
        conn = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=30)
        i = 0
        while not stop.is_set():
            deal = f"K{n}-{w}-{i}"; i += 1
            try:
                conn.request("POST", "/api/v1/reports", report(deal),
                             {"Authorization": "Bearer " + KEY, "Content-Type": "application/json", "Idempotency-Key": deal})
                r = conn.getresponse(); r.read()
                if r.status == 201:
                    with lock: acked.add(deal)
                elif r.status >= 500:
                    errors["500"] += 1
            except (OSError, http.client.HTTPException):
                return

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(CONNS)]
    for t in threads: t.start()
    time.sleep(LOAD_SECONDS * (0.75 + random.random() / 2))
    svc.kill9()
    stop.set()
    for t in threads: t.join()
    svc = Service(db)  # restart: recovery from the WAL
    with sqlite3.connect(db) as c:
        found = {r[0] for r in c.execute("SELECT deal_id FROM reports")}
    svc.stop()
    return len(acked), len(acked & found), len(acked - found), len(found - acked), errors["500"]


# ---------------------------------------------------------------- disk full
def fill(mount, leave=0):
    path = os.path.join(mount, "filler.bin")
    st = os.statvfs(mount)
    todo = max(0, st.f_bavail * st.f_frsize - leave)
    chunk = b"\0" * 65536
    try:
        with open(path, "ab") as f:
            while todo > 0:
                n = min(len(chunk), todo); f.write(chunk[:n]); todo -= n
            f.flush(); os.fsync(f.fileno())
    except OSError:
        pass
    return path


def multipart(boundary, mapping, csv_bytes, keep=1.0):
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"mapping\"\r\nContent-Type: application/json\r\n\r\n{mapping}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode()
    whole = head + csv_bytes + f"\r\n--{boundary}--\r\n".encode()
    return whole[: int(len(whole) * keep)]


MAPPING = json.dumps({"dealId": "Id", "outcome": {"column": "Stage", "values": {"Won": "won", "Lost": "lost"}}, "closedOn": "Closed",
                      "amount": "Amount", "currency": {"value": "USD"}, "rep": "Owner", "notes": "Notes"})


def import_file(svc, body, boundary="faults-boundary"):
    return svc.request("POST", "/api/v1/imports/crm", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}, timeout=600)


def opportunities(prefix, rows):
    lines = ["Id,Stage,Closed,Amount,Owner,Notes"]
    lines += [f"{prefix}-{i},{'Lost' if i % 3 == 0 else 'Won'},2025-0{1 + i % 9}-1{i % 10},{1000 + i},Rep {i % 7},{'z' * 40}" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def disk_full(work):
    mount = os.path.join(work, "tmpfs")
    os.makedirs(mount)
    if subprocess.call(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mount]) != 0:
        print("\n(disk full: skipped, mounting a tmpfs needs root)")
        return
    rows = []
    try:
        db = os.path.join(mount, "winloss.db")
        svc = Service(db)
        for i in range(50): post_report(svc, f"DF-ok-{i}")
        filler = fill(mount)
        statuses, retry_after, first_refused = [], None, None
        for i in range(200):
            s, h, _ = post_report(svc, f"DF-{i}", "n" * 3000)
            statuses.append(s)
            if s != 201 and first_refused is None: first_refused, retry_after = i, h.get("Retry-After")
        ready_full = svc.request("GET", "/health/ready")[0]
        live_full = svc.request("GET", "/health/live")[0]
        read_full = svc.request("GET", "/api/v1/reports?limit=5")[0]
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
            stored = c.execute("SELECT COUNT(*) FROM reports WHERE deal_id LIKE 'DF-%' AND deal_id NOT LIKE 'DF-ok-%'").fetchone()[0]
        acked = statuses.count(201)
        rows.append(("200 reports posted after filling the disk", f"{acked} × 201 (fit in what was left), "
                     f"{statuses.count(503)} × 503, {sum(1 for s in statuses if s >= 500 and s != 503)} other 5xx; stored: {stored}"))
        rows.append(("Retry-After on the 503", retry_after))
        rows.append(("/health/ready, /health/live, GET reports while full", f"{ready_full}, {live_full}, {read_full}"))
        os.remove(filler)
        t0 = time.time()
        while svc.request("GET", "/health/ready")[0] != 200 and time.time() - t0 < 30: time.sleep(0.05)
        rows.append(("space freed → /health/ready 200 after", f"{(time.time() - t0) * 1000:.0f} ms (no restart)"))
        rows.append(("retry of the first refused report (same Idempotency-Key)", post_report(svc, f"DF-{first_refused}", "n" * 3000)[0]))

        data = opportunities("DFI", 20_000)
        filler = fill(mount, leave=2 * 1024 * 1024)
        s, h, body = import_file(svc, multipart("faults-boundary", MAPPING, data))
        problem = json.loads(body)
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
            stored = c.execute("SELECT COUNT(*) FROM reports WHERE deal_id LIKE 'DFI-%'").fetchone()[0]
            audit = json.loads(c.execute("SELECT details FROM audit_log WHERE id = ?", (problem.get("auditId"),)).fetchone()[0]) \
                if problem.get("auditId") else {}
        rows.append(("20,000-row import, disk fills midway", f"{s}, Retry-After {h.get('Retry-After')}; answer says created "
                     f"{problem.get('imported', {}).get('created')}, audit entry says {audit.get('created')}, database holds {stored}"))
        os.remove(filler)
        while svc.request("GET", "/health/ready")[0] != 200: time.sleep(0.05)
        s, _, body = import_file(svc, multipart("faults-boundary", MAPPING, data))
        again = json.loads(body)
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
            total = c.execute("SELECT COUNT(*) FROM reports WHERE deal_id LIKE 'DFI-%'").fetchone()[0]
        rows.append(("same file again after freeing space", f"{s}: created {again.get('created')}, unchanged {again.get('unchanged')}; database holds {total}"))
        svc.stop()
    finally:
        subprocess.call(["umount", "-l", mount])
    table("Disk full (64 MB tmpfs holding the database)", ["what", "measured"], rows)


# ---------------------------------------------------------------- malformed uploads and requests
def raw(port, data):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(data); s.settimeout(10); out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d: break
            out += d
    except OSError: pass
    s.close()
    head = out.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    ctype = next((l.split(":", 1)[1].strip() for l in head.split("\r\n") if l.lower().startswith("content-type:")), "(none)")
    return head.split(" ")[1] if head.startswith("HTTP/") else "?", ctype


def malformed(work):
    db = os.path.join(work, "malformed.db")
    svc = Service(db)
    rows = []
    data = opportunities("CUT", 2000)
    s, _, body = import_file(svc, multipart("faults-boundary", MAPPING, data, keep=0.8))
    with sqlite3.connect(db) as c:
        stored = c.execute("SELECT COUNT(*) FROM reports WHERE deal_id LIKE 'CUT-%'").fetchone()[0]
        audits = c.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'import.crm'").fetchone()[0]
    rows.append(("2,000-row multipart cut at 80% (no closing boundary)", f"{s} ({json.loads(body).get('title')}); stored {stored}, audit entries {audits}"))
    s, _, body = import_file(svc, multipart("faults-boundary", MAPPING, data))
    rows.append(("the same upload whole", f"{s}: created {json.loads(body).get('created')}"))

    before = svc.rss()
    commas = b"Id,Stage,Closed,Amount,Owner,Notes\nX1,Won,2025-01-01,1,Ada," + b"," * (60 * 1024 * 1024) + b"\nX2,Won,2025-01-01,1,Ada,ok\n"
    s, _, body = import_file(svc, multipart("faults-boundary", MAPPING, commas))
    after = svc.rss()
    result = json.loads(body)
    rows.append(("one 60 MB row of commas, then a good row", f"{s}: created {result.get('created')}, errors "
                 f"{[(e['line'], e['field']) for e in result.get('errors', [])]}; RSS {before['VmRSS']} → {after['VmRSS']} MB "
                 f"(peak {after['VmHWM']} MB)"))
    latin = b"Id,Stage,Closed,Amount,Owner,Notes\nL1,Won,2025-01-01,1,Jos\xe9,x\nL2,Won,2025-01-01,1,Ada,x\n"
    result = json.loads(import_file(svc, multipart("faults-boundary", MAPPING, latin))[2])
    rows.append(("Latin-1 byte in a cell", f"created {result.get('created')}, errors {[(e['line'], e['field']) for e in result.get('errors', [])]}"))
    euro = b"Id,Stage,Closed,Amount,Owner,Notes\nE1,Won,2025-01-01,\"12,50\",Ada,x\nE2,Won,2025-01-01,\"1,2,3,4\",Ada,x\nE3,Won,2025-01-01,\"1,234.50\",Ada,x\n"
    result = json.loads(import_file(svc, multipart("faults-boundary", MAPPING, euro))[2])
    rows.append(("amounts 12,50 / 1,2,3,4 / 1,234.50", f"created {result.get('created')}, errors {[(e['line'], e['field']) for e in result.get('errors', [])]}"))
    dup = b"Id,Stage,Closed,Amount,Owner,Notes\nD1,Won,2025-01-01,1,Ada,x\nD1,Lost,2025-01-01,1,Ada,x\n\xef\xbb\xbfD1\xe2\x80\x8b,Won,2025-01-01,1,Ada,x\n"
    result = json.loads(import_file(svc, multipart("faults-boundary", MAPPING, dup))[2])
    rows.append(("one dealId on 3 lines (one with U+FEFF/U+200B)", f"created {result.get('created')}, updated {result.get('updated')}, "
                 f"errors {[(e['line'], e['field']) for e in result.get('errors', [])]}"))

    for name, req in [("20 KB query string", b"GET /api/v1/reports?q=" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
                      ("40 KB header", b"GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n"),
                      ("Content-Length: abc", b"POST /api/v1/reports HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
                      ("garbage request line", b"BLAH\r\n\r\n")]:
        status, ctype = raw(svc.port, req)
        rows.append((name, f"{status}, {ctype}"))
    svc.stop()
    table("Malformed uploads and requests", ["input", "answer"], rows)


def main():
    if not os.path.exists(DLL):
        subprocess.check_call(["dotnet", "build", os.path.join(ROOT, "src", "WinLoss.Api"), "-c", "Release", "-nologo", "-v", "q"])
    work = tempfile.mkdtemp(prefix="winloss-faults-")
    try:
        rows = []
        for n in range(ROUNDS):
            acked, found, lost, extra, e500 = kill9_round(work, n)
            rows.append((n + 1, acked, found, lost, extra, e500))
        total = tuple(sum(r[i] for r in rows) for i in range(1, 6))
        rows.append(("total",) + total)
        table(f"kill -9 under load ({CONNS} connections, ~{LOAD_SECONDS:g} s of load per round)",
              ["round", "acknowledged (201)", "found after restart", "acknowledged but lost", "stored but not acknowledged", "5xx"], rows)
        disk_full(work)
        malformed(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
