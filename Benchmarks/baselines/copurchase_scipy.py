"""The co-purchase counts of Crosslink's bought-bought aggregates, in scipy: the baseline of the
rebuild benchmark (docs/notes/rebuild.md).

Usage: python3 copurchase_scipy.py LOG.csv.gz      (numpy, scipy)

Same rules as the Online Retail import + rebuild: product codes (5 digits, optional letters),
price > 0, quantity sign matching the invoice (C… = cancellation, sign -1), A… invoices skipped;
baskets of 1…50 distinct products (codes case-insensitive). Counts, for every ordered pair of
distinct products: Σ sign over the baskets holding both, over the whole log (the live window's
lists: the log is shorter than the 365-day window) and per UTC day of the basket (the history's
lists; days here are the file's local dates). Timed: the counting from arrays in memory (sparse
Xᵀ·S·X), not the CSV parsing.
"""
import csv, gzip, re, sys, time
import numpy as np, scipy.sparse as sp

PRODUCT = re.compile(r"^\d{5}[A-Za-z]*$")
baskets = {}   # invoice -> (sign, day, set of codes)
with gzip.open(sys.argv[1], "rt", encoding="utf-8", newline="") as f:
    for row in csv.DictReader(f):
        invoice = row["InvoiceNo"]
        if invoice.startswith("A") or not PRODUCT.match(row["StockCode"]) or float(row["UnitPrice"]) <= 0:
            continue
        sign = -1 if invoice.startswith("C") else 1
        if (int(row["Quantity"]) > 0) != (sign > 0):
            continue
        entry = baskets.setdefault(invoice, (sign, row["InvoiceDate"][:10], set()))
        entry[2].add(row["StockCode"].upper())
codes = {}
b_idx, i_idx, signs, days = [], [], [], []
for n, (sign, day, items) in enumerate(v for v in baskets.values() if len(v[2]) <= 50):
    signs.append(sign); days.append(day)
    for code in items:
        b_idx.append(n); i_idx.append(codes.setdefault(code, len(codes)))
b_idx, i_idx, signs = np.array(b_idx), np.array(i_idx), np.array(signs, dtype=np.int32)

t0 = time.perf_counter()
X = sp.csr_matrix((np.ones(len(b_idx), dtype=np.int32), (b_idx, i_idx)), shape=(len(signs), len(codes)))
window = (X.T @ sp.diags(signs, dtype=np.int32) @ X).tocsr()
window.setdiag(0)
window.eliminate_zeros()
t1 = time.perf_counter()
pair_days = 0
day_array = np.array(days)
for day in np.unique(day_array):
    rows = np.flatnonzero(day_array == day)
    Xd = X[rows]
    counts = (Xd.T @ sp.diags(signs[rows], dtype=np.int32) @ Xd).tocsr()
    counts.setdiag(0)
    counts.eliminate_zeros()
    pair_days += counts.nnz
t2 = time.perf_counter()
print(f"{len(signs)} baskets, {len(b_idx)} basket lines, {len(codes)} products")
print(f"window counts {t1 - t0:.2f} s ({window.nnz} pairs); per-day counts {t2 - t1:.2f} s ({pair_days} pair-days); "
      f"both {t2 - t0:.2f} s")
