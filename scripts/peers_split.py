"""Crosslink beside peer recommenders on a time split of one Online Retail log: the same
cases, the same metric code, so the numbers can be compared row by row.

Usage: python scripts/peers_split.py [LOG.csv.gz] [SPLIT_DATE]
  LOG defaults to the shipped log (Sources/crosslink/SampleData/online-retail/), SPLIT_DATE to
  2011-07-28 (the date `crosslink eval --online-retail` picks on it).
Needs: pip install pandas numpy scipy implicit==0.7.3   (without implicit its three models are skipped)
Crosslink: $CROSSLINK, else the `crosslink` of the project's release build (swift build -c release),
else the one on PATH. CROSSLINK_SKIP=1 runs the peers only; PEERS_SKIP=1 runs Crosslink beside
popularity(all) and co-purchase count only; CROSSLINK_MODEL=FILE asks an existing model database.
Adapted from the peers-only script of the same name that measured the issue's figures.

Tasks (the cases differ from crosslink eval's; see its README section):
  personal : each customer active before and after the split; top-10 items not bought before;
             relevant = items bought after the split that were not bought before.
  together : 20,000 sampled (test invoice, item) pairs (seed 7); top-10 items for the item;
             relevant = the other items of the same invoice.
Metrics: HR@10, NDCG@10, precision@10, recall@10, catalog coverage.
"""
import csv, gzip, json, math, os, random, re, shutil, subprocess, sys, tempfile, time
from collections import defaultdict
import numpy as np, pandas as pd, scipy.sparse as sp

SHIPPED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "crosslink", "SampleData", "online-retail",
                       "online_retail_2010-12-01_2011-09-25.csv.gz")
LOG = sys.argv[1] if len(sys.argv) > 1 else SHIPPED
SPLIT = pd.Timestamp(sys.argv[2] if len(sys.argv) > 2 else "2011-07-28")
try:
    import implicit, threadpoolctl
    from implicit.nearest_neighbours import CosineRecommender, BM25Recommender
    from implicit.als import AlternatingLeastSquares
    threadpoolctl.threadpool_limits(1, "blas")
except ImportError:
    implicit = None
    print("implicit is not installed: its models are skipped (pip install implicit==0.7.3)")
K = 10
PRODUCT = re.compile(r"^\d{5}[A-Za-z]*$")

def load(path):
    df = pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
    df = df[~df.InvoiceNo.str.startswith(("C", "A"))]
    df = df[(df.Quantity > 0) & df.StockCode.str.match(PRODUCT)]
    df["CustomerID"] = df.CustomerID.fillna("").str.replace(r"\.0$", "", regex=True)
    df["t"] = pd.to_datetime(df.InvoiceDate)
    return df

everything = load(LOG)
tr, te = everything[everything.t < SPLIT].copy(), everything[everything.t >= SPLIT].copy()
items = sorted(set(tr.StockCode))
iidx = {s: i for i, s in enumerate(items)}
tr = tr[tr.StockCode.isin(iidx)]
print(f"train lines {len(tr)} invoices {tr.InvoiceNo.nunique()} items {len(items)} customers {tr[tr.CustomerID!=''].CustomerID.nunique()}")

def metrics(recs, rel):
    hits = [1 if r in rel else 0 for r in recs[:K]]
    dcg = sum(h / math.log2(i + 2) for i, h in enumerate(hits))
    idcg = sum(1 / math.log2(i + 2) for i in range(min(len(rel), K)))
    return (1.0 if any(hits) else 0.0, dcg / idcg if idcg else 0.0, sum(hits) / K, sum(hits) / len(rel))

def report(name, task, rows, covered, secs):
    a = np.array(rows)
    hr, ndcg, p, r = a.mean(axis=0)
    print(f"{task:9s} {name:28s} HR@10 {hr:.4f}  NDCG@10 {ndcg:.4f}  P@10 {p:.4f}  R@10 {r:.4f}  coverage {len(covered)/len(items):.3f}  cases {len(a)}  fit+rec {secs:.1f}s")

