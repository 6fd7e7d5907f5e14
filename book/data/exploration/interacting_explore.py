# ruff: noqa
"""The exploratory runs made before the claims of the chapter "Scales that interact" were written.

Kept as they were run on 2026-12-06 around 03:00 UTC, on the first version of CoupledGovernmentModel
(committed right after as bbb7d21), merged into one file: part 1 is the first script, part 2 the second
(each redefines ``run``).  Archived as run, not tidied (ruff is told to skip the file).
The chapter's claims quote what they showed (utacbook.studies.multiscale.interacting.EXPLORATION).
Printed outcome of part 1 (mean over seeds 0-2 of: between share, resource Gini, mean compliance, approval,
size CV; over the last 100 of 300 steps, N = 20 000, C = 20):

    full    [0.1794 0.0167 0.7439 0.4874 0.5064]    uncoupled [0.0032 0.014 1. 0.4993 0.]
    nomig   [0.4111 0.031  0.7493 0.4985 0.    ]    psi1      [0.8411 0.0471 0.7498 0.4998 0.5748]
    psi2    [0.9515 0.0652 0.7593 0.5175 0.766 ]    psi2w1    [0.9909 0.1565 0.658 0.6591 0.8089]

Part 2 (seeds 0-7): between share 0.125 +- 0.034 (full), 0.020 +- 0.005 (fiscal null), 0.331 +- 0.030
(migration null), 0.327 +- 0.035 (no migration), 0.071 +- 0.011 (no migration, fiscal null), 0.056 +- 0.014
(full, 600 steps); size CV 0.55 (full) and 0.04 (migration null).

Run: NUMBA_NUM_THREADS=1 python book/data/exploration/interacting_explore.py (about 15 s).
"""

# ---------------------------------------------------------------------------------- part 1
import time

import numpy as np
from utacbook.models import CoupledGovernmentModel, UNCOUPLED
def run(seed, steps=300, N=20000, C=20, **kw):
    m = CoupledGovernmentModel(N, C, seed=seed, **kw)
    h = m.run(steps, quantiles=False)
    last = h[-100:]
    bs = np.mean([r["meso_metrics"]["between_share"] for r in last])
    gi = np.mean([r["meso_metrics"]["resource_inequality"] for r in last])
    q = np.mean([np.dot(r["meso"]["size"], r["meso"]["compliance"])/N for r in last])
    app = np.mean([r["macro"]["approval"] for r in last])
    sz = np.std(m.size)/m.size.mean()
    return bs, gi, q, app, sz
t=time.time()
for label, kw in [("full", {}), ("uncoupled", UNCOUPLED), ("nomig", dict(migration_rate=0.0)),
                  ("psi1", dict(public_goods=1.0)), ("psi2", dict(public_goods=2.0)), ("psi2w1", dict(public_goods=2.0, compliance_sensitivity=1.0))]:
    res = np.array([run(s, **kw) for s in range(3)])
    print(label, np.round(res.mean(0), 4), np.round(res.std(0), 4), flush=True)
print(time.time()-t)

# ---------------------------------------------------------------------------------- part 2
N, C = 20000, 20
def run(seed, steps=300, **kw):
    m = CoupledGovernmentModel(N, C, seed=seed, **kw)
    h = m.run(steps, quantiles=False)
    last = h[-100:]
    out = dict(bs=np.mean([r["meso_metrics"]["between_share"] for r in last]),
               gini=np.mean([r["meso_metrics"]["resource_inequality"] for r in last]),
               q=np.mean([np.dot(r["meso"]["size"], r["meso"]["compliance"])/N for r in last]),
               app=np.mean([r["macro"]["approval"] for r in last]),
               cv=np.std(m.size)/m.size.mean(),
               corr=np.corrcoef(m.size, m.mean_satisfaction)[0,1],
               moves=np.mean([r["macro"]["migrations"] for r in last]),
               Rbar=np.mean([np.dot(r["meso"]["size"], r["meso"]["resources"])/N for r in last]))
    return out
def summ(label, rs):
    keys = rs[0].keys()
    print(label, " ".join(f"{k}={np.mean([r[k] for r in rs]):.4f}±{np.std([r[k] for r in rs])/np.sqrt(len(rs)):.4f}" for k in keys), flush=True)
t=time.time()
S=range(8)
full=[run(s) for s in S]; summ("full", full)
q=np.mean([r["q"] for r in full])
summ("fiscal-null", [run(s, fixed_compliance=q) for s in S])
summ("mig-null", [run(s, migration_choice="random") for s in S])
summ("nomig", [run(s, migration_rate=0) for s in S])
summ("nomig-fiscal-null", [run(s, migration_rate=0, fixed_compliance=q) for s in S])
summ("full600", [run(s, steps=600) for s in S])
print(time.time()-t)