# ---------- personal ----------
trc = tr[tr.CustomerID != ""]
users = sorted(set(trc.CustomerID) & set(te[te.CustomerID != ""].CustomerID))
uidx = {u: i for i, u in enumerate(sorted(set(trc.CustomerID)))}
seen = trc.groupby("CustomerID").StockCode.apply(set).to_dict()
tested = te[te.CustomerID != ""].groupby("CustomerID").StockCode.apply(set).to_dict()
cases = [(u, tested[u] - seen[u]) for u in users]
cases = [(u, {i for i in rel if i in iidx}) for u, rel in cases]
cases = [(u, rel) for u, rel in cases if rel]
# user x item matrix: number of distinct invoices
ui = trc.groupby(["CustomerID", "StockCode"]).InvoiceNo.nunique().reset_index()
UI = sp.csr_matrix((ui.InvoiceNo.astype(np.float32), (ui.CustomerID.map(uidx), ui.StockCode.map(iidx))), shape=(len(uidx), len(items)))

def run_personal(name, recommend):
    t0 = time.time(); rows = []; cov = set()
    for u, rel in cases:
        recs = recommend(u); cov.update(recs); rows.append(metrics(recs, rel))
    report(name, "personal", rows, cov, time.time() - t0)

end = tr.t.max()
PEERS = os.environ.get("PEERS_SKIP") != "1"   # PEERS_SKIP=1: Crosslink only
for days in (30, 90, None) if PEERS else (None,):
    win = tr if days is None else tr[tr.t > end - pd.Timedelta(days=days)]
    pop = list(win.groupby("StockCode").CustomerID.nunique().sort_values(ascending=False).index)
    run_personal(f"popularity({days or 'all'}d)", lambda u, pop=pop: [i for i in pop if i not in seen[u]][:K])

for name, model in [] if implicit is None or not PEERS else [
        ("implicit Cosine(K=100)", CosineRecommender(K=100)), ("implicit BM25(K=100)", BM25Recommender(K=100)),
        ("implicit ALS(64f,15it)", AlternatingLeastSquares(factors=64, iterations=15, random_state=7))]:
    t0 = time.time(); model.fit(UI, show_progress=False)
    uids = np.array([uidx[u] for u, _ in cases])
    ids, _ = model.recommend(uids, UI[uids], N=K, filter_already_liked_items=True)
    rows = []; cov = set()
    for (u, rel), row in zip(cases, ids):
        recs = [items[j] for j in row if j >= 0]; cov.update(recs); rows.append(metrics(recs, rel))
    report(name, "personal", rows, cov, time.time() - t0)

# ---------- bought together ----------
rng = random.Random(7)
baskets = [sorted({i for i in g if i in iidx}) for _, g in te.groupby("InvoiceNo").StockCode]
pairs = [(b, i) for b in baskets if len(b) >= 2 for i in b]
pairs = rng.sample(pairs, min(20000, len(pairs)))
inv = {v: i for i, v in enumerate(sorted(set(tr.InvoiceNo)))}
bi = tr.drop_duplicates(["InvoiceNo", "StockCode"])
IB = sp.csr_matrix((np.ones(len(bi), np.float32), (bi.InvoiceNo.map(inv), bi.StockCode.map(iidx))), shape=(len(inv), len(items)))

def run_together(name, similar):
    t0 = time.time(); rows = []; cov = set()
    for b, i in pairs:
        rel = set(b) - {i}; recs = similar(i); cov.update(recs); rows.append(metrics(recs, rel))
    report(name, "together", rows, cov, time.time() - t0)

gpop = list(tr.groupby("StockCode").InvoiceNo.nunique().sort_values(ascending=False).index)
if PEERS: run_together("popularity(all)", lambda i: [x for x in gpop if x != i][:K])
C = (IB.T @ IB).tocsr(); C.setdiag(0); C.eliminate_zeros()
occ = np.asarray(IB.sum(axis=0)).ravel()
def topk_row(row_scores_idx, row_scores, i):
    order = np.argsort(-row_scores, kind="stable")[:K]
    return [items[row_scores_idx[j]] for j in order]
def cooc(i, kind):
    r = C.getrow(iidx[i]); idx, val = r.indices, r.data.astype(np.float64)
    if kind == "lift": val = val / (occ[iidx[i]] * occ[idx])
    if kind == "jaccard": val = val / (occ[iidx[i]] + occ[idx] - val)
    if kind == "cosine": val = val / np.sqrt(occ[iidx[i]] * occ[idx])
    return topk_row(idx, val, i)
for kind in ("count", "jaccard", "lift", "cosine") if PEERS else ("count",):
    run_together(f"co-purchase {kind}", lambda i, kind=kind: cooc(i, kind))
for name, model in [] if implicit is None or not PEERS else [
        ("implicit Cosine(K=100) similar_items", CosineRecommender(K=100)), ("implicit BM25(K=100) similar_items", BM25Recommender(K=100))]:
    model.fit(IB, show_progress=False)
    def sim(i, model=model):
        ids, _ = model.similar_items(iidx[i], N=K + 1)
        return [items[j] for j in ids if j != iidx[i]][:K]
    run_together(name, sim)

# ---------- Crosslink ----------
# The model is a Crosslink database of the training rows only (the log's own lines before the
# split, so the importer reads them exactly as `crosslink events import` reads any log), asked
# through `crosslink recommend --batch`: one process, one open store, JSON lines in and out.
# Its live windows end with the last training day, which is the split's as-of.
def crosslink_binary():
    explicit = os.environ.get("CROSSLINK")
    if explicit: return explicit
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(here, "..", ".build", "release", "crosslink"), shutil.which("crosslink")):
        if candidate and os.path.exists(candidate): return candidate
    sys.exit("crosslink not found: swift build -c release (in the project), put it on PATH, or set CROSSLINK=/path/to/crosslink")

def crosslink_model(binary, directory):
    training = os.path.join(directory, "training.csv.gz")
    kept = 0
    with gzip.open(LOG, "rt", newline="") as source, gzip.open(training, "wt", newline="") as target:
        reader, writer = csv.reader(source), csv.writer(target, lineterminator="\n")
        header = next(reader); writer.writerow(header)
        date = header.index("InvoiceDate")
        for row in reader:
            if len(row) > date and pd.Timestamp(row[date]) < SPLIT: writer.writerow(row); kept += 1
    database = os.path.join(directory, "model.sqlite")
    t0 = time.time()
    for arguments in (["events", "import", "--create-catalog", "--rebuild-aggregates", training],
                      ["aggregates", "neighbours", "--refresh"]):
        subprocess.run([binary, "--database", database] + arguments, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"crosslink model: {kept} training lines, built in {time.time() - t0:.1f}s ({binary})")
    return database

def crosslink_batch(binary, database, questions):
    """Answers, in order, the SKUs of each question's recommendations."""
    text = "".join(json.dumps(dict(q, id=n)) + "\n" for n, q in enumerate(questions))
    done = subprocess.run([binary, "--database", database, "recommend", "--batch", "-"], input=text, capture_output=True,
                          text=True, check=True)
    answers, unknown = [None] * len(questions), 0
    for line in done.stdout.splitlines():
        answer = json.loads(line)
        if answer.get("error"): sys.exit(f"crosslink: question {answer['id']}: {answer['error']}")
        answers[answer["id"]] = [r["sku"] for r in answer["recommendations"]]
        # A product the importer left out of its catalog (e.g. sold only at price 0): a cold start.
        if answer.get("unknown_skus"): unknown += 1
    if unknown: print(f"crosslink: {unknown} of {len(questions)} questions name a product not in its catalog (empty answers)")
    return answers

if os.environ.get("CROSSLINK_SKIP") != "1":
    binary = crosslink_binary()
    with tempfile.TemporaryDirectory(prefix="crosslink-peers-") as directory:
        database = os.environ.get("CROSSLINK_MODEL") or crosslink_model(binary, directory)
        t0 = time.time()
        answers = crosslink_batch(binary, database, [{"type": "recommended-for-you", "visitor": u, "limit": K} for u, _ in cases])
        rows, cov = [], set()
        for (u, rel), recs in zip(cases, answers): cov.update(recs); rows.append(metrics(recs, rel))
        report("crosslink recommended-for-you", "personal", rows, cov, time.time() - t0)
        t0 = time.time()
        distinct = sorted({i for _, i in pairs})
        answers = dict(zip(distinct, crosslink_batch(binary, database, [{"type": "bought-bought", "sku": i, "limit": K} for i in distinct])))
        rows, cov = [], set()
        for b, i in pairs:
            recs = answers[i]; cov.update(recs); rows.append(metrics(recs, set(b) - {i}))
        report("crosslink bought-bought", "together", rows, cov, time.time() - t0)
